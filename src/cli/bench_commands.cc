#include "cli/bench_commands.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/bench_serve.h"
#include "cli/cli_common.h"
#include "foundry/runtime/bench.h"
#include "foundry/runtime/synth.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

struct BenchFlags {
  std::string model;
  std::vector<int> n_prompt = {512};
  std::vector<int> n_gen = {128};
  int threads = 0;
  int reps = 5;
  std::string kernels = "auto";
  bool json = false;
  bool no_bandwidth = false;
};

int Bench(const BenchFlags& f) {
  using engine::kernels::Isa;
  Isa max_isa = Isa::kAvx512;
  if (f.kernels == "scalar") max_isa = Isa::kScalar;
  else if (f.kernels == "avx2") max_isa = Isa::kAvx2;
  else if (f.kernels != "auto" && f.kernels != "avx512")
    return Fail(Status::InvalidArgument("--kernels must be auto, scalar, avx2 or avx512"));
  auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu(), max_isa);
  int threads = f.threads > 0 ? f.threads : int(std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool pool(threads);
  runtime::BenchOptions o{.model_path = f.model, .n_prompt = f.n_prompt, .n_gen = f.n_gen,
                          .repetitions = f.reps, .measure_bandwidth = !f.no_bandwidth};
  auto rep = runtime::RunBench(o, kernels, pool);
  if (!rep.ok()) return Fail(rep.status());
  const auto& r = *rep;
  if (f.json) {
    json arr = json::array();
    for (const auto& res : r.results) {
      json j = {{"model", f.model},
                {"model_arch", r.model_name},
                {"model_type", r.model_type},
                {"model_size", r.model_bytes},
                {"model_n_params", r.n_params},
                {"n_threads", r.threads},
                {"kernels", r.isa},
                {"test", res.test},
                {"n_tokens", res.n_tokens},
                {"tokens_per_second", res.tokens_per_second},
                {"stddev", res.stddev},
                {"samples_ts", res.samples},
                {"load_ms", r.load_ms},
                {"peak_rss_bytes", r.peak_rss_bytes},
                {"bandwidth_gbps", r.bandwidth_gbps}};
      if (res.test.starts_with("tg")) {
        j["bytes_per_token"] = res.bytes_per_token;
        j["roofline_fraction"] = res.roofline_fraction;
      }
      arr.push_back(std::move(j));
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return 0;
  }
  std::printf("| %-10s | %10s | %8s | %-8s | %7s | %8s | %20s |\n", "model", "size", "params",
              "kernels", "threads", "test", "t/s");
  std::printf("| %-10s | %10s | %8s | %-8s | %7s | %8s | %20s |\n", "----------", "---------:",
              "-------:", "--------", "------:", "-------:", "-------------------:");
  for (const auto& res : r.results) {
    char size[32], params[32], ts[48];
    std::snprintf(size, sizeof size, "%.2f MiB", double(r.model_bytes) / (1 << 20));
    std::snprintf(params, sizeof params, "%.2f M", double(r.n_params) / 1e6);
    std::snprintf(ts, sizeof ts, "%.2f ± %.2f", res.tokens_per_second, res.stddev);
    std::string model = r.model_name + " " + r.model_type;
    std::printf("| %-10s | %10s | %8s | %-8s | %7d | %8s | %20s |\n", model.c_str(), size, params,
                r.isa.c_str(), r.threads, res.test.c_str(), ts);
  }
  std::printf("\nload %.1f ms, peak RSS %.1f MiB", r.load_ms, double(r.peak_rss_bytes) / (1 << 20));
  if (r.bandwidth_gbps > 0) std::printf(", read bandwidth %.1f GB/s (%d threads)", r.bandwidth_gbps, r.threads);
  std::printf("\n");
  for (const auto& res : r.results)
    if (res.roofline_fraction > 0)
      std::printf("%s: %.1f MB read per token, %.0f%% of the bandwidth roofline (%.1f t/s max)\n",
                  res.test.c_str(), res.bytes_per_token / 1e6, 100 * res.roofline_fraction,
                  r.bandwidth_gbps * 1e9 / res.bytes_per_token);
  return 0;
}

struct ServeFlags {
  ServeBenchOptions o;
  int timeout_s = 300;
  bool json = false;
};

int BenchServe(ServeFlags f) {
  f.o.timeout = std::chrono::seconds(f.timeout_s);
  auto rep = RunServeBench(f.o);
  if (!rep.ok()) return Fail(rep.status());
  const ServeBenchReport& r = *rep;
  json j = {{"url", f.o.url},
            {"model", f.o.model},
            {"clients", f.o.clients},
            {"requests", r.requests},
            {"completed", r.completed},
            {"errors", r.errors},
            {"error_samples", r.error_samples},
            {"max_tokens", f.o.max_tokens},
            {"wall_seconds", r.wall_seconds},
            {"generated_tokens", r.generated_tokens},
            {"tokens_per_second", r.tokens_per_second},
            {"requests_per_second", r.requests_per_second},
            {"ttft_ms", {{"p50", r.ttft_p50_ms}, {"p95", r.ttft_p95_ms}, {"mean", r.ttft_mean_ms}}},
            {"latency_ms", {{"p50", r.latency_p50_ms}, {"p95", r.latency_p95_ms}}}};
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%d requests (%d clients) in %.2f s: %d completed, %d errors\n", r.requests, f.o.clients,
                r.wall_seconds, r.completed, r.errors);
    std::printf("generated %llu tokens: %.1f tokens/s, %.2f requests/s\n",
                static_cast<unsigned long long>(r.generated_tokens), r.tokens_per_second, r.requests_per_second);
    std::printf("time to first token: p50 %.1f ms, p95 %.1f ms; latency: p50 %.1f ms, p95 %.1f ms\n",
                r.ttft_p50_ms, r.ttft_p95_ms, r.latency_p50_ms, r.latency_p95_ms);
    for (const auto& e : r.error_samples) std::printf("error: %s\n", e.c_str());
  }
  return r.errors > 0 ? 1 : 0;
}

struct SynthFlags {
  runtime::SynthOptions o;
  std::string vocab, output;
};

int Synth(SynthFlags f) {
  f.o.vocab = f.vocab;
  f.o.output = f.output;
  std::fprintf(stderr, "writing %s (%s, %s)...\n", f.output.c_str(), f.o.shape.c_str(), f.o.type.c_str());
  auto r = runtime::WriteSynthModel(f.o);
  if (!r.ok()) return Fail(r.status());
  std::string types;
  for (const auto& [t, n] : r->type_counts) types += (types.empty() ? "" : ", ") + t + " x" + std::to_string(n);
  std::printf("%s: %.2f M parameters, %.1f MiB, tensors: %s\n", f.output.c_str(), double(r->n_params) / 1e6,
              double(r->file_bytes) / (1 << 20), types.c_str());
  return 0;
}

std::string Joined(const std::vector<std::string_view>& v) {
  std::string s;
  for (auto x : v) s += (s.empty() ? "" : " | ") + std::string(x);
  return s;
}

}  // namespace

void AddBenchCommand(CLI::App& app, int* exit_code) {
  auto f = std::make_shared<BenchFlags>();
  CLI::App* b = app.add_subcommand("bench", "Measure prompt processing and generation speed (like llama-bench)");
  b->add_option("-m,--model", f->model, "Path to a .gguf file (required without a subcommand)");
  b->add_option("-p,--n-prompt", f->n_prompt, "Prompt lengths to test (comma-separated; 0 = none)")
      ->delimiter(',')->default_str("512");
  b->add_option("-n,--n-gen", f->n_gen, "Generation lengths to test (comma-separated; 0 = none)")
      ->delimiter(',')->default_str("128");
  b->add_option("-t,--threads", f->threads, "Threads (default: all cores)");
  b->add_option("-r,--repetitions", f->reps, "Repetitions per test")->default_val(5);
  b->add_option("--kernels", f->kernels, "Kernel set: auto, scalar, avx2, avx512")->default_val("auto");
  b->add_flag("--no-bandwidth", f->no_bandwidth, "Skip the memory-bandwidth measurement");
  b->add_flag("--json", f->json, "Print a JSON array, one object per test");
  b->require_subcommand(0, 1);
  auto sf = std::make_shared<ServeFlags>();
  CLI::App* serve = b->add_subcommand(
      "serve", "Load-test an OpenAI-compatible server: N concurrent streaming chat clients");
  serve->add_option("--url", sf->o.url, "Server base URL, e.g. http://127.0.0.1:5273")->required();
  serve->add_option("--model", sf->o.model, "Model id to request")->required();
  serve->add_option("-c,--clients", sf->o.clients, "Concurrent clients (1..64)")->default_val(8);
  serve->add_option("-n,--requests", sf->o.requests, "Requests in total (1..10000)")->default_val(64);
  serve->add_option("--prompt", sf->o.prompt, "User message of every request");
  serve->add_option("--max-tokens", sf->o.max_tokens, "max_tokens of every request (1..4096)")->default_val(64);
  serve->add_option("--timeout", sf->timeout_s, "Per-request timeout in seconds")->default_val(300);
  serve->add_flag("--json", sf->json, "Print one JSON object");
  serve->callback([sf, exit_code] { *exit_code = BenchServe(*sf); });
  b->callback([b, serve, f, exit_code] {
    if (serve->parsed()) return;  // `bench serve` ran its own callback
    if (f->model.empty()) {
      *exit_code = Fail(Status::InvalidArgument("--model is required (or use `foundry bench serve`)"));
      return;
    }
    *exit_code = Bench(*f);
  });
}

void AddSynthCommand(CLI::App& model, int* exit_code) {
  auto f = std::make_shared<SynthFlags>();
  CLI::App* s = model.add_subcommand("synth", "Write a random-weight GGUF with the shape of a known model");
  s->add_option("--shape", f->o.shape, Joined(runtime::SynthShapeNames()))->required();
  s->add_option("--type", f->o.type, Joined(runtime::SynthTypeNames()))->required();
  s->add_option("--vocab", f->vocab, "GGUF whose tokenizer is copied (e.g. ../shared/tokenizer/ggml-vocab-qwen2.gguf)")
      ->required();
  s->add_option("-o,--output", f->output, "Output .gguf path")->required();
  s->add_option("--seed", f->o.seed, "Random seed")->default_val(1);
  s->add_option("--layers", f->o.n_layer_override, "Override the layer count (0 = the real one)");
  s->callback([f, exit_code] { *exit_code = Synth(*f); });
}

}  // namespace foundry::cli
