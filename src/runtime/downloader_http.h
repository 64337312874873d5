#pragma once
// Internal to the downloader: one HTTP GET attempt (libcurl) appending to a PartialFile.

#include <cstdint>
#include <string>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/downloader.h"
#include "foundry/runtime/sha256.h"
#include "runtime/downloader_file.h"

namespace foundry::runtime::internal {

struct HttpAttempt {
  // In: all borrowed for the call.
  std::string_view url;
  std::string_view file_name;
  uint64_t offset = 0;          // bytes already in `out` (and in `hash`); > 0 sends a Range
  uint64_t expected_total = 0;  // for progress when the server sends no length (0: unknown)
  PartialFile* out = nullptr;   // positioned at `offset`
  Sha256* hash = nullptr;       // holds the hash of the first `offset` bytes
  const DownloaderOptions* options = nullptr;
  const DownloadControl* control = nullptr;

  // Out.
  uint64_t bytes_done = 0;   // bytes in `out` afterwards (== offset + received, or received
                             // if the server ignored the range and the file restarted)
  uint64_t bytes_total = 0;  // the file size as announced by the server (0: unknown), also
                             // from a 416 reply's "Content-Range: bytes */<size>"
  bool retryable = false;    // the failure may pass: resume and try again
  bool range_not_satisfiable = false;  // HTTP 416: `offset` is at or past the end
};

// Runs one GET of `a.url` from `a.offset` into `a.out`, updating `a.hash` and reporting
// progress. OK when the server delivered the whole rest of the file; otherwise the error (see
// downloader.h for codes), with a.retryable / a.range_not_satisfiable set as they apply.
Status HttpGet(HttpAttempt& a);

}  // namespace foundry::runtime::internal
