#include "cli/cli_common.h"

#include <cstdio>
#include <thread>

namespace foundry::cli {

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange: return 2;
    case StatusCode::kNotFound: return 3;
    case StatusCode::kUnimplemented: return 4;
    case StatusCode::kResourceExhausted: return 5;
    case StatusCode::kCancelled: return 130;
    default: return 1;
  }
}

int Fail(const Status& status) {
  std::fprintf(stderr, "error: %s\n", status.message().c_str());
  return ExitCodeFor(status);
}

Result<std::unique_ptr<LoadedEngine>> LoadEngine(const std::string& model_path,
                                                 const EngineFlags& flags) {
  using engine::kernels::Isa;
  Isa max_isa = Isa::kAvx512;
  if (flags.kernels == "scalar") max_isa = Isa::kScalar;
  else if (flags.kernels == "avx2") max_isa = Isa::kAvx2;
  else if (flags.kernels != "auto" && flags.kernels != "avx512")
    return Status::InvalidArgument("--kernels must be auto, scalar, avx2 or avx512");
  auto e = std::make_unique<LoadedEngine>();
  e->kernels_table = engine::kernels::SelectKernels(engine::kernels::DetectCpu(), max_isa);
  int threads = flags.threads;
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  e->pool = std::make_unique<ThreadPool>(threads);
  FOUNDRY_ASSIGN_OR_RETURN(e->model, engine::Model::Load(model_path, e->kernels_table,
                                                         {.n_ctx = flags.ctx_size,
                                                          .pool = e->pool.get()}));
  FOUNDRY_ASSIGN_OR_RETURN(e->context, engine::Context::Create(e->model, e->kernels_table, *e->pool,
                                                               {.n_ctx = flags.ctx_size}));
  return e;
}

}  // namespace foundry::cli
