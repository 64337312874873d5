// Token log-probabilities on /v1/chat/completions (`logprobs`, `top_logprobs`) and
// /v1/completions (`logprobs`), whole and streamed, over a real socket; values checked against
// the golden logits of stories260K.

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "foundry/service/server.h"
#include "service/test_server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using foundry::testing::SharedPath;
using nlohmann::json;

class LogprobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    svc_ = std::make_unique<testing::TestService>(std::map<std::string, std::string>{
        {"stories260K", "models/real/stories260K.gguf"}, {"bpe-qwen2", "models/synthetic/bpe-qwen2.gguf"}});
    client_ = svc_->Client();
    golden_ = json::parse(foundry::testing::ReadFileText(SharedPath("golden/stories260K.json")));
  }
  void TearDown() override {
    client_.reset();
    svc_.reset();
  }
  // The reply (or, streamed, the list of SSE events before [DONE]).
  json Post(const std::string& path, const json& body, int want_status = 200) {
    auto r = client_->Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    if (!body.value("stream", false) || r->status != 200) return json::parse(r->body, nullptr, false);
    json events = json::array();
    size_t pos = 0;
    while ((pos = r->body.find("data: ", pos)) != std::string::npos) {
      const size_t end = r->body.find("\n\n", pos);
      const std::string payload = r->body.substr(pos + 6, end - pos - 6);
      pos = end + 2;
      if (payload == "[DONE]") break;
      events.push_back(json::parse(payload));
    }
    return events;
  }

  std::unique_ptr<testing::TestService> svc_;
  std::unique_ptr<httplib::Client> client_;
  json golden_;
};

std::string FromBytes(const json& bytes) {
  std::string s;
  for (const auto& b : bytes) s += char(b.get<int>());
  return s;
}

TEST_F(LogprobsTest, ChatContentEntriesWholeAndStreamed) {
  json req = {{"model", "bpe-qwen2"}, {"messages", {{{"role", "user"}, {"content", "Hi there"}}}},
              {"max_tokens", 8}, {"temperature", 0}, {"logprobs", true}, {"top_logprobs", 3}};
  json r = Post("/v1/chat/completions", req);
  const json& choice = r["choices"][0];
  ASSERT_TRUE(choice["logprobs"].is_object()) << r;
  EXPECT_TRUE(choice["logprobs"]["refusal"].is_null());
  const json& content = choice["logprobs"]["content"];
  ASSERT_TRUE(content.is_array());
  ASSERT_FALSE(content.empty());
  // One entry per generated token (an end-of-generation token is not part of the text).
  const int completion = r["usage"]["completion_tokens"];
  EXPECT_EQ(int(content.size()), choice["finish_reason"] == "stop" ? completion - 1 : completion);
  std::string joined;
  for (const auto& e : content) {
    ASSERT_EQ(e["top_logprobs"].size(), 3u) << e;
    // Greedy: the chosen token is the most likely one.
    EXPECT_EQ(e["top_logprobs"][0]["token"], e["token"]);
    EXPECT_EQ(e["top_logprobs"][0]["logprob"], e["logprob"]);
    EXPECT_LE(e["logprob"].get<double>(), 0.0);
    EXPECT_GE(e["top_logprobs"][0]["logprob"].get<double>(), e["top_logprobs"][1]["logprob"].get<double>());
    joined += FromBytes(e["bytes"]);
  }
  EXPECT_EQ(joined, choice["message"]["content"].get<std::string>());

  // Streamed: the same entries, spread over the chunks.
  req["stream"] = true;
  json streamed = json::array();
  for (const auto& ev : Post("/v1/chat/completions", req)) {
    const json& lp = ev["choices"].empty() ? json() : ev["choices"][0]["logprobs"];
    if (lp.is_object())
      for (const auto& e : lp["content"]) streamed.push_back(e);
  }
  EXPECT_EQ(streamed, content);

  // Not asked for: null.
  req.erase("logprobs");
  req.erase("top_logprobs");
  req["stream"] = false;
  EXPECT_TRUE(Post("/v1/chat/completions", req)["choices"][0]["logprobs"].is_null());
  // logprobs without top_logprobs: entries with no alternatives.
  req["logprobs"] = true;
  json plain = Post("/v1/chat/completions", req)["choices"][0]["logprobs"]["content"];
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0]["top_logprobs"], json::array());
}

TEST_F(LogprobsTest, CompletionLogprobsMatchGolden) {
  const json& g = golden_["prompts"][0];
  json req = {{"model", "stories260K"}, {"prompt", g["text"]}, {"max_tokens", 12}, {"temperature", 0}, {"logprobs", 2}};
  json r = Post("/v1/completions", req);
  const json& lp = r["choices"][0]["logprobs"];
  ASSERT_TRUE(lp.is_object()) << r;
  ASSERT_EQ(lp["tokens"].size(), 12u);
  std::string joined;
  for (size_t i = 0; i < 12; ++i) {
    EXPECT_EQ(lp["text_offset"][i], joined.size());
    joined += lp["tokens"][i].get<std::string>();
    // Greedy at temperature 0 reports the model's own distribution: top-1 logit - log-sum-exp.
    EXPECT_NEAR(lp["token_logprobs"][i].get<double>(),
                g["greedy"]["top1_logit"][i].get<double>() - g["greedy"]["logsumexp"][i].get<double>(), 2e-3)
        << i;
    EXPECT_LE(lp["top_logprobs"][i].size(), 2u);
    EXPECT_TRUE(lp["top_logprobs"][i].contains(lp["tokens"][i].get<std::string>()));
  }
  EXPECT_EQ(joined, r["choices"][0]["text"].get<std::string>());

  req["stream"] = true;
  json tokens = json::array(), offsets = json::array();
  for (const auto& ev : Post("/v1/completions", req)) {
    if (ev["choices"].empty() || !ev["choices"][0]["logprobs"].is_object()) continue;
    for (const auto& t : ev["choices"][0]["logprobs"]["tokens"]) tokens.push_back(t);
    for (const auto& o : ev["choices"][0]["logprobs"]["text_offset"]) offsets.push_back(o);
  }
  EXPECT_EQ(tokens, lp["tokens"]);
  EXPECT_EQ(offsets, lp["text_offset"]);  // offsets run on across chunks
}

TEST_F(LogprobsTest, OutOfRangeValuesAreOpenAiErrors) {
  const json chat = {{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}, {"max_tokens", 2}};
  struct Case {
    json extra;
    const char* param;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {{{"logprobs", true}, {"top_logprobs", 21}}, "top_logprobs", "between 0 and 20"},
           {{{"logprobs", true}, {"top_logprobs", -1}}, "top_logprobs", "between 0 and 20"},
           {{{"logprobs", true}, {"top_logprobs", 1.5}}, "top_logprobs", "integer"},
           {{{"top_logprobs", 2}}, "top_logprobs", "requires 'logprobs' to be true"},
           {{{"logprobs", false}, {"top_logprobs", 2}}, "top_logprobs", "requires 'logprobs' to be true"},
           {{{"logprobs", "yes"}}, "logprobs", "boolean"}}) {
    json body = chat;
    body.update(c.extra);
    json e = Post("/v1/chat/completions", body, 400);
    EXPECT_EQ(e["error"]["type"], "invalid_request_error") << body;
    EXPECT_EQ(e["error"]["param"], c.param) << body;
    EXPECT_NE(e["error"]["message"].get<std::string>().find(c.message), std::string::npos) << e;
  }
  const json completion = {{"model", "stories260K"}, {"prompt", "hi"}, {"max_tokens", 2}};
  for (const json& bad : {json(6), json(-1), json(true)}) {
    json body = completion;
    body["logprobs"] = bad;
    json e = Post("/v1/completions", body, 400);
    EXPECT_EQ(e["error"]["param"], "logprobs") << body;
  }
}

}  // namespace
}  // namespace foundry::service
