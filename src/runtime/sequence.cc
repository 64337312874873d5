#include "foundry/runtime/sequence.h"

#include <algorithm>

namespace foundry::runtime {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

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

// Appends `piece` to *text; true if a stop string is now complete (text is cut before it).
// Only the part after `emitted` minus the stop's length can hold a new match.
bool AddAndFindStop(const std::vector<std::string>& stop, size_t emitted, std::string_view piece,
                    std::string* text) {
  text->append(piece);
  for (const std::string& s : stop) {
    if (s.empty()) continue;
    size_t from = emitted > s.size() ? emitted - s.size() : 0;
    size_t at = text->find(s, from);
    if (at != std::string::npos) {
      text->resize(at);
      return true;
    }
  }
  return false;
}

// How much of `text` is safe to emit: nothing that could still grow into a stop string and no
// partial UTF-8 character.
size_t SafeEnd(const std::vector<std::string>& stop, const std::string& text) {
  size_t end = text.size();
  for (const std::string& s : stop) {
    for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), text.size()); k > 0; --k) {
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        end = std::min(end, text.size() - k);
        break;
      }
    }
  }
  return CompleteUtf8Prefix(std::string_view(text).substr(0, end));
}

}  // namespace

Sequence::Sequence(const engine::Model& model, uint32_t n_ctx, GenerateOptions options)
    : model_(model), n_ctx_(n_ctx), options_(std::move(options)), sampler_(options_.sampling),
      start_(Clock::now()) {}

Result<std::unique_ptr<Sequence>> Sequence::Create(const engine::Model& model, uint32_t n_ctx,
                                                   std::string_view prompt, GenerateOptions options) {
  if (options.top_logprobs > 1000) return Status::InvalidArgument("top_logprobs must be at most 1000");
  FOUNDRY_RETURN_IF_ERROR(options.sampling.Validate());
  const engine::Tokenizer& tok = model.tokenizer();
  std::vector<engine::TokenId> prompt_tokens = tok.Encode(prompt, options.encode);
  const size_t n_prompt = prompt_tokens.size();
  if (n_prompt == 0) return Status::InvalidArgument("the prompt is empty and the model adds no BOS token");
  if (n_prompt > n_ctx)
    return Status::OutOfRange("the prompt has " + std::to_string(n_prompt) + " tokens but the context holds " +
                              std::to_string(n_ctx) + " (" + std::to_string(n_prompt - n_ctx) + " too many)");
  std::shared_ptr<const grammar::TokenVocabulary> vocab = options.grammar_vocabulary;
  if (options.grammar && !vocab) {
    FOUNDRY_ASSIGN_OR_RETURN(vocab, grammar::TokenVocabulary::Build(tok, options.keep_special));
  }
  if (options.grammar && vocab->n_vocab() != tok.n_vocab())
    return Status::InvalidArgument("grammar_vocabulary was built for another vocabulary");

  std::unique_ptr<Sequence> s(new Sequence(model, n_ctx, std::move(options)));
  if (s->options_.grammar) s->constraint_.emplace(s->options_.grammar, std::move(vocab));
  for (engine::TokenId t : prompt_tokens) s->sampler_.Accept(t);
  s->tokens_ = std::move(prompt_tokens);
  s->n_prompt_ = n_prompt;
  const int64_t max_tokens = s->options_.max_tokens < 0 ? INT64_MAX : s->options_.max_tokens;
  // Each generated token but the last is evaluated at the next position.
  s->can_generate_ = std::min<int64_t>(max_tokens, int64_t(n_ctx) - int64_t(n_prompt) + 1);
  if (max_tokens == 0) s->End(FinishReason::kLength);
  return s;
}

void Sequence::MarkStart() { start_ = Clock::now(); }

void Sequence::Cancel() { End(FinishReason::kCancelled); }

Status Sequence::Step(std::span<float> logits, const PieceCallback& on_piece) {
  if (!stepped_) {
    stepped_ = true;
    first_step_ = Clock::now();
  }
  const int64_t i = int64_t(n_generated());
  const engine::Tokenizer& tok = model_.tokenizer();
  if (constraint_) {
    if (constraint_->IsComplete()) {  // e.g. a grammar that only accepts ""
      End(FinishReason::kStop);
      return Status::Ok();
    }
    Status st = constraint_->Apply(logits, can_generate_ - i);
    if (!st.ok()) {
      End(FinishReason::kStop);
      return st;
    }
  }
  engine::SampledToken sampled;
  const engine::TokenId next =
      options_.top_logprobs >= 0 ? sampler_.Sample(logits, options_.top_logprobs, &sampled) : sampler_.Sample(logits);
  sampler_.Accept(next);
  tokens_.push_back(next);
  if (constraint_) {
    Status st = constraint_->Accept(next);
    if (!st.ok()) {
      End(FinishReason::kStop);
      return st;
    }
  }
  if ((options_.stop_at_eog || constraint_) && tok.IsEog(next)) {
    End(FinishReason::kStop);
    return Status::Ok();
  }
  if (options_.top_logprobs >= 0) logprobs_.push_back(std::move(sampled));
  const bool keep = std::find(options_.keep_special.begin(), options_.keep_special.end(), next) !=
                    options_.keep_special.end();
  if (AddAndFindStop(options_.stop, emitted_, tok.TokenToPiece(next, /*special=*/keep), &text_)) {
    End(FinishReason::kStop);
    return Status::Ok();
  }
  const size_t safe = SafeEnd(options_.stop, text_);
  if (safe > emitted_) {
    const auto toks = std::span<const engine::SampledToken>(logprobs_).subspan(logprobs_sent_);
    logprobs_sent_ = logprobs_.size();
    const bool go_on = !on_piece || on_piece(std::string_view(text_).substr(emitted_, safe - emitted_), toks);
    emitted_ = safe;
    if (!go_on) {
      End(FinishReason::kCancelled);
      return Status::Ok();
    }
  }
  if (constraint_ && constraint_->IsComplete()) {
    End(FinishReason::kStop);
    return Status::Ok();
  }
  // The next token would be evaluated at position tokens_.size() - 1: the context is full.
  if (tokens_.size() - 1 >= n_ctx_ || i + 1 >= can_generate_) End(FinishReason::kLength);
  return Status::Ok();
}

GenerateResult Sequence::Finish(const PieceCallback& on_piece) {
  if (!done_) End(FinishReason::kLength);
  if (finish_ != FinishReason::kCancelled && on_piece &&
      (text_.size() > emitted_ || logprobs_sent_ < logprobs_.size()))
    on_piece(std::string_view(text_).substr(std::min(emitted_, text_.size())),
             std::span<const engine::SampledToken>(logprobs_).subspan(logprobs_sent_));
  emitted_ = text_.size();
  logprobs_sent_ = logprobs_.size();
  GenerateResult r;
  r.prompt_tokens.assign(tokens_.begin(), tokens_.begin() + ptrdiff_t(n_prompt_));
  r.tokens.assign(tokens_.begin() + ptrdiff_t(n_prompt_), tokens_.end());
  r.text = text_;
  r.finish = finish_;
  r.logprobs = logprobs_;
  const auto now = Clock::now();
  if (stepped_) {
    r.prompt_ms = Ms(first_step_ - start_);
    r.generate_ms = Ms(now - first_step_);
  } else {
    r.prompt_ms = Ms(now - start_);
  }
  return r;
}

}  // namespace foundry::runtime
