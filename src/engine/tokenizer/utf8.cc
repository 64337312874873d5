#include "engine/tokenizer/utf8.h"

#include <cassert>

namespace foundry::engine::tokenizer {
namespace {

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// Decodes one code point at text[*pos]; on an invalid sequence returns U+FFFD and advances
// one byte.
uint32_t DecodeOne(std::string_view text, size_t* pos) {
  const size_t i = *pos;
  const size_t left = text.size() - i;
  auto at = [&](size_t k) { return static_cast<uint8_t>(text[i + k]); };
  const uint8_t b0 = at(0);
  uint32_t cp = kReplacementChar;
  size_t n = 1;
  if (b0 < 0x80) {
    cp = b0;
  } else if ((b0 & 0x40) == 0) {
    // stray continuation byte
  } else if ((b0 & 0x20) == 0) {
    if (left >= 2 && IsContinuation(at(1))) {
      cp = (uint32_t{b0 & 0x1Fu} << 6) | (at(1) & 0x3Fu);
      n = 2;
    }
  } else if ((b0 & 0x10) == 0) {
    if (left >= 3 && IsContinuation(at(1)) && IsContinuation(at(2))) {
      cp = (uint32_t{b0 & 0x0Fu} << 12) | (uint32_t{at(1) & 0x3Fu} << 6) | (at(2) & 0x3Fu);
      n = 3;
    }
  } else if ((b0 & 0x08) == 0) {
    if (left >= 4 && IsContinuation(at(1)) && IsContinuation(at(2)) && IsContinuation(at(3))) {
      const uint32_t v = (uint32_t{b0 & 0x07u} << 18) | (uint32_t{at(1) & 0x3Fu} << 12) |
                         (uint32_t{at(2) & 0x3Fu} << 6) | (at(3) & 0x3Fu);
      if (v <= kMaxCodepoint) {
        cp = v;
        n = 4;
      }
    }
  }
  *pos = i + n;
  return cp;
}

}  // namespace

std::vector<uint32_t> DecodeUtf8Lenient(std::string_view text) {
  std::vector<uint32_t> cps;
  cps.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) cps.push_back(DecodeOne(text, &pos));
  return cps;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  assert(cp <= kMaxCodepoint);
  foundry::AppendUtf8(cp, out);
}

}  // namespace foundry::engine::tokenizer
