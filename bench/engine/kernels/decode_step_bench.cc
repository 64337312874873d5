// The matrix products of one decode step of a qwen2.5-0.5b-shaped model (24 layers of q, k, v,
// o, gate, up, down, then the 151936 × 896 output head in Q8_0), each matrix its own allocation
// as in a loaded model, one token through all of them in order. This is the GEMV part of tg128
// without attention and norms: its weight GB/s against the bandwidth probe shows how much of the
// decode roofline the kernels, the thread split and the per-MatMul start/finish leave unused.
// Layer weights in Q4_0, Q5_0 or Q8_0; plain (vec_dot) or packed. Benchmarks never assert.

#include <benchmark/benchmark.h>

#include <chrono>
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

struct Matrix {
  std::vector<uint8_t> blocks;
  WeightMatrix view;  // view.packed points into Model::packed
};

struct Model {
  std::vector<std::unique_ptr<Matrix>> matrices;  // in the order of a decode step
  PackedWeights packed;                           // all packed copies, as a model loader makes
  double bytes = 0;
  int64_t max_dim = 0;
};

std::unique_ptr<Matrix> MakeMatrix(TensorType type, int64_t n_rows, int64_t n_cols,
                                   std::mt19937& rng) {
  auto m = std::make_unique<Matrix>();
  const int be = test_util::BlockElems(type), bb = test_util::BlockBytes(type);
  m->blocks = test_util::MakeBlocks(type, n_rows * n_cols / be, test_util::BlockKind::kRandom, rng);
  m->view = WeightMatrix{.type = type,
                         .n_cols = n_cols,
                         .n_rows = n_rows,
                         .row_bytes = size_t(n_cols / be) * size_t(bb),
                         .data = reinterpret_cast<const std::byte*>(m->blocks.data())};
  return m;
}

Model MakeModel(const KernelTable& table, TensorType layer_type) {
  constexpr int64_t kEmbd = 896, kKv = 128, kFf = 4864, kVocab = 151936, kLayers = 24;
  std::mt19937 rng(1);
  Model m;
  for (int il = 0; il < kLayers; ++il) {
    for (auto [rows, cols] : {std::pair{kEmbd, kEmbd},
                              {kKv, kEmbd},
                              {kKv, kEmbd},
                              {kEmbd, kEmbd},
                              {kFf, kEmbd},
                              {kFf, kEmbd},
                              {kEmbd, kFf}})
      m.matrices.push_back(MakeMatrix(layer_type, rows, cols, rng));
  }
  m.matrices.push_back(MakeMatrix(T::kQ8_0, kVocab, kEmbd, rng));
  std::vector<WeightMatrix*> views;
  for (auto& w : m.matrices) views.push_back(&w->view);
  auto packed = PackWeights(table, views);
  if (packed.ok()) m.packed = std::move(packed).value();
  for (const auto& w : m.matrices) {
    m.bytes += double(w->view.row_bytes) * double(w->view.n_rows);
    m.max_dim = std::max({m.max_dim, w->view.n_rows, w->view.n_cols});
  }
  return m;
}

void RunStep(benchmark::State& state, const KernelTable& table, const Model& m, bool packed,
             int threads, double probe_gbs) {
  ThreadPool pool(threads);
  std::mt19937 rng(7);
  const auto x = test_util::MakeActivations(m.max_dim, test_util::ActKind::kNormal, rng);
  std::vector<float> y(size_t(m.max_dim));
  std::vector<std::byte> scratch;
  double seconds = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (const auto& w : m.matrices) {
      WeightMatrix view = w->view;
      if (!packed) view.packed = nullptr;
      MatMul(table, pool, view, std::span<const float>(x).first(size_t(view.n_cols)), 1,
             std::span<float>(y).first(size_t(view.n_rows)), scratch);
    }
    benchmark::DoNotOptimize(y.data());
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(dt);
    seconds += dt;
  }
  const double gbs = m.bytes * double(state.iterations()) / seconds / 1e9;
  state.counters["weights_GB/s"] = gbs;
  state.counters["steps/s"] = double(state.iterations()) / seconds;
  if (probe_gbs > 0) state.counters["roofline"] = gbs / probe_gbs;
}

}  // namespace
}  // namespace foundry::engine::kernels

int main(int argc, char** argv) {
  using namespace foundry;
  using namespace foundry::engine;
  using namespace foundry::engine::kernels;
  benchmark::Initialize(&argc, argv);
  const KernelTable table = SelectKernels(DetectCpu());
  double probe = 0;
  {
    ThreadPool pool(2);
    probe = bench::ReadBandwidthGBs(pool);
  }
  std::vector<std::unique_ptr<Model>> models;
  for (TensorType type : {TensorType::kQ4_0, TensorType::kQ5_0, TensorType::kQ8_0}) {
    models.push_back(std::make_unique<Model>(MakeModel(table, type)));
    const Model* m = models.back().get();
    for (bool packed : {false, true}) {
      for (int threads : {1, 2}) {
        const std::string name = std::string("DecodeStep/") + std::string(TensorTypeName(type)) +
                                 (packed ? "/packed" : "/plain") +
                                 "/threads:" + std::to_string(threads);
        benchmark::RegisterBenchmark(name.c_str(),
                                     [&table, m, packed, threads, probe](benchmark::State& state) {
                                       RunStep(state, table, *m, packed, threads,
                                               threads == 2 ? probe : 0);
                                     })
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
