#pragma once
// Engine benchmark in the spirit of llama-bench: prompt processing (pp) and generation (tg)
// throughput as mean ± sd over repetitions, load time, peak RSS, and for tg the fraction of the
// memory-bandwidth roofline reached (bytes streamed per token ÷ read bandwidth measured in the
// same process with the same thread count).

#include <cstdint>
#include <string>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::runtime {

struct BenchOptions {
  std::string model_path;
  std::vector<int> n_prompt = {512};  // one pp test per value (0 = none)
  std::vector<int> n_gen = {128};     // one tg test per value (0 = none)
  int repetitions = 5;
  bool measure_bandwidth = true;
};

struct BenchResult {
  std::string test;            // "pp512", "tg128"
  int n_tokens = 0;
  double tokens_per_second = 0;  // mean over repetitions
  double stddev = 0;
  std::vector<double> samples;   // tokens/s of each repetition
  double bytes_per_token = 0;    // tg: weights + KV cache read per generated token
  double roofline_fraction = 0;  // tg: bytes_per_token · t/s ÷ bandwidth
};

struct BenchReport {
  std::string model_name, model_type;  // e.g. "qwen2", "Q4_0" (most common matrix type)
  uint64_t model_bytes = 0, n_params = 0;
  int threads = 0;
  std::string isa;
  double load_ms = 0;
  double bandwidth_gbps = 0;           // read bandwidth with `threads` threads
  uint64_t peak_rss_bytes = 0;
  std::vector<BenchResult> results;
};

// Runs the benchmark with `pool`'s thread count. kernels/pool must outlive the call.
Result<BenchReport> RunBench(const BenchOptions& options, const engine::kernels::KernelTable& kernels,
                             ThreadPool& pool);

// Read bandwidth in GB/s (1e9 bytes/s), best of a few passes over a buffer well beyond the
// last-level cache, split over the pool.
double MeasureReadBandwidth(ThreadPool& pool, size_t bytes = size_t(1) << 30);

}  // namespace foundry::runtime
