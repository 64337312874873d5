#pragma once
// `foundry model load|unload <alias|id>` (through the service, like Foundry Local) and
// `foundry model info <alias|id>` for catalog models.

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>

#include "cli/service_commands.h"
#include "foundry/core/status.h"

namespace foundry::cli {

// Registers `load` and `unload` under `model`.
//   load <model> [--ttl N]: starts the service if needed, then loads the cached model:
//     "🕓 Loading model..." / "🟢 Model <model> loaded successfully". A catalog model that is not
//     downloaded: exit 3, "error: Model <model> has not been downloaded yet. …".
//   unload <model>: "🔴 Model <model> unloaded successfully" (force: the TTL is ignored); not
//     loaded: exit 3; service not running: its "not running" text, exit 1.
void AddServiceModelCommands(CLI::App& model, const FoundryHome& home, int* exit_code);

// The file of a cached bring-your-own model `name`; kNotFound for anything else (catalog
// models included).
Result<std::filesystem::path> CachedByoFile(const FoundryHome& home, const std::string& name);

// Prints a catalog model (alias, id or id without version): id, alias, device, execution
// provider, task, publisher, license, file and size, context length, max output tokens, tool
// calling, whether and where it is cached. `json`: {"model": <the /foundry/list entry> + "id",
// "cached", "path"}. Unknown name: exit 3.
int CatalogModelInfo(const FoundryHome& home, const std::string& name, bool json);

}  // namespace foundry::cli
