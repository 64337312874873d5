#pragma once
// RegexSplitter: the pre-tokenizer of byte-level BPE vocabularies (formats.md §4.5), a list of
// PCRE2 expressions (UTF + UCP) applied in order.
//
// Each expression rescans every current piece and replaces it by `gap, match, gap, match, ...,
// gap` (empty gaps dropped); text no expression matches is kept as its own piece. `$` means the
// end of the piece and lookaheads stop there. Before matching, every non-ASCII whitespace code
// point is replaced by U+000B, so it matches `\s` but no literal, which reproduces both the
// reference's hand-written splitters and its std::regex fallback.
//
// Thread-safety: immutable after Create(); Split() is const and safe from any thread (match
// data is per call).

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::engine::tokenizer {

class RegexSplitter {
 public:
  // Compiles `expressions` (PCRE2 syntax). kInternal when one does not compile (the lists are
  // ours, so that is a foundry bug; the message names the expression and the offset).
  static Result<RegexSplitter> Create(std::span<const std::string_view> expressions);

  RegexSplitter(RegexSplitter&&) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) noexcept;
  ~RegexSplitter();

  // Splits the code points of one raw text fragment. Returns the piece lengths in code points,
  // in order, each > 0, summing to cps.size() (empty for empty input). Code points may be any
  // value the lenient UTF-8 decoder produces (surrogates included).
  std::vector<uint32_t> Split(std::span<const uint32_t> cps) const;

 private:
  struct Impl;
  explicit RegexSplitter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The reference's whitespace set (`\s` of §4.5): U+0009-000D, U+0020, U+0085, U+00A0, U+1680,
// U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool IsReferenceWhitespace(uint32_t cp);

}  // namespace foundry::engine::tokenizer
