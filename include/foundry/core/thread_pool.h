#pragma once
// ThreadPool: a fixed set of worker threads that run one parallel loop at a time.
//
// Run(n, fn) calls fn(i) for every i in [0, n) spread over the caller plus the workers, and
// returns when all calls have finished. The caller thread takes part, so a pool of size 1 has no
// workers and runs everything inline. Thread-safety: Run() must not be called concurrently from
// two threads (thread-compatible); fn must be safe to call concurrently for distinct i.
// Workers spin briefly between loops (a decode step issues hundreds of small loops) before they
// sleep on a condition variable.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace foundry {

class ThreadPool {
 public:
  // n_threads >= 1 counts the calling thread; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls fn(i) for i in [0, n). Each index runs exactly once.
  void Run(int64_t n, const std::function<void(int64_t)>& fn);

  // Splits [0, n) into about size() contiguous chunks: fn(begin, end) per chunk. `grain` is the
  // smallest chunk worth a thread.
  void ParallelFor(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void WorkerLoop();
  void Drain(const std::function<void(int64_t)>& fn, int64_t n);

  int n_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void(int64_t)>* job_ = nullptr;  // guarded by mu_
  int64_t job_n_ = 0;                                   // guarded by mu_
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> busy_workers_{0};
  bool stop_ = false;  // guarded by mu_
};

}  // namespace foundry
