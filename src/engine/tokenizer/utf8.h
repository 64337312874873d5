#pragma once
// UTF-8 helpers that reproduce the reference tokenizer's lenient codec (formats.md §4.3, §4.4).
//
// The reference does not validate strictly: overlong forms and surrogates decode to their
// numeric value and re-encode to the shortest form. Only a bad lead byte, a missing
// continuation byte or a truncated sequence becomes U+FFFD (consuming one byte).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/utf8.h"

namespace foundry::engine::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;
using foundry::kMaxCodepoint;

// Length of the UTF-8 sequence that starts with `lead`, from its high nibble alone:
// 0x0-0xB -> 1 (continuation bytes count as one), 0xC-0xD -> 2, 0xE -> 3, 0xF -> 4.
// Callers clamp the result to the bytes left.
inline size_t Utf8SequenceLength(uint8_t lead) {
  constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

// Code points of `text`. An invalid sequence yields U+FFFD and resumes at the next byte.
// Departure from the reference: a 4-byte sequence decoding above U+10FFFF is also treated as
// invalid (the reference decodes it and later throws while re-encoding).
std::vector<uint32_t> DecodeUtf8Lenient(std::string_view text);

// Appends the UTF-8 form of `cp` (surrogates as 3 bytes, like the reference).
// REQUIRES: cp <= kMaxCodepoint.
void AppendUtf8(uint32_t cp, std::string& out);

}  // namespace foundry::engine::tokenizer
