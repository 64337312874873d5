#pragma once
// Element-wise and row operators of the forward pass, one loop per idea, with the reference
// backend's numerics (../shared/reference/formats.md §3.4): RMSNorm sums squares in double,
// softmax sums exponentials in double, GELU goes through the FP16 table. Thread-compatible, no
// state.

#include <cstdint>
#include <span>

#include "foundry/engine/arch.h"

namespace foundry::engine::ops {

// out[i] = x[i] / sqrt(mean(x²) + eps) · w[i]. `out` may alias `x`. w may be empty (no scale).
void RmsNorm(std::span<const float> x, std::span<const float> w, float eps, std::span<float> out);

// x[i] += b[i].
void AddInPlace(std::span<float> x, std::span<const float> b);

// Per-position RoPE angle table for one head: cos/sin of pair i (i < n_rot/2).
struct RopeParams {
  RopeStyle style = RopeStyle::kNeox;
  int n_rot = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;       // 1/linear factor; YaRN interpolation factor
  float attn_factor = 1.0f;      // multiplies cos/sin
  bool yarn = false;             // YaRN ramp between interpolation and extrapolation
  uint32_t n_ctx_orig = 0;       // YaRN
  std::span<const float> freq_factors;  // per-pair divisors (rope_freqs / LongRoPE) or empty
};
// Fills cos_sin[2i] = cos θ'_i, cos_sin[2i+1] = sin θ'_i for position `pos`. cos_sin has n_rot.
void RopeAngles(const RopeParams& p, int32_t pos, std::span<float> cos_sin);
// Rotates the first n_rot dims of each of n_heads heads (head_dim apart) in place.
void ApplyRope(const RopeParams& p, std::span<const float> cos_sin, float* x, int n_heads,
               int head_dim);

// x[i] = silu(gate[i]) · up[i] (SwiGLU) or gelu_tanh(gate[i]) · up[i] (GeGLU); into `gate`.
void GatedActivation(Activation act, std::span<float> gate, std::span<const float> up);

// In place: x = softmax(x) over the first n entries (entries already scaled and masked; -inf
// entries become 0).
void Softmax(std::span<float> x);

// tanh-approximated GELU through the reference's FP16 lookup (input rounded to f16, result
// rounded to f16; x <= -10 -> 0, x >= 10 -> x).
float GeluTanhF16(float x);

}  // namespace foundry::engine::ops
