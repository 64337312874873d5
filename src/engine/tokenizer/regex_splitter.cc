#include "engine/tokenizer/regex_splitter.h"

#include <algorithm>
#include <new>
#include <string>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};
using CodePtr = std::unique_ptr<pcre2_code, CodeDeleter>;
using MatchDataPtr = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

// The code point PCRE2 sees in place of `cp`. Non-ASCII whitespace becomes U+000B (§4.5).
// Surrogates (which the lenient decoder lets through but PCRE2 cannot take as UTF-8) become
// U+0080: like a surrogate in the reference's tables it is a control character, neither letter,
// number, mark, punctuation, symbol nor whitespace, and no expression names it literally.
uint32_t MatchProxy(uint32_t cp) {
  if (cp < 0x80) return cp;
  if (IsReferenceWhitespace(cp)) return 0x0B;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0x80;
  return cp;
}

// Runs `code` over subject[begin_byte, end_byte) and appends the gap/match piece lengths (in
// code points) to `pieces`. `byte_of[i]` is the byte offset of code point i in `subject`.
void SplitPiece(const pcre2_code* code, pcre2_match_data* md, const std::string& subject,
                const std::vector<uint32_t>& byte_of, uint32_t begin_cp, uint32_t end_cp,
                std::vector<uint32_t>& pieces) {
  const size_t base = byte_of[begin_cp];
  const size_t length = byte_of[end_cp] - base;
  const auto* data = reinterpret_cast<PCRE2_SPTR>(subject.data() + base);
  // Byte offset (relative to the piece) -> code point index.
  auto cp_at = [&](size_t rel) {
    auto it = std::lower_bound(byte_of.begin() + begin_cp, byte_of.begin() + end_cp + 1,
                               static_cast<uint32_t>(base + rel));
    return static_cast<uint32_t>(it - byte_of.begin());
  };
  uint32_t done_cp = begin_cp;  // everything before it has been emitted
  size_t offset = 0;
  while (offset < length) {
    int rc = pcre2_match(code, data, length, offset, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      // The JIT's fixed stack is small; the interpreter keeps its backtracking on the heap.
      rc = pcre2_match(code, data, length, offset, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
    }
    // No match, or a resource limit hit on pathological input: the rest stays one gap.
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t match_begin = ov[0];
    const size_t match_end = ov[1];
    if (match_end <= match_begin) {
      // None of our expressions can match empty; step over one code point to stay finite.
      offset = match_begin + Utf8SequenceLength(static_cast<uint8_t>(data[match_begin]));
      continue;
    }
    const uint32_t mb = cp_at(match_begin);
    const uint32_t me = cp_at(match_end);
    if (mb > done_cp) pieces.push_back(mb - done_cp);
    pieces.push_back(me - mb);
    done_cp = me;
    offset = match_end;
  }
  if (end_cp > done_cp) pieces.push_back(end_cp - done_cp);
}

}  // namespace

struct RegexSplitter::Impl {
  std::vector<CodePtr> codes;
};

RegexSplitter::RegexSplitter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegexSplitter::RegexSplitter(RegexSplitter&&) noexcept = default;
RegexSplitter& RegexSplitter::operator=(RegexSplitter&&) noexcept = default;
RegexSplitter::~RegexSplitter() = default;

Result<RegexSplitter> RegexSplitter::Create(std::span<const std::string_view> expressions) {
  auto impl = std::make_unique<Impl>();
  for (std::string_view expr : expressions) {
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    CodePtr code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(expr.data()), expr.size(),
                               PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &error_offset,
                               nullptr));
    if (!code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof message);
      return Status::Internal("pre-tokenizer regex '" + std::string(expr) + "' at offset " +
                              std::to_string(error_offset) + ": " +
                              reinterpret_cast<const char*>(message));
    }
    // JIT is an optimisation only: without it (unsupported CPU, W^X policy) matching still
    // works through the interpreter, so its status is deliberately not checked.
    (void)pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);
    impl->codes.push_back(std::move(code));
  }
  return RegexSplitter(std::move(impl));
}

std::vector<uint32_t> RegexSplitter::Split(std::span<const uint32_t> cps) const {
  if (cps.empty()) return {};
  std::string subject;
  subject.reserve(cps.size() * 2);
  std::vector<uint32_t> byte_of(cps.size() + 1);
  for (size_t i = 0; i < cps.size(); ++i) {
    byte_of[i] = static_cast<uint32_t>(subject.size());
    AppendUtf8(MatchProxy(cps[i]), subject);
  }
  byte_of[cps.size()] = static_cast<uint32_t>(subject.size());

  std::vector<uint32_t> pieces = {static_cast<uint32_t>(cps.size())};
  std::vector<uint32_t> next;
  for (const CodePtr& code : impl_->codes) {
    MatchDataPtr md(pcre2_match_data_create_from_pattern(code.get(), nullptr));
    if (!md) throw std::bad_alloc();  // only memory exhaustion makes this fail
    next.clear();
    uint32_t begin = 0;
    for (uint32_t len : pieces) {
      SplitPiece(code.get(), md.get(), subject, byte_of, begin, begin + len, next);
      begin += len;
    }
    pieces.swap(next);
  }
  return pieces;
}

bool IsReferenceWhitespace(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

}  // namespace foundry::engine::tokenizer
