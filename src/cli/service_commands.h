#pragma once
// `foundry service start|stop|restart|status|ps|set|diag|run`: the background service process,
// with the exact texts Foundry Local's Gen-1 CLI prints (its SDKs parse them).

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "foundry/core/status.h"

namespace foundry::cli {

// Where foundry keeps its state: settings.json, service.json (PID + URL of the running service),
// logs/, cache/models/. Resolved by main() from $FOUNDRY_HOME or $HOME/.foundry.
struct FoundryHome {
  std::filesystem::path dir;
  std::filesystem::path exe;      // this binary, to spawn `foundry service run`
  std::filesystem::path catalog;  // catalog.json ($FOUNDRY_CATALOG or the built-in one)
  std::string mirror;             // $FOUNDRY_MODEL_MIRROR: a directory or http(s) base URL
};

// Where a running service listens (from <home>/service.json).
struct ServiceEndpoint {
  pid_t pid = 0;
  std::string url;  // "http://127.0.0.1:5273"
  std::string host;
  int port = 0;
};

// The running service, if service.json names a live process that answers /openai/status.
std::optional<ServiceEndpoint> RunningService(const FoundryHome& home);

// Starts the service in the background as `foundry service start` does and prints the same
// line (`🟢 Service is Started on http://…/, PID N!`) once it answers. kUnavailable (message
// names the log file) if it exits or does not answer within 30 s. REQUIRES: none running.
Result<ServiceEndpoint> StartService(const FoundryHome& home);

void AddServiceCommands(CLI::App& service, const FoundryHome& home, int* exit_code);

}  // namespace foundry::cli
