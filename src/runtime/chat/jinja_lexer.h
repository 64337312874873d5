#pragma once
// Lexer for jinja chat templates: source text -> tokens, with jinja2's whitespace handling
// (trim_blocks, lstrip_blocks, `-` and `+` modifiers), comments dropped and raw blocks turned into
// data. Internal to the jinja interpreter. Pure; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::runtime::jinja {

// 1-based line and column (in bytes) of a place in the template source.
struct SourcePos {
  int line = 0;
  int column = 0;
};

enum class TokenKind {
  kData,        // literal template text (after whitespace control); text = the bytes
  kVarBegin,    // {{
  kVarEnd,      // }}
  kBlockBegin,  // {%
  kBlockEnd,    // %}
  kName,        // identifier or keyword; text = the name
  kString,      // string literal; text = the decoded value
  kInt,         // integer literal; int_value
  kFloat,       // float literal; float_value
  kOp,          // operator or punctuation; text = "+", "//", "(", ...
  kEof,
};

struct Token {
  TokenKind kind = TokenKind::kEof;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  SourcePos pos;
};

// Tokenizes a template whose newlines are already normalized to "\n" (see NormalizeSource).
// The last token is kEof. kInvalidArgument ("line L, column C: TemplateSyntaxError: ...") for an
// unterminated tag, comment or string, an unexpected character or unbalanced brackets.
Result<std::vector<Token>> Lex(std::string_view source);

// jinja2's preprocessing: "\r\n" and "\r" become "\n", then one trailing "\n" is dropped.
std::string NormalizeSource(std::string_view source);

// "line L, column C: " prefix for messages.
std::string PositionPrefix(const SourcePos& pos);

}  // namespace foundry::runtime::jinja
