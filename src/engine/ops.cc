#include "foundry/engine/ops.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

#include "engine/vec_exp.h"
#include "foundry/core/fp16.h"

namespace foundry::engine::ops {

void RmsNorm(std::span<const float> x, std::span<const float> w, float eps, std::span<float> out) {
  const size_t n = x.size();
  double sum = 0.0;  // the reference accumulates squares in double
  for (size_t i = 0; i < n; ++i) sum += double(x[i]) * double(x[i]);
  const float mean = float(sum / double(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * scale;
  if (!w.empty())
    for (size_t i = 0; i < n; ++i) out[i] *= w[i];
}

void AddInPlace(std::span<float> x, std::span<const float> b) {
  for (size_t i = 0; i < x.size(); ++i) x[i] += b[i];
}

namespace {
// YaRN: fraction of pair i that keeps extrapolated (unscaled) angles.
float YarnRamp(float lo, float hi, int i0) {
  float y = (float(i0) / 2 - lo) / std::max(0.001f, hi - lo);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}
float YarnCorrDim(int n_dims, uint32_t n_ctx_orig, float n_rot, float base) {
  return float(n_dims) * std::log(float(n_ctx_orig) / (n_rot * 2.0f * float(M_PI))) /
         (2.0f * std::log(base));
}
}  // namespace

void RopeAngles(const RopeParams& p, int32_t pos, std::span<float> cos_sin) {
  // Angles by repeated f32 multiplication, as the reference's cache: θ_0 = p, θ_{i+1} = θ_i·s.
  const float theta_scale = std::pow(p.freq_base, -2.0f / float(p.n_rot));
  float lo = 0, hi = 0, mscale = p.attn_factor;
  if (p.yarn) {
    lo = std::max(0.0f, std::floor(YarnCorrDim(p.n_rot, p.n_ctx_orig, 32.0f, p.freq_base)));
    hi = std::min(float(p.n_rot - 1), std::ceil(YarnCorrDim(p.n_rot, p.n_ctx_orig, 1.0f, p.freq_base)));
    mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
  }
  float theta = float(pos);
  for (int i0 = 0; i0 < p.n_rot; i0 += 2) {
    float ff = p.freq_factors.empty() ? 1.0f : p.freq_factors[size_t(i0 / 2)];
    float extrap = theta / ff;
    float interp = p.freq_scale * extrap;
    float t = interp;
    if (p.yarn) {
      float mix = YarnRamp(lo, hi, i0);
      t = interp * (1 - mix) + extrap * mix;
    }
    cos_sin[size_t(i0)] = std::cos(t) * mscale;
    cos_sin[size_t(i0) + 1] = std::sin(t) * mscale;
    theta *= theta_scale;
  }
}

void ApplyRope(const RopeParams& p, std::span<const float> cs, float* x, int n_heads,
               int head_dim) {
  const int half = p.n_rot / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + size_t(h) * size_t(head_dim);
    for (int i = 0; i < half; ++i) {
      const float c = cs[size_t(2 * i)], s = cs[size_t(2 * i + 1)];
      // NORMAL pairs adjacent dims; NEOX pairs i with i + n_rot/2.
      const int a = p.style == RopeStyle::kNormal ? 2 * i : i;
      const int b = p.style == RopeStyle::kNormal ? 2 * i + 1 : i + half;
      const float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

float GeluTanhF16(float x) {
  if (x <= -10.0f) return 0.0f;
  if (x >= 10.0f) return x;
  const float xh = F16ToF32(F32ToF16(x));
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  constexpr float kCoefA = 0.044715f;
  const float g = 0.5f * xh * (1.0f + std::tanh(kSqrt2OverPi * xh * (1.0f + kCoefA * xh * xh)));
  return F16ToF32(F32ToF16(g));
}

namespace {

// Four floats: the baseline x86-64 vector (SSE2); GCC lowers these operators to it.
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));

F4 Exp4(F4 x) { return VecExp<F4, I4>(x); }

}  // namespace

void GatedActivation(Activation act, std::span<float> gate, std::span<const float> up) {
  if (act == Activation::kSilu) {
    // silu(g)·u = g·u / (1 + e^-g), four at a time (std::exp one value at a time cost more than
    // the matrix products around it in decode).
    size_t i = 0;
    for (; i + 4 <= gate.size(); i += 4) {
      F4 g, u;
      std::memcpy(&g, &gate[i], sizeof g);
      std::memcpy(&u, &up[i], sizeof u);
      const F4 y = g * u / (1.0f + Exp4(-g));
      std::memcpy(&gate[i], &y, sizeof y);
    }
    for (; i < gate.size(); ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
  } else {
    for (size_t i = 0; i < gate.size(); ++i) gate[i] = GeluTanhF16(gate[i]) * up[i];
  }
}

void Softmax(std::span<float> x) {
  float max = -std::numeric_limits<float>::infinity();
  for (float v : x) max = std::max(max, v);
  double sum = 0.0;
  for (float& v : x) {
    v = v == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(v - max);
    sum += v;
  }
  const float inv = float(1.0 / sum);
  for (float& v : x) v *= inv;
}

}  // namespace foundry::engine::ops
