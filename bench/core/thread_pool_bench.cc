// The cost of starting and finishing one parallel loop: a decode step runs a few hundred of them,
// so this overhead is paid per generated token hundreds of times. Reports loops/s and the time of
// one near-empty loop (2 indices, as in a small matrix split over 2 threads).
// Benchmarks never assert.

#include <benchmark/benchmark.h>

#include <atomic>

#include "foundry/core/thread_pool.h"

namespace foundry {
namespace {

void BM_EmptyLoop(benchmark::State& state) {
  ThreadPool pool(int(state.range(0)));
  std::atomic<int64_t> sink{0};
  for (auto _ : state) {
    pool.Run(pool.size(), [&](int64_t i) { sink.fetch_add(i, std::memory_order_relaxed); });
  }
  state.counters["loops/s"] =
      benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EmptyLoop)->Arg(1)->Arg(2)->UseRealTime();

// ParallelFor over 4096 cheap indices: chunking plus the loop start/finish.
void BM_ParallelForSmall(benchmark::State& state) {
  ThreadPool pool(int(state.range(0)));
  std::vector<float> v(4096, 1.0f);
  for (auto _ : state) {
    pool.ParallelFor(int64_t(v.size()), 256, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) v[size_t(i)] = v[size_t(i)] * 0.999f + 0.001f;
    });
    benchmark::DoNotOptimize(v.data());
  }
}
BENCHMARK(BM_ParallelForSmall)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace foundry

BENCHMARK_MAIN();
