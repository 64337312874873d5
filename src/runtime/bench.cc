#include "foundry/runtime/bench.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

#include "foundry/engine/context.h"
#include "foundry/engine/model.h"

namespace foundry::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t PeakRssBytes() {
  // VmHWM honours ResetPeakRss(); getrusage's maximum does not.
  if (FILE* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    unsigned long long kib = 0;
    while (std::fgets(line, sizeof line, f))
      if (std::sscanf(line, "VmHWM: %llu kB", &kib) == 1) break;
    std::fclose(f);
    if (kib) return kib * 1024;
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return uint64_t(ru.ru_maxrss) * 1024;  // Linux reports KiB
}

// Forget the peak so far (Linux >= 4.0), so the bandwidth probe's buffer does not count.
void ResetPeakRss() {
  if (FILE* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

void MeanSd(const std::vector<double>& x, double* mean, double* sd) {
  *mean = std::accumulate(x.begin(), x.end(), 0.0) / double(x.size());
  double v = 0;
  for (double a : x) v += (a - *mean) * (a - *mean);
  *sd = x.size() > 1 ? std::sqrt(v / double(x.size() - 1)) : 0.0;
}

// Bytes a generation step streams: every matrix the forward pass multiplies with (the output
// matrix included, token_embd only as one row unless it doubles as the output) plus the KV cache
// read at the average position of the test.
double BytesPerToken(const engine::Model& m, int n_gen) {
  double bytes = 0;
  auto add = [&](const engine::WeightMatrix& w) {
    if (w.data) bytes += double(w.row_bytes) * double(w.n_rows);
  };
  for (const auto& L : m.layers()) {
    add(L.wq), add(L.wk), add(L.wv), add(L.wqkv), add(L.wo);
    add(L.ffn_gate), add(L.ffn_up), add(L.ffn_down);
  }
  add(m.output());
  const auto& hp = m.hparams();
  bytes += double(hp.n_layer) * (n_gen / 2.0) * (hp.n_embd_k_gqa() + hp.n_embd_v_gqa()) * sizeof(float);
  return bytes;
}

}  // namespace

double MeasureReadBandwidth(ThreadPool& pool, size_t bytes) {
  const size_t n = bytes / sizeof(uint64_t);
  std::vector<uint64_t> buf(n);
  pool.ParallelFor(int64_t(n), 1 << 16, [&](int64_t b, int64_t e) {  // first touch per thread
    for (int64_t i = b; i < e; ++i) buf[size_t(i)] = uint64_t(i);
  });
  double best = 0;
  std::vector<uint64_t> sink(size_t(pool.size()) * 8, 0);
  for (int pass = 0; pass < 4; ++pass) {
    auto t0 = Clock::now();
    const int64_t chunks = pool.size();
    pool.Run(chunks, [&](int64_t c) {
      const size_t b = n * size_t(c) / size_t(chunks), e = n * size_t(c + 1) / size_t(chunks);
      uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (size_t i = b; i + 4 <= e; i += 4) {
        a0 += buf[i], a1 += buf[i + 1], a2 += buf[i + 2], a3 += buf[i + 3];
      }
      sink[size_t(c) * 8] = a0 + a1 + a2 + a3;  // keep the loads alive
    });
    double s = Seconds(t0);
    best = std::max(best, double(n * sizeof(uint64_t)) / s / 1e9);
  }
  volatile uint64_t keep = std::accumulate(sink.begin(), sink.end(), uint64_t(0));
  (void)keep;
  return best;
}

Result<BenchReport> RunBench(const BenchOptions& o, const engine::kernels::KernelTable& kernels,
                             ThreadPool& pool) {
  if (o.repetitions < 1) return Status::InvalidArgument("repetitions must be >= 1");
  BenchReport r;
  r.threads = pool.size();
  r.isa = std::string(engine::kernels::IsaName(kernels.isa()));
  auto t0 = Clock::now();
  FOUNDRY_ASSIGN_OR_RETURN(auto model, engine::Model::Load(o.model_path, kernels, {.pool = &pool}));
  r.load_ms = Seconds(t0) * 1e3;
  r.model_name = std::string(model->arch().name);
  r.model_bytes = model->weight_bytes();
  std::map<std::string, uint64_t> by_type;
  for (const auto& t : model->gguf().tensors()) {
    r.n_params += t.n_elements;
    if (t.n_dims >= 2) by_type[std::string(engine::TensorTypeName(t.type))] += t.n_bytes;
  }
  uint64_t most = 0;
  for (const auto& [name, b] : by_type)
    if (b > most) most = b, r.model_type = name;

  int max_tokens = 1;
  for (int p : o.n_prompt) max_tokens = std::max(max_tokens, p);
  for (int g : o.n_gen) max_tokens = std::max(max_tokens, g);
  FOUNDRY_ASSIGN_OR_RETURN(auto ctx, engine::Context::Create(model, kernels, pool,
                                                             {.n_ctx = uint32_t(max_tokens)}));
  const int32_t n_vocab = int32_t(model->hparams().n_vocab);
  // Tokens do not change the work done; use a fixed pseudo-random sequence.
  auto token = [&](int i) { return engine::TokenId((i * 7919 + 13) % n_vocab); };
  std::vector<float> logits;

  auto run_pp = [&](int n) -> Result<double> {
    ctx->kv_cache().Truncate(0, 0);
    std::vector<engine::BatchToken> batch(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) batch[size_t(i)] = {token(i), i, 0, i + 1 == n};
    logits.clear();
    auto ts = Clock::now();
    FOUNDRY_RETURN_IF_ERROR(ctx->Decode(batch, &logits));
    return double(n) / Seconds(ts);
  };
  auto run_tg = [&](int n) -> Result<double> {
    ctx->kv_cache().Truncate(0, 0);
    auto ts = Clock::now();
    for (int i = 0; i < n; ++i) {
      engine::BatchToken bt{token(i), i, 0, true};
      logits.clear();
      FOUNDRY_RETURN_IF_ERROR(ctx->Decode(std::span(&bt, 1), &logits));
    }
    return double(n) / Seconds(ts);
  };

  if (o.measure_bandwidth) {
    r.bandwidth_gbps = MeasureReadBandwidth(pool);
    ResetPeakRss();
  }

  auto run_test = [&](const std::string& name, int n, bool tg) -> Status {
    BenchResult res;
    res.test = name;
    res.n_tokens = n;
    FOUNDRY_RETURN_IF_ERROR((tg ? run_tg(std::min(n, 16)) : run_pp(n)).status());  // warm-up
    for (int rep = 0; rep < o.repetitions; ++rep) {
      FOUNDRY_ASSIGN_OR_RETURN(double tps, tg ? run_tg(n) : run_pp(n));
      res.samples.push_back(tps);
    }
    MeanSd(res.samples, &res.tokens_per_second, &res.stddev);
    if (tg) {
      res.bytes_per_token = BytesPerToken(*model, n);
      if (r.bandwidth_gbps > 0)
        res.roofline_fraction = res.bytes_per_token * res.tokens_per_second / (r.bandwidth_gbps * 1e9);
    }
    r.results.push_back(std::move(res));
    return Status::Ok();
  };
  for (int p : o.n_prompt)
    if (p > 0) FOUNDRY_RETURN_IF_ERROR(run_test("pp" + std::to_string(p), p, false));
  for (int g : o.n_gen)
    if (g > 0) FOUNDRY_RETURN_IF_ERROR(run_test("tg" + std::to_string(g), g, true));
  r.peak_rss_bytes = PeakRssBytes();
  return r;
}

}  // namespace foundry::runtime
