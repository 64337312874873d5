#include "foundry/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace foundry {
namespace {

TEST(ThreadPool, RunsEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 1000}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.Run(n, [&](int64_t i) { hits[size_t(i)].fetch_add(1); });
      for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << threads << " " << n;
    }
  }
}

TEST(ThreadPool, ManySmallLoopsInARow) {
  // A decode step issues hundreds of tiny loops back to back; none may be lost or overlap.
  ThreadPool pool(3);
  int64_t total = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::atomic<int64_t> sum{0};
    pool.Run(4, [&](int64_t i) { sum.fetch_add(i + 1); });
    total += sum.load();
  }
  EXPECT_EQ(total, 5000 * 10);
}

TEST(ThreadPool, ParallelForCoversTheRange) {
  ThreadPool pool(2);
  for (int64_t n : {1, 5, 64, 1001}) {
    std::vector<int> seen(static_cast<size_t>(n), 0);
    pool.ParallelFor(n, 3, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) seen[size_t(i)]++;
    });
    for (int v : seen) ASSERT_EQ(v, 1);
  }
}

TEST(ThreadPool, ParallelForChunksRespectTheGrain) {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {1, 2, 17, 100, 4096}) {
      for (int64_t grain : {1, 7, 64}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int64_t> calls{0}, small{0};
        pool.ParallelFor(n, grain, [&](int64_t b, int64_t e) {
          ASSERT_LT(b, e);
          if (e - b < grain && e != n) small.fetch_add(1);
          calls.fetch_add(1);
          for (int64_t i = b; i < e; ++i) hits[size_t(i)].fetch_add(1);
        });
        for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1) << n << " " << grain;
        EXPECT_EQ(small.load(), 0) << "only the last chunk may be shorter than the grain";
        EXPECT_LE(calls.load(), threads * ThreadPool::kChunksPerThread);
        if (threads == 1) {
          EXPECT_EQ(calls.load(), 1);
        }
      }
    }
  }
}

// Indices of very uneven cost (the last ones cost the most, as in causal attention): every index
// still runs exactly once, and the range is cut into more chunks than threads, so a thread that
// finishes its cheap chunk early takes the next one instead of idling.
TEST(ThreadPool, UnevenLoopsUseEveryThread) {
  ThreadPool pool(2);
  const int64_t n = 256;
  std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
  std::mutex mu;
  std::vector<std::thread::id> ids;  // one entry per chunk
  std::atomic<uint64_t> sink{0};
  pool.ParallelFor(n, 1, [&](int64_t b, int64_t e) {
    {
      std::lock_guard<std::mutex> lock(mu);
      ids.push_back(std::this_thread::get_id());
    }
    for (int64_t i = b; i < e; ++i) {
      uint64_t x = uint64_t(i);
      for (int64_t k = 0; k < i * 2000; ++k) x = x * 6364136223846793005ull + 1;  // cost ∝ i
      sink.fetch_add(x);
      hits[size_t(i)].fetch_add(1);
    }
  });
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[size_t(i)].load(), 1);
  EXPECT_GT(ids.size(), 2u) << "uneven loops are cut into more chunks than threads";
}

// After kSpinMicroseconds without work the workers sleep; the next loop must wake them.
TEST(ThreadPool, WakesSleepingWorkers) {
  ThreadPool pool(3);
  pool.Run(4, [](int64_t) {});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (pool.sleeping_workers() < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::yield();
  ASSERT_EQ(pool.sleeping_workers(), 2) << "workers did not go to sleep within 30 s";
  for (int iter = 0; iter < 3; ++iter) {
    std::vector<std::atomic<int>> hits(100);
    pool.Run(100, [&](int64_t i) { hits[size_t(i)].fetch_add(1); });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

// Two callers share one pool (two models served at once): their loops are serialised and each
// sees every index exactly once.
TEST(ThreadPoolTest, ConcurrentCallersAreSerialised) {
  ThreadPool pool(2);
  auto caller = [&pool](int64_t n, std::atomic<int64_t>* bad) {
    for (int rep = 0; rep < 2000; ++rep) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.Run(n, [&](int64_t i) { hits[size_t(i)].fetch_add(1, std::memory_order_relaxed); });
      for (auto& h : hits)
        if (h.load() != 1) bad->fetch_add(1);
      std::atomic<int64_t> covered{0};
      pool.ParallelFor(n * 10, 3, [&](int64_t b, int64_t e) { covered.fetch_add(e - b); });
      if (covered.load() != n * 10) bad->fetch_add(1);
    }
  };
  std::atomic<int64_t> bad{0};
  std::thread a(caller, 7, &bad), b(caller, 13, &bad);
  a.join();
  b.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace foundry
