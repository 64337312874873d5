#include "engine/tokenizer/detokenize.h"

#include <cstdio>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

constexpr std::string_view kSpmSpace = "\xE2\x96\x81";  // U+2581

std::string UnescapeSpmWhitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.substr(i, kSpmSpace.size()) == kSpmSpace) {
      out.push_back(' ');
      i += kSpmSpace.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}

// Maps byte-level alphabet characters back to bytes. A character outside the alphabet yields
// "[UNK_BYTE_0x<its UTF-8 in hex><whole token text>]", as the reference writes it.
std::string DecodeByteLevel(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::string utf8;
  for (uint32_t cp : DecodeUtf8Lenient(text)) {
    const int b = CodepointToByte(cp);
    if (b >= 0) {
      out.push_back(static_cast<char>(b));
      continue;
    }
    utf8.clear();
    AppendUtf8(cp, utf8);
    out += "[UNK_BYTE_0x";
    for (char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned>(static_cast<uint8_t>(c)));
      out += hex;
    }
    out += text;
    out += "]";
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of an SPM BYTE token "<0xHH>". Like the reference's strtol, parsing stops at the
// first non-hex character (so a malformed text yields the digits read so far, or 0).
char SpmByteValue(std::string_view text) {
  int value = 0;
  for (size_t i = 3; i < text.size() && i < 5; ++i) {
    const int d = HexDigit(text[i]);
    if (d < 0) break;
    value = value * 16 + d;
  }
  return static_cast<char>(value);
}

std::string RawPiece(const Vocab& vocab, TokenId id, bool special) {
  if (!vocab.IsValid(id)) return "";
  const uint32_t attr = vocab.attrs[size_t(id)];
  const std::string_view text = vocab.text(id);
  if (attr & (kAttrControl | kAttrUnknown)) return special ? std::string(text) : std::string();
  if (attr & kAttrUserDefined) return std::string(text);
  switch (vocab.kind) {
    case VocabKind::kSpm:
    case VocabKind::kWpm:
      if (attr & kAttrNormal) return UnescapeSpmWhitespace(text);
      if (attr & kAttrByte) return std::string(1, SpmByteValue(text));
      return "";
    case VocabKind::kBpe:
      if (attr & kAttrNormal) return DecodeByteLevel(text);
      return "";
  }
  return "";
}

// The reference's three clean-up passes over the detokenized bytes (clean_up_tokenization
// spaces). Each pass compacts `s` in place and, like the reference, tests characters at their
// original positions.
void CleanSpaces(std::string& s) {
  // " ?", " !", " .", " ," -> drop the space.
  size_t total = s.empty() ? 0 : 1;
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (s[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
    s[total++] = x;
  }
  s.resize(total);

  // " ' " -> "'" (the next space is overwritten by NUL and skipped).
  total = s.empty() ? 0 : 1;
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (x == '\'' && i + 1 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ') {
      --total;
      s[++i] = '\0';
    }
    s[total++] = x;
  }
  s.resize(total);

  // " 's", " 'm", " 're", " 've" -> drop the space (" 't" and " 'd" keep it).
  total = s.empty() ? 0 : 1;
  for (size_t i = 1; i < s.size(); ++i) {
    const char x = s[i];
    if (s[i - 1] == ' ' && x == '\'' && i + 1 < s.size()) {
      const char x1 = s[i + 1];
      if (x1 == 's' || x1 == 'm') {
        --total;
      } else if (x1 != 't' && x1 != 'd' && i + 2 < s.size()) {
        const char x2 = s[i + 2];
        if ((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) --total;
      }
    }
    s[total++] = x;
  }
  s.resize(total);
}

}  // namespace

std::string TokenPiece(const Vocab& vocab, TokenId id, int lstrip, bool special) {
  std::string piece = RawPiece(vocab, id, special);
  size_t n = 0;
  while (n < piece.size() && static_cast<int>(n) < lstrip && piece[n] == ' ') ++n;
  piece.erase(0, n);
  return piece;
}

std::string Detokenize(const Vocab& vocab, std::span<const TokenId> ids, bool remove_special,
                       bool unparse_special) {
  bool remove_space = vocab.add_space_prefix;
  if (remove_special && vocab.add_bos && !ids.empty() && ids.front() == vocab.bos_id) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (remove_special && vocab.add_eos && !ids.empty() && ids.back() == vocab.eos_id) {
    ids = ids.first(ids.size() - 1);
  }
  std::string text;
  for (TokenId id : ids) {
    text += TokenPiece(vocab, id, remove_space ? 1 : 0, unparse_special);
    remove_space = false;
  }
  if (vocab.clean_spaces) CleanSpaces(text);
  return text;
}

}  // namespace foundry::engine::tokenizer
