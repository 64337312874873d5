#pragma once
// UTF-8 encoding shared by the tokenizer, the Jinja interpreter and the grammar engine.
//
// Decoding is deliberately not shared: each user follows a different specification (the
// reference tokenizer's lenient codec, Python's strict str semantics in Jinja, code-point ranges
// in grammars), see engine/tokenizer/utf8.h and runtime/chat/jinja_text.h.

#include <cstdint>
#include <string>

namespace foundry {

inline constexpr uint32_t kMaxCodepoint = 0x10FFFF;

// Appends the UTF-8 form of `cp`, 1 to 4 bytes (surrogates as 3 bytes, like Python's
// "surrogatepass" and the reference tokenizer). REQUIRES: cp <= kMaxCodepoint.
inline void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace foundry
