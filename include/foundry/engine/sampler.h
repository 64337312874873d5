#pragma once
// Sampler: picks the next token from a logit vector.
//
// Chain (the order llama.cpp's default chain uses): repetition/presence/frequency penalties over
// the last `penalty_last_n` accepted tokens → top-k → top-p → min-p → temperature → draw.
// temperature <= 0 is greedy: argmax after penalties, ties to the lowest id. The sampler owns its
// random generator (seeded), so the same seed and inputs give the same tokens on every platform.
// Thread-compatible: one sampler per sequence.

#include <cstdint>
#include <deque>
#include <random>
#include <span>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::engine {

struct SamplerParams {
  float temperature = 0.8f;        // <= 0: greedy
  int32_t top_k = 40;              // <= 0: off
  float top_p = 0.95f;             // >= 1: off
  float min_p = 0.05f;             // <= 0: off; keep tokens with p >= min_p · p_max
  float repeat_penalty = 1.0f;     // 1: off; divides positive / multiplies negative logits
  float presence_penalty = 0.0f;   // subtracted once from every token seen
  float frequency_penalty = 0.0f;  // subtracted per occurrence
  int32_t penalty_last_n = 64;     // window of accepted tokens the penalties look at (-1: all)
  uint64_t seed = 0;

  // kInvalidArgument naming the field for values out of range (negative temperature is fine:
  // it means greedy; top_p outside (0, 1], min_p outside [0, 1], repeat_penalty <= 0).
  Status Validate() const;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks a token. `logits` has n_vocab entries and is not modified.
  TokenId Sample(std::span<const float> logits);

  // Records a token (prompt or generated) for the penalties.
  void Accept(TokenId token);

  const SamplerParams& params() const { return params_; }

 private:
  struct Candidate {
    TokenId id;
    float logit;
    float p;
  };
  void ApplyPenalties(std::vector<Candidate>& c) const;

  SamplerParams params_;
  std::mt19937_64 rng_;
  std::deque<TokenId> history_;
  std::vector<Candidate> cand_;  // scratch
};

}  // namespace foundry::engine
