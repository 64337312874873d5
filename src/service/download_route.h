#pragma once
// POST /openai/download: Foundry Local's model download with a streamed progress report.
//
// Request (what every Foundry Local SDK sends, reference §2.4):
//   {"model": {"Name": "<model id>", "Uri": …, "Publisher": …, "ProviderType": …,
//              "PromptTemplate": …}, "token": …, "IgnorePipeReport": true}
// Only model.Name is used (a model ID, an ID without ":<version>" or an alias); key case is
// ignored ("name" works too).
// Reply: 200, application/octet-stream (never compressed), lines as Foundry Local's SDK fixtures show them:
//   Total 42.17% Downloading tinyllama-v0-f32.gguf\n   (whenever the percentage moves, at most
//                                                       every 100 ms)
//   Total 100.00% Downloading tinyllama-v0-f32.gguf\n[DONE] All Completed!\n   (one chunk)
//   {"success":true,"errorMessage":null}                (a chunk of its own)
// A cached model gets only the last two chunks. On a failed download the stream ends with
// {"success":false,"errorMessage":"<why>","error":"<why>"} instead (the JS SDK reads `error`,
// the others `errorMessage`). The closing chunks each follow a 250 ms pause: the JS SDK
// recognises the result only in a read() that starts with '{', and bytes that arrive back to
// back are merged into one read (see kClosingPause in the .cc).
// Before anything is streamed: 400 (OpenAI error shape) for a body that is not JSON or has no
// model.Name, 404 for a name the catalog does not know, 501 when the service has no catalog.
// A client that disconnects cancels the download (the partial file is kept for a resume).

#include <httplib.h>

#include "foundry/service/server.h"

namespace foundry::service {

void HandleDownload(const httplib::Request& req, httplib::Response& res, const ServiceHooks& hooks);

}  // namespace foundry::service
