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
#include <span>
#include <string_view>
#include <vector>

#include "foundry/core/thread_pool.h"
#include "foundry/engine/tensor_type.h"

namespace foundry::engine::kernels {

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
struct WeightMatrix {
  TensorType type = TensorType::kF32;
  int64_t n_cols = 0;
  int64_t n_rows = 0;
  size_t row_bytes = 0;
  const std::byte* data = nullptr;
};

// y[t·n_rows + r] = Σ_i W[r][i]·x[t·n_cols + i] for t < n_tokens (the batch), r < n_rows.
// Each x row is converted once to the weight's vec_dot_type (in `scratch`, grown as needed;
// F32 weights read x in place), then rows are split over `pool`; every output is one vec_dot, so
// the result does not depend on the thread count. REQUIRES: kernels.Get(w.type) != nullptr with
// a vec_dot (not Q8_1/Q8_K); n_cols a multiple of the weight's and the activation's block;
// x and y sized as stated and not aliasing; `scratch` not shared with a concurrent call.
void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightMatrix& w,
            std::span<const float> x, int64_t n_tokens, std::span<float> y,
            std::vector<std::byte>& scratch);

// Row `row` of `w` dequantized into out (n_cols floats), e.g. for token-embedding lookup.
void DequantizeRow(const KernelTable& kernels, const WeightMatrix& w, int64_t row,
                   std::span<float> out);

}  // namespace foundry::engine::kernels
