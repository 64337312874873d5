#include "runtime/grammar/grammar_builder.h"

#include <algorithm>

namespace foundry::runtime::grammar {
namespace {

// Bounds the compiled size so {m,n} on large bodies cannot exhaust memory: 4M elements is
// ~32 MB of grammar, far beyond any JSON-Schema grammar (those are a few thousand).
constexpr size_t kMaxElements = size_t(4) << 20;

uint32_t SatAdd(uint32_t a, uint32_t b) { return std::min<uint32_t>(kUnbounded, a + b); }

}  // namespace

std::string LineColumn(std::string_view source, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < source.size(); ++i) {
    if (source[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(col);
}

uint32_t GrammarBuilder::Ref(std::string_view name, size_t offset) {
  auto it = by_name_.find(std::string(name));
  if (it != by_name_.end()) return it->second;
  const uint32_t id = uint32_t(rules_.size());
  rules_.push_back({.name = std::string(name), .first_ref_offset = offset});
  by_name_.emplace(std::string(name), id);
  return id;
}

Status GrammarBuilder::Define(uint32_t rule, std::vector<Seq> alts) {
  Rule& r = rules_[rule];
  if (r.defined) return Status::InvalidArgument("rule '" + r.name + "' is defined twice");
  for (const Seq& s : alts) n_elements_ += s.size() + 1;
  r.alts = std::move(alts);
  r.defined = true;
  return CheckSize();
}

uint32_t GrammarBuilder::AddAux(std::string_view base, std::vector<Seq> alts) {
  std::string name = std::string(base) + "-" + std::to_string(++n_aux_);
  const uint32_t id = uint32_t(rules_.size());
  for (const Seq& s : alts) n_elements_ += s.size() + 1;
  // Not entered in by_name_: a user rule may be called "x-1" too.
  rules_.push_back({.name = std::move(name), .alts = std::move(alts), .defined = true});
  return id;
}

Status GrammarBuilder::CheckSize() {
  if (n_elements_ > kMaxElements)
    return Status::ResourceExhausted("the grammar is too large (more than " +
                                     std::to_string(kMaxElements) +
                                     " elements after expanding repetitions)");
  return Status::Ok();
}

Element GrammarBuilder::Bytes(const ByteSet& set) {
  auto [it, inserted] = byte_set_index_.emplace(set.bits, uint32_t(byte_sets_.size()));
  if (inserted) byte_sets_.push_back(set);
  return {.kind = Element::Kind::kBytes, .arg = it->second};
}

Element GrammarBuilder::Class(const std::vector<CodeRange>& ranges, std::string_view base) {
  std::vector<std::pair<uint32_t, uint32_t>> key;
  for (CodeRange r : ranges) key.emplace_back(r.lo, r.hi);
  if (auto it = class_cache_.find(key); it != class_cache_.end()) return it->second;
  ByteSet ascii;
  std::vector<Seq> alts;
  for (const Utf8Sequence& s : Utf8Sequences(ranges)) {
    if (s.n == 1) {
      ascii.AddRange(s.lo[0], s.hi[0]);
      continue;
    }
    Seq seq;
    for (int i = 0; i < s.n; ++i) {
      ByteSet b;
      b.AddRange(s.lo[i], s.hi[i]);
      seq.push_back(Bytes(b));
    }
    alts.push_back(std::move(seq));
  }
  Element e;
  if (alts.empty()) {
    e = Bytes(ascii);  // may be empty: a class that matches nothing
  } else {
    if (!ascii.empty()) alts.insert(alts.begin(), Seq{Bytes(ascii)});
    e = {.kind = Element::Kind::kRule, .arg = AddAux(base, std::move(alts))};
  }
  class_cache_.emplace(std::move(key), e);
  return e;
}

GrammarBuilder::Seq GrammarBuilder::Literal(std::string_view bytes) {
  Seq seq;
  for (char c : bytes) {
    ByteSet b;
    b.Add(uint8_t(c));
    seq.push_back(Bytes(b));
  }
  return seq;
}

Result<GrammarBuilder::Seq> GrammarBuilder::Repeat(Seq atom, uint32_t min, uint32_t max,
                                                   std::string_view base) {
  if (atom.size() != 1) atom = Seq{{.kind = Element::Kind::kRule, .arg = AddAux(base, {atom})}};
  const Element x = atom[0];
  Seq out(min, x);
  n_elements_ += min;
  if (max == kUnbounded) {
    // star ::= x star | ""   (right recursion: the matcher's tail call keeps stacks flat)
    const uint32_t star = AddAux(base, {});
    rules_[star].alts = {Seq{x, {.kind = Element::Kind::kRule, .arg = star}}, Seq{}};
    n_elements_ += 4;
    out.push_back({.kind = Element::Kind::kRule, .arg = star});
  } else if (max > min) {
    // opt1 ::= x | "";  optK ::= x opt(K-1) | ""
    uint32_t prev = AddAux(base, {Seq{x}, Seq{}});
    for (uint32_t k = 2; k <= max - min; ++k) {
      prev = AddAux(base, {Seq{x, {.kind = Element::Kind::kRule, .arg = prev}}, Seq{}});
      if (n_elements_ > kMaxElements) break;
    }
    out.push_back({.kind = Element::Kind::kRule, .arg = prev});
  }
  FOUNDRY_RETURN_IF_ERROR(CheckSize());
  return out;
}

Status GrammarBuilder::CheckLeftRecursion(const std::vector<bool>& nullable) const {
  const size_t n = rules_.size();
  // Left-corner edges: rules that can be entered before any byte is consumed.
  std::vector<std::vector<uint32_t>> edges(n);
  for (size_t r = 0; r < n; ++r) {
    for (const Seq& alt : rules_[r].alts) {
      for (const Element& e : alt) {
        if (e.kind != Element::Kind::kRule) break;
        edges[r].push_back(e.arg);
        if (!nullable[e.arg]) break;
      }
    }
  }
  // Iterative DFS; a grey target is a cycle.
  std::vector<uint8_t> color(n, 0);  // 0 white, 1 grey (on the path), 2 black
  std::vector<std::pair<uint32_t, size_t>> path;
  for (size_t start = 0; start < n; ++start) {
    if (color[start]) continue;
    path.push_back({uint32_t(start), 0});
    color[start] = 1;
    while (!path.empty()) {
      auto& [r, next] = path.back();
      if (next == edges[r].size()) {
        color[r] = 2;
        path.pop_back();
        continue;
      }
      const uint32_t t = edges[r][next++];
      if (color[t] == 1) {
        std::string cycle;
        size_t i = 0;
        while (path[i].first != t) ++i;
        for (; i < path.size(); ++i) cycle += rules_[path[i].first].name + " -> ";
        cycle += rules_[t].name;
        return Status::InvalidArgument(
            "left recursion: " + cycle +
            " (every recursion must consume input first; a repetition of something that can "
            "match the empty string counts as left recursion too)");
      }
      if (color[t] == 0) {
        color[t] = 1;
        path.push_back({t, 0});
      }
    }
  }
  return Status::Ok();
}

Result<Grammar> GrammarBuilder::Finish(std::string source) {
  for (const Rule& r : rules_)
    if (!r.defined)
      return Status::InvalidArgument(LineColumn(source, r.first_ref_offset) + ": rule '" + r.name +
                                     "' is not defined");
  auto root = by_name_.find("root");
  if (root == by_name_.end()) return Status::InvalidArgument("the grammar has no 'root' rule");

  const size_t n = rules_.size();
  std::vector<bool> nullable(n, false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Seq& alt : rules_[r].alts) {
        bool all = std::all_of(alt.begin(), alt.end(), [&](const Element& e) {
          return e.kind == Element::Kind::kRule && nullable[e.arg];
        });
        if (all) {
          nullable[r] = changed = true;
          break;
        }
      }
    }
  }
  FOUNDRY_RETURN_IF_ERROR(CheckLeftRecursion(nullable));

  // Fewest bytes per rule (fixpoint from "unbounded").
  std::vector<uint32_t> min_len(n, kUnbounded);
  auto elem_cost = [&](const Element& e) {
    if (e.kind == Element::Kind::kRule) return min_len[e.arg];
    return byte_sets_[e.arg].empty() ? kUnbounded : 1u;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      for (const Seq& alt : rules_[r].alts) {
        uint32_t sum = 0;
        for (const Element& e : alt) sum = SatAdd(sum, elem_cost(e));
        if (sum < min_len[r]) {
          min_len[r] = sum;
          changed = true;
        }
      }
    }
  }

  Grammar g;
  g.root_ = root->second;
  g.byte_sets_ = byte_sets_;
  g.rule_alts_.resize(n);
  g.rule_names_.resize(n);
  g.elements_.reserve(n_elements_);
  for (size_t r = 0; r < n; ++r) {
    g.rule_names_[r] = rules_[r].name;
    for (const Seq& alt : rules_[r].alts) {
      g.rule_alts_[r].push_back(uint32_t(g.elements_.size()));
      g.elements_.insert(g.elements_.end(), alt.begin(), alt.end());
      g.elements_.push_back({.kind = Element::Kind::kEnd});
    }
  }
  g.min_bytes_from_.assign(g.elements_.size(), 0);
  for (size_t i = g.elements_.size(); i-- > 0;) {
    const Element& e = g.elements_[i];
    g.min_bytes_from_[i] = e.kind == Element::Kind::kEnd ? 0 : SatAdd(elem_cost(e), g.min_bytes_from_[i + 1]);
  }
  g.source_ = std::move(source);
  return g;
}

}  // namespace foundry::runtime::grammar
