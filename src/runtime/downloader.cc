#include "foundry/runtime/downloader.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <system_error>
#include <utility>

#include "foundry/core/mapped_file.h"
#include "foundry/runtime/sha256.h"
#include "runtime/downloader_file.h"
#include "runtime/downloader_http.h"

namespace foundry::runtime {
namespace {

namespace fs = std::filesystem;
using internal::ErrnoStatus;
using internal::PartialFile;

// Copying and re-hashing work in slices this big: large enough for full disk speed, small
// enough that progress and cancellation stay responsive.
constexpr size_t kSliceBytes = size_t{8} << 20;
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

bool IsHttpUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

// A local mirror path: "file://" stripped.
std::string LocalPath(std::string_view s) {
  if (s.starts_with("file://")) s.remove_prefix(7);
  return std::string(s);
}

fs::path PartialPath(const fs::path& dest) {
  fs::path p = dest;
  p += ".partial";
  return p;
}

// Throttled progress + cancellation for the local paths (HTTP has its own inside curl's
// callbacks). Returns false when the caller should stop.
class Reporter {
 public:
  Reporter(const DownloadControl& control, std::string_view file_name)
      : control_(control), file_name_(file_name) {}
  bool operator()(uint64_t done, uint64_t total, bool force) {
    if (control_.stop.stop_requested()) return false;
    if (!control_.on_progress) return true;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < kProgressInterval) return true;
    last_ = now;
    return control_.on_progress(DownloadProgress{.file_name = file_name_, .bytes_done = done, .bytes_total = total});
  }

 private:
  const DownloadControl& control_;
  std::string_view file_name_;
  std::chrono::steady_clock::time_point last_{};
};

Status Cancelled(const FetchRequest& r) { return Status::Cancelled("download of " + r.file_name + " cancelled"); }

// Sleeps `d` unless `stop` is requested first. False if stopped.
bool WaitUnlessStopped(std::chrono::milliseconds d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  cv.wait_for(lock, stop, d, [] { return false; });
  return !stop.stop_requested();
}

// Size and (when computed: non-null) hash of a finished file against what the request
// expects. The message says the data was bad and where it came from.
Status CheckExpected(const FetchRequest& r, uint64_t size, const std::string* sha256) {
  if (r.size_bytes && size != *r.size_bytes)
    return Status::Unavailable(r.file_name + " from " + r.source + " is " + std::to_string(size) +
                               " bytes, but the catalog expects " + std::to_string(*r.size_bytes));
  if (sha256 && !r.sha256.empty() && *sha256 != r.sha256)
    return Status::Unavailable(r.file_name + " from " + r.source + " is corrupt: sha256 " + *sha256 +
                               ", the catalog expects " + r.sha256);
  return Status::Ok();
}

// Abandons a partial file whose bytes are bad: deleted, so the next attempt starts clean.
Status DiscardCorrupt(PartialFile& part, Status why) {
  std::error_code ec;
  fs::remove(part.path(), ec);
  (void)part.Close();
  return Status(why.code(), why.message() + "; the download was deleted");
}

// A failed attempt: with `have` == 0 the partial is removed; else it is kept for resuming.
Status KeepPartial(PartialFile& part, uint64_t have, Status why) {
  if (have == 0) {
    std::error_code ec;
    fs::remove(part.path(), ec);
    (void)part.Close();
    return why;
  }
  (void)part.Close();
  return Status(why.code(), why.message() + "; " + std::to_string(have) + " bytes are kept in " +
                                part.path().string() + " and the next download resumes from there");
}

Result<DownloadResult> Publish(PartialFile& part, const FetchRequest& r, uint64_t size, std::string sha256) {
  FOUNDRY_RETURN_IF_ERROR(part.Sync());
  FOUNDRY_RETURN_IF_ERROR(internal::RenameIntoPlace(part.path(), r.dest));
  FOUNDRY_RETURN_IF_ERROR(part.Close());
  return DownloadResult{.path = r.dest, .size_bytes = size, .sha256 = std::move(sha256), .source = r.source};
}

// Hashes the first `size` bytes already in a partial file (to continue the hash on resume).
Status HashExisting(const fs::path& path, uint64_t size, Sha256& hash) {
  FOUNDRY_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  if (file.size() < size) return Status::Unavailable(path.string() + " shrank while being read");
  auto bytes = file.bytes().first(static_cast<size_t>(size));
  for (size_t off = 0; off < bytes.size(); off += kSliceBytes)
    FOUNDRY_RETURN_IF_ERROR(hash.Update(bytes.subspan(off, std::min(kSliceBytes, bytes.size() - off))));
  return Status::Ok();
}

}  // namespace

Result<Downloader> Downloader::Create(DownloaderOptions options) {
  if (options.max_attempts == 0) return Status::InvalidArgument("max_attempts must be at least 1");
  const std::string& m = options.mirror;
  if (!m.empty() && !IsHttpUrl(m)) {
    std::error_code ec;
    fs::path dir = LocalPath(m);
    if (!fs::is_directory(dir, ec))
      return Status::InvalidArgument("model mirror '" + m +
                                     "' is neither an http(s):// URL nor an existing directory");
  }
  while (options.mirror.size() > 1 && options.mirror.back() == '/') options.mirror.pop_back();
  // curl_global_init is reference counted; each Downloader holds one reference.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return Status::Internal("libcurl failed to initialise");
  Downloader d(std::move(options));
  d.owns_curl_global_ = true;
  return d;
}

Downloader::Downloader(Downloader&& other) noexcept
    : options_(std::move(other.options_)), owns_curl_global_(std::exchange(other.owns_curl_global_, false)) {}

Downloader& Downloader::operator=(Downloader&& other) noexcept {
  if (this != &other) {
    if (owns_curl_global_) curl_global_cleanup();
    options_ = std::move(other.options_);
    owns_curl_global_ = std::exchange(other.owns_curl_global_, false);
  }
  return *this;
}

Downloader::~Downloader() {
  if (owns_curl_global_) curl_global_cleanup();
}

Result<std::string> Downloader::SourceFor(const ModelFile& file) const {
  const std::string& m = options_.mirror;
  if (m.empty()) {
    if (file.url.empty())
      return Status::FailedPrecondition(file.name + " has no download URL: it is only available from a model mirror "
                                        "(set FOUNDRY_MODEL_MIRROR to a folder or URL that holds it)");
    return file.url;
  }
  if (IsHttpUrl(m)) return m + "/" + file.name;
  return (fs::path(LocalPath(m)) / file.name).string();
}

Result<DownloadResult> Downloader::Download(const CatalogModel& model, const ModelCache& cache,
                                            const DownloadControl& control) const {
  Result<std::string> source = SourceFor(model.file);
  if (!source.ok()) return source.status().WithContext(model.id);
  FetchRequest r{.source = std::move(source).value(),
                 .dest = cache.PathFor(model),
                 .file_name = model.file.name,
                 .sha256 = model.file.sha256,
                 .size_bytes = model.file.size_bytes};
  Result<DownloadResult> res = Fetch(r, control);
  if (!res.ok()) return res.status().WithContext(model.id);
  return res;
}

Result<DownloadResult> Downloader::Fetch(const FetchRequest& r, const DownloadControl& control) const {
  if (control.stop.stop_requested()) return Cancelled(r);
  std::error_code ec;
  if (fs::is_regular_file(r.dest, ec)) {
    uint64_t size = static_cast<uint64_t>(fs::file_size(r.dest, ec));
    return DownloadResult{.path = r.dest, .size_bytes = ec ? 0 : size, .was_cached = true, .source = r.source};
  }
  fs::create_directories(r.dest.parent_path(), ec);
  if (ec) return ErrnoStatus(ec.value(), "cannot create " + r.dest.parent_path().string());
  return IsHttpUrl(r.source) ? FetchHttp(r, control) : FetchLocal(r, control);
}

Result<DownloadResult> Downloader::FetchLocal(const FetchRequest& r, const DownloadControl& control) const {
  const fs::path src = LocalPath(r.source);
  std::error_code ec;
  if (!fs::is_regular_file(src, ec))
    return Status::NotFound("the model mirror has no " + r.file_name + " (looked for " + src.string() + ")");
  const uint64_t size = static_cast<uint64_t>(fs::file_size(src, ec));
  if (ec) return ErrnoStatus(ec.value(), "cannot read " + src.string());
  FOUNDRY_RETURN_IF_ERROR(CheckExpected(r, size, nullptr));  // size only: no hash yet
  Reporter report(control, r.file_name);
  if (!report(0, size, true)) return Cancelled(r);

  if (options_.allow_hard_links) {
    // Verify the mirror's file, then link it into place: one atomic step, no copy.
    std::string digest;
    if (!r.sha256.empty()) {
      Result<std::string> h = Sha256File(src, [&](uint64_t done) { return report(done, size, false); });
      if (!h.ok()) return h.status().code() == StatusCode::kCancelled ? Cancelled(r) : h.status();
      digest = std::move(h).value();
      FOUNDRY_RETURN_IF_ERROR(CheckExpected(r, size, &digest));
    }
    if (::link(src.c_str(), r.dest.c_str()) == 0) {
      FOUNDRY_RETURN_IF_ERROR(internal::SyncDirectory(r.dest.parent_path()));
      (void)report(size, size, true);
      return DownloadResult{.path = r.dest, .size_bytes = size, .sha256 = digest, .source = r.source};
    }
    if (errno == EEXIST)  // finished by someone else meanwhile
      return DownloadResult{.path = r.dest, .size_bytes = size, .was_cached = true, .source = r.source};
    // EXDEV (another file system), EPERM (protected_hardlinks), ...: copy instead.
  }

  FOUNDRY_ASSIGN_OR_RETURN(PartialFile part, PartialFile::Open(PartialPath(r.dest)));
  FOUNDRY_RETURN_IF_ERROR(part.TruncateTo(0));
  FOUNDRY_ASSIGN_OR_RETURN(MappedFile in, MappedFile::Open(src));
  FOUNDRY_ASSIGN_OR_RETURN(Sha256 hash, Sha256::Create());
  auto bytes = in.bytes();
  for (size_t off = 0; off < bytes.size(); off += kSliceBytes) {
    auto slice = bytes.subspan(off, std::min(kSliceBytes, bytes.size() - off));
    // A local copy always starts from byte 0, so a failed one is not worth keeping.
    if (Status st = part.Append(slice); !st.ok()) return KeepPartial(part, 0, st);
    FOUNDRY_RETURN_IF_ERROR(hash.Update(slice));
    if (!report(off + slice.size(), size, false)) return KeepPartial(part, 0, Cancelled(r));
  }
  FOUNDRY_ASSIGN_OR_RETURN(std::string digest, hash.HexDigest());
  if (Status st = CheckExpected(r, bytes.size(), &digest); !st.ok()) return DiscardCorrupt(part, st);
  FOUNDRY_ASSIGN_OR_RETURN(DownloadResult res, Publish(part, r, bytes.size(), digest));
  (void)report(size, size, true);
  return res;
}

Result<DownloadResult> Downloader::FetchHttp(const FetchRequest& r, const DownloadControl& control) const {
  FOUNDRY_ASSIGN_OR_RETURN(PartialFile part, PartialFile::Open(PartialPath(r.dest)));
  FOUNDRY_ASSIGN_OR_RETURN(uint64_t have, part.Size());
  FOUNDRY_ASSIGN_OR_RETURN(Sha256 hash, Sha256::Create());
  if (have > 0 && ((r.size_bytes && have > *r.size_bytes) || !HashExisting(part.path(), have, hash).ok())) {
    // Longer than the file can be, or unreadable: not worth resuming.
    FOUNDRY_RETURN_IF_ERROR(part.TruncateTo(0));
    FOUNDRY_RETURN_IF_ERROR(hash.Reset());
    have = 0;
  }
  DownloadResult result{.resumed_from_bytes = have};
  const uint64_t expected = r.size_bytes.value_or(0);
  Reporter report(control, r.file_name);
  if (!report(have, expected, true)) return KeepPartial(part, have, Cancelled(r));

  internal::HttpAttempt a{.url = r.source,
                          .file_name = r.file_name,
                          .expected_total = expected,
                          .out = &part,
                          .hash = &hash,
                          .options = &options_,
                          .control = &control};
  for (uint32_t attempt = 1;; ++attempt) {
    result.attempts = attempt;
    FOUNDRY_RETURN_IF_ERROR(part.SeekTo(have));
    a.offset = have;
    Status st = internal::HttpGet(a);
    have = a.bytes_done;
    if (st.ok()) break;
    if (a.range_not_satisfiable && have > 0) {
      // Nothing left to send: the partial may already be the whole file (we died before the
      // rename). If it checks out, publish it; otherwise start over from byte 0. Without a
      // catalog size or hash, the size the 416 reply announces is the only check there is.
      FOUNDRY_ASSIGN_OR_RETURN(std::string digest, hash.HexDigest());
      bool can_check = r.size_bytes || !r.sha256.empty();
      if (can_check ? CheckExpected(r, have, &digest).ok() : a.bytes_total == have) {
        FOUNDRY_ASSIGN_OR_RETURN(DownloadResult done, Publish(part, r, have, digest));
        done.resumed_from_bytes = result.resumed_from_bytes;
        done.attempts = attempt;
        (void)report(have, have, true);
        return done;
      }
      FOUNDRY_RETURN_IF_ERROR(part.TruncateTo(0));
      FOUNDRY_RETURN_IF_ERROR(hash.Reset());
      have = 0;
      if (attempt < options_.max_attempts) continue;
      return KeepPartial(part, have, st);
    }
    if (st.code() == StatusCode::kCancelled || !a.retryable || attempt >= options_.max_attempts)
      return KeepPartial(part, have, st);
    if (!WaitUnlessStopped(options_.retry_delay, control.stop)) return KeepPartial(part, have, Cancelled(r));
  }

  FOUNDRY_ASSIGN_OR_RETURN(std::string digest, hash.HexDigest());
  if (a.bytes_total && have != a.bytes_total)
    return KeepPartial(part, have,
                       Status::Unavailable("downloading " + r.file_name + " from " + r.source + ": got " +
                                           std::to_string(have) + " of " + std::to_string(a.bytes_total) + " bytes"));
  if (Status st = CheckExpected(r, have, &digest); !st.ok()) return DiscardCorrupt(part, st);
  FOUNDRY_ASSIGN_OR_RETURN(DownloadResult done, Publish(part, r, have, digest));
  done.resumed_from_bytes = result.resumed_from_bytes;
  done.attempts = result.attempts;
  (void)report(have, have, true);
  return done;
}

std::string FoundryProgressLine(const DownloadProgress& p) {
  double pct = p.bytes_total ? 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0.0;
  pct = std::clamp(pct, 0.0, 100.0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", pct);
  return "Total " + std::string(buf) + "% Downloading " + std::string(p.file_name);
}

}  // namespace foundry::runtime
