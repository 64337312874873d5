#include "foundry/runtime/generator.h"

#include "foundry/runtime/sequence.h"

namespace foundry::runtime {

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
                                const GenerateOptions& options, const PieceCallback& on_piece) {
  if (options.seq >= ctx.kv_cache().n_seq()) return Status::InvalidArgument("sequence id out of range");
  FOUNDRY_ASSIGN_OR_RETURN(std::unique_ptr<Sequence> s, Sequence::Create(ctx.model(), ctx.n_ctx(), prompt, options));
  const uint32_t seq = options.seq;
  ctx.kv_cache().Truncate(seq, 0);
  std::vector<engine::BatchToken> batch;
  std::vector<float> logits;
  while (!s->done()) {
    // Everything not yet in the cache: the whole prompt first, then the last sampled token.
    const auto tokens = s->tokens();
    batch.clear();
    for (size_t p = ctx.kv_cache().seq_len(seq); p < tokens.size(); ++p)
      batch.push_back({.token = tokens[p], .pos = int32_t(p), .seq = seq, .want_logits = p + 1 == tokens.size()});
    logits.clear();
    FOUNDRY_RETURN_IF_ERROR(ctx.Decode(batch, &logits));
    FOUNDRY_RETURN_IF_ERROR(s->Step(logits, on_piece));
  }
  return s->Finish(on_piece);
}

}  // namespace foundry::runtime
