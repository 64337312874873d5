#pragma once
// The two one-to-one Unicode mappings WordPiece normalization needs (formats.md §4.6), as the
// reference computes them: per code point, the first code point of its NFD decomposition, and
// the first code point of its full lowercase form. Character categories come from PCRE2 (see
// wpm.h), so both sources follow Unicode 14.0 (PCRE2 10.42; the tables were derived from
// Python 3.11's unicodedata 14.0.0 with the rules written next to them in the .cc).

#include <cstdint>

namespace foundry::engine::tokenizer {

// First code point of NFD(cp), or cp itself when it has no canonical decomposition.
// Departure from the reference: the CJK compatibility ideographs (U+F900-FAFF,
// U+2F800-2FA1F; ~1000 singleton mappings) are left unchanged, so a BERT vocabulary sees the
// compatibility ideograph instead of its unified twin (both are single-character words).
uint32_t NfdFirst(uint32_t cp);

// First code point of the full lowercase of cp (so U+0130 'İ' -> 'i'), or cp itself.
uint32_t ToLowerFirst(uint32_t cp);

}  // namespace foundry::engine::tokenizer
