#pragma once
// `foundry bench serve`: a bounded load generator for an OpenAI-compatible server on loopback
// (or any http:// URL). N client threads send streaming /v1/chat/completions requests until
// the request budget is spent, timing each: time to first token (first content delta), total
// latency, generated tokens (the usage chunk when the server sends one, else content deltas).
//
// Bounded by construction: 1..64 clients, 1..10000 requests, 1..4096 max_tokens, a per-request
// timeout; nothing retries. Thread-safety: RunServeBench is self-contained.

#include <chrono>
#include <string>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::cli {

struct ServeBenchOptions {
  std::string url;                   // "http://127.0.0.1:5273" (a trailing "/v1" is accepted)
  std::string model;                 // the model id to request
  int clients = 8;                   // concurrent streaming clients, 1..64
  int requests = 64;                 // requests in total, 1..10000
  std::string prompt = "Tell me a story about a small robot.";
  int max_tokens = 64;               // per request, 1..4096
  std::chrono::seconds timeout{300}; // per request (connect + read)
};

struct ServeBenchReport {
  int requests = 0;        // sent
  int completed = 0;       // answered 200 with a finished stream
  int errors = 0;
  std::vector<std::string> error_samples;  // the first few error messages
  uint64_t generated_tokens = 0;
  double wall_seconds = 0;
  double tokens_per_second = 0;    // generated tokens / wall time, all clients together
  double requests_per_second = 0;  // completed / wall time
  double ttft_p50_ms = 0, ttft_p95_ms = 0, ttft_mean_ms = 0;
  double latency_p50_ms = 0, latency_p95_ms = 0;
};

// kInvalidArgument for options out of range or a URL that is not http://host[:port][/v1].
// Request failures are counted in the report, never returned as an error.
Result<ServeBenchReport> RunServeBench(const ServeBenchOptions& options);

}  // namespace foundry::cli
