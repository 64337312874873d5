#pragma once
// The CLI as a client of its own service: start it when needed, and download, load and unload
// models through its Foundry management API (what `foundry model run|load|unload` do, like
// Foundry Local's CLI).

#include <functional>
#include <string>

#include "cli/service_commands.h"
#include "foundry/core/status.h"

namespace foundry::cli {

// The running service, or a freshly started one (printing `foundry service start`'s line).
// Errors as StartService.
Result<ServiceEndpoint> EnsureService(const FoundryHome& home);

// The Status an error reply of the service stands for: the OpenAI error message, with a code
// from the HTTP status (400 kInvalidArgument, 404 kNotFound, 409 kFailedPrecondition, 501
// kUnimplemented, anything else kUnavailable).
Status StatusFromReply(int http_status, const std::string& body);

// POST /openai/download for `model_id`; `on_percent` sees each "Total N% Downloading …" line's
// percentage. kUnavailable when the service is unreachable; the service's errorMessage (code
// kUnavailable) when the download failed.
Status DownloadThroughService(const ServiceEndpoint& service, const std::string& model_id,
                              const std::function<void(double percent)>& on_percent);

// GET /openai/load/{id}?ttl=N (ttl_seconds <= 0: the service default). Errors as StatusFromReply.
Status LoadThroughService(const ServiceEndpoint& service, const std::string& model_id, int ttl_seconds);

// GET /openai/unload/{id}?force=true: unloads now, whatever the TTL. kNotFound if not loaded.
Status UnloadThroughService(const ServiceEndpoint& service, const std::string& model_id);

}  // namespace foundry::cli
