#pragma once
// Tokenizer: text <-> token ids for the vocabularies GGUF files carry.
//
// Supports `tokenizer.ggml.model` = "llama" (SentencePiece: scores, byte fallback), "gpt2"
// (byte-level BPE with the pre-tokenizer named by `tokenizer.ggml.pre`, Unicode regexes via
// PCRE2) and "bert" (WordPiece). Special/control tokens, BOS/EOS rules from metadata, and
// detokenization as in ../shared/reference/formats.md §4.
//
// Thread-safety: immutable after FromGguf(); all methods are const and safe from any thread.
// The tokenizer copies what it needs; it does not borrow from the GgufFile.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/gguf/gguf_file.h"

namespace foundry::engine {

using TokenId = int32_t;

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

enum class VocabKind { kSpm, kBpe, kWpm };

struct EncodeOptions {
  bool add_special = true;     // BOS/EOS (CLS/SEP for WordPiece) per the model's rules
  bool parse_special = false;  // recognise control-token text such as "<|im_start|>"
};

class Tokenizer {
 public:
  // kInvalidArgument: missing/malformed tokenizer keys (message names the key);
  // kUnimplemented: a tokenizer model or pre-tokenizer we do not support (names it).
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);

  virtual ~Tokenizer() = default;

  // Token ids for `text` (any bytes; invalid UTF-8 is handled as the reference does).
  virtual std::vector<TokenId> Encode(std::string_view text, const EncodeOptions& opts) const = 0;

  // The raw bytes of one token (formats.md §4.7; lstrip = 0). Control/unknown tokens render as
  // their text only when `special`.
  virtual std::string TokenToPiece(TokenId id, bool special = true) const = 0;

  // Concatenated pieces with the reference's detokenize rules (§4.7).
  virtual std::string Decode(std::span<const TokenId> ids, bool remove_special = false,
                             bool unparse_special = true) const = 0;

  virtual VocabKind kind() const = 0;
  virtual std::string_view model_name() const = 0;  // "llama", "gpt2", "bert"
  virtual std::string_view pre() const = 0;         // pre-tokenizer name ("" if none)
  virtual int32_t n_vocab() const = 0;
  virtual std::string_view TokenText(TokenId id) const = 0;  // REQUIRES 0 <= id < n_vocab
  virtual TokenType token_type(TokenId id) const = 0;

  virtual TokenId bos_id() const = 0;  // -1 when the vocabulary has none
  virtual TokenId eos_id() const = 0;
  virtual TokenId eot_id() const = 0;
  virtual bool add_bos() const = 0;
  virtual bool add_eos() const = 0;
  // End of generation: EOS, EOT, EOM and the end-of-turn tokens the reference treats as such.
  virtual bool IsEog(TokenId id) const = 0;
};

}  // namespace foundry::engine
