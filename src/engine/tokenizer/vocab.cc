#include "engine/tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

namespace foundry::engine::tokenizer {
namespace {

constexpr std::string_view kKeyModel = "tokenizer.ggml.model";
constexpr std::string_view kKeyPre = "tokenizer.ggml.pre";
constexpr std::string_view kKeyTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kKeyScores = "tokenizer.ggml.scores";
constexpr std::string_view kKeyTokenType = "tokenizer.ggml.token_type";
constexpr std::string_view kKeyMerges = "tokenizer.ggml.merges";

// Token texts the reference treats as end-of-turn / end-of-generation / fill-in-the-middle
// markers (§4.1). Matching tokens are forced to CONTROL.
constexpr std::string_view kEotNames[] = {
    "<|eot_id|>",      "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",
    "<|end_of_text|>", "<EOT>",      "_<EOT>",  "<｜end▁of▁sentence｜>", "<end_of_utterance>",
};
constexpr std::string_view kEomNames[] = {"<|eom_id|>"};
constexpr std::string_view kFimPreNames[] = {
    "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>",    "<｜fim▁begin｜>",
    "<PRE>",          "▁<PRE>",       "<|code_prefix|>",
};
constexpr std::string_view kFimSufNames[] = {
    "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>",    "<｜fim▁hole｜>",
    "<SUF>",          "▁<SUF>",       "<|code_suffix|>",
};
constexpr std::string_view kFimMidNames[] = {
    "<|fim_middle|>", "<fim-middle>", "<fim_middle>",    "<｜fim▁end｜>",
    "<MID>",          "▁<MID>",       "<|code_middle|>",
};
constexpr std::string_view kFimPadNames[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"};
constexpr std::string_view kFimRepNames[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                             "<REPO>", "<reponame>"};
constexpr std::string_view kFimSepNames[] = {"<|file_sep|>"};
constexpr std::string_view kEogNames[] = {
    "<|eot_id|>",    "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",        "<end_of_turn>",
    "<|endoftext|>", "<|eom_id|>", "<EOT>",   "_<EOT>",     "<|end_of_text|>", "<end_of_utterance>",
};

bool IsIntegerType(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64:
      return true;
    default:
      return false;
  }
}

bool IsNumericType(GgufType t) {
  return IsIntegerType(t) || t == GgufType::kFloat32 || t == GgufType::kFloat64;
}

std::string TypeName(const GgufValue& v) {
  std::string name(GgufTypeName(v.type));
  if (v.type == GgufType::kArray) name += " of " + std::string(GgufTypeName(v.elem_type));
  return name;
}

// The array under `key`, or nullptr when absent. kInvalidArgument when present but not an array
// whose elements satisfy `elem_ok`, or shorter than `min_count`.
template <class ElemOk>
Result<const GgufValue*> FindArray(const GgufFile& file, std::string_view key,
                                   std::string_view expected, uint64_t min_count, ElemOk elem_ok) {
  const GgufValue* v = file.Find(key);
  if (v == nullptr) return static_cast<const GgufValue*>(nullptr);
  if (v->type != GgufType::kArray || !elem_ok(v->elem_type)) {
    return Status::InvalidArgument(std::string(key) + " must be an array of " +
                                   std::string(expected) + ", got " + TypeName(*v));
  }
  if (v->count < min_count) {
    return Status::InvalidArgument(std::string(key) + " has " + std::to_string(v->count) +
                                   " entries but the vocabulary has " + std::to_string(min_count) +
                                   " tokens");
  }
  return v;
}

float LoadF32Le(const std::byte* p) {
  uint32_t bits = 0;
  for (int k = 3; k >= 0; --k) bits = (bits << 8) | std::to_integer<uint32_t>(p[k]);
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t AttrFromType(int64_t type) {
  switch (type) {
    case int64_t(TokenType::kNormal):
      return kAttrNormal;
    case int64_t(TokenType::kUnknown):
      return kAttrUnknown;
    case int64_t(TokenType::kControl):
      return kAttrControl;
    case int64_t(TokenType::kUserDefined):
      return kAttrUserDefined;
    case int64_t(TokenType::kUnused):
      return kAttrUnused;
    case int64_t(TokenType::kByte):
      return kAttrByte;
    default:
      return kAttrUndefined;  // kUndefined and values the format does not define
  }
}

// Sets the kind, the per-model defaults (§4.1 table) and, for BPE, the pre-tokenizer row.
Status SetModelDefaults(const GgufFile& file, Vocab& v) {
  const GgufValue* model = file.Find(kKeyModel);
  if (model == nullptr) return Status::InvalidArgument(std::string(kKeyModel) + " is missing");
  auto model_name = model->AsString();
  if (!model_name)
    return Status::InvalidArgument(std::string(kKeyModel) + " must be a string, got " +
                                   TypeName(*model));
  v.model_name = std::string(*model_name);
  if (const GgufValue* pre = file.Find(kKeyPre)) {
    auto s = pre->AsString();
    if (!s)
      return Status::InvalidArgument(std::string(kKeyPre) + " must be a string, got " +
                                     TypeName(*pre));
    v.pre = std::string(*s);
  }

  if (v.model_name == "llama") {
    v.kind = VocabKind::kSpm;
    v.bos_id = 1;
    v.eos_id = 2;
    v.unk_id = 0;
    v.add_bos = true;
    v.add_space_prefix = true;
    v.clean_spaces = false;
  } else if (v.model_name == "gpt2") {
    v.kind = VocabKind::kBpe;
    v.pre_spec = FindPreTokenizer(v.pre);
    if (v.pre_spec == nullptr)
      return Status::Unimplemented("pre-tokenizer '" + v.pre + "' (" + std::string(kKeyPre) +
                                   ") is not supported");
    v.bos_id = 11;
    v.eos_id = 11;
    v.add_bos = v.pre_spec->add_bos;
    v.clean_spaces = v.pre_spec->clean_spaces;
    v.ignore_merges = v.pre_spec->ignore_merges;
  } else if (v.model_name == "bert") {
    v.kind = VocabKind::kWpm;
    v.bos_id = 101;  // CLS
    v.unk_id = 100;
    v.sep_id = 102;
    v.pad_id = 0;
    v.mask_id = 103;
    v.add_bos = true;
    v.add_sep = true;
    v.clean_spaces = true;
  } else {
    return Status::Unimplemented("tokenizer model '" + v.model_name + "' (" +
                                 std::string(kKeyModel) +
                                 ") is not supported; supported: llama, gpt2, bert");
  }
  return Status::Ok();
}

Status LoadTokens(const GgufFile& file, Vocab& v) {
  const GgufValue* tokens = file.Find(kKeyTokens);
  if (tokens == nullptr) return Status::InvalidArgument(std::string(kKeyTokens) + " is missing");
  if (tokens->type != GgufType::kArray || tokens->elem_type != GgufType::kString)
    return Status::InvalidArgument(std::string(kKeyTokens) + " must be an array of string, got " +
                                   TypeName(*tokens));
  const size_t n = tokens->strings.size();
  if (n == 0) return Status::InvalidArgument(std::string(kKeyTokens) + " is empty");
  if (n > size_t(std::numeric_limits<int32_t>::max()))
    return Status::InvalidArgument(std::string(kKeyTokens) + " has too many entries");

  // An empty text would match everywhere in the special-token partition; the reference
  // renames it.
  auto text_of = [&](size_t i, std::string& scratch) -> std::string_view {
    if (!tokens->strings[i].empty()) return tokens->strings[i];
    scratch = "[EMPTY_" + std::to_string(i) + "]";
    return scratch;
  };
  std::string scratch;
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += text_of(i, scratch).size();
  if (total > std::numeric_limits<uint32_t>::max())
    return Status::InvalidArgument(std::string(kKeyTokens) + ": the token texts exceed 4 GiB");
  v.text_arena.resize(total);
  v.text_offsets.resize(n + 1);
  uint32_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string_view s = text_of(i, scratch);
    std::memcpy(v.text_arena.data() + at, s.data(), s.size());
    v.text_offsets[i] = at;
    at += static_cast<uint32_t>(s.size());
    v.max_token_bytes = std::max(v.max_token_bytes, s.size());
  }
  v.text_offsets[n] = at;
  v.scores.assign(n, 0.0f);
  v.attrs.assign(n, kAttrNormal);
  v.token_index.Reset(n);
  for (size_t i = 0; i < n; ++i) {
    const TokenId id = static_cast<TokenId>(i);
    const std::string_view s = v.text(id);
    const TokenId first =
        v.token_index.Insert(TextHash(s), id, [&](TokenId other) { return v.text(other) == s; });
    if (first >= 0) {
      return Status::InvalidArgument(std::string(kKeyTokens) + ": duplicate token '" +
                                     std::string(s) + "' at ids " + std::to_string(first) +
                                     " and " + std::to_string(i));
    }
  }

  FOUNDRY_ASSIGN_OR_RETURN(const GgufValue* scores,
                           FindArray(file, kKeyScores, "numbers", n, IsNumericType));
  if (scores != nullptr) {
    if (scores->elem_type == GgufType::kFloat32) {
      for (size_t i = 0; i < n; ++i) v.scores[i] = LoadF32Le(scores->raw.data() + 4 * i);
    } else {
      // i32 (and other numeric) scores are converted by value, as the reference does for i32.
      for (size_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>(scores->ArrayFloat(i));
    }
  }
  FOUNDRY_ASSIGN_OR_RETURN(const GgufValue* types,
                           FindArray(file, kKeyTokenType, "integers", n, IsIntegerType));
  if (types != nullptr) {
    for (size_t i = 0; i < n; ++i) v.attrs[i] = AttrFromType(types->ArrayInt(i));
  }
  return Status::Ok();
}

Status LoadMerges(const GgufFile& file, Vocab& v) {
  FOUNDRY_ASSIGN_OR_RETURN(
      const GgufValue* merges,
      FindArray(file, kKeyMerges, "string", 0, [](GgufType t) { return t == GgufType::kString; }));
  if (merges == nullptr)
    return Status::InvalidArgument(std::string(kKeyMerges) + " is missing (required by gpt2)");
  if (merges->strings.size() > size_t(std::numeric_limits<int32_t>::max()))
    return Status::InvalidArgument(std::string(kKeyMerges) + " has too many entries");
  const size_t n = merges->strings.size();
  size_t total = 0;
  for (std::string_view m : merges->strings) total += m.size();
  if (total > std::numeric_limits<uint32_t>::max())
    return Status::InvalidArgument(std::string(kKeyMerges) + ": the merge texts exceed 4 GiB");
  v.merge_arena.resize(total);
  v.merge_offsets.resize(n + 1);
  v.merge_splits.resize(n);
  v.merge_index.Reset(n);
  uint32_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string_view m = merges->strings[i];
    std::memcpy(v.merge_arena.data() + at, m.data(), m.size());
    v.merge_offsets[i] = at;
    at += static_cast<uint32_t>(m.size());
    // "A B" splits at the first space at index >= 1 (so "  x" is (" ", "x")); a merge with no
    // such space becomes ("", ""), which never matches, as in the reference.
    const size_t pos = m.find(' ', 1);
    v.merge_splits[i] = pos == std::string_view::npos ? 0 : static_cast<uint32_t>(pos);
  }
  v.merge_offsets[n] = at;
  for (size_t i = 0; i < n; ++i) {
    const std::pair<std::string_view, std::string_view> key = v.merge(static_cast<int32_t>(i));
    v.merge_index.Insert(PairHash(key.first, key.second), static_cast<int32_t>(i),
                         [&](int32_t other) { return v.merge(other) == key; });  // first wins
  }
  return Status::Ok();
}

// Reads the special-token ids and the add_* / normalizer flags (§4.1 override rules).
Status LoadSpecialIdsAndFlags(const GgufFile& file, Vocab& v) {
  struct IdKey {
    std::string_view key;
    TokenId Vocab::*id;
  };
  static constexpr IdKey kIdKeys[] = {
      {"tokenizer.ggml.bos_token_id", &Vocab::bos_id},
      {"tokenizer.ggml.eos_token_id", &Vocab::eos_id},
      {"tokenizer.ggml.eot_token_id", &Vocab::eot_id},
      {"tokenizer.ggml.eom_token_id", &Vocab::eom_id},
      {"tokenizer.ggml.unknown_token_id", &Vocab::unk_id},
      {"tokenizer.ggml.seperator_token_id", &Vocab::sep_id},  // sic: the GGUF spelling
      {"tokenizer.ggml.padding_token_id", &Vocab::pad_id},
      {"tokenizer.ggml.mask_token_id", &Vocab::mask_id},
      {"tokenizer.ggml.fim_pre_token_id", &Vocab::fim_pre_id},
      {"tokenizer.ggml.fim_suf_token_id", &Vocab::fim_suf_id},
      {"tokenizer.ggml.fim_mid_token_id", &Vocab::fim_mid_id},
      {"tokenizer.ggml.fim_pad_token_id", &Vocab::fim_pad_id},
      {"tokenizer.ggml.fim_rep_token_id", &Vocab::fim_rep_id},
      {"tokenizer.ggml.fim_sep_token_id", &Vocab::fim_sep_id},
      // deprecated spellings of the first three FIM ids
      {"tokenizer.ggml.prefix_token_id", &Vocab::fim_pre_id},
      {"tokenizer.ggml.suffix_token_id", &Vocab::fim_suf_id},
      {"tokenizer.ggml.middle_token_id", &Vocab::fim_mid_id},
  };
  for (const IdKey& k : kIdKeys) {
    TokenId& id = v.*k.id;
    if (!v.IsValid(id)) id = -1;  // a default outside the vocabulary is disabled
    const GgufValue* value = file.Find(k.key);
    if (value == nullptr) continue;
    if (!value->is_integer())
      return Status::InvalidArgument(std::string(k.key) + " must be an integer, got " +
                                     TypeName(*value));
    // An id outside the vocabulary (0xFFFFFFFF is common for "none") keeps the default.
    auto u = value->AsUint();
    if (u && *u < uint64_t(v.n_vocab())) id = static_cast<TokenId>(*u);
  }

  FOUNDRY_ASSIGN_OR_RETURN(v.add_bos, file.GetBoolOr("tokenizer.ggml.add_bos_token", v.add_bos));
  FOUNDRY_ASSIGN_OR_RETURN(v.add_eos, file.GetBoolOr("tokenizer.ggml.add_eos_token", v.add_eos));
  FOUNDRY_ASSIGN_OR_RETURN(v.add_sep, file.GetBoolOr("tokenizer.ggml.add_sep_token", v.add_sep));
  FOUNDRY_ASSIGN_OR_RETURN(v.add_space_prefix,
                           file.GetBoolOr("tokenizer.ggml.add_space_prefix", v.add_space_prefix));
  FOUNDRY_ASSIGN_OR_RETURN(v.lowercase,
                           file.GetBoolOr("tokenizer.ggml.normalizer.lowercase", true));
  FOUNDRY_ASSIGN_OR_RETURN(v.strip_accents,
                           file.GetBoolOr("tokenizer.ggml.normalizer.strip_accents", v.lowercase));
  return Status::Ok();
}

// Finds EOT/EOM/FIM tokens by text when their ids are unset, builds the EOG set and forces all
// of them to CONTROL (§4.1). Where several texts match one unset id the lowest id wins (the
// reference takes whichever its hash map yields first).
void DetectSpecialTokens(Vocab& v) {
  struct ByName {
    TokenId Vocab::*id;
    std::span<const std::string_view> names;
  };
  const ByName kByName[] = {
      {&Vocab::eot_id, kEotNames},        {&Vocab::eom_id, kEomNames},
      {&Vocab::fim_pre_id, kFimPreNames}, {&Vocab::fim_suf_id, kFimSufNames},
      {&Vocab::fim_mid_id, kFimMidNames}, {&Vocab::fim_pad_id, kFimPadNames},
      {&Vocab::fim_rep_id, kFimRepNames}, {&Vocab::fim_sep_id, kFimSepNames},
  };
  for (const ByName& b : kByName) {
    TokenId& id = v.*b.id;
    if (id >= 0) continue;
    for (std::string_view name : b.names) {
      const TokenId found = v.Find(name);
      if (found >= 0 && (id < 0 || found < id)) id = found;
    }
    if (id >= 0) v.attrs[size_t(id)] |= kAttrControl;
  }

  std::vector<TokenId> eog = {v.fim_pad_id, v.fim_rep_id, v.fim_sep_id,
                              v.eos_id,     v.eot_id,     v.eom_id};
  for (std::string_view name : kEogNames) {
    const TokenId id = v.Find(name);
    if (id < 0) continue;
    eog.push_back(id);
    v.attrs[size_t(id)] |= kAttrControl;
  }
  std::erase(eog, -1);
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());

  // gpt-oss (o200k_harmony) ends turns with <|return|>/<|call|>; there <|end|> only closes a
  // message, so the reference takes it out of the EOG set and renders it as plain text.
  const TokenId ret = v.Find("<|return|>"), call = v.Find("<|call|>"), end = v.Find("<|end|>");
  if (ret >= 0 && call >= 0 && end >= 0) {
    std::erase(eog, end);
    v.attrs[size_t(end)] = kAttrUserDefined;
  }
  v.eog_ids = std::move(eog);
}

Status SetTokenAttr(Vocab& v, std::string_view text, uint32_t attr, bool on) {
  const TokenId id = v.Find(text);
  if (id < 0)
    return Status::InvalidArgument("phi-3 vocabulary lacks the token '" + std::string(text) + "'");
  if (on) {
    v.attrs[size_t(id)] |= attr;
  } else {
    v.attrs[size_t(id)] &= ~attr;
  }
  return Status::Ok();
}

// Strip attributes the reference sets by model name (§4.2).
Status ApplyNameRules(const GgufFile& file, Vocab& v) {
  std::string name;
  if (const GgufValue* n = file.Find("general.name"))
    name = std::string(n->AsString().value_or(""));
  std::string arch;
  if (const GgufValue* a = file.Find("general.architecture"))
    arch = std::string(a->AsString().value_or(""));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto contains = [](std::string_view s, std::string_view sub) {
    return s.find(sub) != std::string_view::npos;
  };

  if (contains(v.pre, "jina-v2-de") || contains(v.pre, "jina-v2-es") ||
      contains(v.pre, "jina-v2-code") || contains(arch, "nomic-bert-moe") ||
      contains(arch, "jina-bert-v3")) {
    if (const TokenId mask = v.Find("<mask>"); mask >= 0) v.attrs[size_t(mask)] |= kAttrLstrip;
  } else if (contains(name, "phi-3") || contains(name, "phi3")) {
    for (TokenId id : v.special_tokens) v.attrs[size_t(id)] |= kAttrRstrip;
    FOUNDRY_RETURN_IF_ERROR(SetTokenAttr(v, "</s>", kAttrRstrip, true));
    for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"})
      FOUNDRY_RETURN_IF_ERROR(SetTokenAttr(v, t, kAttrRstrip, false));
  }
  return Status::Ok();
}

// SPM byte fallback table: "<0xHH>" (uppercase hex), else the token whose text is the byte.
void BuildByteTokens(Vocab& v) {
  constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    TokenId id = v.Find(std::string_view(name, 6));
    if (id < 0) {
      const char raw = static_cast<char>(b);
      id = v.Find(std::string_view(&raw, 1));
    }
    v.byte_tokens[size_t(b)] = id;
  }
}

}  // namespace

size_t Vocab::memory_bytes() const {
  auto bytes = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  return bytes(text_arena) + bytes(text_offsets) + bytes(scores) + bytes(attrs) +
         token_index.memory_bytes() + bytes(merge_arena) + bytes(merge_offsets) +
         bytes(merge_splits) + merge_index.memory_bytes() + bytes(special_tokens) +
         bytes(eog_ids) + model_name.capacity() + pre.capacity();
}

Result<Vocab> LoadVocab(const GgufFile& file) {
  Vocab v;
  FOUNDRY_RETURN_IF_ERROR(SetModelDefaults(file, v));
  FOUNDRY_RETURN_IF_ERROR(LoadTokens(file, v));
  if (v.kind == VocabKind::kBpe) FOUNDRY_RETURN_IF_ERROR(LoadMerges(file, v));
  FOUNDRY_RETURN_IF_ERROR(LoadSpecialIdsAndFlags(file, v));
  DetectSpecialTokens(v);

  for (TokenId id = 0; id < v.n_vocab(); ++id) {
    if (v.attrs[size_t(id)] & (kAttrControl | kAttrUserDefined | kAttrUnknown))
      v.special_tokens.push_back(id);
  }
  // Longest first; equal lengths in id order (the reference leaves that order unspecified).
  std::stable_sort(v.special_tokens.begin(), v.special_tokens.end(),
                   [&](TokenId a, TokenId b) { return v.text(a).size() > v.text(b).size(); });

  FOUNDRY_RETURN_IF_ERROR(ApplyNameRules(file, v));
  if (v.kind == VocabKind::kSpm) BuildByteTokens(v);
  return v;
}

}  // namespace foundry::engine::tokenizer
