#include "foundry/core/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace foundry {
namespace {

// The CPU's spin-wait hint: lets the sibling hyperthread run and saves power while polling.
inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = int(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_seq_cst);
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  epoch_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::Drain() {
  const FunctionRef<void(int64_t)>& fn = *job_;
  const int64_t n = job_n_;
  for (;;) {
    const int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    if (i >= n) break;
    fn(i);
    done_.fetch_add(1, std::memory_order_release);
  }
}

// Waits for epoch_ to move past `seen`: spins first (the next loop of a decode step arrives
// within microseconds), then sleeps. Sleeping is announced in sleepers_ before epoch_ is checked
// again, and Run() bumps epoch_ before it reads sleepers_ (both seq_cst), so either the worker
// sees the new epoch or Run() sees the sleeper and wakes it; the futex wait itself re-checks the
// value, so a bump between the check and the sleep is not lost either.
void ThreadPool::WorkerLoop() {
  using Clock = std::chrono::steady_clock;
  uint32_t seen = 0;
  for (;;) {
    const auto deadline = Clock::now() + std::chrono::microseconds(kSpinMicroseconds);
    for (int spin = 0; epoch_.load(std::memory_order_acquire) == seen; ++spin) {
      CpuRelax();
      if ((spin & 255) == 255 && Clock::now() > deadline) {
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        while (epoch_.load(std::memory_order_seq_cst) == seen)
          epoch_.wait(seen, std::memory_order_seq_cst);
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
    }
    seen = epoch_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    // Announce ourselves before looking at the loop: Run() clears active_ and then waits for
    // busy_ == 0 (both seq_cst), so a worker either sees active_ == false and leaves job_ alone,
    // or Run() waits for it to finish.
    busy_.fetch_add(1, std::memory_order_seq_cst);
    if (active_.load(std::memory_order_seq_cst)) Drain();
    busy_.fetch_sub(1, std::memory_order_release);
  }
}

void ThreadPool::Run(int64_t n, FunctionRef<void(int64_t)> fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::lock_guard<std::mutex> lock(run_mu_);
  // No worker reads job_ now: the previous Run() left with active_ == false and busy_ == 0.
  job_ = &fn;
  job_n_ = n;
  next_.store(0, std::memory_order_relaxed);
  done_.store(0, std::memory_order_relaxed);
  active_.store(true, std::memory_order_seq_cst);  // publishes job_ (release)
  epoch_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) > 0) epoch_.notify_all();
  Drain();
  while (done_.load(std::memory_order_acquire) < n) CpuRelax();
  // Every index has run; workers still inside Drain() only fail to claim one. They hold a
  // reference to fn (our caller's frame), so wait for them to leave.
  active_.store(false, std::memory_order_seq_cst);
  while (busy_.load(std::memory_order_seq_cst) != 0) CpuRelax();
}

void ThreadPool::ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(1, grain);
  const int64_t chunks = std::min<int64_t>(n_threads_ * kChunksPerThread, (n + grain - 1) / grain);
  if (chunks <= 1 || n_threads_ == 1) {
    fn(0, n);
    return;
  }
  const int64_t per = std::max(grain, (n + chunks - 1) / chunks);
  Run((n + per - 1) / per, [&](int64_t c) {
    const int64_t b = c * per, e = std::min(n, b + per);
    if (b < e) fn(b, e);
  });
}

}  // namespace foundry
