#include "cli/bench_serve.h"

#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

namespace foundry::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Target {
  std::string host;
  int port = 80;
  std::string path;  // ".../v1/chat/completions"
};

Result<Target> ParseUrl(std::string url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    return Status::InvalidArgument("--url must start with http:// (got '" + url + "')");
  url.erase(0, kScheme.size());
  const size_t slash = url.find('/');
  std::string authority = url.substr(0, slash);
  std::string path = slash == std::string::npos ? "" : url.substr(slash);
  while (path.ends_with("/")) path.pop_back();
  Target t;
  const size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end != '\0' || p < 1 || p > 65535)
      return Status::InvalidArgument("--url has an invalid port '" + port + "'");
    t.port = int(p);
    authority.resize(colon);
  }
  if (authority.empty()) return Status::InvalidArgument("--url has no host");
  t.host = authority;
  if (!path.ends_with("/v1")) path += "/v1";
  t.path = path + "/chat/completions";
  return t;
}

struct Sample {
  bool ok = false;
  std::string error;
  double ttft_ms = -1, latency_ms = 0;
  uint64_t tokens = 0;
};

// One streamed chat completion.
Sample RunOne(httplib::Client& client, const Target& target, const std::string& body) {
  Sample s;
  const auto start = Clock::now();
  std::string buffer;
  uint64_t deltas = 0, usage_tokens = 0;
  bool done = false;
  std::string stream_error;
  httplib::Request req;
  req.method = "POST";
  req.path = target.path;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  req.set_header("Accept", "text/event-stream");
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    buffer.append(data, n);
    size_t end;
    while ((end = buffer.find("\n\n")) != std::string::npos) {
      std::string event = buffer.substr(0, end);
      buffer.erase(0, end + 2);
      if (!event.starts_with("data: ")) continue;
      const std::string payload = event.substr(6);
      if (payload == "[DONE]") {
        done = true;
        continue;
      }
      json j = json::parse(payload, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error")) {
        stream_error = j["error"].is_object() ? j["error"].value("message", "error") : j["error"].dump();
        continue;
      }
      if (j.contains("usage") && j["usage"].is_object()) usage_tokens = j["usage"].value("completion_tokens", 0);
      if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) continue;
      const json& delta = j["choices"][0].value("delta", json::object());
      const bool has_content = delta.contains("content") && delta["content"].is_string() &&
                               !delta["content"].get<std::string>().empty();
      if (has_content || delta.contains("tool_calls")) {
        if (s.ttft_ms < 0) s.ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        ++deltas;
      }
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  s.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (!sent) {
    s.error = "request failed: " + httplib::to_string(err);
  } else if (res.status != 200) {
    // With a content receiver the error body went to the receiver: it sits in `buffer`.
    json j = json::parse(buffer.empty() ? res.body : buffer, nullptr, false);
    std::string msg = !j.is_discarded() && j.contains("error") && j["error"].is_object()
                          ? j["error"].value("message", "")
                          : (buffer.empty() ? res.body : buffer).substr(0, 200);
    s.error = "HTTP " + std::to_string(res.status) + ": " + msg;
  } else if (!stream_error.empty()) {
    s.error = "stream error: " + stream_error;
  } else if (!done) {
    s.error = "stream ended without [DONE]";
  } else {
    s.ok = true;
    s.tokens = usage_tokens > 0 ? usage_tokens : deltas;
  }
  return s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  size_t rank = size_t(std::ceil(p * double(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

Result<ServeBenchReport> RunServeBench(const ServeBenchOptions& o) {
  if (o.clients < 1 || o.clients > 64) return Status::InvalidArgument("-c/--clients must be in 1..64");
  if (o.requests < 1 || o.requests > 10000) return Status::InvalidArgument("-n/--requests must be in 1..10000");
  if (o.max_tokens < 1 || o.max_tokens > 4096) return Status::InvalidArgument("--max-tokens must be in 1..4096");
  if (o.timeout.count() < 1) return Status::InvalidArgument("--timeout must be at least 1 second");
  if (o.model.empty()) return Status::InvalidArgument("--model is required");
  FOUNDRY_ASSIGN_OR_RETURN(Target target, ParseUrl(o.url));
  const std::string body = json{{"model", o.model},
                                {"messages", {{{"role", "user"}, {"content", o.prompt}}}},
                                {"max_tokens", o.max_tokens},
                                {"stream", true},
                                {"stream_options", {{"include_usage", true}}}}
                               .dump();

  std::atomic<int> next{0};
  std::mutex mu;
  std::vector<Sample> samples;  // guarded by mu
  const auto start = Clock::now();
  {
    std::vector<std::jthread> workers;
    const int n_clients = std::min(o.clients, o.requests);
    for (int c = 0; c < n_clients; ++c) {
      workers.emplace_back([&] {
        httplib::Client client(target.host, target.port);
        client.set_connection_timeout(o.timeout);
        client.set_read_timeout(o.timeout);
        client.set_write_timeout(o.timeout);
        client.set_keep_alive(true);
        while (next.fetch_add(1) < o.requests) {
          Sample s = RunOne(client, target, body);
          std::lock_guard<std::mutex> lock(mu);
          samples.push_back(std::move(s));
        }
      });
    }
  }  // jthreads join here
  ServeBenchReport r;
  r.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> ttft, latency;
  for (const Sample& s : samples) {
    ++r.requests;
    if (!s.ok) {
      ++r.errors;
      if (r.error_samples.size() < 5) r.error_samples.push_back(s.error);
      continue;
    }
    ++r.completed;
    r.generated_tokens += s.tokens;
    latency.push_back(s.latency_ms);
    if (s.ttft_ms >= 0) ttft.push_back(s.ttft_ms);
  }
  if (r.wall_seconds > 0) {
    r.tokens_per_second = double(r.generated_tokens) / r.wall_seconds;
    r.requests_per_second = double(r.completed) / r.wall_seconds;
  }
  r.ttft_p50_ms = Percentile(ttft, 0.50);
  r.ttft_p95_ms = Percentile(ttft, 0.95);
  double sum = 0;
  for (double t : ttft) sum += t;
  r.ttft_mean_ms = ttft.empty() ? 0 : sum / double(ttft.size());
  r.latency_p50_ms = Percentile(latency, 0.50);
  r.latency_p95_ms = Percentile(latency, 0.95);
  return r;
}

}  // namespace foundry::cli
