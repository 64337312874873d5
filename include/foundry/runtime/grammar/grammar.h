#pragma once
// Grammar: a context-free grammar over bytes, compiled from a GBNF-like text, used to constrain
// sampling (grammar_matcher.h, grammar_constraint.h). The text format is documented in
// docs/tool-calling.md ("Constrained decoding"); in short:
//
//   # comment to the end of the line
//   root   ::= "{" ws pair ("," ws pair)* "}"     # rules: name ::= alternatives
//   pair   ::= string ws ":" ws value
//   ws     ::= [ \t\n]{0,8}
//   string ::= "\"" [^"\\]* "\""                  # literals and character classes
//   value  ::= string | [0-9]+ | "null" | ( "[" ws "]" )?
//
// Rule names are [A-Za-z0-9_-]+; a rule may be split over several lines: it ends where the next
// `name ::=` starts. `root` is the start rule. Elements: "literal" (escapes \n \r \t \\ \" \'
// \xHH \uHHHH \UHHHHHHHH, which name code points), [class] with ranges a-z and negation [^...],
// `.` (any character), rule references, ( groups ), alternation `|`, and the postfix operators
// ? * + {m} {m,} {m,n} (m, n <= 10000). Characters are Unicode code points: literals and classes
// compile to the UTF-8 byte sequences of the code points they match (surrogates excluded), so
// the compiled grammar works on bytes and a token may end in the middle of a character or rule.
//
// Restriction: no left recursion, direct or through rules that can match the empty string
// (`a ::= a "x"`, `a ::= b a` with nullable b, or `("x"?)*`) — the matcher needs every cycle to
// consume a byte first. ParseGrammar reports it as an error naming the rules involved.
//
// Thread-safety: immutable after ParseGrammar; share it (std::shared_ptr<const Grammar>) freely.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"

namespace foundry::runtime::grammar {

// A set of byte values (256 bits).
struct ByteSet {
  std::array<uint64_t, 4> bits{};
  bool Has(uint8_t b) const { return (bits[b >> 6] >> (b & 63)) & 1; }
  void Add(uint8_t b) { bits[b >> 6] |= uint64_t(1) << (b & 63); }
  void AddRange(uint8_t lo, uint8_t hi) {
    for (unsigned b = lo; b <= hi; ++b) Add(uint8_t(b));
  }
  bool empty() const { return (bits[0] | bits[1] | bits[2] | bits[3]) == 0; }
  bool operator==(const ByteSet&) const = default;
};

// One element of a compiled alternative. An alternative is a run of elements in elements()
// ended by a kEnd element.
struct Element {
  enum class Kind : uint8_t { kEnd, kBytes, kRule };
  Kind kind = Kind::kEnd;
  uint32_t arg = 0;  // kBytes: index into byte_sets(); kRule: rule index
};

// Saturated "infinity" for min_bytes_*: the rule cannot finish (e.g. `a ::= "x" a`).
inline constexpr uint32_t kUnbounded = UINT32_MAX / 4;

class Grammar {
 public:
  // The compiled form the matcher walks. Rule indices are < n_rules(); every alternative
  // start and every kRule target is valid (ParseGrammar guarantees it).
  const std::vector<Element>& elements() const { return elements_; }
  const std::vector<ByteSet>& byte_sets() const { return byte_sets_; }
  uint32_t n_rules() const { return uint32_t(rule_alts_.size()); }
  // Element index where each alternative of `rule` starts. REQUIRES rule < n_rules().
  std::span<const uint32_t> alternatives(uint32_t rule) const { return rule_alts_[rule]; }
  // The source name ("value"), or a generated one for groups/repetitions ("value-3").
  std::string_view rule_name(uint32_t rule) const { return rule_names_[rule]; }
  uint32_t root() const { return root_; }
  // Fewest bytes that finish the alternative from element `pos` to its kEnd (kUnbounded if it
  // cannot). REQUIRES pos < elements().size().
  uint32_t min_bytes_from(uint32_t pos) const { return min_bytes_from_[pos]; }
  // The text this grammar was parsed from.
  const std::string& source() const { return source_; }

 private:
  friend class GrammarBuilder;
  std::vector<Element> elements_;
  std::vector<ByteSet> byte_sets_;
  std::vector<std::vector<uint32_t>> rule_alts_;
  std::vector<std::string> rule_names_;
  std::vector<uint32_t> min_bytes_from_;
  uint32_t root_ = 0;
  std::string source_;
};

// Parses and compiles GBNF text.
// kInvalidArgument with "line L, column C: ..." for syntax errors (unterminated literal or
// class, bad escape, missing `::=`, unbalanced parentheses, bad repetition bounds, invalid
// UTF-8), a reference to an undefined rule (at the reference), a rule defined twice, no `root`
// rule, and left recursion (names the rules). kResourceExhausted when the compiled grammar
// would exceed 4 million elements (e.g. huge {m,n} bounds).
Result<Grammar> ParseGrammar(std::string_view gbnf);

// `text` as a GBNF literal ("..." with \" \\ \n \r \t and \xHH escapes for other control
// bytes; other bytes are copied). Useful to build grammars from strings.
std::string GbnfLiteral(std::string_view text);

}  // namespace foundry::runtime::grammar
