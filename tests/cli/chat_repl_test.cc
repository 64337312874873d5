// `foundry model run <alias>` (interactive chat through the service) and `foundry model
// load|unload|info <alias>`, driving the real binary through pipes, with a private
// FOUNDRY_HOME and ../shared/models/real as the model mirror. Texts are checked against
// Foundry Local's (reference §1.3).

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "support/child_process.h"
#include "support/shared_data.h"
#include "support/subprocess.h"

namespace foundry::cli {
namespace {

using foundry::testing::ChildProcess;
using foundry::testing::FoundryBinary;
using foundry::testing::RunCommand;
using foundry::testing::SharedPath;
using foundry::testing::ShellQuote;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr char kBanner[] =
    "Interactive Chat. Enter /? or /help for help.\n"
    "Press Ctrl+C to cancel generation. Type /exit to leave the chat.\n"
    "\n"
    "Interactive mode, please enter your prompt\n";
constexpr char kHelp[] =
    "Commands:\n"
    "  /? or /help   Show this help\n"
    "  /exit         Leave the chat\n"
    "  Ctrl+C        Cancel the answer being generated\n"
    "  Ctrl+D        Leave the chat\n";

class ChatCli : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = fs::temp_directory_path() / ("foundry_chat_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(home_);
    fs::create_directories(home_ / "cache" / "models" / "byo");
    std::ofstream(home_ / "settings.json") << json{{"serviceSettings", {{"host", "127.0.0.1"}, {"port", 0}}}}.dump();
  }
  void TearDown() override {
    Foundry("service stop");
    fs::remove_all(home_);
  }
  std::vector<std::string> Env() const {
    return {"FOUNDRY_HOME=" + home_.string(), "FOUNDRY_MODEL_MIRROR=" + SharedPath("models/real").string()};
  }
  foundry::testing::CommandResult Foundry(const std::string& args) {
    std::string env;
    for (const auto& e : Env()) env += ShellQuote(e) + " ";
    return RunCommand("env " + env + ShellQuote(FoundryBinary().string()) + " " + args);
  }
  int ServicePort() {
    json ep = json::parse(foundry::testing::ReadFileText(home_ / "service.json"));
    return ep["port"].get<int>();
  }
  fs::path home_;
};

// `text` as a regular expression that matches exactly it.
std::string Literal(const std::string& text) {
  return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\/])"), "\\$&");
}

// The answer after each "🤖  " up to the next "\n> " (what the REPL streamed).
std::vector<std::string> Answers(const std::string& out) {
  std::vector<std::string> answers;
  for (size_t at = 0; (at = out.find("🤖  ", at)) != std::string::npos;) {
    at += std::string("🤖  ").size();
    size_t end = out.find("\n> ", at);
    answers.push_back(out.substr(at, end == std::string::npos ? std::string::npos : end - at));
  }
  return answers;
}

TEST_F(ChatCli, DownloadsLoadsAndChatsKeepingTheHistory) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({FoundryBinary().string(), "model", "run", "tinyllama-v0", "--temperature", "0", "--max-tokens", "8"},
                      Env()));
  ASSERT_TRUE(p.Write("Hello there\n/help\n/?\n\nTell me more\n"));
  p.CloseStdin();  // Ctrl+D after the last answer
  ASSERT_EQ(p.Wait(), 0) << p.output();
  const std::string& out = p.output();
  const std::regex shape(
      "🟢 Service is Started on http://127\\.0\\.0\\.1:[0-9]+/, PID [0-9]+!\n"
      "Downloading tinyllama-v0-generic-cpu:1\\.\\.\\.\n"
      "🕕 Loading model\\.\\.\\.\n"
      "🟢 Model tinyllama-v0 loaded successfully\n"
      "\n" + Literal(kBanner) +
      "> 🧠 Thinking\\.\\.\\.\n🤖  [^]*\n"
      "> " + Literal(kHelp) + "> " + Literal(kHelp) +
      "> > 🧠 Thinking\\.\\.\\.\n🤖  [^]*\n"
      "> \n");
  EXPECT_TRUE(std::regex_match(out, shape)) << out;
  auto answers = Answers(out);
  ASSERT_EQ(answers.size(), 2u) << out;
  for (auto& a : answers) a = a.substr(0, a.rfind('\n'));  // the newline that ends an answer

  // The service, asked directly with the same conversation, gives the same (greedy) answers:
  // the second request carried the first turn as history.
  httplib::Client c("127.0.0.1", ServicePort());
  c.set_read_timeout(120, 0);
  json messages = json::array({{{"role", "user"}, {"content", "Hello there"}}});
  for (int turn = 0; turn < 2; ++turn) {
    json body = {{"model", "tinyllama-v0-generic-cpu:1"}, {"messages", messages}, {"max_tokens", 8},
                 {"temperature", 0}, {"repetition_penalty", 1.0}};
    auto r = c.Post("/v1/chat/completions", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const std::string content = json::parse(r->body)["choices"][0]["message"]["content"];
    EXPECT_EQ(answers[size_t(turn)], content) << "turn " << turn;
    messages.push_back({{"role", "assistant"}, {"content", content}});
    messages.push_back({{"role", "user"}, {"content", "Tell me more"}});
  }

  // A second session finds the model in the cache and the service running; /exit leaves.
  ChildProcess q;
  ASSERT_TRUE(q.Start({FoundryBinary().string(), "model", "run", "tinyllama-v0-generic-cpu:1", "--verbose"}, Env()));
  ASSERT_TRUE(q.Write("/exit\n"));
  ASSERT_EQ(q.Wait(), 0) << q.output();
  EXPECT_TRUE(std::regex_match(q.output(), std::regex("Model tinyllama-v0-generic-cpu:1 was found in the local cache\\.\n"
                                                      "🕕 Loading model\\.\\.\\.\n"
                                                      "Time cost to load model: [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{7}\n"
                                                      "🟢 Model tinyllama-v0-generic-cpu:1 loaded successfully\n\n" +
                                                      Literal(kBanner) + "> ")))
      << q.output();
}

TEST_F(ChatCli, CtrlCCancelsTheAnswerAndReturnsToThePrompt) {
  // A random-weight model with a 4096-token context: it practically never ends on its own.
  fs::copy_file(SharedPath("models/real/llama-2-tiny-random.gguf"), home_ / "cache" / "models" / "byo" / "tiny-random.gguf");
  ChildProcess p;
  ASSERT_TRUE(p.Start({FoundryBinary().string(), "model", "run", "tiny-random", "--max-tokens", "-1"}, Env()));
  ASSERT_TRUE(p.WaitFor("> "));
  ASSERT_TRUE(p.Write("Once upon a time\n"));
  const size_t answer_at = p.output().size();
  ASSERT_TRUE(p.WaitFor("🤖  ", answer_at)) << p.output();
  // Wait for some streamed text, then press Ctrl+C.
  const size_t text_at = p.output().find("🤖  ", answer_at) + std::string("🤖  ").size();
  ASSERT_TRUE(p.WaitFor(" ", text_at)) << p.output();
  p.Signal(SIGINT);
  ASSERT_TRUE(p.WaitFor("\n(generation cancelled)\n> ", text_at)) << p.output();
  // Still alive and answering; Ctrl+C at the prompt shows a fresh prompt.
  const size_t after = p.output().size();
  p.Signal(SIGINT);
  ASSERT_TRUE(p.WaitFor("\n> ", after)) << p.output();
  ASSERT_TRUE(p.Write("/help\n"));
  ASSERT_TRUE(p.WaitFor(kHelp, after)) << p.output();
  p.CloseStdin();
  EXPECT_EQ(p.Wait(), 0) << p.output();
  // The model is free again: a new request is served (it would wait behind an uncancelled one).
  httplib::Client c("127.0.0.1", ServicePort());
  c.set_read_timeout(120, 0);
  auto r = c.Post("/v1/chat/completions",
                  json{{"model", "tiny-random"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 2}}.dump(),
                  "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(ChatCli, ModelLoadUnloadInfoThroughTheService) {
  auto r = Foundry("model load tinyllama-v0");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "error: Model tinyllama-v0 has not been downloaded yet. Download it first: foundry model download tinyllama-v0\n");
  ASSERT_EQ(Foundry("model download tinyllama-v0").exit_code, 0);

  r = Foundry("model unload tinyllama-v0");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "🔴 Model management service is not running!\n"
                   "To start the service, run the following command: foundry service start\n");

  r = Foundry("model load tinyllama-v0 --ttl 60");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("🟢 Service is Started on http://127\\.0\\.0\\.1:[0-9]+/, PID [0-9]+!\n"
                                                 "🕓 Loading model\\.\\.\\.\n"
                                                 "🟢 Model tinyllama-v0 loaded successfully\n")))
      << r.out;
  r = Foundry("service ps");
  EXPECT_EQ(r.out, "Models running in service:\n"
                   "    Alias                          Model ID\n"
                   "🟢  tinyllama-v0                   tinyllama-v0-generic-cpu:1\n");
  r = Foundry("model unload tinyllama-v0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "🔴 Model tinyllama-v0 unloaded successfully\n");
  EXPECT_EQ(Foundry("service ps").out, "No models are currently loaded in the service\n");
  r = Foundry("model unload tinyllama-v0");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("is not loaded"), std::string::npos) << r.err;

  r = Foundry("model info tinyllama-v0 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json info = json::parse(r.out);
  EXPECT_EQ(info["model"]["id"], "tinyllama-v0-generic-cpu:1");
  EXPECT_EQ(info["model"]["alias"], "tinyllama-v0");
  EXPECT_EQ(info["model"]["contextLength"], 2048);
  EXPECT_EQ(info["model"]["supportsToolCalling"], false);
  EXPECT_EQ(info["model"]["cached"], true);
  r = Foundry("model info tinyllama-v0");
  EXPECT_NE(r.out.find("Model ID:           tinyllama-v0-generic-cpu:1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Cached:             yes, "), std::string::npos) << r.out;
  EXPECT_EQ(Foundry("model info no-such-model").exit_code, 3);
}

}  // namespace
}  // namespace foundry::cli
