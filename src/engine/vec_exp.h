#pragma once
// e^x lane-wise over GCC vector types, written once for the SiLU activation (ops.cc), the
// attention kernels (attention_tiled.h, per ISA width) and the sampler's draw (sampler.cc).
// Range reduction x = n·ln2 + r with |r| <= ln2/2, a degree-6 polynomial for e^r (relative error
// ~2e-7, like expf's last bit), 2^n built in the exponent bits; rounding by the 1.5·2^23 trick,
// so it is plain float arithmetic: the same bits on every build of the same width.
// Internal linkage on purpose: units built with different -m flags each keep their own copy.

#include <cstdint>
#include <cstring>

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors only pass between inlined functions here

namespace foundry::engine {
namespace {

// V: a vector of float lanes, IV: int32 lanes of the same count. x is clamped to [-87, 88], so
// 2^n stays a normal float.
template <class V, class IV>
inline V VecExp(V x) {
  x = x < -87.0f ? V{} - 87.0f : x;
  x = x > 88.0f ? V{} + 88.0f : x;
  const V n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  const V r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
  V p = V{} + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const IV bits = (__builtin_convertvector(n, IV) + 127) << 23;
  V scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// e^x for x <= 0 (e.g. minus a running max): 0 below -87, so -inf (a masked entry) gives 0.
template <class V, class IV>
inline V VecExpNonPositive(V x) {
  const IV under = x < -87.0f;  // all ones where true
  return under ? V{} : VecExp<V, IV>(x);
}

}  // namespace
}  // namespace foundry::engine
