#pragma once
// Quantized-tensor kernels behind one dispatch table.
//
// Every TensorType we can compute with has one QuantOps row: dequantization, (for activation
// formats) quantization, and a dot product of a weight row with an activation row that has been
// converted to the weight type's `vec_dot_type` — exactly the numerics of the reference CPU
// backend (../shared/reference/formats.md §3): Q4_0/Q5_0/Q8_0/IQ4_NL use Q8_0 activations,
// Q4_1/Q5_1 use Q8_1, K-quants and IQ4_XS use Q8_K, F16 uses F16, BF16 uses BF16, F32 uses F32.
//
// Each format has a scalar reference (src/engine/kernels/<fmt>.cc: the spec, short and obvious)
// and SIMD variants (<file>_avx2.cc, <file>_avx512.cc) tested against it. SelectKernels() fills a
// KernelTable once at startup from the detected CPU; nothing else switches on the ISA.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "foundry/core/page_buffer.h"
#include "foundry/core/status.h"
#include "foundry/core/thread_pool.h"
#include "foundry/engine/tensor_type.h"

namespace foundry::engine::kernels {

// The row-interleaved weight layouts of the tiled kernels and their call arguments; defined in
// src/engine/kernels/packed.h (internal: only the kernels read them).
struct PackedFormat;
struct PackedGemmArgs;
using PackedGemmFn = void (*)(const PackedGemmArgs& args, int64_t g0, int64_t g1, int64_t t0,
                              int64_t t1);

struct QuantOps {
  TensorType type = TensorType::kF32;
  int block_elems = 0;
  int block_bytes = 0;
  TensorType vec_dot_type = TensorType::kF32;  // activation format for vec_dot
  // n values (REQUIRES n % block_elems == 0) from `src` blocks into floats.
  void (*to_float)(const void* src, float* dst, int64_t n) = nullptr;
  // n floats into blocks of this type; set only for activation formats
  // (F32, F16, BF16, Q8_0, Q8_1, Q8_K), following formats.md §3.2 exactly.
  void (*from_float)(const float* src, void* dst, int64_t n) = nullptr;
  // Σ w_i·a_i over n values: `w` in this type, `a` in vec_dot_type. REQUIRES n % block_elems == 0
  // and n % (vec_dot_type block) == 0, and `a` produced by vec_dot_type's from_float (SIMD
  // variants rely on its invariants, e.g. |q| ≤ 127). Null for the activation-only formats Q8_1
  // and Q8_K. SIMD variants agree with the reference to f32 rounding (identical integer sums,
  // different f32 summation order); quantizers and dequantizers agree bit for bit.
  float (*vec_dot)(int64_t n, const void* w, const void* a) = nullptr;
  // Tiled GEMM/GEMV over weights repacked by PackWeights (16 rows interleaved; see packed.h):
  // both set, or both null where this ISA has no packed kernel for the type (MatMul then uses
  // vec_dot on the original rows). Same numerics as vec_dot: exact integer block sums, f32
  // combination in a different order.
  const PackedFormat* packed = nullptr;
  PackedGemmFn packed_gemm = nullptr;
};

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
std::string_view IsaName(Isa isa);

// What the running CPU (and OS: register state enabled in XCR0) supports.
struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false, avx512vnni = false;
  // The best ISA level all of whose required features are present.
  Isa best() const;
};
// The features of the running CPU; all false on non-x86 builds.
CpuFeatures DetectCpu();

// One row per TensorType id. Immutable after SelectKernels(); share by const&.
class KernelTable {
 public:
  // nullptr when `type` cannot be computed with (unknown or unsupported, e.g. IQ2_XXS).
  const QuantOps* Get(TensorType type) const;
  Isa isa() const { return isa_; }

 private:
  friend KernelTable SelectKernels(const CpuFeatures& cpu, Isa max_isa);
  static constexpr int kMaxTypes = 48;
  QuantOps ops_[kMaxTypes] = {};
  Isa isa_ = Isa::kScalar;
};

// The fastest kernels the CPU supports, but no higher than `max_isa` (Isa::kScalar forces the
// reference kernels everywhere).
KernelTable SelectKernels(const CpuFeatures& cpu, Isa max_isa = Isa::kAvx512);

// A weight matrix of n_rows rows, each n_cols values in `type`, rows `row_bytes` apart.
// `packed`, when set, is this very matrix's copy made by PackWeights (same type and shape); the
// caller keeps that PackedWeights alive as long as the WeightMatrix is used. `data` stays valid
// and required (DequantizeRow, and MatMul with a table that has no packed kernel for the type).
struct WeightMatrix {
  TensorType type = TensorType::kF32;
  int64_t n_cols = 0;
  int64_t n_rows = 0;
  size_t row_bytes = 0;
  const std::byte* data = nullptr;
  const std::byte* packed = nullptr;
};

// Owned copies of weight matrices in their types' packed layouts (see WeightMatrix::packed), in
// one 64-byte aligned buffer. Buffers of 2 MiB and more are backed by transparent huge pages
// where the OS offers them (Linux madvise): decode streams every weight once per token, and with
// 4 KiB pages the TLB misses alone made a decode step's matrix products ~30% slower (2-core Zen 4,
// bench/engine/kernels/decode_step_bench.cc).
// Move-only; immutable once built, so const access is safe from any thread.
using PackedRowsCallback = std::function<void(const WeightMatrix& w, int64_t row_begin,
                                               int64_t row_end)>;

class PackedWeights {
 public:
  PackedWeights() = default;
  const std::byte* data() const { return buffer_.data(); }
  size_t size_bytes() const { return buffer_.size(); }
  bool empty() const { return buffer_.empty(); }

 private:
  friend Result<PackedWeights> PackWeights(
      const KernelTable& kernels, std::span<WeightMatrix* const> matrices,
      const PackedRowsCallback& on_packed, ThreadPool* pool);
  PageBuffer buffer_;
};

// For a model loader, once per model: packs every matrix of `matrices` that `kernels` has a packed
// kernel for into one buffer and sets its `packed` to its copy; the others (types without a packed
// kernel, or every matrix for Isa::kScalar) are left as they are. Keep the result as long as the
// matrices are used (it owns what their `packed` points to):
//   std::vector<WeightMatrix*> all = {&layer.wq, ..., &output};
//   FOUNDRY_ASSIGN_OR_RETURN(packed_, kernels::PackWeights(kernels, all));
// Reads every byte of the packed matrices once (a few hundred MB/s). The layout depends only on
// the type, so weights packed under one table work with any table that has a packed kernel for
// the type and are ignored by one that has none. Null entries and matrices without data are
// skipped. kResourceExhausted if the buffer cannot be allocated; kInvalidArgument for a matrix
// whose shape does not fit its type (n_cols not a whole number of blocks).
// `on_packed(w, row_begin, row_end)`, if set, is called as soon as rows [row_begin, row_end) of
// matrix w have been copied, a few MiB at a time (a loader releases the originals' pages there,
// so that even while loading the weights are resident about once, not twice); with a `pool` it
// is called from the pool's threads concurrently. `pool` (optional) packs in parallel.
Result<PackedWeights> PackWeights(const KernelTable& kernels,
                                  std::span<WeightMatrix* const> matrices,
                                  const PackedRowsCallback& on_packed = {},
                                  ThreadPool* pool = nullptr);

// One matrix: its packed copy, or an empty PackedWeights when `kernels` has no packed kernel for
// w.type. Set w.packed = result.data() and keep the result while w is used.
Result<PackedWeights> PackWeights(const KernelTable& kernels, const WeightMatrix& w);

// y[t·n_rows + r] = Σ_i W[r][i]·x[t·n_cols + i] for t < n_tokens (the batch), r < n_rows.
// Each x row is converted once to the weight's vec_dot_type (in `scratch`, grown as needed;
// F32 weights read x in place), then rows are split over `pool`. With w.packed set and a packed
// kernel in `kernels`, tiles of 16 rows × several tokens are computed at once from the packed
// copy; otherwise every output is one vec_dot. Either way each output's arithmetic does not
// depend on the thread count or on which other rows and tokens are in the call. REQUIRES:
// kernels.Get(w.type) != nullptr with a vec_dot (not Q8_1/Q8_K); n_cols a multiple of the weight's
// and the activation's block; x and y sized as stated and not aliasing; `scratch` not shared with a
// concurrent call.
void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightMatrix& w,
            std::span<const float> x, int64_t n_tokens, std::span<float> y,
            std::vector<std::byte>& scratch);

// MatMul of several matrices of the same width with the same input x (q, k, v; gate, up): y_m =
// W_m·x for each m. Same results as MatMul per matrix; where all have packed copies of one packed
// format (and there are at most 4), the input is converted once and one parallel loop covers the
// rows of all of them. REQUIRES ws.size() == ys.size() > 0, each as MatMul requires.
void MatMuls(const KernelTable& kernels, ThreadPool& pool,
             std::span<const WeightMatrix* const> ws, std::span<const float> x, int64_t n_tokens,
             std::span<const std::span<float>> ys, std::vector<std::byte>& scratch);

// Row `row` of `w` dequantized into out (n_cols floats), e.g. for token-embedding lookup.
void DequantizeRow(const KernelTable& kernels, const WeightMatrix& w, int64_t row,
                   std::span<float> out);

}  // namespace foundry::engine::kernels
