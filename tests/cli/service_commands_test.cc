// `foundry service …` through the real binary, with a private FOUNDRY_HOME, checking the exact
// texts Foundry Local's SDKs parse (../shared/reference/foundry-ollama.md §1.2).

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/shared_data.h"
#include "support/subprocess.h"

namespace foundry::cli {
namespace {

using foundry::testing::FoundryBinary;
using foundry::testing::RunCommand;
using foundry::testing::SharedPath;
using foundry::testing::ShellQuote;
using nlohmann::json;
namespace fs = std::filesystem;

class ServiceCli : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("foundry_home_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
    fs::create_directories(home_ / "cache" / "models" / "byo");
    // Port 0: the OS picks a free port; service.json records the real one.
    std::ofstream(home_ / "settings.json") << json{{"serviceSettings", {{"host", "127.0.0.1"}, {"port", 0}}}}.dump();
    fs::copy_file(SharedPath("models/real/stories260K.gguf"), home_ / "cache" / "models" / "byo" / "stories260K.gguf");
  }
  void TearDown() override {
    Foundry("service stop");
    fs::remove_all(home_);
  }
  foundry::testing::CommandResult Foundry(const std::string& args) {
    return RunCommand("FOUNDRY_HOME=" + ShellQuote(home_.string()) + " " +
                      ShellQuote(FoundryBinary().string()) + " " + args);
  }
  fs::path home_;
};

TEST_F(ServiceCli, LifecycleTextsMatchFoundryLocal) {
  auto r = Foundry("service status");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out,
            "🔴 Model management service is not running!\n"
            "To start the service, run the following command: foundry service start\n");

  r = Foundry("service start");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(r.out, m, std::regex("🟢 Service is Started on (http://127\\.0\\.0\\.1:[0-9]+)/, PID ([0-9]+)!\n")))
      << r.out;
  const std::string url = m[1];

  r = Foundry("service status");
  EXPECT_EQ(r.out, "🟢 Model management service is running on " + url + "/openai/status\n");
  // The Python/JS SDK regex, and the C# one (needs whitespace after the URL).
  EXPECT_TRUE(std::regex_search(r.out, std::regex("http://(?:[a-zA-Z0-9.-]+|\\d{1,3}(\\.\\d{1,3}){3}):\\d+")));
  EXPECT_TRUE(std::regex_search(r.out, std::regex("is running on (http://.*)\\s+")));

  r = Foundry("service start");
  EXPECT_EQ(r.out, "🟢 Service is already running on " + url + "/.\n");

  r = Foundry("service ps");
  EXPECT_EQ(r.out, "No models are currently loaded in the service\n");

  r = Foundry("service stop");
  EXPECT_EQ(r.out, "🔴 Service is stopped.\n");
  r = Foundry("service status");
  EXPECT_NE(r.out.find("is not running!"), std::string::npos);
}

TEST_F(ServiceCli, RestartPrintsStopThenStart) {
  ASSERT_EQ(Foundry("service start").exit_code, 0);
  auto r = Foundry("service restart");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("🔴 Service is stopped\\.\n"
                                                 "🟢 Service is Started on http://127\\.0\\.0\\.1:[0-9]+/, PID [0-9]+!\n")))
      << r.out;
  // What the SDKs do next: parse the URL out of `service status` and talk to it.
  r = Foundry("service status");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("http://(?:[a-zA-Z0-9.-]+|\\d{1,3}(\\.\\d{1,3}){3}):(\\d+)"))) << r.out;
  httplib::Client c("127.0.0.1", std::stoi(m[2]));
  auto st = c.Get("/openai/status");
  ASSERT_TRUE(st);
  EXPECT_EQ(json::parse(st->body)["modelDirPath"], (home_ / "cache" / "models").string());
}

TEST_F(ServiceCli, ServesBringYourOwnModelsFromTheCache) {
  ASSERT_EQ(Foundry("service start").exit_code, 0);
  json ep = json::parse(foundry::testing::ReadFileText(home_ / "service.json"));
  httplib::Client c("127.0.0.1", ep["port"].get<int>());
  auto load = c.Get("/openai/load/stories260K");
  ASSERT_TRUE(load);
  EXPECT_EQ(load->status, 200) << load->body;
  auto loaded = c.Get("/openai/loadedmodels");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->body, "[\"stories260K\"]");
  auto r = Foundry("service ps");
  EXPECT_NE(r.out.find("Models running in service:\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("🟢  stories260K"), std::string::npos) << r.out;
}

TEST_F(ServiceCli, SetPersistsSettings) {
  auto r = Foundry("service set --port 5399 --ttl 120 --show");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Saving new settings"), std::string::npos);
  json s = json::parse(foundry::testing::ReadFileText(home_ / "settings.json"));
  EXPECT_EQ(s["serviceSettings"]["port"], 5399);
  EXPECT_EQ(s["serviceSettings"]["defaultSecondsForModelTTL"], 120);
  EXPECT_EQ(Foundry("service set --port 70000").exit_code, 2);
  EXPECT_NE(Foundry("service set").out.find("No settings changed"), std::string::npos);
}

}  // namespace
}  // namespace foundry::cli
