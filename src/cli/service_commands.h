#pragma once
// `foundry service start|stop|restart|status|ps|set|diag|run`: the background service process,
// with the exact texts Foundry Local's Gen-1 CLI prints (its SDKs parse them).

#include <CLI/CLI.hpp>
#include <filesystem>

namespace foundry::cli {

// Where foundry keeps its state: settings.json, service.json (PID + URL of the running service),
// logs/, cache/models/. Resolved by main() from $FOUNDRY_HOME or $HOME/.foundry.
struct FoundryHome {
  std::filesystem::path dir;
  std::filesystem::path exe;      // this binary, to spawn `foundry service run`
  std::filesystem::path catalog;  // catalog.json ($FOUNDRY_CATALOG or the built-in one)
  std::string mirror;             // $FOUNDRY_MODEL_MIRROR: a directory or http(s) base URL
};

void AddServiceCommands(CLI::App& service, const FoundryHome& home, int* exit_code);

}  // namespace foundry::cli
