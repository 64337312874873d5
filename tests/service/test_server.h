#pragma once
// A real service for tests: a ModelManager over models of ../shared and a Server on an
// ephemeral 127.0.0.1 port, with an httplib client and small JSON helpers.

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "foundry/service/server.h"
#include "support/shared_data.h"

namespace foundry::service::testing {

class TestService {
 public:
  // `models`: id -> path under ../shared. ModelManagerOptions::n_ctx defaults to 256 here.
  explicit TestService(std::map<std::string, std::string> models,
                       runtime::ModelManagerOptions model_options = {.n_ctx = 256},
                       ServerOptions server_options = {}, ServiceHooks hooks = {}) {
    kernels_ = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
    for (auto& [id, rel] : models) files_[id] = foundry::testing::SharedPath(rel);
    models_ = std::make_unique<runtime::ModelManager>(
        kernels_, pool_,
        [this](const std::string& id) -> Result<std::filesystem::path> {
          auto it = files_.find(id);
          if (it == files_.end()) return Status::NotFound("model " + id + " is not in the cache");
          return it->second;
        },
        model_options);
    server_options.host = "127.0.0.1";
    server_options.port = 0;
    auto s = Server::Start(server_options, *models_, std::move(hooks));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) server_ = std::move(s).value();
  }
  ~TestService() {
    if (server_) server_->Stop();
  }

  int port() const { return server_ ? server_->port() : 0; }
  std::string url() const { return server_ ? server_->url() : ""; }
  runtime::ModelManager& models() { return *models_; }

  // A new client (one per thread: httplib clients are not shared between threads).
  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
    c->set_read_timeout(120, 0);
    return c;
  }

  // POST with a JSON body; the parsed reply (null JSON if the request failed).
  nlohmann::json Post(const std::string& path, const nlohmann::json& body, int want_status = 200) const {
    auto r = Client()->Post(path, body.dump(), "application/json");
    EXPECT_TRUE(r) << path;
    if (!r) return {};
    EXPECT_EQ(r->status, want_status) << r->body;
    return nlohmann::json::parse(r->body, nullptr, false);
  }
  // GET's body as text ("" if the request failed).
  std::string GetText(const std::string& path) const {
    auto r = Client()->Get(path);
    EXPECT_TRUE(r) << path;
    return r ? r->body : "";
  }

 private:
  engine::kernels::KernelTable kernels_;
  ThreadPool pool_{2};
  std::map<std::string, std::filesystem::path> files_;
  std::unique_ptr<runtime::ModelManager> models_;
  std::unique_ptr<Server> server_;
};

// The value of an unlabelled Prometheus series in /metrics text; -1 if absent.
inline double MetricValue(const std::string& text, const std::string& name) {
  size_t at = 0;
  while ((at = text.find(name + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::stod(text.substr(at + name.size() + 1));
    at += name.size();
  }
  return -1;
}

}  // namespace foundry::service::testing
