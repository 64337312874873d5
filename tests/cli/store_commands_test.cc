// `foundry model list|download|run <alias>` and `foundry cache …` through the real binary, with a
// private FOUNDRY_HOME and the test data as the model mirror (no network).

#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "support/shared_data.h"
#include "support/subprocess.h"

namespace foundry::cli {
namespace {

using foundry::testing::FoundryBinary;
using foundry::testing::RunCommand;
using foundry::testing::SharedPath;
using foundry::testing::ShellQuote;
namespace fs = std::filesystem;

class StoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("foundry_store_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
  }
  void TearDown() override { fs::remove_all(home_); }
  foundry::testing::CommandResult Foundry(const std::string& args) {
    return RunCommand("FOUNDRY_HOME=" + ShellQuote(home_.string()) +
                      " FOUNDRY_MODEL_MIRROR=" + ShellQuote(SharedPath("models/real").string()) + " " +
                      ShellQuote(FoundryBinary().string()) + " " + args);
  }
  fs::path home_;
};

TEST_F(StoreCli, ListShowsTheCatalogWithFilters) {
  auto r = Foundry("model list");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("Alias", 0), 0u) << r.out;
  for (const char* alias : {"phi-4-mini", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-coder-0.5b", "llama-3.2-1b", "phi-4"})
    EXPECT_NE(r.out.find(std::string("\n") + alias + " "), std::string::npos) << alias;
  r = Foundry("model list --filter alias=qwen2.5*");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("qwen2.5-0.5b"), std::string::npos);
  EXPECT_EQ(r.out.find("phi-4"), std::string::npos);
  r = Foundry("model list --filter colour=blue");
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(StoreCli, RunAnAliasDownloadsFromTheMirrorThenUsesTheCache) {
  auto r = Foundry("model run tinyllama-v0 --prompt 'Once upon a time' --temperature 0 -n 8 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["tokens"].size(), 8u);
  r = Foundry("cache list");
  EXPECT_NE(r.out.find("Models cached on device:"), std::string::npos);
  EXPECT_NE(r.out.find("💾 tinyllama-v0"), std::string::npos) << r.out;
  r = Foundry("model download tinyllama-v0");
  EXPECT_NE(r.out.find("was found in the local cache"), std::string::npos) << r.out;
  r = Foundry("cache location");
  EXPECT_EQ(r.out, "💾 Cache directory path: " + (home_ / "cache" / "models").string() + "\n");
  r = Foundry("cache remove tinyllama-v0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Foundry("cache list").out.find("tinyllama-v0"), std::string::npos);
}

TEST_F(StoreCli, UnknownModelsAreClearErrors) {
  auto r = Foundry("model run no-such-model --prompt hi");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no-such-model"), std::string::npos) << r.err;
  r = Foundry("model download no-such-model");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace foundry::cli
