// Attention kernels on a prefill-shaped problem: one layer of a 512-token prompt for a
// qwen2.5-0.5b-shaped model (14 query heads over 2 KV heads, head_dim 64), split into tasks of
// `tokens` consecutive positions × one KV head as Context::Attention does, on one thread, with
// keys/values paged in shuffled 16-position blocks like the KvCache's.
// Reports GFLOP/s counting 4·head_dim flops per (query row, visible key): q·k and p·v.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "foundry/engine/attention.h"

namespace foundry::engine::attention {
namespace {

void BM_PrefillLayer(benchmark::State& state) {
  const auto isa = kernels::Isa(state.range(0));
  if (isa > kernels::DetectCpu().best()) {
    state.SkipWithError("CPU lacks this ISA");
    return;
  }
  const int tokens_per_task = int(state.range(1));
  const int head_dim = int(state.range(2));
  const int n_tokens = 512, n_head_kv = 2, group = 7;
  const size_t stride = size_t(n_head_kv) * head_dim;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  // Paged as a KvCache stores them: blocks of kBlock positions, in shuffled order.
  constexpr int kBlock = 16;
  const int n_blocks = (n_tokens + kBlock - 1) / kBlock;
  std::vector<float> k(size_t(n_blocks) * kBlock * stride), v(k.size());
  std::vector<int> order(static_cast<size_t>(n_blocks));
  for (int i = 0; i < n_blocks; ++i) order[size_t(i)] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> q(size_t(n_tokens) * n_head_kv * group * head_dim), out(q.size());
  for (float& x : k) x = nd(rng);
  for (float& x : v) x = nd(rng);
  for (float& x : q) x = nd(rng);
  std::vector<const float*> kb(static_cast<size_t>(n_blocks)), vb(kb.size());
  const Fn fn = Select(isa);
  const int max_rows = tokens_per_task * group;
  std::vector<float> scratch(ScratchFloats(max_rows, head_dim));
  const size_t rows = size_t(max_rows);
  std::vector<const float*> qp(rows);
  std::vector<float*> op(rows);
  std::vector<int32_t> lo(rows), hi(rows);
  double flops = 0;
  for (auto _ : state) {
    flops = 0;
    for (int t0 = 0; t0 < n_tokens; t0 += tokens_per_task) {
      for (int g = 0; g < n_head_kv; ++g) {
        int n_rows = 0;
        for (int t = t0; t < std::min(n_tokens, t0 + tokens_per_task); ++t)
          for (int h = g * group; h < (g + 1) * group; ++h) {
            const size_t off = (size_t(t) * n_head_kv * group + size_t(h)) * head_dim;
            qp[size_t(n_rows)] = &q[off];
            op[size_t(n_rows)] = &out[off];
            lo[size_t(n_rows)] = 0;
            hi[size_t(n_rows)] = t;
            flops += 4.0 * head_dim * (t + 1);
            ++n_rows;
          }
        for (int b = 0; b < n_blocks; ++b) {
          const size_t off = size_t(order[size_t(b)]) * kBlock * stride + size_t(g) * head_dim;
          kb[size_t(b)] = k.data() + off;
          vb[size_t(b)] = v.data() + off;
        }
        fn({.n_rows = n_rows, .q = qp.data(), .out = op.data(), .lo = lo.data(),
            .hi = hi.data(), .k = kb.data(), .v = vb.data(), .block_size = kBlock,
            .kv_stride = stride, .head_dim = head_dim,
            .scale = 1.0f / std::sqrt(float(head_dim)), .scratch = scratch.data()});
      }
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOPs"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_PrefillLayer)
    ->ArgNames({"isa", "tokens", "head_dim"})
    ->ArgsProduct({{0, 1, 2}, {4, 16}, {64}})
    ->Args({2, 16, 128})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace foundry::engine::attention

BENCHMARK_MAIN();
