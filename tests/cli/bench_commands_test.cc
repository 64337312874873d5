// `foundry bench` and `foundry model synth` through the real binary.

#include <gtest/gtest.h>

#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/shared_data.h"
#include "support/subprocess.h"

namespace foundry::cli {
namespace {

using nlohmann::json;
using foundry::testing::FoundryBinary;
using foundry::testing::RunCommand;
using foundry::testing::SharedPath;
using foundry::testing::ShellQuote;

std::string Foundry(const std::string& args) { return ShellQuote(FoundryBinary().string()) + " " + args; }

TEST(Bench, JsonReportsEveryTest) {
  auto r = RunCommand(Foundry("bench -m " + ShellQuote(SharedPath("models/real/stories260K.gguf").string()) +
                              " -p 16,32 -n 8 -r 2 -t 2 --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[1]["test"], "pp32");
  EXPECT_EQ(j[2]["test"], "tg8");
  for (const auto& t : j) {
    EXPECT_GT(t["tokens_per_second"].get<double>(), 0);
    EXPECT_GE(t["stddev"].get<double>(), 0);
    EXPECT_EQ(t["samples_ts"].size(), 2u);
    EXPECT_EQ(t["n_threads"], 2);
    EXPECT_GT(t["peak_rss_bytes"].get<double>(), 0);
    EXPECT_GT(t["bandwidth_gbps"].get<double>(), 0);
  }
  EXPECT_GT(j[2]["bytes_per_token"].get<double>(), 0);
  EXPECT_GT(j[2]["roofline_fraction"].get<double>(), 0);
  EXPECT_FALSE(j[0].contains("roofline_fraction"));
}

TEST(Bench, TextTableAndErrors) {
  auto r = RunCommand(Foundry("bench -m " + ShellQuote(SharedPath("models/real/stories260K.gguf").string()) +
                              " -p 8 -n 4 -r 1 --no-bandwidth"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("|      pp8 |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("|      tg4 |"), std::string::npos) << r.out;
  r = RunCommand(Foundry("bench -m /nonexistent.gguf"));
  EXPECT_EQ(r.exit_code, 3);
}

// `foundry bench serve` against a real `foundry service` (private FOUNDRY_HOME, port 0).
TEST(BenchServe, LoadsARealServiceAndReportsJson) {
  namespace fs = std::filesystem;
  const fs::path home = fs::temp_directory_path() / ("foundry_bench_serve_" + std::to_string(::getpid()));
  fs::remove_all(home);
  fs::create_directories(home / "cache" / "models");
  std::ofstream(home / "settings.json") << json{{"serviceSettings", {{"host", "127.0.0.1"}, {"port", 0}}}}.dump();
  fs::create_symlink(SharedPath("models/real/stories260K.gguf"), home / "cache" / "models" / "stories260K.gguf");
  auto foundry = [&](const std::string& args) {
    return RunCommand("FOUNDRY_HOME=" + ShellQuote(home.string()) + " " + Foundry(args));
  };
  auto r = foundry("service start");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream endpoint(home / "service.json");
  const std::string url = "http://127.0.0.1:" + std::to_string(json::parse(endpoint)["port"].get<int>());

  r = foundry("bench serve --url " + url + " --model stories260K -c 2 -n 4 --max-tokens 8 --json");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["requests"], 4);
  EXPECT_EQ(j["completed"], 4);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_GT(j["generated_tokens"].get<int>(), 0);
  EXPECT_LE(j["generated_tokens"].get<int>(), 32);
  EXPECT_GT(j["tokens_per_second"].get<double>(), 0);
  EXPECT_GT(j["ttft_ms"]["p50"].get<double>(), 0);
  EXPECT_GE(j["ttft_ms"]["p95"].get<double>(), j["ttft_ms"]["p50"].get<double>());
  EXPECT_GE(j["latency_ms"]["p95"].get<double>(), j["latency_ms"]["p50"].get<double>());

  // The server's own counters saw the same requests.
  httplib::Client client(url);
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_NE(metrics->body.find("foundry_requests_total{route=\"/v1/chat/completions\",status=\"200\"} 4"),
            std::string::npos) << metrics->body;

  r = foundry("bench serve --url " + url + " --model nope -c 2 -n 3 --json");
  EXPECT_EQ(r.exit_code, 1);
  j = json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["errors"], 3);
  ASSERT_FALSE(j["error_samples"].empty());
  EXPECT_NE(j["error_samples"][0].get<std::string>().find("HTTP 404"), std::string::npos) << j;

  r = foundry("bench serve --url " + url + " --model stories260K -c 0");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("1..64"), std::string::npos) << r.err;
  r = foundry("bench serve --url https://example.com --model m");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("http://"), std::string::npos) << r.err;
  foundry("service stop");
  fs::remove_all(home);
}

TEST(Synth, CliWritesAModelThatRuns) {
  auto out = std::filesystem::temp_directory_path() / ("foundry_cli_synth_" + std::to_string(::getpid()) + ".gguf");
  auto r = RunCommand(Foundry("model synth --shape qwen3-0.6b --type q4_0 --layers 1 --vocab " +
                              ShellQuote(SharedPath("tokenizer/ggml-vocab-qwen2.gguf").string()) + " -o " +
                              ShellQuote(out.string())));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Q4_0"), std::string::npos) << r.out;
  r = RunCommand(Foundry("model run " + ShellQuote(out.string()) + " --prompt 'hello world' -n 4 --temperature 0 --json"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["tokens"].size(), 4u);
  std::filesystem::remove(out);

  r = RunCommand(Foundry("model synth --shape nope --type q4_0 --vocab x -o y"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown --shape"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace foundry::cli
