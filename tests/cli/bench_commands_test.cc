// `foundry bench` and `foundry model synth` through the real binary.

#include <gtest/gtest.h>

#include <unistd.h>

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
