// Ollama's API on a real server on 127.0.0.1 over a real model cache (a temp folder with the
// tiny models linked in), the repository's catalog and a directory mirror for pulls.

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "foundry/service/server.h"
#include "runtime/scoped_temp_dir.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using foundry::testing::SharedPath;
using nlohmann::json;
namespace fs = std::filesystem;

fs::path CatalogFile() {
  // tests/service/ollama_api_test.cc -> <repo>/catalog/catalog.json
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "catalog" / "catalog.json";
}

// NDJSON lines of a body, each parsed.
std::vector<json> Lines(const std::string& body) {
  std::vector<json> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    if (end > pos) out.push_back(json::parse(body.substr(pos, end - pos), nullptr, false));
    pos = end + 1;
  }
  return out;
}

class OllamaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    root_ = dir_.path() / "models";
    fs::create_directories(root_);
    fs::create_symlink(SharedPath("models/real/stories260K.gguf"), root_ / "stories260K.gguf");
    fs::create_symlink(SharedPath("models/synthetic/bpe-qwen2.gguf"), root_ / "bpe-qwen2.gguf");
    auto catalog = runtime::Catalog::LoadFile(CatalogFile());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::make_unique<runtime::Catalog>(std::move(catalog).value());
    cache_ = std::make_unique<runtime::ModelCache>(root_, catalog_.get());
    auto dl = runtime::Downloader::Create({.mirror = SharedPath("models/real").string()});
    ASSERT_TRUE(dl.ok()) << dl.status().ToString();
    downloader_ = std::make_unique<runtime::Downloader>(std::move(dl).value());

    kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    models_ = std::make_unique<runtime::ModelManager>(
        kernels_, pool_,
        [this](const std::string& id) -> Result<fs::path> {
          FOUNDRY_ASSIGN_OR_RETURN(runtime::CachedModel m, cache_->Find(id, {}));
          return m.path;
        },
        runtime::ModelManagerOptions{.n_ctx = 256});
    ServerOptions options{.host = "127.0.0.1", .port = 0, .version = "0.1.0"};
    options.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.push_back(line);
    };
    ServiceHooks hooks;
    hooks.store = {.catalog = catalog_.get(), .cache = cache_.get(), .downloader = downloader_.get()};
    auto s = Server::Start(options, *models_, hooks);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(120, 0);
    // One connection: its requests are served (and logged) in order by one server thread.
    client_->set_keep_alive(true);
    golden_ = json::parse(foundry::testing::ReadFileText(SharedPath("golden/stories260K.json")));
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
  }
  std::string GoldenText(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += golden_["prompts"][0]["greedy"]["pieces"][i].get<std::string>();
    return s;
  }
  json Post(const std::string& path, const json& body, int want_status = 200) {
    auto r = client_->Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << path << " " << r->body;
    return r->body.empty() ? json() : json::parse(r->body, nullptr, false);
  }
  json Get(const std::string& path, int want_status = 200) {
    auto r = client_->Get(path);
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return json::parse(r->body, nullptr, false);
  }
  // The error message of a request that must fail with `status`.
  std::string Error(const std::string& path, const json& body, int status) {
    json e = Post(path, body, status);
    EXPECT_TRUE(e.is_object() && e.contains("error") && e["error"].is_string()) << e;
    return e.value("error", "");
  }
  std::vector<std::string> Names(const json& list) {
    std::vector<std::string> out;
    for (const auto& m : list["models"]) out.push_back(m["name"]);
    return out;
  }
  static json Greedy(json body, int n) {
    body["options"] = {{"temperature", 0}, {"num_predict", n}};
    return body;
  }

  foundry::testing::ScopedTempDir dir_;
  fs::path root_;
  std::unique_ptr<runtime::Catalog> catalog_;
  std::unique_ptr<runtime::ModelCache> cache_;
  std::unique_ptr<runtime::Downloader> downloader_;
  engine::kernels::KernelTable kernels_;
  ThreadPool pool_{2};
  std::unique_ptr<runtime::ModelManager> models_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<httplib::Client> client_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  json golden_;
};

TEST_F(OllamaApiTest, RootAndVersionAnswerLikeOllama) {
  auto r = client_->Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "Ollama is running");
  auto h = client_->Head("/");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(Get("/api/version"), json({{"version", "0.1.0"}}));
}

TEST_F(OllamaApiTest, TagsListTheCacheWithDetails) {
  json tags = Get("/api/tags");
  EXPECT_EQ(Names(tags), (std::vector<std::string>{"bpe-qwen2:latest", "stories260K:latest"}));
  for (const auto& m : tags["models"]) {
    EXPECT_EQ(m["model"], m["name"]);
    EXPECT_EQ(m["digest"].get<std::string>().size(), 64u);
    EXPECT_EQ(m["details"]["format"], "gguf");
    EXPECT_TRUE(m["modified_at"].get<std::string>().ends_with("Z"));
  }
  EXPECT_EQ(tags["models"][0]["details"]["family"], "qwen2");
  EXPECT_EQ(tags["models"][1]["details"]["family"], "llama");
  EXPECT_EQ(tags["models"][1]["details"]["quantization_level"], "F32");
  EXPECT_EQ(tags["models"][1]["size"], fs::file_size(SharedPath("models/real/stories260K.gguf")));
}

TEST_F(OllamaApiTest, ShowDescribesAModel) {
  json s = Post("/api/show", {{"model", "bpe-qwen2:latest"}});
  EXPECT_EQ(s["details"]["family"], "qwen2");
  EXPECT_EQ(s["model_info"]["general.architecture"], "qwen2");
  EXPECT_TRUE(s["model_info"]["qwen2.context_length"].is_number());
  EXPECT_TRUE(s["model_info"]["tokenizer.ggml.tokens"].is_null());  // arrays only when verbose
  EXPECT_NE(s["template"].get<std::string>().find("<|im_start|>"), std::string::npos);
  EXPECT_EQ(s["capabilities"], json({"completion", "tools"}));
  EXPECT_NE(s["modelfile"].get<std::string>().find("FROM "), std::string::npos);
  json v = Post("/api/show", {{"model", "stories260K"}, {"verbose", true}});
  EXPECT_EQ(v["model_info"]["tokenizer.ggml.tokens"].size(), 512u);
  EXPECT_EQ(Error("/api/show", {{"model", "nope"}}, 404), "model \"nope\" not found, try pulling it first");
  EXPECT_EQ(Error("/api/show", json::object(), 400), "model is required");
}

TEST_F(OllamaApiTest, GenerateMatchesGoldenGreedyWithTimings) {
  json r = Post("/api/generate", Greedy({{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"raw", true},
                                         {"stream", false}}, 16));
  EXPECT_EQ(r["model"], "stories260K");
  EXPECT_EQ(r["response"], GoldenText(16));
  EXPECT_EQ(r["done"], true);
  EXPECT_EQ(r["done_reason"], "length");
  EXPECT_EQ(r["prompt_eval_count"], 5);
  EXPECT_EQ(r["eval_count"], 16);
  EXPECT_EQ(r["context"].size(), 21u);
  for (const char* k : {"total_duration", "load_duration", "prompt_eval_duration", "eval_duration"})
    EXPECT_TRUE(r[k].is_number_integer()) << k;
  EXPECT_GE(r["total_duration"].get<int64_t>(), r["eval_duration"].get<int64_t>());
  EXPECT_TRUE(r["created_at"].get<std::string>().ends_with("Z"));
}

TEST_F(OllamaApiTest, GenerateStreamsNdjson) {
  auto r = client_->Post("/api/generate",
                         Greedy({{"model", "stories260K:latest"}, {"prompt", "Once upon a time"}, {"raw", true}}, 16).dump(),
                         "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/x-ndjson");
  auto lines = Lines(r->body);
  ASSERT_GE(lines.size(), 2u);
  std::string text;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["done"], false);
    text += lines[i]["response"].get<std::string>();
  }
  EXPECT_EQ(text, GoldenText(16));
  EXPECT_EQ(lines.back()["done"], true);
  EXPECT_EQ(lines.back()["done_reason"], "length");
  EXPECT_EQ(lines.back()["eval_count"], 16);
}

TEST_F(OllamaApiTest, ChatStreamedAndWholeAgree) {
  json req = Greedy({{"model", "bpe-qwen2"},
                     {"messages", {{{"role", "system"}, {"content", "Be terse."}}, {{"role", "user"}, {"content", "Hi"}}}},
                     {"stream", false}},
                    12);
  json whole = Post("/api/chat", req);
  EXPECT_EQ(whole["message"]["role"], "assistant");
  ASSERT_TRUE(whole["message"]["content"].is_string());
  EXPECT_EQ(whole["done"], true);
  req["stream"] = true;
  auto r = client_->Post("/api/chat", req.dump(), "application/json");
  ASSERT_TRUE(r);
  auto lines = Lines(r->body);
  ASSERT_GE(lines.size(), 1u);
  std::string text;
  for (const auto& l : lines) text += l["message"]["content"].get<std::string>();
  EXPECT_EQ(text, whole["message"]["content"]);
  EXPECT_EQ(lines.back()["done_reason"], whole["done_reason"]);
  EXPECT_EQ(lines.back()["prompt_eval_count"], whole["prompt_eval_count"]);
}

TEST_F(OllamaApiTest, ChatToolsReachTheTemplateAndToolHistoryIsAccepted) {
  const json tools = json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Weather of a city", "parameters": {"type": "object",
      "properties": {"city": {"type": "string"}}, "required": ["city"]}}}])");
  json req = Greedy({{"model", "bpe-qwen2"}, {"messages", {{{"role", "user"}, {"content", "Weather in Paris?"}}}},
                     {"stream", false}},
                    2);
  const int plain = Post("/api/chat", req)["prompt_eval_count"];
  req["tools"] = tools;
  const int with_tools = Post("/api/chat", req)["prompt_eval_count"];
  EXPECT_GT(with_tools, plain + 20);
  // Ollama history: the assistant's call with object arguments, the result named by tool_name.
  req["messages"].push_back({{"role", "assistant"},
                             {"content", ""},
                             {"tool_calls", {{{"function", {{"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}}}}}});
  req["messages"].push_back({{"role", "tool"}, {"content", "22 C, sunny"}, {"tool_name", "get_weather"}});
  const int with_history = Post("/api/chat", req)["prompt_eval_count"];
  EXPECT_GT(with_history, with_tools + 10);
  EXPECT_EQ(Error("/api/chat", {{"model", "bpe-qwen2"}, {"messages", {{{"role", "user"}, {"content", "x"}}}},
                                {"tools", {{{"type", "function"}}}}},
                  400),
            "Missing required parameter: 'tools[0].function'.");
}

TEST_F(OllamaApiTest, FormatConstrainsTheReplyToJson) {
  const json schema = json::parse(R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 8},
      "age": {"type": "integer", "minimum": 0, "maximum": 120}}, "required": ["age", "name"]})");
  for (const json& format : {json("json"), schema}) {
    for (bool stream : {false, true}) {
      json req = Greedy({{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", "Who?"}}}},
                         {"format", format}, {"stream", stream}},
                        120);
      auto r = client_->Post("/api/chat", req.dump(), "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      std::string content;
      for (const auto& l : Lines(r->body)) content += l["message"]["content"].get<std::string>();
      json parsed = json::parse(content, nullptr, false);
      ASSERT_TRUE(parsed.is_object()) << format << " " << content;
      if (format.is_object()) {
        EXPECT_TRUE(parsed["name"].is_string()) << content;
        EXPECT_TRUE(parsed["age"].is_number_integer()) << content;
      }
    }
  }
}

TEST_F(OllamaApiTest, EmptyRequestsLoadAndUnload) {
  EXPECT_EQ(Get("/api/ps")["models"], json::array());
  json r = Post("/api/generate", {{"model", "stories260K"}});
  EXPECT_EQ(r["done"], true);
  EXPECT_EQ(r["done_reason"], "load");
  EXPECT_EQ(r["response"], "");
  json ps = Get("/api/ps");
  ASSERT_EQ(Names(ps), std::vector<std::string>{"stories260K:latest"});
  EXPECT_EQ(ps["models"][0]["context_length"], 256);
  EXPECT_EQ(ps["models"][0]["details"]["family"], "llama");
  EXPECT_GT(ps["models"][0]["size"].get<uint64_t>(), 0u);
  r = Post("/api/generate", {{"model", "stories260K"}, {"keep_alive", 0}});
  EXPECT_EQ(r["done_reason"], "unload");
  EXPECT_EQ(Get("/api/ps")["models"], json::array());

  r = Post("/api/chat", {{"model", "stories260K"}, {"messages", json::array()}, {"keep_alive", -1}});
  EXPECT_EQ(r["done_reason"], "load");
  EXPECT_EQ(r["message"]["role"], "assistant");
  // Forever: the expiry lies years ahead.
  const std::string expires = Get("/api/ps")["models"][0]["expires_at"];
  EXPECT_GE(std::stoi(expires.substr(0, 4)), 2030) << expires;
  r = Post("/api/chat", {{"model", "stories260K"}, {"keep_alive", "0s"}});
  EXPECT_EQ(r["done_reason"], "unload");
  EXPECT_EQ(Get("/api/ps")["models"], json::array());
}

TEST_F(OllamaApiTest, KeepAliveZeroUnloadsAfterTheResponse) {
  json r = Post("/api/generate", Greedy({{"model", "stories260K"}, {"prompt", "Once"}, {"raw", true},
                                         {"stream", false}, {"keep_alive", 0}}, 2));
  EXPECT_EQ(r["eval_count"], 2);
  EXPECT_EQ(Get("/api/ps")["models"], json::array());
  r = Post("/api/generate", Greedy({{"model", "stories260K"}, {"prompt", "Once"}, {"raw", true},
                                    {"stream", false}, {"keep_alive", "10m"}}, 2));
  EXPECT_EQ(Names(Get("/api/ps")), std::vector<std::string>{"stories260K:latest"});
}

TEST_F(OllamaApiTest, BadRequestsGetOllamaErrors) {
  EXPECT_EQ(Error("/api/generate", {{"prompt", "x"}}, 400), "model is required");
  auto r = client_->Post("/api/chat", "{nope", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"], "invalid JSON in the request body");
  EXPECT_EQ(Error("/api/generate", {{"model", "missing"}, {"prompt", "x"}}, 404),
            "model \"missing\" not found, try pulling it first");
  EXPECT_NE(Error("/api/generate", {{"model", "stories260K"}, {"prompt", "x"}, {"options", {{"temperature", "hot"}}}}, 400)
                .find("options.temperature"),
            std::string::npos);
  EXPECT_NE(Error("/api/generate", {{"model", "stories260K"}, {"prompt", "x"}, {"keep_alive", "soon"}}, 400)
                .find("keep_alive"),
            std::string::npos);
  EXPECT_NE(Error("/api/chat", {{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", "x"}}}},
                                {"format", {{"type", "string"}, {"pattern", "a+"}}}},
                  400)
                .find("'format'"),
            std::string::npos);
  EXPECT_EQ(Error("/api/chat", {{"model", "stories260K"}, {"messages", {{{"role", "user"}, {"content", "x"}}}},
                                {"think", true}},
                  400),
            "\"stories260K\" does not support thinking");
  EXPECT_NE(Error("/api/chat", {{"model", "stories260K"},
                                {"messages", {{{"role", "user"}, {"content", "x"}, {"images", {"aGk="}}}}}},
                  400)
                .find("images"),
            std::string::npos);
  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += "Once upon a time ";
  EXPECT_NE(Error("/api/generate", {{"model", "stories260K"}, {"prompt", long_prompt}, {"raw", true}}, 400).find("too many"),
            std::string::npos);
  EXPECT_NE(Error("/api/embed", {{"model", "stories260K"}, {"input", "hello"}}, 501).find("embeddings"),
            std::string::npos);
  EXPECT_EQ(Error("/api/embed", {{"model", "nope"}, {"input", "hello"}}, 404),
            "model \"nope\" not found, try pulling it first");
}

TEST_F(OllamaApiTest, CopyThenDelete) {
  Post("/api/copy", {{"source", "stories260K"}, {"destination", "my-story:latest"}});
  EXPECT_EQ(Names(Get("/api/tags")),
            (std::vector<std::string>{"bpe-qwen2:latest", "my-story:latest", "stories260K:latest"}));
  json r = Post("/api/generate", Greedy({{"model", "my-story"}, {"prompt", "Once upon a time"}, {"raw", true},
                                         {"stream", false}}, 4));
  EXPECT_EQ(r["response"], GoldenText(4));
  EXPECT_NE(Error("/api/copy", {{"source", "stories260K"}, {"destination", "../evil"}}, 400).find("not a valid"),
            std::string::npos);
  EXPECT_EQ(Error("/api/copy", {{"source", "nope"}, {"destination", "x"}}, 404), "model \"nope\" not found");

  auto del = client_->Delete("/api/delete", json{{"model", "my-story:latest"}}.dump(), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 200) << del->body;
  EXPECT_EQ(Names(Get("/api/tags")), (std::vector<std::string>{"bpe-qwen2:latest", "stories260K:latest"}));
  EXPECT_TRUE(fs::exists(SharedPath("models/real/stories260K.gguf")));
  del = client_->Delete("/api/delete", json{{"name", "my-story"}}.dump(), "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 404);
}

TEST_F(OllamaApiTest, PullFromTheCatalogStreamsProgress) {
  auto r = client_->Post("/api/pull", json{{"model", "tinyllama-v0"}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto lines = Lines(r->body);
  ASSERT_GE(lines.size(), 5u) << r->body;
  EXPECT_EQ(lines.front()["status"], "pulling manifest");
  const std::string digest = "sha256:4856e08d5d2d0619a145d3d169bb3b14ed635e51c400cfe3a44c1634bc877651";
  bool saw_total = false;
  for (size_t i = 1; i + 3 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["status"], "pulling 4856e08d5d2d") << lines[i];
    EXPECT_EQ(lines[i]["digest"], digest);
    if (lines[i].contains("total")) {
      EXPECT_EQ(lines[i]["total"], 19248256);
      saw_total = true;
    }
  }
  EXPECT_TRUE(saw_total);
  EXPECT_EQ(lines[lines.size() - 3]["status"], "verifying sha256 digest");
  EXPECT_EQ(lines[lines.size() - 2]["status"], "writing manifest");
  EXPECT_EQ(lines.back()["status"], "success");
  auto names = Names(Get("/api/tags"));
  EXPECT_NE(std::find(names.begin(), names.end(), "tinyllama-v0-generic-cpu:1"), names.end());
  // Pulled: it generates under its alias, and a second pull is immediate.
  json g = Post("/api/generate", Greedy({{"model", "tinyllama-v0"}, {"prompt", "Once"}, {"stream", false}}, 3));
  EXPECT_EQ(g["eval_count"].get<int>() <= 3, true);
  EXPECT_EQ(Post("/api/pull", {{"name", "tinyllama-v0"}, {"stream", false}}), json({{"status", "success"}}));
  EXPECT_NE(Error("/api/pull", {{"model", "no-such-model"}}, 404).find("not in the foundry catalog"),
            std::string::npos);
}

TEST_F(OllamaApiTest, MetricsHealthAndRequestLog) {
  Post("/api/generate", Greedy({{"model", "stories260K"}, {"prompt", "Once upon a time"}, {"raw", true}}, 8));
  Get("/api/tags");
  Error("/api/show", {{"model", "nope"}}, 404);
  EXPECT_EQ(Get("/health")["status"], "ok");
  auto m = client_->Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  const std::string& text = m->body;
  for (const char* want : {"foundry_requests_total{route=\"/api/generate\",status=\"200\"} 1",
                           "foundry_requests_total{route=\"/api/tags\",status=\"200\"} 1",
                           "foundry_requests_total{route=\"/api/show\",status=\"404\"} 1",
                           "foundry_prompt_tokens_total 5", "foundry_generated_tokens_total 8",
                           "foundry_time_to_first_token_seconds_count 1",
                           "foundry_inter_token_latency_seconds_bucket{le=\"+Inf\"} 7",
                           "foundry_loaded_models 1", "foundry_queue_depth 0", "foundry_running_sequences 0",
                           "foundry_kv_blocks_used 0", "foundry_kv_blocks_free 32",
                           "foundry_prefix_cache_hit_rate 0", "# TYPE foundry_time_to_first_token_seconds histogram"})
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  std::vector<std::string> log;
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    log = log_;
  }
  ASSERT_GE(log.size(), 4u);
  json first = json::parse(log[0]);
  EXPECT_EQ(first["method"], "POST");
  EXPECT_EQ(first["route"], "/api/generate");
  EXPECT_EQ(first["status"], 200);
  EXPECT_EQ(first["msg"], "request");
  EXPECT_TRUE(first["duration_ms"].is_number());
  EXPECT_EQ(json::parse(log[2])["status"], 404);
}

}  // namespace
}  // namespace foundry::service
