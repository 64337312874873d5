#pragma once
// GrammarMatcher: how far a byte string has got in a Grammar. A state is the set of parse
// stacks still alive (a pushdown automaton run on all alternatives at once); states are
// interned and their byte transitions memoized, so the matcher grows into a DFA over the
// parts of the grammar a generation actually visits. Stacks share their tails (persistent
// lists), and a rule reference in tail position does not grow the stack, so repetitions run
// in constant space; only true nesting (JSON depth) makes stacks deeper.
//
// StateIds are small integers valid until TrimCache() (which keeps only the current state).
// kDead (0) is the empty set: the bytes so far are not a prefix of any sentence.
//
// Thread-compatible: one matcher per generation; the Grammar is shared and immutable.

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/runtime/grammar/grammar.h"

namespace foundry::runtime::grammar {

class GrammarMatcher {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = 0;
  // A state with more live stacks than this (a wildly ambiguous grammar) is treated as dead
  // and overflowed() turns true; JSON grammars stay below ~50.
  static constexpr size_t kMaxStacks = 4096;

  // REQUIRES grammar != nullptr. The matcher starts at start().
  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  const Grammar& grammar() const { return *grammar_; }
  StateId start() const { return start_; }
  StateId state() const { return state_; }

  // The state after `byte` from `s`: kDead if the grammar rejects it. Memoized.
  // REQUIRES s is a valid StateId.
  StateId Next(StateId s, uint8_t byte);
  // Next() over every byte of `bytes` (stops early at kDead).
  StateId Walk(StateId s, std::string_view bytes);

  // The bytes leading to `s` form a complete sentence.
  bool IsAccepting(StateId s) const { return states_[size_t(s)].accepting; }
  // Accepting and no byte may follow (generation must end here).
  bool IsComplete(StateId s) const { return states_[size_t(s)].accepting && states_[size_t(s)].count == 0; }
  // Fewest further bytes that reach an accepting state (0 when accepting; kUnbounded if none).
  uint32_t MinBytesToAccept(StateId s) const { return states_[size_t(s)].min_bytes; }

  // Moves the current state through `bytes`. kInvalidArgument naming the byte offset if the
  // grammar rejects them (the state is then unchanged).
  Status Accept(std::string_view bytes);
  // Back to start().
  void Reset() { state_ = start_; }

  size_t n_states() const { return states_.size(); }
  // If more than `max_states` states are memoized, forgets all of them except the current
  // one (which gets a new id: read state() again). Bounds memory on long generations.
  void TrimCache(size_t max_states);
  // Some state exceeded kMaxStacks since construction.
  bool overflowed() const { return overflowed_; }

 private:
  struct Node {  // one stack frame: continue at element `pos`, then at `parent` (-1: done)
    uint32_t pos;
    int32_t parent;
    uint32_t min_bytes;  // fewest bytes to empty this stack
  };
  struct State {
    uint32_t begin, count;  // node ids in stack_pool_
    bool accepting;
    uint32_t min_bytes;
  };
  struct VecHash {
    size_t operator()(const std::vector<int32_t>& v) const;
  };

  int32_t InternNode(uint32_t pos, int32_t parent);
  StateId InternState(std::vector<int32_t>& stacks, bool accepting);
  // Adds the stacks reached from "continue at pos, then parent" once every pending rule
  // reference is expanded (tops are byte elements); `accepting` if the stack can empty.
  void Expand(uint32_t pos, int32_t parent, std::vector<int32_t>* out, bool* accepting);
  void Clear();

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  std::unordered_map<uint64_t, int32_t> node_index_;
  std::vector<State> states_;
  std::vector<int32_t> stack_pool_;
  std::unordered_map<std::vector<int32_t>, StateId, VecHash> state_index_;
  std::vector<StateId> trans_;  // [n_states][256], -1 = not computed yet
  StateId start_ = kDead, state_ = kDead;
  bool overflowed_ = false;
};

}  // namespace foundry::runtime::grammar
