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

// A token with its log-probability (natural log).
struct TokenLogprob {
  TokenId id = -1;
  float logprob = 0.0f;
};

// What Sample() reports about the token it picked when log-probabilities are asked for.
struct SampledToken {
  TokenId id = -1;
  float logprob = 0.0f;           // log-probability of `id`
  std::vector<TokenLogprob> top;  // the n_top most likely tokens, most likely first (ties: lower id)
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks a token. `logits` has n_vocab entries and is not modified.
  TokenId Sample(std::span<const float> logits);

  // Picks the same token as Sample(logits) and also reports log-probabilities in *out: the
  // log-softmax over the whole vocabulary of the penalized logits divided by the temperature
  // (by 1 when temperature <= 0, greedy), i.e. the distribution the draw starts from, before the
  // top-k / top-p / min-p cut (as OpenAI reports them). Costs one extra pass over the vocabulary
  // plus a partial sort of n_top entries. REQUIRES: n_top >= 0; out != nullptr.
  TokenId Sample(std::span<const float> logits, int32_t n_top, SampledToken* out);

  // Records a token (prompt or generated) for the penalties.
  void Accept(TokenId token);

  const SamplerParams& params() const { return params_; }

 private:
  struct Candidate {
    TokenId id;
    float logit;
    float p;
  };
  void ApplyPenalties(std::vector<float>& logits) const;

  SamplerParams params_;
  std::mt19937_64 rng_;
  std::deque<TokenId> history_;
  // logits_ = logits, penalties applied.
  void Prepare(std::span<const float> logits);
  // The rest of the chain over logits_ (cut, temperature, draw). Without a cut it draws from
  // logits_ in id order; a cut sorts the head of cand_.
  TokenId Draw();
  // Index i < n drawn with weight exp((logit(i) - max) / T), from one value of rng_.
  template <class Logit>
  size_t DrawIndex(size_t n, float inv_t, Logit logit);
  // scaled_ = log-softmax of logits_ / temperature; out->top = its n_top best.
  void ReportLogprobs(int32_t n_top, SampledToken* out);

  std::vector<float> logits_;    // scratch: penalized logits, in id order
  std::vector<Candidate> cand_;  // scratch: candidates of a cut, sorted by the cut
  std::vector<float> probs_;     // scratch: the draw's unnormalised weights
  std::vector<float> scaled_;    // scratch: penalized logits / temperature, in id order
  std::vector<TokenId> order_;   // scratch: ids for the top-n sort
};

}  // namespace foundry::engine
