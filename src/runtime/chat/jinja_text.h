#pragma once
// Python str semantics over UTF-8 strings: code-point decoding, whitespace, case mapping,
// strip/split, repr and float formatting. Internal to the jinja interpreter.
//
// Invalid UTF-8 bytes decode to U+DC80..U+DCFF (Python's "surrogateescape") and encode back to
// the same byte, so no input is lost or rejected. Case mapping covers ASCII, Latin-1, Latin
// Extended-A, Greek and Cyrillic; other scripts are left unchanged.
// All functions are pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace foundry::runtime::jinja::text {

std::u32string Decode(std::string_view utf8);
std::string Encode(std::u32string_view cps);
void AppendUtf8(char32_t cp, std::string& out);

// Number of code points (Python len()).
size_t Length(std::string_view utf8);
bool IsAscii(std::string_view s);

// Python str.isspace() for one code point.
bool IsSpace(char32_t c);

char32_t ToUpper(char32_t c);
char32_t ToLower(char32_t c);
bool IsUpper(char32_t c);
bool IsLower(char32_t c);
bool IsCased(char32_t c);
bool IsAlpha(char32_t c);
bool IsDigit(char32_t c);

std::string Upper(std::string_view s);
std::string Lower(std::string_view s);
std::string SwapCase(std::string_view s);
// Python str.title(): a cased letter after an uncased character is upper-cased, others lowered.
std::string PyTitle(std::string_view s);
// Jinja's `title` filter: words start after whitespace, '-', '(', '{', '[' or '<'.
std::string JinjaTitle(std::string_view s);
// Python str.capitalize(): first code point upper, the rest lower.
std::string Capitalize(std::string_view s);

// Python str.strip/lstrip/rstrip. `chars` absent: whitespace.
std::string Strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right);

// Python str.split / rsplit. `sep` absent: runs of whitespace. REQUIRES: sep non-empty if set.
// maxsplit < 0: no limit.
std::vector<std::string> Split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit);
std::vector<std::string> RSplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit);
// Python str.splitlines().
std::vector<std::string> SplitLines(std::string_view s, bool keepends);

// Python str.replace; count < 0: all. Result capped: returns false (and stops) if it would exceed
// max_bytes.
bool Replace(std::string_view s, std::string_view old_s, std::string_view new_s, int64_t count,
             size_t max_bytes, std::string& out);

// Python str.count (non-overlapping; empty needle counts code points + 1).
int64_t Count(std::string_view s, std::string_view needle);

// Python repr() of a str: single quotes unless the text has ' and no ", with \n, \t, \\, \xNN
// escapes for non-printable characters.
std::string Repr(std::string_view s);

// Python repr() of a float ("1.0", "0.1", "1e+16", "inf", "nan").
std::string FormatFloat(double f);

// Byte offset of the code point with index `cp_index` (clamped to s.size()).
size_t CodePointOffset(std::string_view s, size_t cp_index);

}  // namespace foundry::runtime::jinja::text
