#pragma once
// Metrics: what the service counts for GET /metrics (Prometheus text format 0.0.4) and the
// structured request log. Internal to the service; docs/observability.md lists every series.
//
//   foundry_requests_total{route,status}          requests answered, by route pattern and status
//   foundry_request_duration_seconds{route}       (summary: _sum and _count)
//   foundry_prompt_tokens_total, foundry_generated_tokens_total
//   foundry_time_to_first_token_seconds           histogram: request start to first text piece
//   foundry_inter_token_latency_seconds           histogram: between streamed text pieces
//   foundry_queue_depth, foundry_running_sequences, foundry_kv_blocks_{used,cached,free},
//   foundry_kv_block_positions, foundry_prefix_cache_{lookups,hits,hit_tokens}_total,
//   foundry_prefix_cache_hit_rate, foundry_preemptions_total,
//   foundry_requests_cancelled_total,
//   foundry_loaded_models, foundry_loaded_model_bytes, foundry_models_loading,
//   foundry_process_resident_memory_bytes
// The gauges come from runtime::ModelManager::Stats() (the schedulers' counters) at scrape time.
//
// Thread-safety: thread-safe (one mutex; every update is a few additions).

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "foundry/runtime/generator.h"
#include "foundry/runtime/model_manager.h"

namespace foundry::service {

// A cumulative histogram with fixed upper bounds (seconds); the last bucket is +Inf.
template <size_t N>
struct Histogram {
  std::array<double, N> bounds;
  std::array<uint64_t, N + 1> counts{};
  double sum = 0;
  uint64_t count = 0;

  void Observe(double v) {
    size_t i = 0;
    while (i < N && v > bounds[i]) ++i;
    ++counts[i];
    sum += v;
    ++count;
  }
};

// The route label of a request path: the path itself for fixed routes, the pattern for routes
// with a model id in the path ("/openai/load/{id}"), "other" for anything unknown (so a client
// probing random paths cannot grow the series without bound).
std::string RouteLabel(std::string_view method, std::string_view path);

class Metrics {
 public:
  // `models` must outlive the Metrics (may be null: the gauges then read 0).
  explicit Metrics(const runtime::ModelManager* models);

  void RecordRequest(std::string_view route, int status, double seconds);
  void RecordTokens(size_t prompt_tokens, size_t generated_tokens);
  void RecordTimeToFirstToken(double seconds);
  void RecordInterTokenLatency(double seconds);

  // The exposition text (Content-Type "text/plain; version=0.0.4").
  std::string Render() const;

 private:
  const runtime::ModelManager* models_;
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;           // guarded by mu_
  std::map<std::string, std::pair<double, uint64_t>> durations_;       // guarded by mu_
  uint64_t prompt_tokens_ = 0, generated_tokens_ = 0;                   // guarded by mu_
  Histogram<13> ttft_{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
  Histogram<11> itl_{{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

// Times one generation for Metrics: wraps the text callback so the first piece records the time
// to first token (since `start`, the request's arrival) and later pieces the gap since the
// previous one; Finish records the token counts. `metrics` may be null (nothing is recorded) and
// must outlive the timer. Thread-compatible (one generation).
class GenerationTimer {
 public:
  GenerationTimer(Metrics* metrics, std::chrono::steady_clock::time_point start);

  // A callback that times each piece, then calls `inner` (which may be empty: continue).
  // The returned callback borrows *this.
  runtime::TextCallback Wrap(runtime::TextCallback inner);
  // The same for a callback that also takes the pieces' tokens (an empty final piece is not timed).
  runtime::PieceCallback WrapPieces(runtime::PieceCallback inner);
  void Finish(const runtime::GenerateResult& result);

 private:
  void Mark();  // a piece now: records time to first token or the gap since the last piece
  Metrics* metrics_;
  std::chrono::steady_clock::time_point start_, last_;
  bool seen_first_ = false;
};

// Start times of the requests being served, keyed by the httplib::Request's address (stable
// from pre-routing to the logger call of one request). Thread-safe.
class RequestClock {
 public:
  void Begin(const void* request);
  // Seconds since Begin(request), which is forgotten; 0 if Begin was not called.
  double End(const void* request);

 private:
  std::mutex mu_;
  std::map<const void*, std::chrono::steady_clock::time_point> started_;  // guarded by mu_
};

struct RequestLogEntry {
  std::string_view method, path, route;
  int status = 0;
  double seconds = 0;
  std::string_view remote_addr;
  size_t request_bytes = 0;
};
// One JSON object per request, e.g. {"time":"2025-...Z","level":"info","msg":"request",
// "method":"POST","path":"/api/chat","route":"/api/chat","status":200,"duration_ms":12.5,
// "remote_addr":"127.0.0.1","request_bytes":80}. No trailing newline.
std::string RequestLogLine(const RequestLogEntry& entry);

}  // namespace foundry::service
