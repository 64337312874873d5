#include "foundry/engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <unordered_map>

#include "engine/vec_exp.h"

namespace foundry::engine {
namespace {

typedef float F4 __attribute__((vector_size(16)));  // the x86-64 baseline vector (SSE2)
typedef int32_t I4 __attribute__((vector_size(16)));

}  // namespace

Status SamplerParams::Validate() const {
  if (!std::isfinite(temperature)) return Status::InvalidArgument("temperature must be a finite number");
  if (!(top_p > 0.0f && top_p <= 1.0f)) return Status::InvalidArgument("top_p must be in (0, 1]");
  if (!(min_p >= 0.0f && min_p <= 1.0f)) return Status::InvalidArgument("min_p must be in [0, 1]");
  if (!(repeat_penalty > 0.0f)) return Status::InvalidArgument("repeat_penalty must be > 0");
  if (!std::isfinite(presence_penalty) || !std::isfinite(frequency_penalty))
    return Status::InvalidArgument("presence/frequency penalties must be finite");
  if (penalty_last_n < -1) return Status::InvalidArgument("penalty_last_n must be >= -1");
  return Status::Ok();
}

Sampler::Sampler(const SamplerParams& params) : params_(params), rng_(params.seed) {}

void Sampler::Accept(TokenId token) {
  history_.push_back(token);
  // Keep a bounded window; -1 means "all", capped to keep memory bounded on long chats.
  const size_t cap = params_.penalty_last_n < 0 ? 1u << 16 : size_t(params_.penalty_last_n);
  while (history_.size() > cap) history_.pop_front();
}

void Sampler::ApplyPenalties(std::vector<float>& logits) const {
  if (history_.empty() || (params_.repeat_penalty == 1.0f && params_.presence_penalty == 0.0f &&
                           params_.frequency_penalty == 0.0f))
    return;
  std::unordered_map<TokenId, int> counts;
  for (TokenId t : history_) ++counts[t];
  for (const auto& [id, count] : counts) {
    if (id < 0 || size_t(id) >= logits.size()) continue;
    float& l = logits[size_t(id)];
    if (params_.repeat_penalty != 1.0f) l = l > 0 ? l / params_.repeat_penalty : l * params_.repeat_penalty;
    l -= float(count) * params_.frequency_penalty + params_.presence_penalty;
  }
}

void Sampler::Prepare(std::span<const float> logits) {
  logits_.assign(logits.begin(), logits.end());
  ApplyPenalties(logits_);
}

TokenId Sampler::Sample(std::span<const float> logits) {
  Prepare(logits);
  return Draw();
}

TokenId Sampler::Sample(std::span<const float> logits, int32_t n_top, SampledToken* out) {
  Prepare(logits);
  ReportLogprobs(n_top, out);
  const TokenId id = Draw();
  out->id = id;
  out->logprob = scaled_[size_t(id)];
  return id;
}

void Sampler::ReportLogprobs(int32_t n_top, SampledToken* out) {
  const float inv_t = params_.temperature > 0.0f ? 1.0f / params_.temperature : 1.0f;
  const size_t n = logits_.size();
  scaled_.resize(n);
  float max = -INFINITY;
  for (size_t i = 0; i < n; ++i) {
    scaled_[i] = logits_[i] * inv_t;
    max = std::max(max, scaled_[i]);
  }
  // log-softmax: x - (max + log Σ exp(x - max)), the sum in double.
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += std::exp(double(scaled_[i]) - double(max));
  const double lse = double(max) + std::log(sum);
  for (size_t i = 0; i < n; ++i) scaled_[i] = float(double(scaled_[i]) - lse);
  const size_t k = std::min(size_t(std::max<int32_t>(n_top, 0)), n);
  order_.resize(n);
  for (size_t i = 0; i < n; ++i) order_[i] = TokenId(i);
  std::partial_sort(order_.begin(), order_.begin() + long(k), order_.end(), [&](TokenId a, TokenId b) {
    return scaled_[size_t(a)] > scaled_[size_t(b)] || (scaled_[size_t(a)] == scaled_[size_t(b)] && a < b);
  });
  out->top.clear();
  for (size_t i = 0; i < k; ++i) out->top.push_back({order_[i], scaled_[size_t(order_[i])]});
}

TokenId Sampler::Draw() {
  const size_t n_vocab = logits_.size();
  if (params_.temperature <= 0.0f) {
    size_t best = 0;
    for (size_t i = 1; i < n_vocab; ++i)
      if (logits_[i] > logits_[best]) best = i;
    return TokenId(best);
  }
  const float inv_t = 1.0f / params_.temperature;
  const bool top_k = params_.top_k > 0 && size_t(params_.top_k) < n_vocab;
  if (!top_k && params_.top_p >= 1.0f && params_.min_p <= 0.0f)  // no cut: draw in id order
    return TokenId(DrawIndex(n_vocab, inv_t, [&](size_t i) { return logits_[i]; }));

  cand_.resize(n_vocab);
  for (size_t i = 0; i < n_vocab; ++i) cand_[i] = {TokenId(i), logits_[i], 0.0f};
  // Sorted by logit descending, ties by id, so the result does not depend on sort stability.
  auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t n = n_vocab;
  bool top_p_done = false;
  if (top_k) {
    std::partial_sort(cand_.begin(), cand_.begin() + params_.top_k, cand_.end(), by_logit);
    n = size_t(params_.top_k);
  } else if (params_.top_p < 1.0f) {
    // Only the head of the sorted order matters: sort growing prefixes until one holds top_p
    // of the probability mass (a full sort of a 150k vocabulary costs milliseconds a token).
    float max = -INFINITY;
    for (const Candidate& c : cand_) max = std::max(max, c.logit);
    double sum = 0;
    for (const Candidate& c : cand_) sum += std::exp(c.logit - max);
    for (size_t k = std::min<size_t>(64, n);; k = std::min(n, k * 8)) {
      std::partial_sort(cand_.begin(), cand_.begin() + long(k), cand_.end(), by_logit);
      double cum = 0;
      size_t keep = 0;
      for (size_t i = 0; i < k && keep == 0; ++i) {
        cum += float(std::exp(cand_[i].logit - max) / sum);
        if (cum >= params_.top_p) keep = i + 1;
      }
      if (keep > 0 || k == n) {
        n = keep > 0 ? keep : n;
        break;
      }
    }
    top_p_done = true;
  } else if (params_.min_p > 0.0f) {
    // min-p keeps the tokens within a factor min_p of the most likely one: sort just those.
    float max = -INFINITY;
    for (const Candidate& c : cand_) max = std::max(max, c.logit);
    const float cut = max + std::log(params_.min_p);
    size_t m = 0;
    for (const Candidate& c : cand_) m += c.logit >= cut;
    m = std::clamp<size_t>(m + 1, 1, n);  // one more: rounding at the cut is decided below
    std::partial_sort(cand_.begin(), cand_.begin() + long(m), cand_.end(), by_logit);
    n = m;
  }
  auto softmax = [&](size_t count) {
    float max = -INFINITY;
    for (size_t i = 0; i < count; ++i) max = std::max(max, cand_[i].logit);
    double sum = 0;
    for (size_t i = 0; i < count; ++i) {
      cand_[i].p = std::exp(cand_[i].logit - max);
      sum += cand_[i].p;
    }
    for (size_t i = 0; i < count; ++i) cand_[i].p = float(cand_[i].p / sum);
  };

  if (params_.top_p < 1.0f && !top_p_done) {
    softmax(n);
    double cum = 0;
    size_t keep = n;
    for (size_t i = 0; i < n; ++i) {
      cum += cand_[i].p;
      if (cum >= params_.top_p) {
        keep = i + 1;
        break;
      }
    }
    n = std::max<size_t>(1, keep);
  }
  if (params_.min_p > 0.0f) {
    softmax(n);
    const float cut = params_.min_p * cand_[0].p;
    size_t keep = 1;
    while (keep < n && cand_[keep].p >= cut) ++keep;
    n = keep;
  }
  return cand_[DrawIndex(n, inv_t, [&](size_t i) { return cand_[i].logit; })].id;
}

template <class Logit>
size_t Sampler::DrawIndex(size_t n, float inv_t, Logit logit) {
  // Draw from exp((logit - max) / T) without normalising: u is scaled by the sum instead. The
  // sum is kept in 8 double lanes (i mod 8) added in a fixed order, and the walk to u goes
  // block of 8 by block, so neither is one long chain of dependent additions.
  float lane_max[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
                       -INFINITY, -INFINITY, -INFINITY, -INFINITY};  // max is exact in any order
  size_t i0 = 0;
  for (; i0 + 8 <= n; i0 += 8)
    for (int j = 0; j < 8; ++j) lane_max[j] = std::max(lane_max[j], logit(i0 + j));
  for (; i0 < n; ++i0) lane_max[0] = std::max(lane_max[0], logit(i0));
  const float max = *std::max_element(lane_max, lane_max + 8);
  probs_.resize((n + 7) / 8 * 8);
  for (size_t i = 0; i < n; ++i) probs_[i] = (logit(i) - max) * inv_t;
  for (size_t i = n; i < probs_.size(); ++i) probs_[i] = -INFINITY;
  for (size_t i = 0; i < probs_.size(); i += 4) {  // e^x, 0 for -inf (masked tokens, padding)
    F4 x;
    std::memcpy(&x, &probs_[i], sizeof x);
    x = VecExpNonPositive<F4, I4>(x);
    std::memcpy(&probs_[i], &x, sizeof x);
  }
  auto block_sum = [&](size_t b) {
    const float* p = probs_.data() + 8 * b;
    return ((double(p[0]) + p[1]) + (double(p[2]) + p[3])) +
           ((double(p[4]) + p[5]) + (double(p[6]) + p[7]));
  };
  const size_t n_blocks = probs_.size() / 8;
  double lanes[8] = {};
  for (size_t b = 0; b < n_blocks; ++b)
    for (int j = 0; j < 8; ++j) lanes[j] += probs_[8 * b + j];
  const double sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
                     ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  // Uniform in [0, 1) from 53 random bits: identical on every standard library.
  const double u = double(rng_() >> 11) * 0x1p-53 * sum;
  double cum = 0;
  for (size_t b = 0; b < n_blocks; ++b) {
    const double next = cum + block_sum(b);
    if (u < next) {
      for (size_t i = 8 * b; i < std::min(n, 8 * b + 8); ++i) {
        cum += probs_[i];
        if (u < cum) return i;
      }
    }
    cum = next;
  }
  // Rounding left u above the total: take the last candidate that has any probability (a
  // masked logit of -inf has none and must never be drawn).
  for (size_t i = n; i-- > 0;)
    if (probs_[i] > 0) return i;
  return 0;
}

}  // namespace foundry::engine
