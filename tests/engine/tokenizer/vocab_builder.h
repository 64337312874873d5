#pragma once
// Builds small in-memory GGUF vocabularies for the tokenizer unit tests.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer/vocab.h"
#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/gguf/gguf_writer.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::engine::testing {

inline constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kByte = 6;

// The tokenizer keys of a vocabulary; empty vectors leave their key out.
struct TinyVocab {
  std::string model = "llama";
  std::string pre;   // "" leaves tokenizer.ggml.pre out
  std::string name;  // general.name; "" leaves it out
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
};

inline GgufWriter WriterFor(const TinyVocab& v) {
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  if (!v.name.empty()) w.AddString("general.name", v.name);
  w.AddString("tokenizer.ggml.model", v.model);
  if (!v.pre.empty()) w.AddString("tokenizer.ggml.pre", v.pre);
  if (!v.tokens.empty()) w.AddStringArray("tokenizer.ggml.tokens", v.tokens);
  if (!v.scores.empty()) w.AddF32Array("tokenizer.ggml.scores", v.scores);
  if (!v.types.empty()) w.AddI32Array("tokenizer.ggml.token_type", v.types);
  if (!v.merges.empty()) w.AddStringArray("tokenizer.ggml.merges", v.merges);
  return w;
}

// The GgufFile of `w`; fails the test (and returns nullptr) if it does not parse.
inline std::unique_ptr<GgufFile> FileOf(const GgufWriter& w) {
  auto file = GgufFile::FromBytes(w.Finish());
  EXPECT_TRUE(file.ok()) << file.status().ToString();
  if (!file.ok()) return nullptr;
  return std::make_unique<GgufFile>(std::move(file).value());
}

inline Result<tokenizer::Vocab> LoadTiny(const GgufWriter& w) {
  auto file = FileOf(w);
  if (!file) return Status::Internal("GGUF did not parse");
  return tokenizer::LoadVocab(*file);
}

inline Result<std::unique_ptr<Tokenizer>> TokenizerOf(const GgufWriter& w) {
  auto file = FileOf(w);
  if (!file) return Status::Internal("GGUF did not parse");
  return Tokenizer::FromGguf(*file);
}

// An SPM vocabulary: <unk> <s> </s>, the pieces below, and byte tokens for '\n' and 'A'.
inline TinyVocab SmallSpm() {
  TinyVocab v;
  v.tokens = {"<unk>", "<s>", "</s>", "▁",      "a",      "b",
              "▁a",    "ab",  "▁ab",  "<0x0A>", "<0x41>", "<|user|>"};
  v.scores = {0, 0, 0, -1, -2, -2, -1, -3, -0.5f, 0, 0, 0};
  v.types = {kUnknown, kControl, kControl, kNormal, kNormal, kNormal,
             kNormal,  kNormal,  kNormal,  kByte,   kByte,   kUserDefined};
  return v;
}

}  // namespace foundry::engine::testing
