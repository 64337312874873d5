#pragma once
// `foundry model run|eval|info` on a GGUF file.

#include <CLI/CLI.hpp>

namespace foundry::cli {

// Adds the subcommands to `model`; each sets *exit_code when it runs.
void AddModelCommands(CLI::App& model, int* exit_code);

}  // namespace foundry::cli
