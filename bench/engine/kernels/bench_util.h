#pragma once
// Shared pieces of the kernel benchmarks: a read-bandwidth probe (the decode roofline) and test
// weights. Benchmarks never assert; they report.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <vector>

#include "foundry/core/thread_pool.h"

namespace foundry::bench {

// Best of `passes` sequential reads of a `bytes` buffer split over the pool, in GB/s: what a
// memory-bound kernel can at most stream with this many threads.
inline double ReadBandwidthGBs(ThreadPool& pool, size_t bytes = size_t(512) << 20, int passes = 5) {
  const size_t n = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buf(n);
  pool.ParallelFor(int64_t(n), 1 << 16, [&](int64_t b, int64_t e) {  // first touch per thread
    for (int64_t i = b; i < e; ++i) buf[size_t(i)] = uint64_t(i);
  });
  std::vector<uint64_t> sink(size_t(pool.size()) * 8, 0);
  double best = 0;
  for (int pass = 0; pass < passes; ++pass) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t chunks = pool.size();
    pool.Run(chunks, [&](int64_t c) {
      const size_t b = n * size_t(c) / size_t(chunks), e = n * size_t(c + 1) / size_t(chunks);
      uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (size_t i = b; i + 4 <= e; i += 4)
        a0 += buf[i], a1 += buf[i + 1], a2 += buf[i + 2], a3 += buf[i + 3];
      sink[size_t(c) * 8] = a0 + a1 + a2 + a3;
    });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, double(bytes) / s / 1e9);
  }
  volatile uint64_t keep = std::accumulate(sink.begin(), sink.end(), uint64_t(0));
  (void)keep;
  return best;
}

}  // namespace foundry::bench
