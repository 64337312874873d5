#pragma once
// Shared plumbing of the `foundry` command: error reporting, exit codes, engine setup.

#include <memory>
#include <string>

#include "foundry/core/status.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/context.h"
#include "foundry/engine/kernels/kernels.h"
#include "foundry/engine/model.h"

namespace foundry::cli {

// The one table from Status codes to process exit codes (0 ok, 1 generic, 2 usage).
int ExitCodeFor(const Status& status);

// Prints "error: <message>" to stderr and returns ExitCodeFor(status).
int Fail(const Status& status);

// Engine options every model command takes.
struct EngineFlags {
  int threads = 0;             // 0: all hardware threads
  std::string kernels = "auto";  // auto | scalar | avx2 | avx512
  uint32_t ctx_size = 0;       // 0: min(model context, 4096)
};

// Everything needed to run a model from the command line; members are destroyed in reverse
// order, so the Context (which borrows pool and kernels) goes first.
struct LoadedEngine {
  engine::kernels::KernelTable kernels_table;
  std::unique_ptr<ThreadPool> pool;
  std::shared_ptr<const engine::Model> model;
  std::unique_ptr<engine::Context> context;
};

Result<std::unique_ptr<LoadedEngine>> LoadEngine(const std::string& model_path,
                                                 const EngineFlags& flags);

}  // namespace foundry::cli
