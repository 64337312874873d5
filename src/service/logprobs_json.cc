#include "service/logprobs_json.h"

#include <string>

namespace foundry::service {
namespace {

using nlohmann::json;

json Bytes(const std::string& piece) {
  json out = json::array();
  for (unsigned char c : piece) out.push_back(int(c));
  return out;
}

// Special tokens show as their text ("</s>") among the alternatives.
std::string Piece(const engine::Tokenizer& tok, engine::TokenId id) { return tok.TokenToPiece(id, /*special=*/true); }

}  // namespace

json ChatLogprobsContent(const engine::Tokenizer& tok, std::span<const engine::SampledToken> tokens) {
  json content = json::array();
  for (const auto& t : tokens) {
    json top = json::array();
    for (const auto& alt : t.top) {
      const std::string p = Piece(tok, alt.id);
      top.push_back({{"token", p}, {"logprob", alt.logprob}, {"bytes", Bytes(p)}});
    }
    const std::string p = Piece(tok, t.id);
    content.push_back({{"token", p}, {"logprob", t.logprob}, {"bytes", Bytes(p)}, {"top_logprobs", std::move(top)}});
  }
  return content;
}

json CompletionLogprobs(const engine::Tokenizer& tok, std::span<const engine::SampledToken> tokens, size_t* offset) {
  json out = {{"tokens", json::array()}, {"token_logprobs", json::array()}, {"top_logprobs", json::array()},
              {"text_offset", json::array()}};
  for (const auto& t : tokens) {
    const std::string p = Piece(tok, t.id);
    out["tokens"].push_back(p);
    out["token_logprobs"].push_back(t.logprob);
    json top = json::object();
    for (const auto& alt : t.top) top[Piece(tok, alt.id)] = alt.logprob;
    out["top_logprobs"].push_back(std::move(top));
    out["text_offset"].push_back(*offset);
    *offset += p.size();
  }
  return out;
}

}  // namespace foundry::service
