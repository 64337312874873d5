#pragma once
// ThreadPool: a fixed set of worker threads that run one parallel loop at a time.
//
// Run(n, fn) calls fn(i) for every i in [0, n) spread over the caller plus the workers, and
// returns when all calls have finished. The caller thread takes part, so a pool of size 1 has no
// workers and runs everything inline. Indices are claimed dynamically (one atomic increment
// each), so a thread that is descheduled by the OS does not hold up the others beyond its current
// index.
//
// Thread-safety: Run() and ParallelFor() may be called from several threads (two models served
// at once share one pool): concurrent loops are serialised by a mutex, one loop at a time over
// all threads. They must not be called from inside fn (that would wait for itself). fn must be
// safe to call concurrently for distinct i. size() is immutable.
//
// Cost: a decode step issues a few hundred small loops, so starting one must be cheap. Run()
// publishes the loop with a few atomic stores (no lock, no allocation: fn is borrowed through a
// FunctionRef). Workers spin on the loop counter (with the CPU's pause hint) for
// kSpinMicroseconds after their last loop before they sleep on a futex; the caller only makes the
// wake-up system call when a worker actually sleeps.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace foundry {

// A non-owning reference to a callable: the callable must outlive every call through the ref
// (true for a lambda passed straight to Run/ParallelFor). Two words, never allocates.
template <class Sig>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): lambdas convert implicitly
      : obj_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}
  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

class ThreadPool {
 public:
  // n_threads >= 1 counts the calling thread; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Workers currently asleep (idle for longer than kSpinMicroseconds); for tests and diagnostics.
  int sleeping_workers() const { return sleepers_.load(std::memory_order_relaxed); }

  // Calls fn(i) for i in [0, n). Each index runs exactly once, on some thread of the pool (the
  // caller included); indices are handed out in increasing order.
  void Run(int64_t n, FunctionRef<void(int64_t)> fn);

  // Splits [0, n) into contiguous chunks, fn(begin, end) per chunk, each chunk run exactly once.
  // `grain` is the smallest chunk worth a thread. There are up to kChunksPerThread chunks per
  // thread (never fewer than `grain` indices each, except the last), claimed in order as threads
  // become free, so loops whose indices cost unevenly (causal attention: later tokens see more
  // keys) still keep every thread busy. fn must not assume one call per thread.
  void ParallelFor(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);

  static constexpr int64_t kChunksPerThread = 8;

  // How long an idle worker keeps spinning for the next loop before it sleeps.
  static constexpr int64_t kSpinMicroseconds = 2000;

 private:
  void WorkerLoop();
  void Drain();

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex run_mu_;  // one published loop at a time (callers on several threads)

  // The loop being run. Written by Run() only while no worker can read it (see Run()).
  const FunctionRef<void(int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;

  // Each field on its own cache line: workers poll epoch_/active_ while the caller and the
  // workers hammer next_/done_.
  alignas(64) std::atomic<uint32_t> epoch_{0};   // +1 per loop (and at shutdown); futex word
  alignas(64) std::atomic<bool> active_{false};  // a loop is published and not yet finished
  alignas(64) std::atomic<int64_t> next_{0};     // next index to claim
  alignas(64) std::atomic<int64_t> done_{0};     // indices finished
  alignas(64) std::atomic<int> busy_{0};         // workers between "saw a loop" and "left it"
  alignas(64) std::atomic<int> sleepers_{0};     // workers blocked (or about to) in epoch_.wait
  std::atomic<bool> stop_{false};
};

}  // namespace foundry
