#include "service/metrics.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "service/ollama_params.h"

namespace foundry::service {
namespace {

// Fixed routes (exact paths) and routes with a trailing model id.
constexpr std::string_view kFixedRoutes[] = {
    "/", "/health", "/metrics", "/openai/status", "/status", "/foundry/list", "/v1/models",
    "/openai/models", "/openai/loadedmodels", "/models/loaded", "/openai/unloadall",
    "/openai/download", "/v1/completions", "/v1/chat/completions",
    "/v1/chat/completions/tokenizer/encode/count", "/api/generate", "/api/chat", "/api/tags",
    "/api/show", "/api/ps", "/api/pull", "/api/delete", "/api/copy", "/api/version", "/api/embed",
    "/api/embeddings", "/api/push", "/api/create"};
constexpr std::string_view kIdRoutes[] = {"/openai/load/", "/models/load/", "/openai/unload/",
                                          "/models/unload/", "/v1/models/"};

// Prometheus label values escape backslash, double quote and newline.
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// The shortest text that reads back as `v` ("0.025", not "0.025000000000000001").
std::string Num(double v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

template <size_t N>
void RenderHistogram(std::string& out, const char* name, const char* help, const Histogram<N>& h) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.counts[i];
    out += std::string(name) + "_bucket{le=\"" + Num(h.bounds[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  cumulative += h.counts[N];
  out += std::string(name) + "_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  out += std::string(name) + "_sum " + Num(h.sum) + "\n";
  out += std::string(name) + "_count " + std::to_string(h.count) + "\n";
}

void Gauge(std::string& out, const char* name, const char* help, double v, const char* type = "gauge") {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  out += std::string(name) + " " + Num(v) + "\n";
}

// Resident set size from /proc/self/statm (second field, in pages); 0 where unavailable.
uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(in >> size_pages >> resident_pages)) return 0;
  const long page = ::sysconf(_SC_PAGESIZE);
  return resident_pages * uint64_t(page > 0 ? page : 4096);
}

}  // namespace

std::string RouteLabel(std::string_view method, std::string_view path) {
  (void)method;
  for (std::string_view r : kFixedRoutes)
    if (path == r) return std::string(r);
  for (std::string_view r : kIdRoutes)
    if (path.starts_with(r) && path.size() > r.size()) return std::string(r) + "{id}";
  return "other";
}

Metrics::Metrics(const runtime::ModelManager* models) : models_(models) {}

void Metrics::RecordRequest(std::string_view route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{std::string(route), status}];
  auto& d = durations_[std::string(route)];
  d.first += seconds;
  d.second += 1;
}

void Metrics::RecordTokens(size_t prompt_tokens, size_t generated_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  prompt_tokens_ += prompt_tokens;
  generated_tokens_ += generated_tokens;
}

void Metrics::RecordTimeToFirstToken(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ttft_.Observe(seconds);
}

void Metrics::RecordInterTokenLatency(double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  itl_.Observe(seconds);
}

std::string Metrics::Render() const {
  const runtime::ServingStats s = models_ ? models_->Stats() : runtime::ServingStats{};
  std::string out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out += "# HELP foundry_requests_total HTTP requests answered, by route and status code.\n";
    out += "# TYPE foundry_requests_total counter\n";
    for (const auto& [key, n] : requests_)
      out += "foundry_requests_total{route=\"" + Escape(key.first) + "\",status=\"" +
             std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
    out += "# HELP foundry_request_duration_seconds Time to answer a request (streams: until the last byte).\n";
    out += "# TYPE foundry_request_duration_seconds summary\n";
    for (const auto& [route, d] : durations_) {
      out += "foundry_request_duration_seconds_sum{route=\"" + Escape(route) + "\"} " + Num(d.first) + "\n";
      out += "foundry_request_duration_seconds_count{route=\"" + Escape(route) + "\"} " +
             std::to_string(d.second) + "\n";
    }
    Gauge(out, "foundry_prompt_tokens_total", "Prompt tokens evaluated.", double(prompt_tokens_), "counter");
    Gauge(out, "foundry_generated_tokens_total", "Tokens generated.", double(generated_tokens_), "counter");
    RenderHistogram(out, "foundry_time_to_first_token_seconds",
                    "From the start of a generation request to its first text piece.", ttft_);
    RenderHistogram(out, "foundry_inter_token_latency_seconds",
                    "Time between consecutive streamed text pieces of one generation.", itl_);
  }
  Gauge(out, "foundry_queue_depth", "Requests waiting for a sequence slot.", s.queued);
  Gauge(out, "foundry_running_sequences", "Sequences being generated (prefilling or decoding).", s.running);
  Gauge(out, "foundry_kv_blocks_used", "KV cache blocks held by running sequences.", double(s.kv_blocks_used));
  Gauge(out, "foundry_kv_blocks_cached", "KV cache blocks held only by the prefix cache (reclaimable).",
        double(s.kv_blocks_cached));
  Gauge(out, "foundry_kv_blocks_free", "KV cache blocks free.", double(s.kv_blocks_free));
  Gauge(out, "foundry_kv_block_positions", "Positions per KV cache block.", double(engine::KvCache::kBlockSize));
  Gauge(out, "foundry_prefix_cache_lookups_total", "Prompt-prefix cache lookups.", double(s.prefix_lookups), "counter");
  Gauge(out, "foundry_prefix_cache_hits_total", "Prompt-prefix cache hits.", double(s.prefix_hits), "counter");
  Gauge(out, "foundry_prefix_cache_hit_tokens_total", "Prompt positions reused from the prefix cache.",
        double(s.prefix_hit_tokens), "counter");
  Gauge(out, "foundry_requests_cancelled_total", "Generations cancelled, mostly by clients that went away.",
        double(s.cancelled), "counter");
  Gauge(out, "foundry_preemptions_total", "Sequences sent back to the queue for want of KV blocks.",
        double(s.preemptions), "counter");
  Gauge(out, "foundry_prefix_cache_hit_rate", "Hits / lookups of the prompt-prefix cache (0 without lookups).",
        s.prefix_lookups ? double(s.prefix_hits) / double(s.prefix_lookups) : 0.0);
  Gauge(out, "foundry_loaded_models", "Models loaded.", s.loaded_models);
  Gauge(out, "foundry_loaded_model_bytes", "Weights and KV cache of the loaded models.", double(s.loaded_bytes));
  Gauge(out, "foundry_models_loading", "Model loads in progress.", s.loading);
  Gauge(out, "foundry_process_resident_memory_bytes", "Resident memory of the service process.",
        double(ResidentBytes()));
  return out;
}

GenerationTimer::GenerationTimer(Metrics* metrics, std::chrono::steady_clock::time_point start)
    : metrics_(metrics), start_(start), last_(start) {}

void GenerationTimer::Mark() {
  const auto now = std::chrono::steady_clock::now();
  if (metrics_) {
    const double gap = std::chrono::duration<double>(now - last_).count();
    if (!seen_first_) metrics_->RecordTimeToFirstToken(gap);
    else metrics_->RecordInterTokenLatency(gap);
  }
  seen_first_ = true;
  last_ = now;
}

runtime::TextCallback GenerationTimer::Wrap(runtime::TextCallback inner) {
  return [this, inner = std::move(inner)](std::string_view piece) {
    Mark();
    return inner ? inner(piece) : true;
  };
}

runtime::PieceCallback GenerationTimer::WrapPieces(runtime::PieceCallback inner) {
  return [this, inner = std::move(inner)](std::string_view piece, std::span<const engine::SampledToken> tokens) {
    if (!piece.empty()) Mark();
    return inner ? inner(piece, tokens) : true;
  };
}

void GenerationTimer::Finish(const runtime::GenerateResult& result) {
  if (metrics_) metrics_->RecordTokens(result.prompt_tokens.size(), result.tokens.size());
}

void RequestClock::Begin(const void* request) {
  std::lock_guard<std::mutex> lock(mu_);
  started_[request] = std::chrono::steady_clock::now();
}

double RequestClock::End(const void* request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = started_.find(request);
  if (it == started_.end()) return 0;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - it->second).count();
  started_.erase(it);
  return s;
}

std::string RequestLogLine(const RequestLogEntry& e) {
  nlohmann::ordered_json j = {{"time", Rfc3339(std::chrono::system_clock::now())},
                              {"level", "info"},
                              {"msg", "request"},
                              {"method", e.method},
                              {"path", e.path},
                              {"route", e.route},
                              {"status", e.status},
                              {"duration_ms", e.seconds * 1e3},
                              {"remote_addr", e.remote_addr},
                              {"request_bytes", e.request_bytes}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace foundry::service
