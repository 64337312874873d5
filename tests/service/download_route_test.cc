// POST /openai/download over a real socket: the repository catalog's offline test model is
// fetched from ../shared/models/real (as a folder mirror and through a real HTTP mirror), and
// the progress stream is checked line by line against Foundry Local's format (reference §2.4).

#include "service/download_route.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "foundry/service/server.h"
#include "runtime/scoped_temp_dir.h"
#include "runtime/test_http_server.h"
#include "support/shared_data.h"

namespace foundry::service {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

fs::path RepoCatalogPath() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path() / "catalog" / "catalog.json";
}

constexpr char kModelId[] = "tinyllama-v0-generic-cpu:1";
constexpr char kFile[] = "tinyllama-v0-f32.gguf";

// What the SDKs send (reference §2.4; JS base.ts downloadModel).
json DownloadBody(const std::string& name) {
  return {{"model", {{"Name", name}, {"Uri", "https://huggingface.co/Maykeye/TinyLLama-v0"}, {"Publisher", "Maykeye"},
                     {"ProviderType", "HuggingFace"}, {"PromptTemplate", nullptr}}},
          {"IgnorePipeReport", true}};
}

struct Reply {
  int status = 0;
  std::vector<std::string> chunks;  // as the client received them
  std::string body;
};

class DownloadRouteTest : public ::testing::Test {
 protected:
  void StartService(const std::string& mirror) {
    auto catalog = runtime::Catalog::LoadFile(RepoCatalogPath());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_.emplace(std::move(catalog).value());
    cache_ = std::make_unique<runtime::ModelCache>(tmp_.path() / "cache", &*catalog_);
    // Copy (no hard link) so a folder mirror reports progress as bytes arrive.
    auto dl = runtime::Downloader::Create({.mirror = mirror, .max_attempts = 1, .allow_hard_links = false});
    ASSERT_TRUE(dl.ok()) << dl.status().ToString();
    downloader_.emplace(std::move(dl).value());
    models_ = std::make_unique<runtime::ModelManager>(
        kernels_, pool_, [](const std::string& id) -> Result<fs::path> { return Status::NotFound(id); },
        runtime::ModelManagerOptions{});
    ServiceHooks hooks;
    hooks.prepare_download = [this](const std::string& name) -> Result<DownloadJob> {
      FOUNDRY_ASSIGN_OR_RETURN(const runtime::CatalogModel* m, catalog_->Resolve(name, {}));
      return DownloadJob{.model_id = m->id, .file_name = m->file.name,
                         .run = [this, m](const runtime::DownloadProgressCallback& progress) -> Status {
                           auto r = downloader_->Download(*m, *cache_, {.on_progress = progress});
                           return r.ok() ? Status::Ok() : r.status();
                         }};
    };
    auto s = Server::Start({.host = "127.0.0.1", .port = 0}, *models_, hooks);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
  }
  void TearDown() override {
    if (server_) server_->Stop();
  }

  Reply Download(const json& body) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(120, 0);
    Reply out;
    httplib::Request req;
    req.method = "POST";
    req.path = "/openai/download";
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.dump();
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      out.chunks.emplace_back(data, n);
      out.body.append(data, n);
      return true;
    };
    auto r = c.send(req);
    EXPECT_TRUE(r);
    if (r) out.status = r->status;
    if (r && out.chunks.empty()) out.body = r->body;
    return out;
  }

  // Checks a successful stream; returns its progress lines.
  std::vector<std::string> ExpectSuccess(const Reply& r) {
    EXPECT_EQ(r.status, 200) << r.body;
    // The final JSON arrives as a chunk of its own that starts with '{' (the JS SDK needs this).
    EXPECT_FALSE(r.chunks.empty());
    if (r.chunks.empty()) return {};
    EXPECT_EQ(r.chunks.back(), R"({"success":true,"errorMessage":null})");
    std::vector<std::string> lines;
    std::stringstream ss(r.body);
    for (std::string line; std::getline(ss, line);) lines.push_back(line);
    EXPECT_GE(lines.size(), 3u) << r.body;
    if (lines.size() < 3) return {};
    EXPECT_EQ(lines[lines.size() - 1], R"({"success":true,"errorMessage":null})");
    EXPECT_EQ(lines[lines.size() - 2], "[DONE] All Completed!");
    lines.resize(lines.size() - 2);
    const std::regex progress(std::string("Total [0-9]{1,3}\\.[0-9]{2}% Downloading ") + kFile);
    double last = -1;
    for (const auto& l : lines) {
      EXPECT_TRUE(std::regex_match(l, progress)) << l;
      const double pct = std::stod(l.substr(6));
      EXPECT_GT(pct, last) << "percentages only move forward: " << r.body;
      last = pct;
    }
    EXPECT_EQ(lines.back(), std::string("Total 100.00% Downloading ") + kFile);
    return lines;
  }

  foundry::testing::ScopedTempDir tmp_;
  engine::kernels::KernelTable kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  ThreadPool pool_{1};
  std::optional<runtime::Catalog> catalog_;
  std::unique_ptr<runtime::ModelCache> cache_;
  std::optional<runtime::Downloader> downloader_;
  std::unique_ptr<runtime::ModelManager> models_;
  std::unique_ptr<Server> server_;
};

TEST_F(DownloadRouteTest, FolderMirrorStreamsFoundryProgressThenResult) {
  StartService(foundry::testing::SharedPath("models/real").string());
  ExpectSuccess(Download(DownloadBody(kModelId)));
  const auto* m = catalog_->FindById(kModelId);
  ASSERT_NE(m, nullptr);
  EXPECT_TRUE(cache_->IsCached(*m));
  EXPECT_EQ(fs::file_size(cache_->PathFor(*m)), *m->file.size_bytes);

  // Already cached: one 100% line, [DONE], success.
  auto again = ExpectSuccess(Download(DownloadBody("tinyllama-v0")));  // an alias works too
  EXPECT_EQ(again, std::vector<std::string>{std::string("Total 100.00% Downloading ") + kFile});
}

TEST_F(DownloadRouteTest, HttpMirror) {
  const std::string bytes = foundry::testing::ReadFileText(foundry::testing::SharedPath(std::string("models/real/") + kFile));
  auto http = foundry::testing::TestHttpServer::Start([&](const foundry::testing::HttpRequest& req) {
    foundry::testing::HttpResponse r;
    if (req.path != std::string("/models/") + kFile) return foundry::testing::HttpResponse{.status = 404, .body = "no"};
    r.body = bytes;
    return r;
  });
  ASSERT_NE(http, nullptr);
  StartService(http->Url("/models"));
  ExpectSuccess(Download(DownloadBody("tinyllama-v0-generic-cpu")));  // ID without version
  EXPECT_TRUE(cache_->IsCached(*catalog_->FindById(kModelId)));
}

TEST_F(DownloadRouteTest, FailedDownloadEndsWithSuccessFalse) {
  auto http = foundry::testing::TestHttpServer::Start([](const foundry::testing::HttpRequest&) {
    return foundry::testing::HttpResponse{.status = 404, .body = "gone"};
  });
  ASSERT_NE(http, nullptr);
  StartService(http->Url("/models"));
  Reply r = Download(DownloadBody(kModelId));
  EXPECT_EQ(r.status, 200);
  ASSERT_FALSE(r.chunks.empty());
  json result = json::parse(r.chunks.back(), nullptr, false);
  ASSERT_TRUE(result.is_object()) << r.body;
  EXPECT_EQ(result["success"], false);
  EXPECT_NE(result["errorMessage"].get<std::string>().find(kFile), std::string::npos) << result;
  EXPECT_EQ(result["error"], result["errorMessage"]);
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
  EXPECT_FALSE(cache_->IsCached(*catalog_->FindById(kModelId)));
}

TEST_F(DownloadRouteTest, BadRequestsAreOpenAiErrors) {
  StartService(foundry::testing::SharedPath("models/real").string());
  httplib::Client c("127.0.0.1", server_->port());
  auto r = c.Post("/openai/download", "not json", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["type"], "invalid_request_error");
  r = c.Post("/openai/download", R"({"model": {"Uri": "x"}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "model.Name");
  r = c.Post("/openai/download", DownloadBody("no-such-model").dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(json::parse(r->body)["error"]["message"].get<std::string>().find("no-such-model"), std::string::npos);
  // A hand-written request with lowercase keys.
  auto ok = Download({{"model", {{"name", kModelId}}}});
  ExpectSuccess(ok);
}

TEST(DownloadRouteNoCatalogTest, ServiceWithoutCatalogAnswers501) {
  auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  ThreadPool pool(1);
  runtime::ModelManager models(kernels, pool, [](const std::string& id) -> Result<fs::path> { return Status::NotFound(id); }, {});
  auto s = Server::Start({.host = "127.0.0.1", .port = 0}, models, {});
  ASSERT_TRUE(s.ok());
  httplib::Client c("127.0.0.1", (*s)->port());
  auto r = c.Post("/openai/download", DownloadBody(kModelId).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 501);
}

}  // namespace
}  // namespace foundry::service
