#include "foundry/runtime/generator.h"

#include <algorithm>
#include <optional>

#include "foundry/runtime/grammar/grammar_constraint.h"

namespace foundry::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Length of the longest prefix of `text` that ends on a UTF-8 character boundary.
size_t CompleteUtf8Prefix(std::string_view text) {
  size_t n = text.size();
  // Look back at most 3 bytes for an unfinished lead byte.
  for (size_t back = 1; back <= std::min<size_t>(3, n); ++back) {
    unsigned char c = static_cast<unsigned char>(text[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

// Streams text while holding back anything that may be the start of a stop string.
class StopMatcher {
 public:
  explicit StopMatcher(const std::vector<std::string>& stop) : stop_(stop) {}

  // Appends `piece`; returns true if a stop string is now complete (text is cut before it).
  bool Add(std::string_view piece, std::string* text) {
    text->append(piece);
    for (const std::string& s : stop_) {
      if (s.empty()) continue;
      size_t from = emitted_ > s.size() ? emitted_ - s.size() : 0;
      size_t at = text->find(s, from);
      if (at != std::string::npos) {
        text->resize(at);
        return true;
      }
    }
    return false;
  }

  // How much of `text` is safe to emit: nothing that could still grow into a stop string and
  // no partial UTF-8 character.
  size_t SafeEnd(const std::string& text) const {
    size_t end = text.size();
    for (const std::string& s : stop_) {
      for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), text.size()); k > 0; --k) {
        if (text.compare(text.size() - k, k, s, 0, k) == 0) {
          end = std::min(end, text.size() - k);
          break;
        }
      }
    }
    return CompleteUtf8Prefix(std::string_view(text).substr(0, end));
  }

  size_t emitted_ = 0;

 private:
  const std::vector<std::string>& stop_;
};

}  // namespace

std::string_view FinishReasonName(FinishReason r) {
  switch (r) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kCancelled: return "cancelled";
  }
  return "stop";
}

Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const TextCallback& on_text) {
  PieceCallback on_piece;
  if (on_text) on_piece = [&on_text](std::string_view piece, std::span<const engine::SampledToken>) {
    return on_text(piece);
  };
  return Generate(ctx, prompt, options, on_piece);
}

Result<GenerateResult> Generate(engine::Context& ctx, std::string_view prompt,
                                const GenerateOptions& options, const PieceCallback& on_text) {
  if (options.top_logprobs > 1000)
    return Status::InvalidArgument("top_logprobs must be at most 1000");
  FOUNDRY_RETURN_IF_ERROR(options.sampling.Validate());
  const engine::Model& model = ctx.model();
  const engine::Tokenizer& tok = model.tokenizer();
  const uint32_t n_vocab = model.hparams().n_vocab;
  GenerateResult res;
  res.prompt_tokens = tok.Encode(prompt, options.encode);
  const size_t n_prompt = res.prompt_tokens.size();
  if (n_prompt == 0)
    return Status::InvalidArgument("the prompt is empty and the model adds no BOS token");
  if (n_prompt > ctx.n_ctx())
    return Status::OutOfRange("the prompt has " + std::to_string(n_prompt) +
                              " tokens but the context holds " + std::to_string(ctx.n_ctx()) + " (" +
                              std::to_string(n_prompt - ctx.n_ctx()) + " too many)");

  const uint32_t seq = options.seq;
  if (seq >= ctx.kv_cache().n_seq()) return Status::InvalidArgument("sequence id out of range");
  ctx.kv_cache().Truncate(seq, 0);

  std::optional<grammar::GrammarConstraint> constraint;
  if (options.grammar) {
    std::shared_ptr<const grammar::TokenVocabulary> vocab = options.grammar_vocabulary;
    if (!vocab) {
      FOUNDRY_ASSIGN_OR_RETURN(vocab, grammar::TokenVocabulary::Build(tok, options.keep_special));
    }
    if (vocab->n_vocab() != tok.n_vocab())
      return Status::InvalidArgument("grammar_vocabulary was built for another vocabulary");
    constraint.emplace(options.grammar, std::move(vocab));
  }

  engine::Sampler sampler(options.sampling);
  for (engine::TokenId t : res.prompt_tokens) sampler.Accept(t);

  auto t0 = Clock::now();
  std::vector<engine::BatchToken> batch(n_prompt);
  for (size_t i = 0; i < n_prompt; ++i)
    batch[i] = {.token = res.prompt_tokens[i], .pos = int32_t(i), .seq = seq,
                .want_logits = i + 1 == n_prompt};
  std::vector<float> logits;
  FOUNDRY_RETURN_IF_ERROR(ctx.Decode(batch, &logits));
  res.prompt_ms = MsSince(t0);

  t0 = Clock::now();
  StopMatcher stop(options.stop);
  std::string text;
  size_t logprobs_sent = 0;  // res.logprobs[0, logprobs_sent) went out with a piece
  int32_t pos = int32_t(n_prompt);
  res.finish = FinishReason::kLength;
  const int64_t max_tokens = options.max_tokens < 0 ? INT64_MAX : options.max_tokens;
  // Tokens that can be generated at all: each but the last is decoded at the next position.
  const int64_t can_generate = std::min<int64_t>(max_tokens, int64_t(ctx.n_ctx()) - int64_t(n_prompt) + 1);
  for (int64_t i = 0; i < max_tokens; ++i) {
    if (constraint) {
      if (constraint->IsComplete()) {  // e.g. a grammar that only accepts ""
        res.finish = FinishReason::kStop;
        break;
      }
      FOUNDRY_RETURN_IF_ERROR(constraint->Apply(std::span<float>(logits.data(), n_vocab), can_generate - i));
    }
    const std::span<const float> row(logits.data(), n_vocab);
    engine::SampledToken sampled;
    const engine::TokenId next =
        options.top_logprobs >= 0 ? sampler.Sample(row, options.top_logprobs, &sampled) : sampler.Sample(row);
    sampler.Accept(next);
    res.tokens.push_back(next);
    if (constraint) FOUNDRY_RETURN_IF_ERROR(constraint->Accept(next));
    if ((options.stop_at_eog || constraint) && tok.IsEog(next)) {
      res.finish = FinishReason::kStop;
      break;
    }
    if (options.top_logprobs >= 0) res.logprobs.push_back(std::move(sampled));
    const bool keep = std::find(options.keep_special.begin(), options.keep_special.end(), next) !=
                      options.keep_special.end();
    if (stop.Add(tok.TokenToPiece(next, /*special=*/keep), &text)) {
      res.finish = FinishReason::kStop;
      break;
    }
    const size_t safe = stop.SafeEnd(text);
    if (safe > stop.emitted_) {
      const auto tokens = std::span<const engine::SampledToken>(res.logprobs).subspan(logprobs_sent);
      logprobs_sent = res.logprobs.size();
      if (on_text && !on_text(std::string_view(text).substr(stop.emitted_, safe - stop.emitted_), tokens)) {
        stop.emitted_ = safe;
        res.finish = FinishReason::kCancelled;
        break;
      }
      stop.emitted_ = safe;
    }
    if (constraint && constraint->IsComplete()) {
      res.finish = FinishReason::kStop;
      break;
    }
    if (uint32_t(pos) >= ctx.n_ctx()) break;  // context full: finish = length
    if (i + 1 == max_tokens) break;
    logits.clear();
    engine::BatchToken bt{.token = next, .pos = pos++, .seq = seq, .want_logits = true};
    FOUNDRY_RETURN_IF_ERROR(ctx.Decode(std::span(&bt, 1), &logits));
  }
  // Flush what was held back (a partial stop-string prefix that never completed).
  if (res.finish != FinishReason::kCancelled && on_text &&
      (text.size() > stop.emitted_ || logprobs_sent < res.logprobs.size()))
    on_text(std::string_view(text).substr(std::min(stop.emitted_, text.size())),
            std::span<const engine::SampledToken>(res.logprobs).subspan(logprobs_sent));
  res.text = std::move(text);
  res.generate_ms = MsSince(t0);
  return res;
}

}  // namespace foundry::runtime
