#include "foundry/runtime/grammar/grammar_matcher.h"

#include <algorithm>
#include <string>

namespace foundry::runtime::grammar {
namespace {

constexpr int32_t kUnknown = -1;
constexpr int32_t kNoParent = -1;

uint32_t SatAdd(uint32_t a, uint32_t b) { return std::min<uint32_t>(kUnbounded, a + b); }

}  // namespace

size_t GrammarMatcher::VecHash::operator()(const std::vector<int32_t>& v) const {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ v.size();
  for (int32_t x : v) h = (h ^ uint32_t(x)) * 0x100000001B3ull;
  return size_t(h ^ (h >> 29));
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar) : grammar_(std::move(grammar)) {
  Clear();
}

void GrammarMatcher::Clear() {
  nodes_.clear();
  node_index_.clear();
  states_.clear();
  stack_pool_.clear();
  state_index_.clear();
  trans_.clear();
  std::vector<int32_t> none;
  InternState(none, false);  // kDead
  std::vector<int32_t> stacks;
  bool accepting = false;
  for (uint32_t alt : grammar_->alternatives(grammar_->root())) Expand(alt, kNoParent, &stacks, &accepting);
  start_ = stacks.empty() && !accepting ? kDead : InternState(stacks, accepting);
  state_ = start_;
}

int32_t GrammarMatcher::InternNode(uint32_t pos, int32_t parent) {
  const uint64_t key = (uint64_t(pos) << 32) | uint32_t(parent + 1);
  auto [it, inserted] = node_index_.emplace(key, int32_t(nodes_.size()));
  if (inserted) {
    const uint32_t below = parent == kNoParent ? 0 : nodes_[size_t(parent)].min_bytes;
    nodes_.push_back({pos, parent, SatAdd(grammar_->min_bytes_from(pos), below)});
  }
  return it->second;
}

void GrammarMatcher::Expand(uint32_t pos, int32_t parent, std::vector<int32_t>* out, bool* accepting) {
  const std::vector<Element>& el = grammar_->elements();
  // Pop finished alternatives (iteratively: nesting depth is unbounded).
  while (el[pos].kind == Element::Kind::kEnd) {
    if (parent == kNoParent) {
      *accepting = true;
      return;
    }
    pos = nodes_[size_t(parent)].pos;
    parent = nodes_[size_t(parent)].parent;
  }
  if (out->size() > 4 * kMaxStacks) return;  // overflowing; InternState-side check reports it
  if (el[pos].kind == Element::Kind::kBytes) {
    out->push_back(InternNode(pos, parent));
    return;
  }
  // A rule reference: continue after it once the rule is done. In tail position the
  // continuation is the parent itself, so right recursion does not deepen the stack.
  const int32_t cont = el[pos + 1].kind == Element::Kind::kEnd ? parent : InternNode(pos + 1, parent);
  // Recursion depth here is bounded by the grammar (no left recursion), not by the input.
  for (uint32_t alt : grammar_->alternatives(el[pos].arg)) Expand(alt, cont, out, accepting);
}

GrammarMatcher::StateId GrammarMatcher::InternState(std::vector<int32_t>& stacks, bool accepting) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  if (stacks.size() > kMaxStacks) {
    overflowed_ = true;
    return kDead;
  }
  stacks.push_back(accepting ? 1 : 0);  // the key includes the flag
  auto it = state_index_.find(stacks);
  if (it != state_index_.end()) return it->second;
  const StateId id = StateId(states_.size());
  State st{uint32_t(stack_pool_.size()), uint32_t(stacks.size() - 1), accepting, accepting ? 0 : kUnbounded};
  for (size_t i = 0; i + 1 < stacks.size(); ++i) {
    stack_pool_.push_back(stacks[i]);
    st.min_bytes = std::min(st.min_bytes, nodes_[size_t(stacks[i])].min_bytes);
  }
  states_.push_back(st);
  trans_.resize(states_.size() * 256, kUnknown);
  state_index_.emplace(stacks, id);
  return id;
}

GrammarMatcher::StateId GrammarMatcher::Next(StateId s, uint8_t byte) {
  const size_t slot = size_t(s) * 256 + byte;
  if (trans_[slot] != kUnknown) return trans_[slot];
  const std::vector<Element>& el = grammar_->elements();
  const std::vector<ByteSet>& sets = grammar_->byte_sets();
  std::vector<int32_t> next;
  bool accepting = false;
  const State st = states_[size_t(s)];
  for (uint32_t i = 0; i < st.count; ++i) {
    const Node n = nodes_[size_t(stack_pool_[st.begin + i])];
    if (sets[el[n.pos].arg].Has(byte)) Expand(n.pos + 1, n.parent, &next, &accepting);
  }
  const StateId r = next.empty() && !accepting ? kDead : InternState(next, accepting);
  trans_[slot] = r;  // InternState may have grown trans_; index again
  return r;
}

GrammarMatcher::StateId GrammarMatcher::Walk(StateId s, std::string_view bytes) {
  for (char c : bytes) {
    if (s == kDead) break;
    s = Next(s, uint8_t(c));
  }
  return s;
}

Status GrammarMatcher::Accept(std::string_view bytes) {
  StateId s = state_;
  for (size_t i = 0; i < bytes.size(); ++i) {
    s = Next(s, uint8_t(bytes[i]));
    if (s == kDead)
      return Status::InvalidArgument("the grammar does not allow byte " + std::to_string(i) +
                                     " of the " + std::to_string(bytes.size()) + "-byte input" +
                                     (overflowed_ ? " (the grammar is too ambiguous)" : ""));
  }
  state_ = s;
  return Status::Ok();
}

void GrammarMatcher::TrimCache(size_t max_states) {
  if (states_.size() <= max_states) return;
  // Copy the current state's stacks out as position lists (top first), rebuild from scratch.
  const State cur = states_[size_t(state_)];
  std::vector<std::vector<uint32_t>> stacks;
  for (uint32_t i = 0; i < cur.count; ++i) {
    std::vector<uint32_t> frames;
    for (int32_t n = stack_pool_[cur.begin + i]; n != kNoParent; n = nodes_[size_t(n)].parent)
      frames.push_back(nodes_[size_t(n)].pos);
    stacks.push_back(std::move(frames));
  }
  Clear();
  std::vector<int32_t> ids;
  for (const auto& frames : stacks) {
    int32_t node = kNoParent;
    for (size_t k = frames.size(); k-- > 0;) node = InternNode(frames[k], node);
    ids.push_back(node);
  }
  state_ = ids.empty() && !cur.accepting ? kDead : InternState(ids, cur.accepting);
}

}  // namespace foundry::runtime::grammar
