#pragma once
// `foundry model run|eval|info` on a GGUF file.

#include <CLI/CLI.hpp>

#include "cli/service_commands.h"

namespace foundry::cli {

// Adds the subcommands to `model`; each sets *exit_code when it runs.
void AddModelCommands(CLI::App& model, const FoundryHome& home, int* exit_code);

}  // namespace foundry::cli
