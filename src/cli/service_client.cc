#include "cli/service_client.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace foundry::cli {
namespace {

using nlohmann::json;

httplib::Client ClientFor(const ServiceEndpoint& service) {
  httplib::Client c(service.host == "0.0.0.0" ? "127.0.0.1" : service.host, service.port);
  c.set_connection_timeout(10, 0);
  c.set_read_timeout(3600, 0);  // loads and downloads of big models take a while
  return c;
}

Status Unreachable(const ServiceEndpoint& service, httplib::Error e) {
  return Status::Unavailable("request to the service at " + service.url + " failed: " + httplib::to_string(e));
}

}  // namespace

Result<ServiceEndpoint> EnsureService(const FoundryHome& home) {
  if (auto e = RunningService(home)) return *e;
  return StartService(home);
}

Status StatusFromReply(int http_status, const std::string& body) {
  std::string message = body;
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object() && j["error"].contains("message") &&
      j["error"]["message"].is_string())
    message = j["error"]["message"];
  if (message.empty()) message = "the service answered HTTP " + std::to_string(http_status);
  switch (http_status) {
    case 400: return Status::InvalidArgument(message);
    case 404: return Status::NotFound(message);
    case 409: return Status::FailedPrecondition(message);
    case 501: return Status::Unimplemented(message);
    default: return Status::Unavailable(message);
  }
}

Status DownloadThroughService(const ServiceEndpoint& service, const std::string& model_id,
                              const std::function<void(double percent)>& on_percent) {
  httplib::Client c = ClientFor(service);
  httplib::Request req;
  req.method = "POST";
  req.path = "/openai/download";
  req.headers = {{"Content-Type", "application/json"}};
  req.body = json{{"model", {{"Name", model_id}}}, {"IgnorePipeReport", true}}.dump();
  std::string pending, result;  // pending: an unfinished line; result: the final JSON object
  int status = 0;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status != 200 || !result.empty()) {
      (status != 200 ? pending : result).append(data, n);
      return true;
    }
    pending.append(data, n);
    for (size_t eol; (eol = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, eol);
      pending.erase(0, eol + 1);
      if (line.starts_with("Total ") && on_percent) on_percent(std::strtod(line.c_str() + 6, nullptr));
    }
    if (pending.starts_with("{")) result.swap(pending);
    return true;
  };
  auto r = c.send(req);
  if (!r) return Unreachable(service, r.error());
  if (status != 200) return StatusFromReply(status, pending);
  json j = json::parse(result, nullptr, false);
  if (!j.is_object() || !j.contains("success")) return Status::Unavailable("the service's download reply ended without a result");
  if (j["success"] == true) return Status::Ok();
  const std::string why = j.contains("errorMessage") && j["errorMessage"].is_string() ? j["errorMessage"].get<std::string>() : "unknown error";
  return Status::Unavailable("download of " + model_id + " failed: " + why);
}

Status LoadThroughService(const ServiceEndpoint& service, const std::string& model_id, int ttl_seconds) {
  httplib::Client c = ClientFor(service);
  std::string path = "/openai/load/" + model_id;
  if (ttl_seconds > 0) path += "?ttl=" + std::to_string(ttl_seconds);
  auto r = c.Get(path);
  if (!r) return Unreachable(service, r.error());
  if (r->status != 200) return StatusFromReply(r->status, r->body);
  return Status::Ok();
}

Status UnloadThroughService(const ServiceEndpoint& service, const std::string& model_id) {
  httplib::Client c = ClientFor(service);
  auto r = c.Get("/openai/unload/" + model_id + "?force=true");
  if (!r) return Unreachable(service, r.error());
  if (r->status != 200) return StatusFromReply(r->status, r->body);
  return Status::Ok();
}

}  // namespace foundry::cli
