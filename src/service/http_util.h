#pragma once
// Small helpers every route of the service shares: OpenAI-shaped errors, JSON replies, request
// body parsing and SSE framing. Internal to the service.

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "foundry/core/status.h"

namespace foundry::service {

// OpenAI's error "type" for a status ("invalid_request_error", "not_found_error", ...).
const char* ErrorType(const Status& st);

// Sets the HTTP status of an error reply (HttpStatusFor), with `Retry-After: 1` on a 503 (a full
// request queue: worth trying again soon). Both error shapes (OpenAI, Ollama) use it.
void SetErrorStatus(httplib::Response& res, const Status& st);

// Replies {"error": {"message", "type", "param", "code"}} with the status from SetErrorStatus.
// `param` names the offending request field (null when none).
void SendError(httplib::Response& res, const Status& st, const char* param = nullptr);

// Replies `j` as application/json (invalid UTF-8 in strings is replaced, never thrown on).
void SendJson(httplib::Response& res, const nlohmann::json& j);

// The request body as a JSON object. kInvalidArgument: not JSON, or not an object.
Result<nlohmann::json> ParseBody(const httplib::Request& req);

// One server-sent event: "data: <json>\n\n".
std::string SseEvent(const nlohmann::json& j);

}  // namespace foundry::service
