#include "runtime/downloader_http.h"

#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <new>
#include <optional>

namespace foundry::runtime::internal {
namespace {

// Progress is reported at most this often (plus the first byte); a terminal redraws no faster.
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// State shared with the curl callbacks of one transfer.
struct Transfer {
  HttpAttempt* a = nullptr;
  CURL* curl = nullptr;
  bool started = false;  // first body byte seen
  std::optional<Status> stop;     // why a callback aborted the transfer (cancel, I/O, bad range)
  // Last response's Content-Range (re-read at each status line: redirects send several).
  std::optional<uint64_t> range_start, range_total;
  std::chrono::steady_clock::time_point last_report{};

  bool Report(bool force) {
    const DownloadControl& c = *a->control;
    auto now = std::chrono::steady_clock::now();
    if (!c.on_progress || (!force && now - last_report < kProgressInterval)) return true;
    last_report = now;
    uint64_t total = a->bytes_total ? a->bytes_total : a->expected_total;
    return c.on_progress(DownloadProgress{.file_name = a->file_name, .bytes_done = a->bytes_done, .bytes_total = total});
  }

  // At the first body byte: how does this response relate to what we asked for?
  Status Start() {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_off_t length = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    if (code == 206) {
      if (!range_start || *range_start != a->offset)
        return Status::Unavailable("the server answered the range request for bytes " +
                                   std::to_string(a->offset) + "- with " +
                                   (range_start ? "bytes " + std::to_string(*range_start) + "-" : "no Content-Range"));
      a->bytes_total = range_total ? *range_total : (length >= 0 ? a->offset + static_cast<uint64_t>(length) : 0);
    } else {
      if (a->offset > 0) {
        // The server ignored the Range header and sends the whole file: start over.
        FOUNDRY_RETURN_IF_ERROR(a->out->TruncateTo(0));
        FOUNDRY_RETURN_IF_ERROR(a->hash->Reset());
        a->bytes_done = 0;
      }
      a->bytes_total = length >= 0 ? static_cast<uint64_t>(length) : 0;
    }
    return Status::Ok();
  }
};

// Parses "bytes <start>-<end>/<total>" (206) or "bytes */<total>" (416); a "*" total is unknown.
void ParseContentRange(std::string_view v, Transfer& t) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (!v.starts_with("bytes ")) return;
  v.remove_prefix(6);
  auto number = [](std::string_view s) -> std::optional<uint64_t> {
    if (s.empty() || s.size() > 19) return std::nullopt;  // 19 digits always fit in uint64_t
    uint64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    return n;
  };
  size_t slash = v.find('/');
  if (slash == std::string_view::npos) return;
  std::string_view total = v.substr(slash + 1);
  while (!total.empty() && (total.back() == '\r' || total.back() == '\n' || total.back() == ' ')) total.remove_suffix(1);
  t.range_total = number(total);
  size_t dash = v.find('-');
  if (dash != std::string_view::npos && dash < slash) t.range_start = number(v.substr(0, dash));  // else "*/<total>" (416)
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    t.range_start.reset();
    t.range_total.reset();
  } else if (line.size() > 14 && strncasecmp(line.data(), "content-range:", 14) == 0) {
    ParseContentRange(line.substr(14), t);
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  try {
    if (!t.started) {
      t.started = true;
      if (Status st = t.Start(); !st.ok()) {
        t.stop = st;
        return 0;  // != bytes: curl aborts with CURLE_WRITE_ERROR
      }
    }
    auto chunk = std::as_bytes(std::span<const char>(data, bytes));
    if (Status st = t.a->out->Append(chunk); !st.ok()) {
      t.stop = st;
      return 0;
    }
    if (Status st = t.a->hash->Update(chunk); !st.ok()) {
      t.stop = st;
      return 0;
    }
    t.a->bytes_done += bytes;
    if (!t.Report(false)) {
      t.stop = Status::Cancelled("download of " + std::string(t.a->file_name) + " cancelled");
      return 0;
    }
    return bytes;
  } catch (const std::bad_alloc&) {
    t.stop = Status::ResourceExhausted("out of memory while downloading");
  } catch (const std::exception& e) {
    t.stop = Status::Internal(std::string("progress callback threw: ") + e.what());
  } catch (...) {
    t.stop = Status::Internal("progress callback threw");
  }
  return 0;
}

// Called by curl about once a second even when no data flows, so a stop is noticed on a stall.
int OnXferInfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
  auto& t = *static_cast<Transfer*>(user);
  if (t.a->control->stop.stop_requested()) {
    t.stop = Status::Cancelled("download of " + std::string(t.a->file_name) + " cancelled");
    return 1;
  }
  return 0;
}

// HTTP error status -> Status code and whether trying again may help.
Status HttpError(long code, const std::string& where, bool* retryable) {
  std::string msg = where + ": HTTP " + std::to_string(code);
  *retryable = false;
  if (code == 404 || code == 410) return Status::NotFound(msg + " (no such file on the server)");
  if (code == 401 || code == 403)
    return Status::FailedPrecondition(msg + " (access denied; a gated repository needs an access token "
                                            "and its license accepted)");
  if (code == 408 || code == 429 || code >= 500) {
    *retryable = true;
    return Status::Unavailable(msg + " (server busy or failing)");
  }
  return Status::Unavailable(msg);
}

}  // namespace

Status HttpGet(HttpAttempt& a) {
  const DownloaderOptions& o = *a.options;
  const std::string where = "downloading " + std::string(a.file_name) + " from " + std::string(a.url);
  a.bytes_done = a.offset;
  a.bytes_total = 0;
  a.retryable = false;
  a.range_not_satisfiable = false;

  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) return Status::Internal("curl_easy_init failed");
  Transfer t;
  t.a = &a;
  t.curl = curl.get();
  char errbuf[CURL_ERROR_SIZE] = {};
  std::string url(a.url), range = std::to_string(a.offset) + "-";
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM: we run on service threads
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);  // huggingface.co redirects to its CDN
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);  // >= 400: error, and no error page in the file
  curl_easy_setopt(c, CURLOPT_USERAGENT, o.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  if (o.low_speed_bytes_per_s > 0) {
    // curl counts the window in whole seconds; round up so 1500 ms does not become 1 s.
    long secs = static_cast<long>((o.low_speed_time.count() + 999) / 1000);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(o.low_speed_bytes_per_s));
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, secs < 1 ? 1L : secs);
  }
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!o.bearer_token.empty()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, o.bearer_token.c_str());
  }
  // A plain Range header rather than CURLOPT_RESUME_FROM: with RESUME_FROM curl itself fails
  // a 200 reply, while we want to accept it and restart the file.
  if (a.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnXferInfo);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

  CURLcode rc = curl_easy_perform(c);
  if (t.stop) return t.stop->WithContext(where);  // cancelled, disk full, bad range: not retried
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  std::string detail = errbuf[0] ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  switch (rc) {
    case CURLE_OK:
      if (!t.started) {
        // A 2xx reply with an empty body: fine when the file is empty or already complete.
        if (Status st = t.Start(); !st.ok()) return st.WithContext(where);
      }
      return Status::Ok();
    case CURLE_HTTP_RETURNED_ERROR:
      if (code == 416) {
        a.range_not_satisfiable = true;
        a.bytes_total = t.range_total.value_or(0);  // "Content-Range: bytes */<size>"
        return Status::Unavailable(where + ": HTTP 416 (range " + range + " not satisfiable)");
      }
      return HttpError(code, where, &a.retryable);
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Status::InvalidArgument(where + ": " + detail);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Status::Unavailable(where + ": " + detail +
                                 " (offline? a model mirror can serve the files instead)");
    case CURLE_TOO_MANY_REDIRECTS:
      return Status::Unavailable(where + ": " + detail);
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_COULDNT_CONNECT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      a.retryable = true;
      return Status::Unavailable(where + ": " + detail + " (after " + std::to_string(a.bytes_done) +
                                 (a.bytes_total ? " of " + std::to_string(a.bytes_total) : std::string()) +
                                 " bytes)");
    default:
      return Status::Unavailable(where + ": " + detail);
  }
}

}  // namespace foundry::runtime::internal
