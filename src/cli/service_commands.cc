#include "cli/service_commands.h"

#include <algorithm>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/cli_common.h"
#include "cli/store.h"
#include "foundry/runtime/chat/model_chat_template.h"
#include "foundry/service/server.h"

namespace foundry::cli {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kDefaultPort = 5273;

struct Settings {
  std::string host = "127.0.0.1";
  int port = kDefaultPort;
  fs::path cache_dir;
  int ttl_seconds = 600;
  // Serving (docs/serving.md): sequences generated at once per model, requests waiting beyond
  // them, KV cache per model (0: room for two full contexts), prompt-prefix reuse.
  int parallel = 8;
  int max_queued = 32;
  int kv_cache_mib = 0;
  bool prefix_cache = true;
};

fs::path SettingsPath(const FoundryHome& h) { return h.dir / "settings.json"; }
fs::path EndpointPath(const FoundryHome& h) { return h.dir / "service.json"; }
fs::path LogPath(const FoundryHome& h) { return h.dir / "logs" / "service.log"; }

json ReadJsonFile(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return json();
  return json::parse(in, nullptr, false);
}

Status WriteJsonFile(const fs::path& p, const json& j) {
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) return Status::Unavailable("cannot write " + tmp.string());
  }
  fs::rename(tmp, p, ec);
  if (ec) return Status::Unavailable("cannot write " + p.string() + ": " + ec.message());
  return Status::Ok();
}

Settings LoadSettings(const FoundryHome& h) {
  Settings s;
  s.cache_dir = h.dir / "cache" / "models";
  json j = ReadJsonFile(SettingsPath(h));
  if (j.is_object() && j.contains("serviceSettings") && j["serviceSettings"].is_object()) {
    const json& ss = j["serviceSettings"];
    if (ss.contains("host") && ss["host"].is_string()) s.host = ss["host"];
    if (ss.contains("port") && ss["port"].is_number_integer()) s.port = ss["port"];
    if (ss.contains("cacheDirectoryPath") && ss["cacheDirectoryPath"].is_string())
      s.cache_dir = ss["cacheDirectoryPath"].get<std::string>();
    if (ss.contains("defaultSecondsForModelTTL") && ss["defaultSecondsForModelTTL"].is_number_integer())
      s.ttl_seconds = ss["defaultSecondsForModelTTL"];
    if (ss.contains("parallelRequests") && ss["parallelRequests"].is_number_integer())
      s.parallel = std::clamp(ss["parallelRequests"].get<int>(), 1, 256);
    if (ss.contains("maxQueuedRequests") && ss["maxQueuedRequests"].is_number_integer())
      s.max_queued = std::clamp(ss["maxQueuedRequests"].get<int>(), 0, 4096);
    if (ss.contains("kvCacheMiB") && ss["kvCacheMiB"].is_number_integer())
      s.kv_cache_mib = std::max(ss["kvCacheMiB"].get<int>(), 0);
    if (ss.contains("prefixCache") && ss["prefixCache"].is_boolean()) s.prefix_cache = ss["prefixCache"];
  }
  return s;
}

json SettingsJson(const Settings& s) {
  return {{"defaultLogLevel", 2},
          {"serviceSettings",
           {{"host", s.host},
            {"port", s.port},
            {"cacheDirectoryPath", s.cache_dir.string()},
            {"schema", "http"},
            {"pipeName", "inference_agent"},
            {"defaultSecondsForModelTTL", s.ttl_seconds},
            {"initialConnectionTimeoutInSeconds", 6},
            {"parallelRequests", s.parallel},
            {"maxQueuedRequests", s.max_queued},
            {"kvCacheMiB", s.kv_cache_mib},
            {"prefixCache", s.prefix_cache}}}};
}

using Endpoint = ServiceEndpoint;

std::optional<Endpoint> ReadEndpoint(const FoundryHome& h) {
  json j = ReadJsonFile(EndpointPath(h));
  if (!j.is_object() || !j.contains("pid") || !j.contains("host") || !j.contains("port")) return std::nullopt;
  Endpoint e;
  e.pid = j["pid"].get<pid_t>();
  e.host = j["host"];
  e.port = j["port"];
  e.url = "http://" + e.host + ":" + std::to_string(e.port);
  return e;
}

// True if a foundry service answers /openai/status at host:port within `timeout`.
bool Answers(const std::string& host, int port, std::chrono::milliseconds timeout) {
  httplib::Client c(host == "0.0.0.0" ? "127.0.0.1" : host, port);
  c.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  c.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  auto r = c.Get("/openai/status");
  return r && r->status == 200;
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// The running service, if its endpoint file names a live process that answers.
std::optional<Endpoint> Running(const FoundryHome& h) {
  auto e = ReadEndpoint(h);
  if (!e || !ProcessAlive(e->pid)) return std::nullopt;
  if (!Answers(e->host, e->port, std::chrono::milliseconds(1500))) return std::nullopt;
  return e;
}

void PrintNotRunning() {
  std::printf("🔴 Model management service is not running!\n");
  std::printf("To start the service, run the following command: foundry service start\n");
}

int Status_(const FoundryHome& h) {
  auto e = Running(h);
  if (!e) {
    PrintNotRunning();
    return 0;
  }
  std::printf("🟢 Model management service is running on %s/openai/status\n", e->url.c_str());
  return 0;
}

int Start(const FoundryHome& h) {
  if (auto e = Running(h)) {
    std::printf("🟢 Service is already running on %s/.\n", e->url.c_str());
    return 0;
  }
  auto started = StartService(h);
  return started.ok() ? 0 : Fail(started.status());
}

}  // namespace

std::optional<ServiceEndpoint> RunningService(const FoundryHome& home) { return Running(home); }

Result<ServiceEndpoint> StartService(const FoundryHome& h) {
  const Settings s = LoadSettings(h);
  std::error_code ec;
  fs::create_directories(LogPath(h).parent_path(), ec);
  pid_t child = ::fork();
  if (child < 0) return Status::Unavailable(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // Detach: own session, stdio to the log, then become `foundry service run`.
    ::setsid();
    int fd = ::open(LogPath(h).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    const std::string exe = h.exe.string();
    ::execl(exe.c_str(), exe.c_str(), "service", "run", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  // Wait until it answers (or dies).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int wstatus = 0;
    if (::waitpid(child, &wstatus, WNOHANG) == child)
      return Status::Unavailable("the service exited during startup; see " + LogPath(h).string());
    if (auto e = ReadEndpoint(h); e && e->pid == child && Answers(e->host, e->port, std::chrono::milliseconds(500))) {
      std::printf("🟢 Service is Started on %s/, PID %d!\n", e->url.c_str(), int(child));
      std::fflush(stdout);
      return *e;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status::Unavailable("the service did not answer on " + s.host + ":" + std::to_string(s.port) +
                             " within 30 s; see " + LogPath(h).string());
}

namespace {

int Stop(const FoundryHome& h) {
  auto e = ReadEndpoint(h);
  if (e && ProcessAlive(e->pid)) {
    ::kill(e->pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (ProcessAlive(e->pid) && std::chrono::steady_clock::now() < deadline) {
      ::waitpid(e->pid, nullptr, WNOHANG);  // reap if it is our child
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (ProcessAlive(e->pid)) ::kill(e->pid, SIGKILL);
  }
  std::error_code ec;
  fs::remove(EndpointPath(h), ec);
  std::printf("🔴 Service is stopped.\n");
  return 0;
}

int Ps(const FoundryHome& h) {
  auto e = Running(h);
  if (!e) {
    PrintNotRunning();
    return 1;
  }
  httplib::Client c(e->host, e->port);
  auto r = c.Get("/openai/loadedmodels");
  json ids = r ? json::parse(r->body, nullptr, false) : json();
  if (!ids.is_array() || ids.empty()) {
    std::printf("No models are currently loaded in the service\n");
    return 0;
  }
  auto store = OpenStore(h);  // for the aliases of catalog models
  std::printf("Models running in service:\n");
  std::printf("    %-30s %s\n", "Alias", "Model ID");
  for (const auto& j : ids) {
    const std::string id = j.is_string() ? j.get<std::string>() : j.dump();
    const runtime::CatalogModel* m = store.ok() ? (*store)->catalog.FindById(id) : nullptr;
    std::printf("🟢  %-30s %s\n", (m ? m->alias : id).c_str(), id.c_str());
  }
  return 0;
}

struct SetFlags {
  int port = 0;
  std::string host;
  std::string cache_dir;
  int ttl = 0;
  int parallel = 0;
  int max_queued = -1;
  int kv_cache_mib = -1;
  std::string prefix_cache;
  bool show = false;
};

int Set(const FoundryHome& h, const SetFlags& f) {
  Settings s = LoadSettings(h);
  bool changed = false;
  if (f.port != 0) {
    if (f.port < 1 || f.port > 65535) return Fail(Status::InvalidArgument("--port must be in 1..65535"));
    s.port = f.port;
    changed = true;
  }
  if (!f.host.empty()) s.host = f.host, changed = true;
  if (!f.cache_dir.empty()) s.cache_dir = fs::absolute(f.cache_dir), changed = true;
  if (f.ttl > 0) s.ttl_seconds = f.ttl, changed = true;
  if (f.parallel != 0) {
    if (f.parallel < 1 || f.parallel > 256) return Fail(Status::InvalidArgument("--parallel must be in 1..256"));
    s.parallel = f.parallel, changed = true;
  }
  if (f.max_queued >= 0) {
    if (f.max_queued > 4096) return Fail(Status::InvalidArgument("--queue must be in 0..4096"));
    s.max_queued = f.max_queued, changed = true;
  }
  if (f.kv_cache_mib >= 0) s.kv_cache_mib = f.kv_cache_mib, changed = true;
  if (!f.prefix_cache.empty()) {
    if (f.prefix_cache != "on" && f.prefix_cache != "off")
      return Fail(Status::InvalidArgument("--prefix-cache must be on or off"));
    s.prefix_cache = f.prefix_cache == "on", changed = true;
  }
  if (!changed) {
    std::printf("No settings changed\n");
    if (f.show) std::printf("%s\n", SettingsJson(s).dump(2).c_str());
    return 0;
  }
  std::printf("Saving new settings\n");
  if (Status st = WriteJsonFile(SettingsPath(h), SettingsJson(s)); !st.ok()) return Fail(st);
  if (f.show) std::printf("%s\n", SettingsJson(s).dump(2).c_str());
  if (Running(h)) {
    std::printf("Restarting service...\n");
    Stop(h);
    return Start(h);
  }
  return 0;
}

int Diag(const FoundryHome& h) {
  const Settings s = LoadSettings(h);
  std::printf("foundry home:    %s\n", h.dir.c_str());
  std::printf("settings:        %s\n%s\n", SettingsPath(h).c_str(), SettingsJson(s).dump(2).c_str());
  auto e = ReadEndpoint(h);
  std::printf("service:         %s\n", e ? (e->url + " (PID " + std::to_string(e->pid) + (ProcessAlive(e->pid) ? ", alive)" : ", not running)")).c_str() : "not started");
  std::printf("log:             %s\n", LogPath(h).c_str());
  std::ifstream in(LogPath(h));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > 20) lines.erase(lines.begin());
  }
  for (const auto& l : lines) std::printf("  | %s\n", l.c_str());
  return 0;
}

// The foreground service: serves until SIGINT/SIGTERM.
int Run(const FoundryHome& h, std::string host, int port) {
  const Settings s = LoadSettings(h);
  if (host.empty()) host = s.host;
  if (port == 0) port = s.port;
  // Block the stop signals in every thread; main waits for them with sigwait.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto kernels = engine::kernels::SelectKernels(engine::kernels::DetectCpu());
  ThreadPool pool(0);
  const fs::path cache = s.cache_dir;
  std::error_code ec;
  fs::create_directories(cache, ec);
  // Models come from the store: catalog ids/aliases and bring-your-own files in the cache.
  auto store_or = OpenStore(h);
  if (!store_or.ok()) return Fail(store_or.status());
  std::shared_ptr<Store> store = std::move(store_or).value();
  auto find_model = [store](const std::string& id) -> Result<fs::path> {
    FOUNDRY_ASSIGN_OR_RETURN(runtime::CachedModel m, store->cache->Find(id, store->hw));
    return m.path;
  };
  auto list_models = [store]() {
    std::vector<service::ModelListing> out;
    auto cached = store->cache->List();
    if (!cached.ok()) return out;
    for (const auto& m : *cached) {
      service::ModelListing l{.id = m.id, .alias = m.alias};
      if (m.catalog_model) {
        l.context_length = m.catalog_model->context_length;
        l.supports_tool_calling = m.catalog_model->supports_tool_calling;
        l.owned_by = m.catalog_model->publisher;
      }
      // Tool support is what the file's chat template shows the model; the catalog's flag
      // only stands in when the file cannot be read.
      if (auto tools = runtime::chat::ModelFileRendersTools(m.path); tools.ok())
        l.supports_tool_calling = *tools;
      out.push_back(std::move(l));
    }
    return out;
  };
  runtime::ModelManagerOptions mo{.default_ttl = std::chrono::seconds(s.ttl_seconds),
                                  .max_running = uint32_t(s.parallel),
                                  .kv_budget_bytes = uint64_t(s.kv_cache_mib) << 20};
  mo.scheduler.max_queued = uint32_t(s.max_queued);
  mo.scheduler.prefix_cache = s.prefix_cache;
  runtime::ModelManager models(kernels, pool, find_model, mo);
  // POST /openai/download: catalog models through the downloader (mirror included).
  auto prepare_download = [store](const std::string& name) -> Result<service::DownloadJob> {
    FOUNDRY_ASSIGN_OR_RETURN(const runtime::CatalogModel* m, store->catalog.Resolve(name, store->hw));
    return service::DownloadJob{
        .model_id = m->id, .file_name = m->file.name,
        .run = [store, m](const runtime::DownloadProgressCallback& progress) -> Status {
          auto r = store->downloader.Download(*m, *store->cache, {.on_progress = progress});
          return r.ok() ? Status::Ok() : r.status();
        }};
  };
  // One JSON line per request on stdout (the service log).
  auto log = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  auto server = service::Server::Start(
      {.host = host, .port = port,
       // A thread per streaming request: every running and queued one, for a few models, plus spares.
       .http_threads = size_t(std::min(1024, 2 * (s.parallel + s.max_queued) + 16)),
       .model_dir = cache, .log = log},
      models,
      {.list_models = list_models,
       .foundry_list_json = [store] { return store->catalog.ToFoundryListJson(store->hw); },
       .prepare_download = prepare_download,
       .store = {.catalog = &store->catalog, .cache = store->cache.get(), .downloader = &store->downloader,
                 .hw = store->hw}});
  if (!server.ok()) return Fail(server.status());
  json endpoint = {{"pid", ::getpid()}, {"host", host}, {"port", (*server)->port()}, {"url", (*server)->url()}};
  if (Status st = WriteJsonFile(EndpointPath(h), endpoint); !st.ok()) return Fail(st);
  std::printf("foundry service listening on %s (PID %d)\n", (*server)->url().c_str(), int(::getpid()));
  std::fflush(stdout);
  int sig = 0;
  sigwait(&set, &sig);
  std::printf("foundry service stopping (signal %d)\n", sig);
  (*server)->Stop();
  // Remove the endpoint file only if it is still ours.
  if (auto e = ReadEndpoint(h); e && e->pid == ::getpid()) fs::remove(EndpointPath(h), ec);
  return 0;
}

}  // namespace

void AddServiceCommands(CLI::App& service, const FoundryHome& home, int* exit_code) {
  service.add_subcommand("start", "Start the local model service in the background")
      ->callback([&home, exit_code] { *exit_code = Start(home); });
  service.add_subcommand("stop", "Stop the service")->callback([&home, exit_code] { *exit_code = Stop(home); });
  service.add_subcommand("restart", "Restart the service")->callback([&home, exit_code] {
    Stop(home);
    *exit_code = Start(home);
  });
  service.add_subcommand("status", "Show whether the service runs and where")
      ->callback([&home, exit_code] { *exit_code = Status_(home); });
  auto ps = service.add_subcommand("ps", "List the models loaded in the service");
  ps->alias("list");
  ps->callback([&home, exit_code] { *exit_code = Ps(home); });
  auto set_flags = std::make_shared<SetFlags>();
  auto set = service.add_subcommand("set", "Change service settings (restarts a running service)");
  set->add_option("--port", set_flags->port, "Port to listen on");
  set->add_option("--host", set_flags->host, "Address to bind (127.0.0.1; 0.0.0.0 for LAN access)");
  set->add_option("--cachedir", set_flags->cache_dir, "Model cache directory");
  set->add_option("--ttl", set_flags->ttl, "Default model time-to-live in seconds");
  set->add_option("--parallel", set_flags->parallel, "Requests generated at once per model (default 8)");
  set->add_option("--queue", set_flags->max_queued,
                  "Requests that may wait per model before new ones get 503 (default 32)");
  set->add_option("--kv-cache-mib", set_flags->kv_cache_mib,
                  "KV cache per model in MiB, shared by its requests (0: room for two full contexts)");
  set->add_option("--prefix-cache", set_flags->prefix_cache, "Reuse KV of repeated prompt prefixes: on|off");
  set->add_flag("--show", set_flags->show, "Print the settings");
  set->callback([&home, set_flags, exit_code] { *exit_code = Set(home, *set_flags); });
  service.add_subcommand("diag", "Show settings, state and the end of the service log")
      ->callback([&home, exit_code] { *exit_code = Diag(home); });
  auto run_host = std::make_shared<std::string>();
  auto run_port = std::make_shared<int>(0);
  auto run = service.add_subcommand("run", "Run the service in the foreground (systemd, containers)");
  run->add_option("--host", *run_host, "Address to bind (default: settings)");
  run->add_option("--port", *run_port, "Port (default: settings, 5273)");
  run->callback([&home, run_host, run_port, exit_code] { *exit_code = Run(home, *run_host, *run_port); });
}

}  // namespace foundry::cli
