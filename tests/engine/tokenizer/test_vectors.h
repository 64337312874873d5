#pragma once
// Helpers shared by the tokenizer tests: the vocab-only GGUF files of ../shared/tokenizer and
// their .inp/.out vector files (format: ../shared/tokenizer/README.md).

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/engine/tokenizer/tokenizer.h"
#include "support/shared_data.h"

namespace foundry::engine::testing {

// Every vocabulary with vectors, by the <name> of ggml-vocab-<name>.gguf.
inline constexpr const char* kVectorVocabs[] = {
    "llama-spm",    "llama-bpe",      "phi-3",     "gpt-2",  "bert-bge", "qwen2",  "qwen35",
    "deepseek-llm", "deepseek-coder", "starcoder", "falcon", "mpt",      "refact", "gpt-neox",
};

struct VectorCase {
  std::string text;
  std::vector<TokenId> ids;
};

inline std::filesystem::path VocabPath(const std::string& name) {
  return foundry::testing::SharedPath("tokenizer/ggml-vocab-" + name + ".gguf");
}

// Cases of ggml-vocab-<name>.gguf.inp/.out. Adds a test failure (and returns what it has) when
// the two files disagree on the number of cases.
inline std::vector<VectorCase> LoadVectors(const std::string& name) {
  const std::string inp = foundry::testing::ReadFileText(VocabPath(name).string() + ".inp");
  const std::string out = foundry::testing::ReadFileText(VocabPath(name).string() + ".out");
  constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";

  std::vector<std::string> texts;
  size_t at = 0;
  while (true) {
    const size_t next = inp.find(kSeparator, at);
    if (next == std::string::npos) {
      // The file ends with a separator: what follows it is not a case.
      EXPECT_EQ(at, inp.size()) << name << ".inp does not end with the separator";
      break;
    }
    texts.push_back(inp.substr(at, next - at));
    at = next + kSeparator.size();
  }

  std::vector<std::string> lines;
  at = 0;
  while (at < out.size()) {
    size_t next = out.find('\n', at);
    if (next == std::string::npos) next = out.size();
    lines.push_back(out.substr(at, next - at));
    at = next + 1;
  }
  EXPECT_EQ(texts.size(), lines.size()) << name << ": .inp and .out disagree";

  std::vector<VectorCase> cases;
  for (size_t i = 0; i < texts.size() && i < lines.size(); ++i) {
    VectorCase c{.text = texts[i], .ids = {}};
    const std::string& line = lines[i];
    size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\r')) ++p;
      if (p == line.size()) break;
      size_t e = p;
      while (e < line.size() && line[e] != ' ' && line[e] != '\r') ++e;
      c.ids.push_back(static_cast<TokenId>(std::stol(line.substr(p, e - p))));
      p = e;
    }
    cases.push_back(std::move(c));
  }
  return cases;
}

inline std::unique_ptr<Tokenizer> LoadTokenizer(const std::filesystem::path& path) {
  auto file = GgufFile::Open(path);
  EXPECT_TRUE(file.ok()) << path << ": " << file.status().ToString();
  if (!file.ok()) return nullptr;
  auto tok = Tokenizer::FromGguf(*file);
  EXPECT_TRUE(tok.ok()) << path << ": " << tok.status().ToString();
  if (!tok.ok()) return nullptr;
  return std::move(tok).value();
}

// `s` with non-printable bytes escaped, for failure messages.
inline std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

}  // namespace foundry::engine::testing
