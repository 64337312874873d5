#include "service/http_util.h"

#include "foundry/service/server.h"

namespace foundry::service {

using nlohmann::json;

const char* ErrorType(const Status& st) {
  switch (st.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return "invalid_request_error";
    case StatusCode::kNotFound: return "not_found_error";
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable: return "unavailable_error";
    default: return "server_error";
  }
}

void SetErrorStatus(httplib::Response& res, const Status& st) {
  res.status = HttpStatusFor(st);
  if (res.status == 503) res.set_header("Retry-After", "1");
}

void SendError(httplib::Response& res, const Status& st, const char* param) {
  json err = {{"message", st.message()},
              {"type", ErrorType(st)},
              {"param", param ? json(param) : json(nullptr)},
              {"code", st.code() == StatusCode::kOutOfRange ? json("context_length_exceeded") : json(nullptr)}};
  SetErrorStatus(res, st);
  res.set_content(json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void SendJson(httplib::Response& res, const json& j) {
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

Result<json> ParseBody(const httplib::Request& req) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return body;
}

std::string SseEvent(const json& j) {
  return "data: " + j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
}

}  // namespace foundry::service
