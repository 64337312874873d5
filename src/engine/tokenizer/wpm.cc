#include "engine/tokenizer/wpm.h"

#include <algorithm>
#include <new>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/tokenizer/regex_splitter.h"
#include "engine/tokenizer/unicode_tables.h"
#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

// Classifies the single character at the match position by which group matches:
//   1: control, format or private use (Cc Cf Co) -> dropped
//   2: combining mark (M)                         -> dropped when stripping accents
//   3: punctuation, ASCII punctuation/symbols, CJK ideographs -> a word of its own
// Nothing matched: an ordinary word character. Whitespace, U+0000, U+FFFD and surrogates are
// handled before the classifier runs.
constexpr std::string_view kClassifier =
    R"((\p{Cc}|\p{Cf}|\p{Co})|(\p{M})|([\p{P}!-/:-@\[-`{-~)"
    R"(\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{20000}-\x{2A6DF}\x{2A700}-\x{2B73F})"
    R"(\x{2B740}-\x{2B81F}\x{2B920}-\x{2CEAF}\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}]))";

enum class CharClass { kWord, kDrop, kMark, kSingle };

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};
struct MatchDataDeleter {
  void operator()(pcre2_match_data* md) const { pcre2_match_data_free(md); }
};

}  // namespace

struct WpmEncoder::Impl {
  std::unique_ptr<pcre2_code, CodeDeleter> classifier;

  CharClass Classify(uint32_t cp, pcre2_match_data* md) const {
    std::string utf8;
    AppendUtf8(cp, utf8);
    const int rc = pcre2_match(classifier.get(), reinterpret_cast<PCRE2_SPTR>(utf8.data()),
                               utf8.size(), 0, PCRE2_ANCHORED | PCRE2_NO_UTF_CHECK, md, nullptr);
    switch (rc) {
      case 2:
        return CharClass::kDrop;
      case 3:
        return CharClass::kMark;
      case 4:
        return CharClass::kSingle;
      default:
        return CharClass::kWord;  // no match
    }
  }
};

WpmEncoder::WpmEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WpmEncoder::WpmEncoder(WpmEncoder&&) noexcept = default;
WpmEncoder& WpmEncoder::operator=(WpmEncoder&&) noexcept = default;
WpmEncoder::~WpmEncoder() = default;

Result<WpmEncoder> WpmEncoder::Create() {
  int error = 0;
  PCRE2_SIZE offset = 0;
  auto impl = std::make_unique<Impl>();
  impl->classifier.reset(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kClassifier.data()),
                                       kClassifier.size(), PCRE2_UTF | PCRE2_UCP, &error, &offset,
                                       nullptr));
  if (!impl->classifier)
    return Status::Internal("WordPiece classifier regex does not compile at offset " +
                            std::to_string(offset));
  // Optimisation only; the interpreter gives the same answers.
  (void)pcre2_jit_compile(impl->classifier.get(), PCRE2_JIT_COMPLETE);
  return WpmEncoder(std::move(impl));
}

std::vector<std::string> WpmEncoder::Words(const Vocab& vocab, std::string_view fragment) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> md(
      pcre2_match_data_create_from_pattern(impl_->classifier.get(), nullptr));
  if (!md) throw std::bad_alloc();  // only memory exhaustion makes this fail

  std::vector<std::string> words(1);
  auto end_word = [&] {
    if (!words.back().empty()) words.emplace_back();
  };
  for (uint32_t cp : DecodeUtf8Lenient(fragment)) {
    if (vocab.strip_accents) cp = NfdFirst(cp);
    if (IsReferenceWhitespace(cp)) {
      end_word();
      continue;
    }
    if (cp == 0 || cp == kReplacementChar || (cp >= 0xD800 && cp <= 0xDFFF)) continue;
    const CharClass cls = impl_->Classify(cp, md.get());
    if (cls == CharClass::kDrop) continue;
    if (cls == CharClass::kMark && vocab.strip_accents) continue;
    const uint32_t lower = vocab.lowercase ? ToLowerFirst(cp) : cp;
    if (cls == CharClass::kSingle) {
      end_word();
      AppendUtf8(lower, words.back());
      words.emplace_back();
    } else {
      AppendUtf8(lower, words.back());
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

void WpmEncoder::Encode(const Vocab& vocab, std::string_view fragment,
                        std::vector<TokenId>& out) const {
  std::string s;
  for (const std::string& word : Words(vocab, fragment)) {
    s = "\xE2\x96\x81" + word;  // the word-initial marker U+2581
    const size_t n = s.size();
    const size_t first_token = out.size();
    bool covered = true;
    for (size_t i = 0; i < n && covered;) {
      covered = false;
      for (size_t j = std::min(n, i + vocab.max_token_bytes + 1); j > i; --j) {
        const TokenId id = vocab.Find(std::string_view(s).substr(i, j - i));
        if (id >= 0) {
          out.push_back(id);
          i = j;
          covered = true;
          break;
        }
      }
    }
    if (!covered) {
      out.resize(first_token);
      if (vocab.unk_id >= 0) out.push_back(vocab.unk_id);
    }
  }
}

}  // namespace foundry::engine::tokenizer
