#pragma once
// Tokenizer: text <-> token ids for the vocabularies GGUF files carry.
//
// Supports `tokenizer.ggml.model` = "llama" (SentencePiece: scores, byte fallback), "gpt2"
// (byte-level BPE with the pre-tokenizer named by `tokenizer.ggml.pre`, Unicode regexes via
// PCRE2) and "bert" (WordPiece). Special/control tokens, BOS/EOS rules from metadata, and
// detokenization as in ../shared/reference/formats.md §4, which mirrors llama.cpp: for every
// vector in ../shared/tokenizer and every golden prompt, Encode() gives the reference's ids.
//
// Known departures from the reference (all outside its well-defined behaviour):
//  - text decoding to a code point above U+10FFFF is treated as invalid UTF-8 (U+FFFD per byte);
//  - an SPM byte with no byte token becomes UNK (or is dropped) instead of failing;
//  - WordPiece does not map CJK compatibility ideographs to their unified forms;
//  - where several tokens match an unset EOT/FIM id by text, the lowest id wins.
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
  // Reads the `tokenizer.*` keys (and `general.name`, whose "phi-3"/"phi3" selects the
  // reference's strip rules). Loading a 150k-token BPE vocabulary takes well under a second.
  // kInvalidArgument: missing/malformed tokenizer keys (message names the key): no
  // tokenizer.ggml.model or tokens, an array of the wrong type, scores/token_type shorter than
  // the token list, gpt2 without merges, duplicate token texts.
  // kUnimplemented: a tokenizer model or pre-tokenizer we do not support (names it).
  // kResourceExhausted: out of memory.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);

  virtual ~Tokenizer() = default;

  // Token ids for `text` (any bytes; invalid UTF-8 is handled as the reference does). With
  // add_special: SPM and BPE prepend BOS when add_bos() and append EOS when add_eos(); WordPiece
  // always frames the ids with CLS (bos_id()) and SEP. An empty text gives only those.
  // USER_DEFINED tokens are always matched as whole tokens; CONTROL ones only with
  // parse_special.
  virtual std::vector<TokenId> Encode(std::string_view text, const EncodeOptions& opts) const = 0;

  // The raw bytes of one token (formats.md §4.7; lstrip = 0). Control/unknown tokens render as
  // their text only when `special`. An id outside [0, n_vocab) gives "".
  virtual std::string TokenToPiece(TokenId id, bool special = true) const = 0;

  // Concatenated pieces with the reference's detokenize rules (§4.7): with remove_special a
  // leading BOS / trailing EOS the model adds is dropped; the space an SPM vocabulary prefixes
  // is removed from the first piece; BPE/WPM vocabularies with clean_spaces remove spaces
  // before punctuation and contractions. For valid UTF-8 text without special-token text,
  // Decode(Encode(t, {.add_special = false})) == t with SPM and BPE vocabularies unless those
  // clean-up rules apply (WordPiece normalizes, so it never round-trips in general).
  virtual std::string Decode(std::span<const TokenId> ids, bool remove_special = false,
                             bool unparse_special = true) const = 0;

  virtual VocabKind kind() const = 0;
  virtual std::string_view model_name() const = 0;  // "llama", "gpt2", "bert"
  virtual std::string_view pre() const = 0;         // pre-tokenizer name ("" if none)
  virtual int32_t n_vocab() const = 0;
  virtual std::string_view TokenText(TokenId id) const = 0;  // REQUIRES 0 <= id < n_vocab
  // The effective type: EOG/EOT/FIM tokens the reference recognises by text are reported as
  // kControl even when the file says otherwise. kUndefined for an id outside the vocabulary.
  virtual TokenType token_type(TokenId id) const = 0;

  virtual TokenId bos_id() const = 0;  // -1 when the vocabulary has none
  virtual TokenId eos_id() const = 0;
  virtual TokenId eot_id() const = 0;
  virtual TokenId unk_id() const = 0;
  virtual TokenId sep_id() const = 0;
  virtual TokenId pad_id() const = 0;
  virtual bool add_bos() const = 0;
  virtual bool add_eos() const = 0;
  // End of generation: EOS, EOT, EOM and the end-of-turn tokens the reference treats as such.
  virtual bool IsEog(TokenId id) const = 0;
};

}  // namespace foundry::engine
