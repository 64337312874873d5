#pragma once
// Code-point ranges -> UTF-8 byte-range sequences, so a character class over code points
// becomes alternatives the byte-level matcher can walk. Internal to the grammar compiler.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace foundry::runtime::grammar {

// Inclusive code-point range.
struct CodeRange {
  uint32_t lo, hi;
};

// One UTF-8 encoded slice of a range: byte i of the encoding lies in [lo[i], hi[i]] for
// i < n, and every combination of such bytes is a valid encoding inside the range.
struct Utf8Sequence {
  int n = 0;
  uint8_t lo[4] = {}, hi[4] = {};
};

// Sorted, merged ranges of `ranges` clipped to Unicode scalar values ([0, 0x10FFFF] without
// the surrogates D800-DFFF); with `negate`, its complement over the same set.
std::vector<CodeRange> NormalizeRanges(std::vector<CodeRange> ranges, bool negate);

// Byte sequences whose union is exactly the UTF-8 encodings of the code points in `ranges`
// (which must be normalized: sorted, disjoint, no surrogates).
std::vector<Utf8Sequence> Utf8Sequences(const std::vector<CodeRange>& ranges);

// Appends the UTF-8 encoding of `cp` (REQUIRES cp <= 0x10FFFF).
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace foundry::runtime::grammar
