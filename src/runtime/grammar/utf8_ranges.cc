#include "runtime/grammar/utf8_ranges.h"

#include <algorithm>

namespace foundry::runtime::grammar {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kSurrogateLo = 0xD800, kSurrogateHi = 0xDFFF;

int EncodedLength(uint32_t cp) { return cp <= 0x7F ? 1 : cp <= 0x7FF ? 2 : cp <= 0xFFFF ? 3 : 4; }

void Encode(uint32_t cp, uint8_t* out) {
  switch (EncodedLength(cp)) {
    case 1: out[0] = uint8_t(cp); break;
    case 2:
      out[0] = uint8_t(0xC0 | (cp >> 6));
      out[1] = uint8_t(0x80 | (cp & 0x3F));
      break;
    case 3:
      out[0] = uint8_t(0xE0 | (cp >> 12));
      out[1] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
      out[2] = uint8_t(0x80 | (cp & 0x3F));
      break;
    default:
      out[0] = uint8_t(0xF0 | (cp >> 18));
      out[1] = uint8_t(0x80 | ((cp >> 12) & 0x3F));
      out[2] = uint8_t(0x80 | ((cp >> 6) & 0x3F));
      out[3] = uint8_t(0x80 | (cp & 0x3F));
  }
}

// Splits [lo, hi] until each piece has one encoded length and, per byte position, the bytes of
// the piece form a full cartesian product (the classic UTF-8 range construction: split where
// the low 6·i bits are not all 0 at the start / all 1 at the end).
void Split(uint32_t lo, uint32_t hi, std::vector<Utf8Sequence>* out) {
  if (lo > hi) return;
  static constexpr uint32_t kBoundaries[] = {0x7F, 0x7FF, 0xFFFF};
  for (uint32_t b : kBoundaries) {
    if (lo <= b && hi > b) {
      Split(lo, b, out);
      Split(b + 1, hi, out);
      return;
    }
  }
  for (int i = 1; i < 4; ++i) {
    const uint32_t m = (uint32_t(1) << (6 * i)) - 1;
    if ((lo & ~m) != (hi & ~m)) {
      if ((lo & m) != 0) {
        Split(lo, lo | m, out);
        Split((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) != m) {
        Split(lo, (hi & ~m) - 1, out);
        Split(hi & ~m, hi, out);
        return;
      }
    }
  }
  Utf8Sequence s;
  s.n = EncodedLength(lo);
  Encode(lo, s.lo);
  Encode(hi, s.hi);
  out->push_back(s);
}

}  // namespace

std::vector<CodeRange> NormalizeRanges(std::vector<CodeRange> ranges, bool negate) {
  std::vector<CodeRange> clipped;
  for (CodeRange r : ranges) {
    if (r.lo > r.hi || r.lo > kMaxCodePoint) continue;
    r.hi = std::min(r.hi, kMaxCodePoint);
    // Cut out the surrogates.
    if (r.lo < kSurrogateLo && r.hi >= kSurrogateLo) {
      if (r.hi > kSurrogateHi) clipped.push_back({kSurrogateHi + 1, r.hi});
      r.hi = kSurrogateLo - 1;
    } else if (r.lo >= kSurrogateLo && r.lo <= kSurrogateHi) {
      if (r.hi <= kSurrogateHi) continue;
      r.lo = kSurrogateHi + 1;
    }
    clipped.push_back(r);
  }
  std::sort(clipped.begin(), clipped.end(), [](CodeRange a, CodeRange b) { return a.lo < b.lo; });
  std::vector<CodeRange> merged;
  for (CodeRange r : clipped) {
    if (!merged.empty() && r.lo <= merged.back().hi + 1)
      merged.back().hi = std::max(merged.back().hi, r.hi);
    else
      merged.push_back(r);
  }
  if (!negate) return merged;
  std::vector<CodeRange> out;
  uint32_t next = 0;
  auto add_gap = [&](uint32_t lo, uint32_t hi) {
    if (lo > hi) return;
    // The gap may span the surrogates; keep them out.
    if (lo < kSurrogateLo && hi > kSurrogateHi) {
      out.push_back({lo, kSurrogateLo - 1});
      out.push_back({kSurrogateHi + 1, hi});
    } else if (hi < kSurrogateLo || lo > kSurrogateHi) {
      out.push_back({lo, hi});
    } else if (lo < kSurrogateLo) {
      out.push_back({lo, kSurrogateLo - 1});
    } else if (hi > kSurrogateHi) {
      out.push_back({kSurrogateHi + 1, hi});
    }
  };
  for (CodeRange r : merged) {
    if (r.lo > next) add_gap(next, r.lo - 1);
    next = r.hi + 1;
  }
  if (next <= kMaxCodePoint) add_gap(next, kMaxCodePoint);
  return out;
}

std::vector<Utf8Sequence> Utf8Sequences(const std::vector<CodeRange>& ranges) {
  std::vector<Utf8Sequence> out;
  for (CodeRange r : ranges) Split(r.lo, r.hi, &out);
  return out;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  uint8_t buf[4];
  Encode(cp, buf);
  out->append(reinterpret_cast<const char*>(buf), size_t(EncodedLength(cp)));
}

}  // namespace foundry::runtime::grammar
