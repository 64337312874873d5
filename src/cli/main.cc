// The `foundry` command. main() is the top of the stack: it parses flags and hands typed options
// to the commands; nothing below reads the environment.

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/bench_commands.h"
#include "cli/cli_common.h"
#include "cli/model_commands.h"
#include "cli/service_commands.h"
#include "cli/store_commands.h"

#include <cstdlib>
#include <filesystem>

int main(int argc, char** argv) {
  CLI::App app{"foundry — run small language models locally"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "foundry 0.1.0");
  int exit_code = 0;
  // The only place the environment is read: where foundry keeps its state.
  foundry::cli::FoundryHome home;
  if (const char* env = std::getenv("FOUNDRY_HOME"); env && *env) {
    home.dir = env;
  } else {
    const char* h = std::getenv("HOME");
    home.dir = std::filesystem::path(h && *h ? h : ".") / ".foundry";
  }
  home.catalog = FOUNDRY_CATALOG_PATH;
  if (const char* env = std::getenv("FOUNDRY_CATALOG"); env && *env) home.catalog = env;
  if (const char* env = std::getenv("FOUNDRY_MODEL_MIRROR"); env && *env) home.mirror = env;
  std::error_code ec;
  home.exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) home.exe = argv[0];
  CLI::App* model = app.add_subcommand("model", "Run, evaluate and inspect models");
  model->require_subcommand(1);
  foundry::cli::AddModelCommands(*model, home, &exit_code);
  foundry::cli::AddSynthCommand(*model, &exit_code);
  foundry::cli::AddBenchCommand(app, &exit_code);

  CLI::App* service = app.add_subcommand("service", "Manage the local model inference service");
  service->require_subcommand(1);
  foundry::cli::AddServiceCommands(*service, home, &exit_code);
  foundry::cli::AddCatalogCommands(*model, home, &exit_code);
  CLI::App* cache = app.add_subcommand("cache", "Manage the local cache");
  cache->require_subcommand(1);
  foundry::cli::AddCacheCommands(*cache, home, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return exit_code;
}
