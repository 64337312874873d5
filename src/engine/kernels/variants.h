#pragma once
// Every kernel function of every ISA, and the per-ISA lists SelectKernels() builds its table from.
// Internal to src/engine/kernels (and its tests, which hold each variant to its reference).
//
// Naming: Dequantize<Fmt>Ref (to_float), Quantize<Fmt><Isa> (from_float),
// Dot<Weight><Activation><Isa> (vec_dot). Semantics and REQUIRES are those of the QuantOps fields
// in foundry/engine/kernels/kernels.h; in addition every vec_dot REQUIRES its activation blocks to
// come from the matching from_float (|q| ≤ 127, Q8_1's s and Q8_K's bsums consistent), which the
// SIMD variants rely on (e.g. a sign flip of −128 would overflow).
//
// Reference kernels (<fmt>.cc) are the spec: plain loops in the order of formats.md §2/§3,
// integer inner sums per block and the per-block float combination in f32. SIMD variants
// (<fmt>_avx2.cc, <fmt>_avx512.cc) compute the same integer sums exactly; their float
// accumulation order may differ, so dot products agree to f32 rounding and quantizers bit for bit.

#include <cstdint>
#include <span>

#include "foundry/engine/kernels/kernels.h"

namespace foundry::engine::kernels {

using ToFloatFn = void (*)(const void* src, float* dst, int64_t n);
using FromFloatFn = void (*)(const float* src, void* dst, int64_t n);
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);

// One row of an ISA's list. For Isa::kScalar every field of a supported type is set (from_float
// only for activation formats, vec_dot null for the activation-only Q8_1 and Q8_K); for SIMD
// ISAs a null field means "keep the lower ISA's function".
struct KernelVariant {
  TensorType type;
  ToFloatFn to_float;
  FromFloatFn from_float;
  VecDotFn vec_dot;
  PackedGemmFn packed_gemm = nullptr;  // tiled kernel over the type's packed layout (packed.h)
};

// The list for one ISA (static storage, never empty for kScalar).
std::span<const KernelVariant> IsaVariants(Isa isa);

// --- Scalar reference (one file per format) ---
void DequantizeF32Ref(const void* src, float* dst, int64_t n);
void QuantizeF32Ref(const float* src, void* dst, int64_t n);
float DotF32F32Ref(int64_t n, const void* w, const void* a);

void DequantizeF16Ref(const void* src, float* dst, int64_t n);
void QuantizeF16Ref(const float* src, void* dst, int64_t n);
float DotF16F16Ref(int64_t n, const void* w, const void* a);

void DequantizeBF16Ref(const void* src, float* dst, int64_t n);
void QuantizeBF16Ref(const float* src, void* dst, int64_t n);
float DotBF16BF16Ref(int64_t n, const void* w, const void* a);

void DequantizeQ8_0Ref(const void* src, float* dst, int64_t n);
void QuantizeQ8_0Ref(const float* src, void* dst, int64_t n);
float DotQ8_0Q8_0Ref(int64_t n, const void* w, const void* a);

void DequantizeQ8_1Ref(const void* src, float* dst, int64_t n);
void QuantizeQ8_1Ref(const float* src, void* dst, int64_t n);

void DequantizeQ8_KRef(const void* src, float* dst, int64_t n);
void QuantizeQ8_KRef(const float* src, void* dst, int64_t n);

void DequantizeQ4_0Ref(const void* src, float* dst, int64_t n);
float DotQ4_0Q8_0Ref(int64_t n, const void* w, const void* a);

void DequantizeQ4_1Ref(const void* src, float* dst, int64_t n);
float DotQ4_1Q8_1Ref(int64_t n, const void* w, const void* a);

void DequantizeQ5_0Ref(const void* src, float* dst, int64_t n);
float DotQ5_0Q8_0Ref(int64_t n, const void* w, const void* a);

void DequantizeQ5_1Ref(const void* src, float* dst, int64_t n);
float DotQ5_1Q8_1Ref(int64_t n, const void* w, const void* a);

void DequantizeQ2_KRef(const void* src, float* dst, int64_t n);
float DotQ2_KQ8_KRef(int64_t n, const void* w, const void* a);

void DequantizeQ3_KRef(const void* src, float* dst, int64_t n);
float DotQ3_KQ8_KRef(int64_t n, const void* w, const void* a);

void DequantizeQ4_KRef(const void* src, float* dst, int64_t n);
float DotQ4_KQ8_KRef(int64_t n, const void* w, const void* a);

void DequantizeQ5_KRef(const void* src, float* dst, int64_t n);
float DotQ5_KQ8_KRef(int64_t n, const void* w, const void* a);

void DequantizeQ6_KRef(const void* src, float* dst, int64_t n);
float DotQ6_KQ8_KRef(int64_t n, const void* w, const void* a);

void DequantizeIQ4_NLRef(const void* src, float* dst, int64_t n);
float DotIQ4_NLQ8_0Ref(int64_t n, const void* w, const void* a);

void DequantizeIQ4_XSRef(const void* src, float* dst, int64_t n);
float DotIQ4_XSQ8_KRef(int64_t n, const void* w, const void* a);

// --- AVX2 + FMA + F16C ---
float DotF32F32Avx2(int64_t n, const void* w, const void* a);
void QuantizeF16Avx2(const float* src, void* dst, int64_t n);
float DotF16F16Avx2(int64_t n, const void* w, const void* a);
float DotBF16BF16Avx2(int64_t n, const void* w, const void* a);
void QuantizeQ8_0Avx2(const float* src, void* dst, int64_t n);
float DotQ8_0Q8_0Avx2(int64_t n, const void* w, const void* a);
void QuantizeQ8_1Avx2(const float* src, void* dst, int64_t n);
void QuantizeQ8_KAvx2(const float* src, void* dst, int64_t n);
float DotQ4_0Q8_0Avx2(int64_t n, const void* w, const void* a);
float DotQ4_1Q8_1Avx2(int64_t n, const void* w, const void* a);
float DotQ5_0Q8_0Avx2(int64_t n, const void* w, const void* a);
float DotQ5_1Q8_1Avx2(int64_t n, const void* w, const void* a);
float DotQ2_KQ8_KAvx2(int64_t n, const void* w, const void* a);
float DotQ3_KQ8_KAvx2(int64_t n, const void* w, const void* a);
float DotQ4_KQ8_KAvx2(int64_t n, const void* w, const void* a);
float DotQ5_KQ8_KAvx2(int64_t n, const void* w, const void* a);
float DotQ6_KQ8_KAvx2(int64_t n, const void* w, const void* a);
float DotIQ4_NLQ8_0Avx2(int64_t n, const void* w, const void* a);
float DotIQ4_XSQ8_KAvx2(int64_t n, const void* w, const void* a);

// --- AVX-512 F/BW/VL/DQ + VNNI ---
float DotF32F32Avx512(int64_t n, const void* w, const void* a);
float DotF16F16Avx512(int64_t n, const void* w, const void* a);
float DotQ8_0Q8_0Avx512(int64_t n, const void* w, const void* a);
float DotQ4_0Q8_0Avx512(int64_t n, const void* w, const void* a);
float DotQ4_KQ8_KAvx512(int64_t n, const void* w, const void* a);
float DotQ5_KQ8_KAvx512(int64_t n, const void* w, const void* a);
float DotQ6_KQ8_KAvx512(int64_t n, const void* w, const void* a);

}  // namespace foundry::engine::kernels
