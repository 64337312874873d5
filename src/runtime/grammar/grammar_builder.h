#pragma once
// GrammarBuilder: collects rules (named and generated) while a grammar is parsed, then checks
// and flattens them into a Grammar (Finish). Internal to the grammar compiler.
// Thread-compatible.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "foundry/runtime/grammar/grammar.h"
#include "runtime/grammar/utf8_ranges.h"

namespace foundry::runtime::grammar {

class GrammarBuilder {
 public:
  using Seq = std::vector<Element>;  // kBytes / kRule elements (no kEnd)

  // The rule named `name`, created undefined on first use; `offset` (into the source) is kept
  // for the "undefined rule" error.
  uint32_t Ref(std::string_view name, size_t offset);
  // kInvalidArgument if `rule` was defined before.
  Status Define(uint32_t rule, std::vector<Seq> alts);
  // A new generated rule named "<base>-<n>".
  uint32_t AddAux(std::string_view base, std::vector<Seq> alts);

  Element Bytes(const ByteSet& set);
  // A single byte element (ASCII-only ranges) or a generated rule over the UTF-8 sequences.
  // REQUIRES `ranges` normalized (NormalizeRanges).
  Element Class(const std::vector<CodeRange>& ranges, std::string_view base);
  // One element per byte of `bytes`.
  Seq Literal(std::string_view bytes);
  // `atom` repeated min..max times (max == kUnbounded: no upper bound). REQUIRES min <= max.
  // kResourceExhausted past the size limit.
  Result<Seq> Repeat(Seq atom, uint32_t min, uint32_t max, std::string_view base);

  // Checks (undefined rules, `root`, left recursion) and compiles. `source` is stored in the
  // Grammar and used for line/column in messages.
  Result<Grammar> Finish(std::string source);

 private:
  struct Rule {
    std::string name;
    std::vector<Seq> alts;
    bool defined = false;
    size_t first_ref_offset = 0;
  };
  Status CheckSize();
  Status CheckLeftRecursion(const std::vector<bool>& nullable) const;

  std::vector<Rule> rules_;
  std::unordered_map<std::string, uint32_t> by_name_;
  std::vector<ByteSet> byte_sets_;
  std::map<std::array<uint64_t, 4>, uint32_t> byte_set_index_;
  std::map<std::vector<std::pair<uint32_t, uint32_t>>, Element> class_cache_;
  size_t n_elements_ = 0;
  uint32_t n_aux_ = 0;
};

// "line L, column C" (1-based; columns count bytes) of `offset` in `source`.
std::string LineColumn(std::string_view source, size_t offset);

}  // namespace foundry::runtime::grammar
