#include "foundry/runtime/grammar/grammar_constraint.h"

#include <algorithm>
#include <limits>
#include <string>

namespace foundry::runtime::grammar {
namespace {

// Memoized matcher states kept between tokens (~1 KiB of transitions each): past this the
// matcher cache is trimmed to the current state before the next walk.
constexpr size_t kSoftMaxStates = 8192;
// A single walk that creates more states than this is refused (64 MiB of transitions): only
// grammars with huge counted repetitions under every character get there.
constexpr size_t kHardMaxStates = 65536;
// Masks cached per state; each is n_vocab bits (19 KiB for 150k tokens).
constexpr size_t kMaxCachedMasks = 256;

void SetBit(std::vector<uint64_t>* bits, engine::TokenId id) {
  (*bits)[size_t(id) >> 6] |= uint64_t(1) << (size_t(id) & 63);
}

bool AnyBit(const std::vector<uint64_t>& bits) {
  return std::any_of(bits.begin(), bits.end(), [](uint64_t w) { return w != 0; });
}

}  // namespace

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                                     std::shared_ptr<const TokenVocabulary> vocabulary,
                                     const GrammarConstraintOptions& options)
    : matcher_(std::move(grammar)), vocab_(std::move(vocabulary)), options_(options) {}

Status GrammarConstraint::Walk(int64_t budget_after, std::vector<uint64_t>* all,
                               std::vector<uint64_t>* in_budget, uint32_t* max_min_bytes) {
  const TokenVocabulary& v = *vocab_;
  const size_t words = (size_t(v.n_vocab()) + 63) / 64;
  all->assign(words, 0);
  in_budget->assign(words, 0);
  *max_min_bytes = 0;
  walk_states_.assign(size_t(v.max_depth()) + 1, GrammarMatcher::kDead);
  walk_states_[0] = matcher_.state();
  const size_t n = v.n_nodes();
  for (size_t i = 0; i < n;) {
    const uint32_t d = v.node_depth(i);
    const GrammarMatcher::StateId s = matcher_.Next(walk_states_[d - 1], v.node_byte(i));
    if (s == GrammarMatcher::kDead) {
      i = v.subtree_end(i);  // no token below this prefix can be allowed
      continue;
    }
    walk_states_[d] = s;
    std::span<const engine::TokenId> toks = v.node_tokens(i);
    if (!toks.empty()) {
      const uint32_t need = matcher_.MinBytesToAccept(s);
      *max_min_bytes = std::max(*max_min_bytes, need);
      const bool fits = budget_after < 0 || int64_t(need) <= budget_after;
      for (engine::TokenId t : toks) {
        SetBit(all, t);
        if (fits) SetBit(in_budget, t);
      }
    }
    if (matcher_.n_states() > kHardMaxStates)
      return Status::ResourceExhausted("the grammar needs more than " + std::to_string(kHardMaxStates) +
                                       " matcher states for one token mask");
    ++i;
  }
  if (matcher_.overflowed())
    return Status::ResourceExhausted("the grammar is too ambiguous (more than " +
                                     std::to_string(GrammarMatcher::kMaxStacks) + " parse stacks)");
  return Status::Ok();
}

Result<std::span<const uint64_t>> GrammarConstraint::ComputeMask(int64_t budget_tokens) {
  const size_t words = (size_t(vocab_->n_vocab()) + 63) / 64;
  if (ended_) {
    mask_.assign(words, 0);
    return std::span<const uint64_t>(mask_);
  }
  if (matcher_.n_states() > kSoftMaxStates) {
    matcher_.TrimCache(kSoftMaxStates);
    cache_.clear();
  }
  // Budget in bytes after this token; -1 = unlimited.
  const int64_t budget_after = budget_tokens <= 0 ? -1 : budget_tokens - 1;
  const GrammarMatcher::StateId s = matcher_.state();
  auto it = cache_.find(s);
  if (it != cache_.end() && (budget_after < 0 || it->second.max_min_bytes <= budget_after)) {
    mask_ = it->second.bits;
  } else {
    uint32_t max_need = 0;
    std::vector<uint64_t> all;
    FOUNDRY_RETURN_IF_ERROR(Walk(budget_after, &all, &scratch_, &max_need));
    const bool budget_binds = budget_after >= 0 && max_need > budget_after;
    // Where the output may end here, ending (EOG, added below) always fits the budget: then
    // the in-budget mask holds even with no other token in it. Only where nothing fits at all
    // does the plain grammar mask take over.
    const bool can_end = matcher_.IsAccepting(s);
    mask_ = budget_binds && (can_end || AnyBit(scratch_)) ? scratch_ : all;
    if (options_.cache_masks) {
      if (cache_.size() >= kMaxCachedMasks) cache_.clear();
      cache_[s] = CachedMask{std::move(all), max_need};
    }
  }
  if (matcher_.IsAccepting(s))
    for (engine::TokenId t : vocab_->eog_tokens()) SetBit(&mask_, t);
  if (!AnyBit(mask_))
    return Status::FailedPrecondition(
        "no token of the vocabulary can continue the grammar here (it needs bytes no token "
        "provides)");
  return std::span<const uint64_t>(mask_);
}

Status GrammarConstraint::Apply(std::span<float> logits, int64_t budget_tokens) {
  FOUNDRY_ASSIGN_OR_RETURN(std::span<const uint64_t> bits, ComputeMask(budget_tokens));
  const float kNegInf = -std::numeric_limits<float>::infinity();
  const size_t n = std::min(logits.size(), size_t(vocab_->n_vocab()));
  for (size_t w = 0; w * 64 < n; ++w) {
    const uint64_t word = bits[w];
    if (word == ~uint64_t(0)) continue;
    const size_t end = std::min(n, w * 64 + 64);
    for (size_t i = w * 64; i < end; ++i)
      if (!((word >> (i & 63)) & 1)) logits[i] = kNegInf;
  }
  for (size_t i = n; i < logits.size(); ++i) logits[i] = kNegInf;  // padding rows, if any
  return Status::Ok();
}

Status GrammarConstraint::Accept(engine::TokenId token) {
  if (ended_) return Status::InvalidArgument("the grammar has already ended");
  if (vocab_->is_eog(token)) {
    if (!IsAccepting())
      return Status::InvalidArgument("end-of-generation token before the grammar is complete");
    ended_ = true;
    return Status::Ok();
  }
  std::string_view bytes = vocab_->bytes(token);
  if (bytes.empty())
    return Status::InvalidArgument("token " + std::to_string(token) + " produces no text; the grammar cannot accept it");
  Status st = matcher_.Accept(bytes);
  if (!st.ok()) return Status::InvalidArgument("token " + std::to_string(token) + ": " + st.message());
  return Status::Ok();
}

}  // namespace foundry::runtime::grammar
