#pragma once
// `foundry bench` (engine throughput) and `foundry model synth` (random-weight models).

#include <CLI/CLI.hpp>

namespace foundry::cli {

void AddBenchCommand(CLI::App& app, int* exit_code);
void AddSynthCommand(CLI::App& model, int* exit_code);

}  // namespace foundry::cli
