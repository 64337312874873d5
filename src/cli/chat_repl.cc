#include "cli/chat_repl.h"

#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/cli_common.h"
#include "cli/service_client.h"
#include "cli/store.h"

namespace foundry::cli {
namespace {

using nlohmann::json;

void Print(std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

// .NET TimeSpan text, as Foundry prints it: "00:00:05.6293161".
std::string TimeSpanText(std::chrono::nanoseconds d) {
  const int64_t ticks = d.count() / 100;  // one .NET tick = 100 ns
  const int64_t s = ticks / 10'000'000;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld.%07lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                (long long)(s % 60), (long long)(ticks % 10'000'000));
  return buf;
}

// Delivers SIGINT (Ctrl+C) to a callback on a thread of its own instead of killing the
// process. The constructor blocks SIGINT in the calling thread (so in threads created later
// too); the destructor stops the watcher and restores the mask.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void()> on_interrupt) : on_interrupt_(std::move(on_interrupt)) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    thread_ = std::thread([this, set] {
      for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (stopping_.load()) return;
        on_interrupt_();
      }
    });
  }
  ~InterruptWatcher() {
    stopping_.store(true);
    pthread_kill(thread_.native_handle(), SIGINT);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;

 private:
  std::function<void()> on_interrupt_;
  sigset_t old_mask_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The conversation with one model over the service.
class ChatSession {
 public:
  ChatSession(const ServiceEndpoint& service, std::string model_id, json sampling)
      : service_(service), model_id_(std::move(model_id)), sampling_(std::move(sampling)) {}

  // Ctrl+C: cancel the answer being streamed, or show a fresh prompt. Any thread.
  void Interrupt() {
    std::lock_guard<std::mutex> lock(mu_);
    if (active_) {
      cancelled_ = true;
      active_->stop();  // closes the socket: the read in Ask() returns, the service stops
    } else {
      Print("\n> ");
    }
  }

  // Sends `prompt` with the history and streams the answer to stdout.
  void Ask(const std::string& prompt) {
    json messages = history_;
    messages.push_back({{"role", "user"}, {"content", prompt}});
    json body = sampling_;
    body["model"] = model_id_;
    body["messages"] = messages;
    body["stream"] = true;

    httplib::Client client(service_.host == "0.0.0.0" ? "127.0.0.1" : service_.host, service_.port);
    client.set_read_timeout(3600, 0);
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_ = &client;
      cancelled_ = false;
    }
    Print("🧠 Thinking...\n🤖  ");
    std::string answer, buffer, error, error_body;
    int status = 0;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/chat/completions";
    req.headers = {{"Content-Type", "application/json"}, {"Accept", "text/event-stream"}};
    req.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
    req.response_handler = [&](const httplib::Response& r) {
      status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (status != 200) {
        error_body.append(data, n);
        return true;
      }
      buffer.append(data, n);
      for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
        std::string event = buffer.substr(0, end);
        buffer.erase(0, end + 2);
        if (!event.starts_with("data: ") || event == "data: [DONE]") continue;
        json j = json::parse(event.substr(6), nullptr, false);
        if (!j.is_object()) continue;
        if (j.contains("error")) {
          error = j["error"].value("message", "the service reported an error");
          continue;
        }
        if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) continue;
        const json& delta = j["choices"][0]["delta"];
        if (delta.is_object() && delta.contains("content") && delta["content"].is_string()) {
          const std::string piece = delta["content"];
          answer += piece;
          Print(piece);
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      return !cancelled_;
    };
    auto r = client.send(req);
    bool cancelled;
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_ = nullptr;
      cancelled = cancelled_;
    }
    if (cancelled) {
      Print("\n(generation cancelled)\n");
      return;  // the turn is dropped
    }
    Print("\n");
    if (!r) {
      std::fprintf(stderr, "error: request to the service at %s failed: %s\n", service_.url.c_str(),
                   httplib::to_string(r.error()).c_str());
      return;
    }
    if (status != 200) error = StatusFromReply(status, error_body).message();
    if (!error.empty()) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      return;
    }
    history_ = std::move(messages);
    history_.push_back({{"role", "assistant"}, {"content", answer}});
  }

 private:
  const ServiceEndpoint service_;
  const std::string model_id_;
  const json sampling_;
  json history_ = json::array();
  std::mutex mu_;
  httplib::Client* active_ = nullptr;  // guarded by mu_: the client of the answer in progress
  bool cancelled_ = false;             // guarded by mu_
};

constexpr char kHelp[] =
    "Commands:\n"
    "  /? or /help   Show this help\n"
    "  /exit         Leave the chat\n"
    "  Ctrl+C        Cancel the answer being generated\n"
    "  Ctrl+D        Leave the chat\n";

// Downloads `model` through the service with a progress bar on stderr (a terminal) or nothing.
Status Download(const ServiceEndpoint& service, const runtime::CatalogModel& model) {
  std::printf("Downloading %s...\n", model.id.c_str());
  std::fflush(stdout);
  const bool tty = ::isatty(2);
  Status st = DownloadThroughService(service, model.id, [tty](double pct) {
    if (!tty) return;
    const int width = 30, filled = int(pct / 100 * width);
    std::fprintf(stderr, "\r[%s%s] %6.2f%%", std::string(size_t(filled), '#').c_str(),
                 std::string(size_t(width - filled), ' ').c_str(), pct);
  });
  if (tty) std::fprintf(stderr, "\n");
  return st;
}

}  // namespace

int RunInteractiveChat(const FoundryHome& home, const ChatFlags& flags) {
  auto store = OpenStore(home);
  if (!store.ok()) return Fail(store.status());
  std::string model_id;
  const runtime::CatalogModel* to_download = nullptr;
  if (auto cached = (*store)->cache->Find(flags.model, (*store)->hw); cached.ok()) {
    model_id = cached->id;
  } else {
    auto m = (*store)->catalog.Resolve(flags.model, (*store)->hw);
    if (!m.ok())
      return Fail(Status::NotFound("model '" + flags.model +
                                   "' is neither cached nor in the catalog (see `foundry model list`)"));
    model_id = (*m)->id;
    to_download = *m;
  }
  auto service = EnsureService(home);
  if (!service.ok()) return Fail(service.status());
  if (to_download) {
    if (Status st = Download(*service, *to_download); !st.ok()) return Fail(st);
  } else {
    std::printf("Model %s was found in the local cache.\n", model_id.c_str());
  }
  Print("🕕 Loading model...\n");
  const auto t0 = std::chrono::steady_clock::now();
  if (Status st = LoadThroughService(*service, model_id, flags.ttl_seconds); !st.ok()) return Fail(st);
  if (flags.verbose)
    std::printf("Time cost to load model: %s\n", TimeSpanText(std::chrono::steady_clock::now() - t0).c_str());
  std::printf("🟢 Model %s loaded successfully\n\n", flags.model.c_str());
  std::printf("Interactive Chat. Enter /? or /help for help.\n");
  std::printf("Press Ctrl+C to cancel generation. Type /exit to leave the chat.\n\n");
  std::printf("Interactive mode, please enter your prompt\n");
  std::fflush(stdout);

  ChatSession session(*service, model_id, flags.sampling);
  InterruptWatcher watcher([&session] { session.Interrupt(); });
  for (;;) {
    Print("> ");
    std::string line;
    if (!std::getline(std::cin, line)) {
      Print("\n");  // Ctrl+D
      return 0;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line == "/exit") return 0;
    if (line == "/?" || line == "/help") {
      Print(kHelp);
      continue;
    }
    session.Ask(line);
  }
}

}  // namespace foundry::cli
