#pragma once
// Overflow-checked size arithmetic for parsers of untrusted input.

#include <cstdint>

namespace foundry {

// Each returns false (leaving *out unspecified) if the exact result does not fit in uint64_t.
[[nodiscard]] inline bool CheckedMul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
[[nodiscard]] inline bool CheckedAdd(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}

// Smallest multiple of `align` >= v. REQUIRES: align > 0. Returns false on overflow.
[[nodiscard]] inline bool CheckedAlignUp(uint64_t v, uint64_t align, uint64_t* out) {
  uint64_t rem = v % align;
  if (rem == 0) {
    *out = v;
    return true;
  }
  return CheckedAdd(v, align - rem, out);
}

}  // namespace foundry
