#include "engine/tokenizer/special_partition.h"

namespace foundry::engine::tokenizer {
namespace {

// C isspace() in the "C" locale; bytes >= 0x80 are never whitespace here.
bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Appends the fragments of raw text [offset, offset + length) split by every occurrence of
// token `id` (text `needle`, strip attributes `attr`).
void SplitRaw(std::string_view text, size_t offset, size_t length, TokenId id,
              std::string_view needle, uint32_t attr, std::vector<Fragment>& out) {
  const std::string_view region = text.substr(0, offset + length);
  while (length > 0) {
    const size_t match = region.find(needle, offset);
    if (match == std::string_view::npos) break;
    size_t left_length = match - offset;
    if (attr & kAttrLstrip) {
      while (left_length > 0 && IsAsciiSpace(text[offset + left_length - 1])) --left_length;
    }
    if (left_length > 0) out.push_back({.token = -1, .offset = offset, .length = left_length});
    out.push_back({.token = id});
    const size_t end = offset + length;
    offset = match + needle.size();
    if (attr & kAttrRstrip) {
      while (offset < end && IsAsciiSpace(text[offset])) ++offset;
    }
    length = end - offset;
  }
  if (length > 0) out.push_back({.token = -1, .offset = offset, .length = length});
}

}  // namespace

std::vector<Fragment> PartitionSpecial(const Vocab& vocab, std::string_view text,
                                       bool parse_special) {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({.token = -1, .offset = 0, .length = text.size()});
  std::vector<Fragment> next;
  for (TokenId id : vocab.special_tokens) {
    const uint32_t attr = vocab.attrs[size_t(id)];
    if (!parse_special && (attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string_view needle = vocab.text(id);
    next.clear();
    bool changed = false;
    for (const Fragment& f : fragments) {
      if (f.is_token() || f.length < needle.size() ||
          text.substr(f.offset, f.length).find(needle) == std::string_view::npos) {
        next.push_back(f);
        continue;
      }
      SplitRaw(text, f.offset, f.length, id, needle, attr, next);
      changed = true;
    }
    if (changed) fragments.swap(next);
  }
  return fragments;
}

}  // namespace foundry::engine::tokenizer
