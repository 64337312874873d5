#pragma once
// Vocab: the `tokenizer.*` metadata of a GGUF file, parsed and validated once (formats.md §4.1)
// into the tables the encoders and the detokenizer read.
//
// Invariants after LoadVocab(): n_vocab() > 0; every token text is unique and non-empty (an
// empty text is renamed "[EMPTY_<id>]" as the reference does); every special id is -1 or in
// [0, n_vocab); `special_tokens` and `eog_ids` hold valid ids.
//
// Ownership: all token and merge texts live in arenas owned by the Vocab; the lookup tables
// hold only ids and hashes (see id_hash_table.h), so a 150k-token BPE vocabulary with its
// merges takes ~10 MiB. A Vocab can be moved but not copied (it is large).
// Thread-safety: immutable after LoadVocab(); safe to read from any thread.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/tokenizer/id_hash_table.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "foundry/core/status.h"
#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::engine::tokenizer {

// Per-token attribute bits, as the reference keeps them (a token type plus strip flags).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,  // special-token match eats ASCII whitespace on its left (§4.2)
  kAttrRstrip = 1u << 8,  // ... and on its right
};

// Hashes of a token text and of a merge pair, as the lookup tables index them.
inline uint64_t TextHash(std::string_view s) { return std::hash<std::string_view>{}(s); }
inline uint64_t PairHash(std::string_view left, std::string_view right) {
  const uint64_t a = TextHash(left);
  const uint64_t b = TextHash(right);
  return a ^ (b + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2));
}

struct Vocab {
  Vocab() = default;
  Vocab(Vocab&&) noexcept = default;
  Vocab& operator=(Vocab&&) noexcept = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  int32_t n_vocab() const { return static_cast<int32_t>(scores.size()); }
  // REQUIRES: 0 <= id < n_vocab().
  std::string_view text(TokenId id) const {
    const size_t b = text_offsets[size_t(id)];
    return {text_arena.data() + b, text_offsets[size_t(id) + 1] - b};
  }
  // The id whose text is exactly `s`, or -1.
  TokenId Find(std::string_view s) const {
    return token_index.Find(TextHash(s), [&](TokenId id) { return text(id) == s; });
  }
  // The sides of merge `rank` (REQUIRES 0 <= rank < n_merges()); ("", "") for a merge text
  // without a separating space.
  std::pair<std::string_view, std::string_view> merge(int32_t rank) const {
    const uint32_t b = merge_offsets[size_t(rank)], e = merge_offsets[size_t(rank) + 1];
    const uint32_t split = merge_splits[size_t(rank)];
    if (split == 0) return {};
    return {{merge_arena.data() + b, split},
            {merge_arena.data() + b + split + 1, e - b - split - 1}};
  }
  int32_t n_merges() const { return static_cast<int32_t>(merge_splits.size()); }
  // Merge rank of the pair (left, right) (its index in tokenizer.ggml.merges), or -1.
  int32_t MergeRank(std::string_view left, std::string_view right) const {
    return merge_index.Find(PairHash(left, right), [&](int32_t rank) {
      const auto [l, r] = merge(rank);
      return l == left && r == right;
    });
  }
  bool IsValid(TokenId id) const { return id >= 0 && id < n_vocab(); }
  // Heap bytes held by the tables (texts, offsets, scores, attributes, indexes, special lists).
  size_t memory_bytes() const;

  VocabKind kind = VocabKind::kSpm;
  std::string model_name;                      // tokenizer.ggml.model
  std::string pre;                             // tokenizer.ggml.pre ("" when absent)
  const PreTokenizerSpec* pre_spec = nullptr;  // BPE only; points into a static table

  // Token texts back to back; token i is [text_offsets[i], text_offsets[i + 1]) (< 4 GiB in
  // all, which LoadVocab checks).
  std::vector<char> text_arena;
  std::vector<uint32_t> text_offsets;  // [n_vocab + 1]
  std::vector<float> scores;           // [n_vocab]; 0 when the file has none
  std::vector<uint32_t> attrs;         // [n_vocab]; TokenAttr bits
  IdHashTable token_index;             // TextHash(text) -> id
  size_t max_token_bytes = 0;

  // BPE merges, in rank order: merge r is the text [merge_offsets[r], merge_offsets[r + 1]) of
  // merge_arena ("left right"); merge_splits[r] is the index of its separating space, 0 when
  // it has none (such a merge reads as ("", "")).
  std::vector<char> merge_arena;
  std::vector<uint32_t> merge_offsets;  // [n_merges + 1]
  std::vector<uint32_t> merge_splits;   // [n_merges]
  IdHashTable merge_index;              // PairHash(left, right) -> rank (the first one wins)

  // SPM byte fallback: token for each byte ("<0xHH>", else the one-byte text), or -1.
  std::array<TokenId, 256> byte_tokens{};

  TokenId bos_id = -1, eos_id = -1, eot_id = -1, eom_id = -1, unk_id = -1, sep_id = -1, pad_id = -1,
          mask_id = -1;
  TokenId fim_pre_id = -1, fim_suf_id = -1, fim_mid_id = -1, fim_pad_id = -1, fim_rep_id = -1,
          fim_sep_id = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;
  bool add_space_prefix = false;
  bool clean_spaces = false;
  bool ignore_merges = false;
  bool lowercase = true;      // WPM normalizer
  bool strip_accents = true;  // WPM normalizer

  // Candidates of the special-token partition (§4.2): CONTROL, USER_DEFINED and UNKNOWN tokens,
  // longest text first, ties by ascending id.
  std::vector<TokenId> special_tokens;
  std::vector<TokenId> eog_ids;  // sorted ascending
};

// Parses the tokenizer metadata of `file`. kInvalidArgument: a missing or malformed key (the
// message names it), duplicate token texts, or a phi-3 vocabulary lacking <unk>/<s>/</s>/
// <|endoftext|>. kUnimplemented: a tokenizer.ggml.model other than llama/gpt2/bert, or a BPE
// `pre` we do not know (the message names the value).
Result<Vocab> LoadVocab(const GgufFile& file);

}  // namespace foundry::engine::tokenizer
