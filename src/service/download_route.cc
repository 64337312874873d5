#include "service/download_route.h"

#include <chrono>
#include <memory>
#include <thread>
#include <nlohmann/json.hpp>
#include <string>

#include "service/http_util.h"

namespace foundry::service {
namespace {

using nlohmann::json;

// The value of `key` in `obj`, compared ASCII case-insensitively (the SDKs send "Name"; a
// hand-written request may say "name").
const json* FindKey(const json& obj, std::string_view key) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() != key.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) == std::tolower(static_cast<unsigned char>(key[i]));
    if (same) return &*it;
  }
  return nullptr;
}

std::string ResultJson(const Status& st) {
  // Key order as Foundry Local writes it: {"success":true,"errorMessage":null}.
  using ordered = nlohmann::ordered_json;
  ordered j = st.ok() ? ordered{{"success", true}, {"errorMessage", nullptr}}
                      : ordered{{"success", false}, {"errorMessage", st.message()}, {"error", st.message()}};
  return j.dump(-1, ' ', false, ordered::error_handler_t::replace);
}

// Progress lines are sent at most this often (the downloader reports every ~100 ms).
constexpr auto kProgressInterval = std::chrono::milliseconds(100);
// The pause before the closing lines and before the result. The JS SDK parses each read() of
// the body as a whole: it takes the first percentage of a read and recognises the result only
// in a read that starts with '{'. Bytes that arrive back to back are merged into one read, so
// without a pause the result of a fast (e.g. cached or local-mirror) download would be glued to
// the progress lines and lost ("No JSON data received!"). The client's read loop is idle,
// waiting on the socket, so a fraction of a second separates the reads reliably.
constexpr auto kClosingPause = std::chrono::milliseconds(250);

}  // namespace

void HandleDownload(const httplib::Request& req, httplib::Response& res, const ServiceHooks& hooks) {
  if (!hooks.prepare_download)
    return SendError(res, Status::Unimplemented("this service has no model catalog to download from"));
  auto body = ParseBody(req);
  if (!body.ok()) return SendError(res, body.status());
  const json* model = FindKey(*body, "model");
  if (!model || !model->is_object())
    return SendError(res, Status::InvalidArgument("'model' must be an object with the model's Name"), "model");
  const json* name = FindKey(*model, "name");
  if (!name || !name->is_string() || name->get<std::string>().empty())
    return SendError(res, Status::InvalidArgument("'model.Name' must be a non-empty string"), "model.Name");
  auto job = hooks.prepare_download(name->get<std::string>());
  if (!job.ok()) return SendError(res, job.status(), "model.Name");

  auto shared_job = std::make_shared<DownloadJob>(std::move(job).value());
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider(
      // Not text/*: cpp-httplib gzips/brotlis text replies for clients that accept it (Node's
      // fetch does), and the compressor holds the lines back until the end.
      "application/octet-stream", [shared_job](size_t, httplib::DataSink& sink) {
        bool connected = true;
        auto write = [&](const std::string& s) {
          connected = connected && sink.write(s.data(), s.size());
          return connected;
        };
        std::string last_line;
        auto last_sent = std::chrono::steady_clock::time_point{};
        Status st = shared_job->run([&](const runtime::DownloadProgress& p) {
          // 100% is sent with the closing lines below.
          if (p.bytes_total == 0 || p.bytes_done >= p.bytes_total) return connected;
          const std::string line = runtime::FoundryProgressLine(p) + "\n";
          const auto now = std::chrono::steady_clock::now();
          if (line == last_line || now - last_sent < kProgressInterval) return connected;
          last_line = line;
          last_sent = now;
          return write(line);  // false: the client left, cancel the download
        });
        if (!connected) return false;
        std::this_thread::sleep_for(kClosingPause);
        if (st.ok()) {
          const runtime::DownloadProgress done{.file_name = shared_job->file_name, .bytes_done = 1, .bytes_total = 1};
          write(runtime::FoundryProgressLine(done) + "\n" + std::string(runtime::kFoundryDownloadDoneLine) + "\n");
          std::this_thread::sleep_for(kClosingPause);
        }
        write(ResultJson(st));
        sink.done();
        return true;
      });
}

}  // namespace foundry::service
