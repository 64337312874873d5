#include "runtime/chat/jinja_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "foundry/core/utf8.h"

namespace foundry::runtime::jinja::text {
namespace {

// Surrogate-escape range for undecodable bytes (see header).
constexpr char32_t kEscapeBase = 0xDC00;

bool InSet(char32_t c, std::u32string_view set) { return set.find(c) != std::u32string_view::npos; }

// Python str.isprintable() approximation: control characters, separators other than the ASCII
// space, and common format characters are not printable (repr escapes them).
bool IsPrintable(char32_t c) {
  if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD) return false;
  if (c >= 0xD800 && c <= 0xDFFF) return false;
  if (c == 0x1680 || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) ||
      (c >= 0x205F && c <= 0x2064) || c == 0x3000 || c == 0xFEFF)
    return false;
  return c <= 0x10FFFF;
}

// Lower-case partner of an upper-case letter in the Latin Extended-A block, or 0.
char32_t LatinExtALower(char32_t c) {
  if (c >= 0x100 && c <= 0x137 && c % 2 == 0 && c != 0x130) return c + 1;
  if (c >= 0x139 && c <= 0x148 && c % 2 == 1) return c + 1;
  if (c >= 0x14A && c <= 0x177 && c % 2 == 0) return c + 1;
  if (c >= 0x179 && c <= 0x17E && c % 2 == 1) return c + 1;
  if (c == 0x178) return 0xFF;
  if (c == 0x130) return U'i';
  return 0;
}

char32_t LatinExtAUpper(char32_t c) {
  if (c >= 0x101 && c <= 0x137 && c % 2 == 1 && c != 0x131) return c - 1;
  if (c >= 0x13A && c <= 0x148 && c % 2 == 0) return c - 1;
  if (c >= 0x14B && c <= 0x177 && c % 2 == 1) return c - 1;
  if (c >= 0x17A && c <= 0x17E && c % 2 == 0) return c - 1;
  if (c == 0x131) return U'I';
  if (c == 0x17F) return U'S';
  return 0;
}

template <class F>
std::string MapCodePoints(std::string_view s, F f) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& ch : out) ch = static_cast<char>(f(static_cast<char32_t>(ch)));
    return out;
  }
  std::u32string cps = Decode(s);
  for (char32_t& c : cps) c = f(c);
  return Encode(cps);
}

std::u32string_view StripSet(const std::optional<std::string>& chars, std::u32string& storage) {
  storage = Decode(*chars);
  return storage;
}

bool IsStripChar(char32_t c, const std::optional<std::string>& chars, std::u32string_view set) {
  return chars ? InSet(c, set) : IsSpace(c);
}

}  // namespace

void AppendUtf8(char32_t cp, std::string& out) {
  if (cp >= kEscapeBase + 0x80 && cp <= kEscapeBase + 0xFF) {
    out.push_back(static_cast<char>(cp - kEscapeBase));
  } else {
    foundry::AppendUtf8(uint32_t(cp), out);
  }
}

std::u32string Decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    int len = b0 < 0x80 ? 1 : (b0 >> 5) == 6 ? 2 : (b0 >> 4) == 14 ? 3 : (b0 >> 3) == 30 ? 4 : 0;
    char32_t cp = 0;
    bool ok = len > 0 && i + static_cast<size_t>(len) <= s.size();
    if (ok) {
      cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
      for (int k = 1; k < len && ok; ++k) {
        auto b = static_cast<unsigned char>(s[i + static_cast<size_t>(k)]);
        if ((b & 0xC0) != 0x80) ok = false;
        cp = (cp << 6) | (b & 0x3F);
      }
      // Reject overlong forms, surrogates and values past U+10FFFF.
      static constexpr char32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      if (ok && (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    }
    if (!ok) {
      out.push_back(kEscapeBase + b0);
      ++i;
    } else {
      out.push_back(cp);
      i += static_cast<size_t>(len);
    }
  }
  return out;
}

std::string Encode(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) AppendUtf8(c, out);
  return out;
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

size_t Length(std::string_view s) {
  if (IsAscii(s)) return s.size();
  return Decode(s).size();
}

size_t CodePointOffset(std::string_view s, size_t cp_index) {
  if (IsAscii(s)) return cp_index < s.size() ? cp_index : s.size();
  std::u32string cps = Decode(s);
  if (cp_index >= cps.size()) return s.size();
  return Encode(std::u32string_view(cps).substr(0, cp_index)).size();
}

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

char32_t ToUpper(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') ? c - 32 : c;
  if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;
  if (c == 0xFF) return 0x178;
  if (c == 0xB5) return 0x39C;
  if (c >= 0x100 && c <= 0x17F) {
    char32_t u = LatinExtAUpper(c);
    return u ? u : c;
  }
  if (c >= 0x3B1 && c <= 0x3C9) return c == 0x3C2 ? 0x3A3 : c - 0x20;
  if (c == 0x3AC) return 0x386;
  if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
  if (c == 0x3CC) return 0x38C;
  if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}

char32_t ToLower(char32_t c) {
  if (c < 0x80) return (c >= U'A' && c <= U'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if (c >= 0x100 && c <= 0x17F) {
    char32_t l = LatinExtALower(c);
    return l ? l : c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
  if (c == 0x386) return 0x3AC;
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c == 0x38C) return 0x3CC;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  return c;
}

bool IsUpper(char32_t c) { return ToLower(c) != c || c == 0x130; }
bool IsLower(char32_t c) { return ToUpper(c) != c || c == 0xDF || c == 0x138 || c == 0x149; }
bool IsCased(char32_t c) { return IsUpper(c) || IsLower(c); }

bool IsAlpha(char32_t c) {
  if (c < 0x80) return (c >= U'a' && c <= U'z') || (c >= U'A' && c <= U'Z');
  if (IsCased(c)) return true;
  // Letters without case: Hebrew, Arabic, kana, CJK ideographs, Hangul.
  return (c >= 0x5D0 && c <= 0x5EA) || (c >= 0x620 && c <= 0x64A) || (c >= 0x3041 && c <= 0x30FF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3);
}

bool IsDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

std::string Upper(std::string_view s) { return MapCodePoints(s, ToUpper); }
std::string Lower(std::string_view s) { return MapCodePoints(s, ToLower); }
std::string SwapCase(std::string_view s) {
  return MapCodePoints(s, [](char32_t c) {
    char32_t l = ToLower(c);
    return l != c ? l : ToUpper(c);
  });
}

std::string PyTitle(std::string_view s) {
  std::u32string cps = Decode(s);
  bool prev_cased = false;
  for (char32_t& c : cps) {
    bool cased = IsCased(c);
    if (cased) c = prev_cased ? ToLower(c) : ToUpper(c);
    prev_cased = cased;
  }
  return Encode(cps);
}

std::string JinjaTitle(std::string_view s) {
  std::u32string cps = Decode(s);
  bool word_start = true;
  for (char32_t& c : cps) {
    bool sep = IsSpace(c) || c == U'-' || c == U'(' || c == U'{' || c == U'[' || c == U'<';
    if (sep) {
      word_start = true;
      continue;
    }
    c = word_start ? ToUpper(c) : ToLower(c);
    word_start = false;
  }
  return Encode(cps);
}

std::string Capitalize(std::string_view s) {
  std::u32string cps = Decode(s);
  for (size_t i = 0; i < cps.size(); ++i) cps[i] = i == 0 ? ToUpper(cps[i]) : ToLower(cps[i]);
  return Encode(cps);
}

std::string Strip(std::string_view s, const std::optional<std::string>& chars, bool left,
                  bool right) {
  std::u32string storage;
  std::u32string_view set = chars ? StripSet(chars, storage) : std::u32string_view();
  std::u32string cps = Decode(s);
  size_t b = 0, e = cps.size();
  if (left)
    while (b < e && IsStripChar(cps[b], chars, set)) ++b;
  if (right)
    while (e > b && IsStripChar(cps[e - 1], chars, set)) --e;
  return Encode(std::u32string_view(cps).substr(b, e - b));
}

std::vector<std::string> Split(std::string_view s, const std::optional<std::string>& sep,
                               int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      size_t hit = s.find(*sep, pos);
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
    out.emplace_back(s.substr(pos));
    return out;
  }
  std::u32string cps = Decode(s);
  size_t i = 0, n = cps.size();
  while (true) {
    while (i < n && IsSpace(cps[i])) ++i;
    if (i == n) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.push_back(Encode(std::u32string_view(cps).substr(i)));
      break;
    }
    size_t j = i;
    while (j < n && !IsSpace(cps[j])) ++j;
    out.push_back(Encode(std::u32string_view(cps).substr(i, j - i)));
    i = j;
  }
  return out;
}

std::vector<std::string> RSplit(std::string_view s, const std::optional<std::string>& sep,
                                int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      size_t hit = s.rfind(*sep, end - sep->size());
      if (hit == std::string_view::npos) break;
      out.emplace_back(s.substr(hit + sep->size(), end - hit - sep->size()));
      end = hit;
    }
    out.emplace_back(s.substr(0, end));
  } else {
    std::u32string cps = Decode(s);
    size_t j = cps.size();
    while (true) {
      while (j > 0 && IsSpace(cps[j - 1])) --j;
      if (j == 0) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
        out.push_back(Encode(std::u32string_view(cps).substr(0, j)));
        break;
      }
      size_t i = j;
      while (i > 0 && !IsSpace(cps[i - 1])) --i;
      out.push_back(Encode(std::u32string_view(cps).substr(i, j - i)));
      j = i;
    }
  }
  return {out.rbegin(), out.rend()};
}

std::vector<std::string> SplitLines(std::string_view s, bool keepends) {
  std::u32string cps = Decode(s);
  std::vector<std::string> out;
  size_t start = 0, i = 0;
  while (i < cps.size()) {
    char32_t c = cps[i];
    bool brk = c == U'\n' || c == U'\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
               c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) {
      ++i;
      continue;
    }
    size_t eol = i + 1;
    if (c == U'\r' && eol < cps.size() && cps[eol] == U'\n') ++eol;
    size_t stop = keepends ? eol : i;
    out.push_back(Encode(std::u32string_view(cps).substr(start, stop - start)));
    start = i = eol;
  }
  if (start < cps.size()) out.push_back(Encode(std::u32string_view(cps).substr(start)));
  return out;
}

bool Replace(std::string_view s, std::string_view old_s, std::string_view new_s, int64_t count,
             size_t max_bytes, std::string& out) {
  out.clear();
  int64_t done = 0;
  if (old_s.empty()) {
    // Python inserts `new` before every code point and at the end.
    std::u32string cps = Decode(s);
    for (size_t i = 0; i <= cps.size(); ++i) {
      if (count < 0 || done < count) {
        out.append(new_s);
        ++done;
      }
      if (i < cps.size()) AppendUtf8(cps[i], out);
      if (out.size() > max_bytes) return false;
    }
    return true;
  }
  size_t pos = 0;
  while (count < 0 || done < count) {
    size_t hit = s.find(old_s, pos);
    if (hit == std::string_view::npos) break;
    out.append(s.substr(pos, hit - pos));
    out.append(new_s);
    pos = hit + old_s.size();
    ++done;
    if (out.size() > max_bytes) return false;
  }
  out.append(s.substr(pos));
  return out.size() <= max_bytes;
}

int64_t Count(std::string_view s, std::string_view needle) {
  if (needle.empty()) return static_cast<int64_t>(Length(s)) + 1;
  int64_t n = 0;
  for (size_t pos = s.find(needle); pos != std::string_view::npos;
       pos = s.find(needle, pos + needle.size()))
    ++n;
  return n;
}

std::string Repr(std::string_view s) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (char32_t c : Decode(s)) {
    char buf[16];
    if (c == U'\\') {
      out += "\\\\";
    } else if (c == static_cast<char32_t>(quote)) {
      out += '\\';
      out += quote;
    } else if (c == U'\n') {
      out += "\\n";
    } else if (c == U'\r') {
      out += "\\r";
    } else if (c == U'\t') {
      out += "\\t";
    } else if (IsPrintable(c)) {
      AppendUtf8(c, out);
    } else {
      if (c < 0x100)
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000)
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      else
        std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    }
  }
  out += quote;
  return out;
}

std::string FormatFloat(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f < 0 ? "-inf" : "inf";
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  // Shortest round-trip digits, then laid out the way Python's repr() does: positional for
  // exponents in [-4, 16), scientific otherwise.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  size_t e_pos = sci.find('e');
  std::string mant = sci.substr(0, e_pos);
  int exp = std::stoi(sci.substr(e_pos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  std::string out = neg ? "-" : "";
  if (exp >= -4 && exp < 16) {
    if (exp < 0) {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    } else {
      size_t int_len = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_len) {
        out += digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (digits.size() > 1) out.append(".").append(digits, 1);
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  return out + ebuf;
}

}  // namespace foundry::runtime::jinja::text
