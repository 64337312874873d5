#include "foundry/engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <new>
#include <optional>

#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/detokenize.h"
#include "engine/tokenizer/regex_splitter.h"
#include "engine/tokenizer/special_partition.h"
#include "engine/tokenizer/spm.h"
#include "engine/tokenizer/vocab.h"
#include "engine/tokenizer/wpm.h"

namespace foundry::engine {
namespace {

using tokenizer::Fragment;
using tokenizer::Vocab;

// The one Tokenizer implementation: a Vocab plus the encoder its kind needs.
class VocabTokenizer final : public Tokenizer {
 public:
  VocabTokenizer(Vocab vocab, std::optional<tokenizer::RegexSplitter> splitter,
                 std::optional<tokenizer::WpmEncoder> wpm)
      : vocab_(std::move(vocab)), splitter_(std::move(splitter)), wpm_(std::move(wpm)) {}

  std::vector<TokenId> Encode(std::string_view text, const EncodeOptions& opts) const override {
    std::vector<TokenId> out;
    const std::vector<Fragment> fragments =
        tokenizer::PartitionSpecial(vocab_, text, opts.parse_special);
    switch (vocab_.kind) {
      case VocabKind::kSpm:
        EncodeSpm(text, fragments, opts.add_special, out);
        break;
      case VocabKind::kBpe:
        EncodeBpe(text, fragments, opts.add_special, out);
        break;
      case VocabKind::kWpm:
        EncodeWpm(text, fragments, opts.add_special, out);
        break;
    }
    return out;
  }

  std::string TokenToPiece(TokenId id, bool special) const override {
    return tokenizer::TokenPiece(vocab_, id, /*lstrip=*/0, special);
  }

  std::string Decode(std::span<const TokenId> ids, bool remove_special,
                     bool unparse_special) const override {
    return tokenizer::Detokenize(vocab_, ids, remove_special, unparse_special);
  }

  VocabKind kind() const override { return vocab_.kind; }
  std::string_view model_name() const override { return vocab_.model_name; }
  std::string_view pre() const override { return vocab_.pre; }
  int32_t n_vocab() const override { return vocab_.n_vocab(); }
  std::string_view TokenText(TokenId id) const override { return vocab_.text(id); }

  TokenType token_type(TokenId id) const override {
    if (!vocab_.IsValid(id)) return TokenType::kUndefined;
    const uint32_t attr = vocab_.attrs[size_t(id)];
    if (attr & tokenizer::kAttrControl) return TokenType::kControl;
    if (attr & tokenizer::kAttrUserDefined) return TokenType::kUserDefined;
    if (attr & tokenizer::kAttrUnknown) return TokenType::kUnknown;
    if (attr & tokenizer::kAttrByte) return TokenType::kByte;
    if (attr & tokenizer::kAttrUnused) return TokenType::kUnused;
    if (attr & tokenizer::kAttrNormal) return TokenType::kNormal;
    return TokenType::kUndefined;
  }

  TokenId bos_id() const override { return vocab_.bos_id; }
  TokenId eos_id() const override { return vocab_.eos_id; }
  TokenId eot_id() const override { return vocab_.eot_id; }
  TokenId unk_id() const override { return vocab_.unk_id; }
  TokenId sep_id() const override { return vocab_.sep_id; }
  TokenId pad_id() const override { return vocab_.pad_id; }
  bool add_bos() const override { return vocab_.add_bos; }
  bool add_eos() const override { return vocab_.add_eos; }
  bool IsEog(TokenId id) const override {
    return std::binary_search(vocab_.eog_ids.begin(), vocab_.eog_ids.end(), id);
  }

 private:
  void PushIfValid(TokenId id, std::vector<TokenId>& out) const {
    if (id >= 0) out.push_back(id);
  }

  // §4.3: a space is prefixed to every raw fragment that starts the text or follows a special
  // token.
  void EncodeSpm(std::string_view text, const std::vector<Fragment>& fragments, bool add_special,
                 std::vector<TokenId>& out) const {
    if (add_special && vocab_.add_bos) PushIfValid(vocab_.bos_id, out);
    bool prev_special = true;
    std::string raw;
    for (const Fragment& f : fragments) {
      if (f.is_token()) {
        out.push_back(f.token);
        prev_special = true;
        continue;
      }
      raw.clear();
      if (vocab_.add_space_prefix && prev_special) raw.push_back(' ');
      raw.append(text.substr(f.offset, f.length));
      tokenizer::EncodeSpm(vocab_, tokenizer::EscapeSpmWhitespace(raw), out);
      prev_special = false;
    }
    if (add_special && vocab_.add_eos) PushIfValid(vocab_.eos_id, out);
  }

  void EncodeBpe(std::string_view text, const std::vector<Fragment>& fragments, bool add_special,
                 std::vector<TokenId>& out) const {
    if (add_special && vocab_.add_bos) PushIfValid(vocab_.bos_id, out);
    for (const Fragment& f : fragments) {
      if (f.is_token()) {
        out.push_back(f.token);
      } else {
        tokenizer::EncodeBpe(vocab_, *splitter_, text.substr(f.offset, f.length), out);
      }
    }
    if (add_special && vocab_.add_eos) PushIfValid(vocab_.eos_id, out);
  }

  // WordPiece always frames the text as [CLS] ... [SEP] when add_special (§4.1).
  void EncodeWpm(std::string_view text, const std::vector<Fragment>& fragments, bool add_special,
                 std::vector<TokenId>& out) const {
    if (add_special) PushIfValid(vocab_.bos_id, out);
    for (const Fragment& f : fragments) {
      if (f.is_token()) {
        out.push_back(f.token);
      } else {
        wpm_->Encode(vocab_, text.substr(f.offset, f.length), out);
      }
    }
    if (add_special) PushIfValid(vocab_.sep_id, out);
  }

  const Vocab vocab_;
  const std::optional<tokenizer::RegexSplitter> splitter_;  // set for kBpe
  const std::optional<tokenizer::WpmEncoder> wpm_;          // set for kWpm
};

Result<std::unique_ptr<Tokenizer>> Build(const GgufFile& file) {
  FOUNDRY_ASSIGN_OR_RETURN(Vocab vocab, tokenizer::LoadVocab(file));
  std::optional<tokenizer::RegexSplitter> splitter;
  std::optional<tokenizer::WpmEncoder> wpm;
  if (vocab.kind == VocabKind::kBpe) {
    FOUNDRY_ASSIGN_OR_RETURN(splitter,
                             tokenizer::RegexSplitter::Create(vocab.pre_spec->expressions));
  } else if (vocab.kind == VocabKind::kWpm) {
    FOUNDRY_ASSIGN_OR_RETURN(wpm, tokenizer::WpmEncoder::Create());
  }
  return std::unique_ptr<Tokenizer>(
      std::make_unique<VocabTokenizer>(std::move(vocab), std::move(splitter), std::move(wpm)));
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& file) {
  // The tables are large (a 150k-token vocabulary); allocation failure is reported, not thrown.
  try {
    return Build(file);
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory while loading the tokenizer");
  }
}

}  // namespace foundry::engine
