#pragma once
// Integer and number ranges as GBNF expressions (decimal JSON syntax, no leading zeros).
// Internal to the JSON-Schema compiler.

#include <cstdint>
#include <string>

namespace foundry::runtime::grammar {

// Largest magnitude the JSON grammars generate: 16 digits keeps every value exact in int64
// and in a double's 53-bit mantissa.
inline constexpr int64_t kMaxJsonMagnitude = 9999999999999999;

// A GBNF expression matching exactly the decimal integers in [lo, hi].
// REQUIRES -kMaxJsonMagnitude <= lo <= hi <= kMaxJsonMagnitude.
std::string IntegerRangeGbnf(int64_t lo, int64_t hi);

// A GBNF expression for JSON numbers without exponent whose value lies in [lo, hi]: the
// integers of the range, and fractions "i.ddd" whose whole interval (i, i+1) lies inside.
// REQUIRES as IntegerRangeGbnf.
std::string NumberRangeGbnf(int64_t lo, int64_t hi);

}  // namespace foundry::runtime::grammar
