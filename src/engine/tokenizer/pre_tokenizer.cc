#include "engine/tokenizer/pre_tokenizer.h"

namespace foundry::engine::tokenizer {
namespace {

// Expression lists, exactly as formats.md §4.5 writes them (`\x{HHHH}` for literal code points),
// one expression per line.
// clang-format off

constexpr std::string_view kGpt2[] = {
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
};

constexpr std::string_view kLlama3[] = {
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};

constexpr std::string_view kQwen2[] = {
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};

// qwen2 plus \p{M} kept with letters (combining accents stay attached).
constexpr std::string_view kQwen35[] = {
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)",
};

constexpr std::string_view kStarcoder[] = {
    R"(\p{N})",
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
};

constexpr std::string_view kFalcon[] = {
    R"([\p{P}\$\+<=>\^~\|`]+)",
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
    R"([0-9][0-9][0-9])",
};

constexpr std::string_view kDeepseekCoder[] = {
    R"([\r\n])",
    R"(\s?\p{L}+)",
    R"(\s?\p{P}+)",
    R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)",
    R"(\p{N})",
};

constexpr std::string_view kDeepseekLlm[] = {
    R"([\r\n])",
    R"(\s?[A-Za-z\x{B5}\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{1BA}\x{1BC}-\x{1BF}\x{1C4}-\x{293}\x{295}-\x{2AF}\x{370}-\x{373}\x{376}\x{377}\x{37B}-\x{37D}\x{37F}\x{386}\x{388}-\x{38A}\x{38C}\x{38E}-\x{3A1}\x{3A3}-\x{3F5}\x{3F7}-\x{481}\x{48A}-\x{52F}\x{531}-\x{556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5}\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77}\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D}\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4}\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3}\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107}\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D}\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184}\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D}\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF}\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F}\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2}\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)",
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)",
    R"(\s+$)",
    R"([\x{4E00}-\x{9FA5}\x{800}-\x{4E00}\x{AC00}-\x{D7FF}]+)",
    R"(\p{N}+)",
};

// Used for `default` and for a BPE vocabulary without a `pre` key.
constexpr std::string_view kDefault[] = {
    R"([\p{P}\$\+<=>\^~\|]+)",
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))",
    R"(\p{N}+)",
    R"([0-9][0-9][0-9])",
};

// BLOOM-style splitting on spaces and a few (CJK, Devanagari, Arabic) full stops and commas.
constexpr std::string_view kBloom[] = {
    R"( ?[^(\s|.,!?…。，、।۔،)]+)",
};

constexpr std::string_view kViking[] = {
    R"( ?[^(\s|.,!?…。，、।۔،)]+)",
    R"(\p{N})",
};

// clang-format on

// One row per accepted name; aliases are separate rows so lookup is a plain scan.
constexpr PreTokenizerSpec kPreTokenizers[] = {
    {.name = "default", .expressions = kDefault},
    {.name = "gpt-2", .expressions = kGpt2},
    {.name = "phi-2", .expressions = kGpt2},
    {.name = "mpt", .expressions = kGpt2},
    {.name = "olmo", .expressions = kGpt2},
    {.name = "jais", .expressions = kGpt2},
    {.name = "jina-es", .expressions = kGpt2},
    {.name = "jina-de", .expressions = kGpt2},
    {.name = "jina-v2-es", .expressions = kGpt2},
    {.name = "jina-v2-de", .expressions = kGpt2},
    {.name = "gigachat", .expressions = kGpt2},
    {.name = "mellum", .expressions = kGpt2},
    {.name = "llama-bpe", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "llama3", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "llama-v3", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "falcon3", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "falcon-h1", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "pixtral", .expressions = kLlama3, .ignore_merges = true, .add_bos = true},
    {.name = "dbrx", .expressions = kLlama3},
    {.name = "smaug-bpe", .expressions = kLlama3},
    {.name = "qwen2", .expressions = kQwen2, .clean_spaces = false},
    {.name = "deepseek-r1-qwen", .expressions = kQwen2, .clean_spaces = false},
    {.name = "stablelm2", .expressions = kQwen2},
    {.name = "megrez", .expressions = kQwen2},
    {.name = "qwen35", .expressions = kQwen35, .clean_spaces = false},
    {.name = "starcoder", .expressions = kStarcoder},
    {.name = "refact", .expressions = kStarcoder},
    {.name = "smollm", .expressions = kStarcoder, .clean_spaces = false},
    {.name = "codeshell", .expressions = kStarcoder},
    {.name = "exaone", .expressions = kStarcoder},
    {.name = "minerva-7b", .expressions = kStarcoder},
    {.name = "command-r", .expressions = kStarcoder, .clean_spaces = false},
    {.name = "falcon", .expressions = kFalcon},
    {.name = "deepseek-coder", .expressions = kDeepseekCoder, .clean_spaces = false},
    {.name = "deepseek-llm", .expressions = kDeepseekLlm, .clean_spaces = false},
    {.name = "bloom", .expressions = kBloom},
    {.name = "gpt3-finnish", .expressions = kBloom},
    {.name = "poro-chat", .expressions = kBloom, .clean_spaces = false},
    {.name = "viking", .expressions = kViking, .clean_spaces = false},
};

}  // namespace

const PreTokenizerSpec* FindPreTokenizer(std::string_view pre) {
  if (pre.empty()) pre = "default";
  for (const PreTokenizerSpec& spec : kPreTokenizers) {
    if (spec.name == pre) return &spec;
  }
  return nullptr;
}

}  // namespace foundry::engine::tokenizer
