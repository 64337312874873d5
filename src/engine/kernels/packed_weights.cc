// PackWeights: the packed copies of a model's weight matrices (layouts in packed.h), all in one
// buffer so that it can be backed by huge pages without rounding every matrix up to 2 MiB.

#include <algorithm>
#include <string>
#include <vector>

#include "engine/kernels/packed.h"
#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {
namespace {

size_t AlignUp(size_t n, size_t a) { return (n + a - 1) / a * a; }

struct Job {
  WeightMatrix* w;
  const PackedFormat* fmt;
  int64_t n_blocks;
  size_t group_bytes;
  int64_t n_groups;
  size_t offset;  // of the matrix's copy in the buffer, a multiple of 64
};

}  // namespace

Result<PackedWeights> PackWeights(const KernelTable& kernels,
                                  std::span<WeightMatrix* const> matrices,
                                  const PackedRowsCallback& on_packed, ThreadPool* pool) {
  // 1. Which matrices, and where each goes.
  std::vector<Job> jobs;
  size_t total = 0;
  for (WeightMatrix* w : matrices) {
    if (w == nullptr || w->data == nullptr) continue;
    const QuantOps* ops = kernels.Get(w->type);
    if (ops == nullptr || ops->packed == nullptr || ops->packed_gemm == nullptr) continue;
    const PackedFormat& fmt = *ops->packed;
    if (w->n_rows <= 0 || w->n_cols <= 0 || w->n_cols % fmt.block_elems != 0)
      return Status::InvalidArgument("cannot pack a " + std::to_string(w->n_rows) + " x " +
                                     std::to_string(w->n_cols) + " matrix of type " +
                                     std::string(TensorTypeName(w->type)));
    Job job{.w = w, .fmt = &fmt, .n_blocks = w->n_cols / fmt.block_elems};
    job.group_bytes = PackedGroupBytes(fmt, job.n_blocks);
    job.n_groups = (w->n_rows + kGroupRows - 1) / kGroupRows;
    job.offset = total;
    // No overflow: the copy is the matrix's own bytes plus at most 15 rows and one block column
    // of padding, and the matrix lies in memory already.
    total += AlignUp(size_t(job.n_groups) * job.group_bytes, 64);
    jobs.push_back(job);
  }
  if (jobs.empty()) return PackedWeights{};

  // 2. One buffer, zero-filled (padding rows and block columns must be zero) and on huge pages
  //    where the OS offers them.
  PackedWeights out;
  FOUNDRY_ASSIGN_OR_RETURN(out.buffer_, PageBuffer::Allocate(total, /*huge_pages=*/true));

  // 3. Pack, in chunks of ~4 MiB of source rows (whole groups) spread over the pool: page faults
  //    on the fresh buffer (the kernel zeroing it) dominate the time, and they run in parallel.
  struct Chunk {
    const Job* job;
    int64_t g0, g1;
  };
  std::vector<Chunk> chunks;
  for (const Job& job : jobs) {
    const int64_t per_chunk =
        std::max<int64_t>(1, int64_t((size_t(4) << 20) / (job.w->row_bytes * kGroupRows)));
    for (int64_t g = 0; g < job.n_groups; g += per_chunk)
      chunks.push_back({&job, g, std::min(job.n_groups, g + per_chunk)});
  }
  auto pack_chunk = [&](int64_t i) {
    const Chunk& c = chunks[size_t(i)];
    const Job& job = *c.job;
    std::byte* dst = out.buffer_.data() + job.offset;
    for (int64_t g = c.g0; g < c.g1; ++g)
      job.fmt->pack_group(job.w->data, job.w->row_bytes, job.w->n_rows, job.n_blocks, g,
                          dst + size_t(g) * job.group_bytes);
    if (on_packed)
      on_packed(*job.w, c.g0 * kGroupRows, std::min(job.w->n_rows, c.g1 * kGroupRows));
  };
  if (pool != nullptr) {
    pool->Run(int64_t(chunks.size()), pack_chunk);
  } else {
    for (size_t i = 0; i < chunks.size(); ++i) pack_chunk(int64_t(i));
  }
  for (const Job& job : jobs) job.w->packed = out.buffer_.data() + job.offset;
  return out;
}

Result<PackedWeights> PackWeights(const KernelTable& kernels, const WeightMatrix& w) {
  WeightMatrix copy = w;
  WeightMatrix* one[] = {&copy};
  return PackWeights(kernels, one);
}

}  // namespace foundry::engine::kernels
