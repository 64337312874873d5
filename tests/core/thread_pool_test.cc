#include "foundry/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
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

}  // namespace
}  // namespace foundry
