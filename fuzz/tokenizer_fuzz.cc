// Encodes arbitrary bytes (any UTF-8 validity) with real vocabularies, with and without special
// token parsing, and decodes the result: no crash, no out-of-bounds, ids in range.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "foundry/engine/tokenizer/tokenizer.h"

namespace {
std::vector<std::unique_ptr<foundry::engine::Tokenizer>>* g_tokenizers = nullptr;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The fuzzer binary is its own main: reading the environment here is the top of the stack.
  const char* shared = std::getenv("FOUNDRY_SHARED");
  const std::string dir = std::string(shared ? shared : "../shared") + "/tokenizer/";
  g_tokenizers = new std::vector<std::unique_ptr<foundry::engine::Tokenizer>>();
  for (const char* name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-qwen2.gguf", "ggml-vocab-bert-bge.gguf",
                           "ggml-vocab-phi-3.gguf", "ggml-vocab-deepseek-llm.gguf"}) {
    auto file = foundry::engine::GgufFile::Open(dir + name);
    if (!file.ok()) std::abort();  // the fuzz setup itself is broken
    auto tok = foundry::engine::Tokenizer::FromGguf(*file);
    if (!tok.ok()) std::abort();
    g_tokenizers->push_back(std::move(tok).value());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto& tok = *(*g_tokenizers)[data[0] % g_tokenizers->size()];
  const bool special = data[0] & 0x80;
  auto ids = tok.Encode(text, {.add_special = special, .parse_special = special});
  for (auto id : ids)
    if (id < 0 || id >= tok.n_vocab()) std::abort();
  (void)tok.Decode(ids, special, true);
  return 0;
}
