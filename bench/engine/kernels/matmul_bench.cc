// MatMul throughput per weight type, plain (vec_dot per output) vs packed (16-row tiles), for the
// two shapes that matter:
//   decode:  1 token through a 65536 × 4096 matrix (several times L3: streams from DRAM). Reports
//            weight GB/s and `roofline` = that / the read bandwidth probe with as many threads.
//   decode-head: 1 token through 151936 × 896 (the output matrix of qwen2.5-0.5b: short rows).
//   decode-l2: 1 token through a 512 × 1024 matrix that stays in L2: the kernel's compute speed,
//            which must stay well above the DRAM roofline for decode to be memory-bound.
//   prefill: 512 tokens through 896 × 4864 (qwen2.5-0.5b ffn_down in pp512). Reports GFLOP/s (2 per
//            multiply-add).
// Each at 1 and 2 threads, with the AVX2 and the AVX-512 kernels where the CPU has them. Names:
// MatMul/<type>/<isa>/<plain|packed>/<shape>/threads:<n>. JSON with --benchmark_format=json.
// Benchmarks never assert.

#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "engine/kernels/bench_util.h"
#include "engine/kernels/kernel_test_util.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

using T = TensorType;

struct Shape {
  const char* name;
  int64_t n_rows, n_cols, n_tokens;
};
constexpr Shape kDecode{"decode", 65536, 4096, 1};           // 151 MB in Q4_0: several times L3
constexpr Shape kDecodeHead{"decode-head", 151936, 896, 1};  // qwen2.5-0.5b's output matrix
constexpr Shape kDecodeCached{"decode-l2", 512, 1024, 1};  // weights in L2: the kernel's own speed
constexpr Shape kPrefill{"prefill", 896, 4864, 512};  // qwen2.5-0.5b ffn_down, pp512

// One weight matrix in both layouts, built once per (type, shape) and shared by the benchmarks.
struct Weights {
  std::vector<uint8_t> blocks;
  PackedWeights packed;
  WeightMatrix view;
};

std::unique_ptr<Weights> MakeWeights(const KernelTable& table, TensorType type, const Shape& s) {
  auto w = std::make_unique<Weights>();
  std::mt19937 rng{uint32_t(type)};
  const int be = test_util::BlockElems(type), bb = test_util::BlockBytes(type);
  w->blocks =
      test_util::MakeBlocks(type, s.n_rows * s.n_cols / be, test_util::BlockKind::kRandom, rng);
  w->view = WeightMatrix{.type = type,
                         .n_cols = s.n_cols,
                         .n_rows = s.n_rows,
                         .row_bytes = size_t(s.n_cols / be) * size_t(bb),
                         .data = reinterpret_cast<const std::byte*>(w->blocks.data())};
  auto packed = PackWeights(table, w->view);
  if (packed.ok()) w->packed = std::move(packed).value();
  return w;
}

void RunMatMul(benchmark::State& state, const KernelTable& table, const Weights& w, bool packed,
               int threads, const Shape& s, double probe_gbs) {
  ThreadPool pool(threads);
  WeightMatrix view = w.view;
  view.packed = packed ? w.packed.data() : nullptr;
  std::mt19937 rng(7);
  const auto x =
      test_util::MakeActivations(s.n_cols * s.n_tokens, test_util::ActKind::kNormal, rng);
  std::vector<float> y(size_t(s.n_rows * s.n_tokens));
  std::vector<std::byte> scratch;
  // Manual timing, so that the counters can be plain values (the roofline is a ratio, not a rate).
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    MatMul(table, pool, view, x, s.n_tokens, y, scratch);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(dt);
    seconds += dt;
  }
  const double n = double(state.iterations());
  const double weight_bytes = double(view.row_bytes) * double(view.n_rows);
  const double flops = 2.0 * double(s.n_rows) * double(s.n_cols) * double(s.n_tokens);
  const double gbs = weight_bytes * n / seconds / 1e9;
  state.counters["weights_GB/s"] = gbs;
  state.counters["GFLOP/s"] = flops * n / seconds / 1e9;
  // Fraction of the bandwidth probe with as many threads: the decode roofline.
  if (s.n_tokens == 1 && probe_gbs > 0) state.counters["roofline"] = gbs / probe_gbs;
}

}  // namespace
}  // namespace foundry::engine::kernels

int main(int argc, char** argv) {
  using namespace foundry;
  using namespace foundry::engine;
  using namespace foundry::engine::kernels;
  benchmark::Initialize(&argc, argv);
  const KernelTable table = SelectKernels(DetectCpu());  // packs the weights
  std::map<int, double> probe;                           // threads -> GB/s
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    probe[threads] = bench::ReadBandwidthGBs(pool);
    benchmark::RegisterBenchmark(("ReadBandwidthProbe/threads:" + std::to_string(threads)).c_str(),
                                 [gbs = probe[threads]](benchmark::State& state) {
                                   for (auto _ : state) benchmark::DoNotOptimize(gbs);
                                   state.counters["GB/s"] = gbs;
                                 })
        ->Iterations(1);
  }
  // The ISA levels to compare: AVX2 and AVX-512 where the CPU has them (scalar is far too slow
  // for these shapes; its speed is not a target).
  std::vector<std::unique_ptr<KernelTable>> tables;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512})
    if (isa <= DetectCpu().best())
      tables.push_back(std::make_unique<KernelTable>(SelectKernels(DetectCpu(), isa)));
  std::vector<std::unique_ptr<Weights>> keep;
  using T = TensorType;
  for (TensorType type : {T::kQ4_0, T::kQ5_0, T::kQ8_0, T::kQ4_K, T::kQ6_K, T::kQ4_1}) {
    for (const Shape* s : {&kDecode, &kDecodeHead, &kDecodeCached, &kPrefill}) {
      // The packed layout is the same for every ISA: pack once with the best table.
      keep.push_back(MakeWeights(table, type, *s));
      const Weights* w = keep.back().get();
      for (const auto& t : tables) {
        for (bool packed : {false, true}) {
          if (packed && (w->packed.empty() || t->Get(type)->packed_gemm == nullptr)) continue;
          for (int threads : {1, 2}) {
            const std::string name = std::string("MatMul/") + std::string(TensorTypeName(type)) +
                                     "/" + std::string(IsaName(t->isa())) + "/" +
                                     (packed ? "packed" : "plain") + "/" + s->name +
                                     "/threads:" + std::to_string(threads);
            benchmark::RegisterBenchmark(name.c_str(),
                                         [tb = t.get(), w, packed, threads, s,
                                          gbs = probe[threads]](benchmark::State& state) {
                                           RunMatMul(state, *tb, *w, packed, threads, *s, gbs);
                                         })
                ->UseManualTime()
                ->Unit(benchmark::kMicrosecond);
          }
        }
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
