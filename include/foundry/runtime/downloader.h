#pragma once
// Downloader: fetches catalog models into the ModelCache (libcurl for http(s); a local
// directory mirror is copied or hard-linked).
//
// A download of file F (the final path) goes to F + ".partial" and becomes F only by an atomic
// rename after it is complete and verified, so F's existence means "complete and verified", and
// an interrupted, cancelled or corrupt download never shows up as cached:
//   * resume: if F.partial exists (an earlier attempt died), the request asks for the rest with
//     `Range: bytes=<size>-`; a server that ignores the range (200 instead of 206) restarts the
//     file from byte 0; a 416 reply means the partial may already be whole and it is verified.
//   * retries: a dropped connection, a stall, a timeout or an HTTP 5xx is retried (resuming)
//     up to `max_attempts` times in one call.
//   * verification: the byte count against Content-Length and the catalog's exact size, and
//     SHA-256 against the catalog's hash when it has one. A mismatch deletes the partial.
//   * concurrency: F.partial is locked (flock) while in use, so a second download of the same
//     file, from this or another process, fails fast with kFailedPrecondition.
// An F that already exists is trusted (it was verified when it was renamed into place) and not
// downloaded or hashed again.
//
// Mirror (DownloaderOptions::mirror; the caller reads FOUNDRY_MODEL_MIRROR, not this code):
//   * an http(s) base URL: a catalog file is fetched from `<mirror>/<file name>` instead of its
//     catalog URL (e.g. http://intranet/models/qwen2.5-0.5b-instruct-q4_k_m.gguf);
//   * a directory (or file:// URL): the file is taken from `<mirror>/<file name>`, verified,
//     then hard-linked to F (same file system; no extra space) or, where a link is impossible,
//     copied to F.partial and renamed: atomic either way.
// Catalog entries without a URL (test models) can only be fetched from a mirror.
//
// Errors name the file and URL: kInvalidArgument (a malformed URL), kNotFound (HTTP 404/410, or missing on a directory mirror),
// kFailedPrecondition (HTTP 401/403, or the file is being downloaded already, or no URL and no
// mirror), kUnavailable (network errors, timeouts, stalls, HTTP 5xx, corrupt or short data,
// I/O errors), kResourceExhausted (disk full: ENOSPC/EDQUOT), kCancelled (stop token or
// progress callback). When an HTTP download fails with bytes received (dropped connection,
// stall, disk full, cancel) the partial file is kept so the next call resumes; corrupt data
// deletes it, and so does any failed copy from a directory mirror.
//
// Thread-safety: thread-safe; Download/Fetch may run concurrently (each uses its own curl
// handle) as long as they target different files.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/catalog.h"
#include "foundry/runtime/model_cache.h"

namespace foundry::runtime {

struct DownloaderOptions {
  // "" (use catalog URLs), an http(s):// base URL, a file:// URL or a directory path. See top.
  std::string mirror;
  // Give up connecting to a server after this long (per attempt).
  std::chrono::milliseconds connect_timeout{30'000};
  // Abort an attempt whose speed stays below low_speed_bytes_per_s for low_speed_time: a
  // stalled connection. 0 bytes/s disables the check.
  uint32_t low_speed_bytes_per_s = 1024;
  std::chrono::milliseconds low_speed_time{60'000};
  // Attempts per call for retryable failures (>= 1), and the wait between them.
  uint32_t max_attempts = 3;
  std::chrono::milliseconds retry_delay{2'000};
  // Sent as `Authorization: Bearer <token>` for gated repositories (the caller reads HF_TOKEN).
  // curl drops it when a redirect leaves the original host.
  std::string bearer_token;
  std::string user_agent = "foundry/0.1";
  // Directory mirrors: hard-link files into the cache where possible (false: always copy).
  bool allow_hard_links = true;
};

struct DownloadProgress {
  std::string_view file_name;  // the catalog file name (valid during the callback only)
  uint64_t bytes_done = 0;     // including bytes kept from an earlier attempt
  uint64_t bytes_total = 0;    // 0 while unknown
};

// Return false to cancel (the download ends with kCancelled, keeping the partial file).
// Called from the downloading thread, at most every ~100 ms plus once at 0 and at completion.
using DownloadProgressCallback = std::function<bool(const DownloadProgress&)>;

// Per-call hooks. Both optional. Borrowed for the duration of the call.
struct DownloadControl {
  DownloadProgressCallback on_progress;
  std::stop_token stop;  // request_stop() cancels (within about a second when stalled)
};

struct DownloadResult {
  std::filesystem::path path;  // the final file
  uint64_t size_bytes = 0;
  std::string sha256;             // computed hex digest; empty when was_cached, or when a
                                  // directory-mirror file without a catalog hash was linked
  bool was_cached = false;        // the file was already there; nothing was fetched
  uint64_t resumed_from_bytes = 0;// bytes kept from an earlier partial (first attempt)
  uint32_t attempts = 0;          // network attempts made (0 for cached or directory mirror)
  std::string source;             // the URL or mirror path the bytes came from
};

// One file to fetch (what Download builds from a catalog entry; usable directly).
struct FetchRequest {
  std::string source;               // http(s) URL, or a local file path
  std::filesystem::path dest;       // final path; its folder is created
  std::string file_name;            // for progress and messages
  std::string sha256;               // expected hex digest, or empty
  std::optional<uint64_t> size_bytes;  // expected exact size, or unset
};

class Downloader {
 public:
  // kInvalidArgument: the mirror is neither an http(s)/file URL nor an existing directory, or
  // max_attempts is 0. kInternal: libcurl could not initialise.
  static Result<Downloader> Create(DownloaderOptions options);

  Downloader(Downloader&& other) noexcept;
  Downloader& operator=(Downloader&& other) noexcept;
  Downloader(const Downloader&) = delete;
  Downloader& operator=(const Downloader&) = delete;
  ~Downloader();

  const DownloaderOptions& options() const { return options_; }

  // Where `file` comes from: the mirror location when a mirror is set, else file.url.
  // kFailedPrecondition: no URL and no mirror.
  Result<std::string> SourceFor(const ModelFile& file) const;

  // Downloads `model` into cache.PathFor(model) (see the top of this file). `cache` is borrowed
  // for the call.
  Result<DownloadResult> Download(const CatalogModel& model, const ModelCache& cache,
                                  const DownloadControl& control = {}) const;

  // Fetches one file as described at the top; `request.source` is a URL or a local path.
  Result<DownloadResult> Fetch(const FetchRequest& request, const DownloadControl& control = {}) const;

 private:
  explicit Downloader(DownloaderOptions options) : options_(std::move(options)) {}
  // Fetch for a local source (directory mirror) and for an http(s) URL.
  Result<DownloadResult> FetchLocal(const FetchRequest& request, const DownloadControl& control) const;
  Result<DownloadResult> FetchHttp(const FetchRequest& request, const DownloadControl& control) const;

  DownloaderOptions options_;
  bool owns_curl_global_ = false;  // this object holds one curl_global_init reference
};

// Foundry Local's download progress line (the SDK-fixture format every known client parses):
// "Total 42.50% Downloading qwen2.5-0.5b-instruct-q4_k_m.gguf" (0.00% while the total is unknown).
std::string FoundryProgressLine(const DownloadProgress& progress);
// The line Foundry Local prints after the last file, before the final JSON object.
inline constexpr std::string_view kFoundryDownloadDoneLine = "[DONE] All Completed!";

}  // namespace foundry::runtime
