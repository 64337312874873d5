#include "foundry/runtime/grammar/token_vocabulary.h"

#include <algorithm>
#include <new>

namespace foundry::runtime::grammar {

std::string_view TokenVocabulary::bytes(engine::TokenId id) const {
  if (id < 0 || id >= n_vocab_) return {};
  return std::string_view(bytes_pool_).substr(bytes_off_[size_t(id)], bytes_off_[size_t(id) + 1] - bytes_off_[size_t(id)]);
}

Result<std::shared_ptr<const TokenVocabulary>> TokenVocabulary::Build(const engine::Tokenizer& tokenizer,
                                                                      std::span<const engine::TokenId> as_text) {
  try {
    auto v = std::make_shared<TokenVocabulary>();
    const int32_t n = tokenizer.n_vocab();
    if (n <= 0) return Status::InvalidArgument("the tokenizer has no tokens");
    v->n_vocab_ = n;
    v->is_eog_.assign(size_t(n), false);
    v->bytes_off_.reserve(size_t(n) + 1);
    v->bytes_off_.push_back(0);
    std::vector<engine::TokenId> order;
    for (engine::TokenId id = 0; id < n; ++id) {
      if (tokenizer.IsEog(id)) {
        v->is_eog_[size_t(id)] = true;
        v->eog_.push_back(id);
      } else {
        const bool text = std::find(as_text.begin(), as_text.end(), id) != as_text.end();
        std::string piece = tokenizer.TokenToPiece(id, /*special=*/text);
        if (!piece.empty()) {
          v->bytes_pool_ += piece;
          order.push_back(id);
        }
      }
      v->bytes_off_.push_back(uint32_t(v->bytes_pool_.size()));
    }
    // Lexicographic (unsigned byte) order of the pieces is the trie's preorder.
    std::stable_sort(order.begin(), order.end(), [&](engine::TokenId a, engine::TokenId b) {
      return v->bytes(a) < v->bytes(b);
    });
    std::vector<uint32_t> path;  // node index per depth of the current path
    std::vector<uint32_t> count;  // tokens per node
    std::string_view prev;
    auto close_to = [&](size_t depth) {
      while (path.size() > depth) {
        v->end_[path.back()] = uint32_t(v->byte_.size());
        path.pop_back();
      }
    };
    for (engine::TokenId id : order) {
      std::string_view b = v->bytes(id);
      size_t lcp = 0;
      while (lcp < b.size() && lcp < prev.size() && b[lcp] == prev[lcp]) ++lcp;
      close_to(lcp);
      for (size_t d = lcp; d < b.size(); ++d) {
        path.push_back(uint32_t(v->byte_.size()));
        v->byte_.push_back(uint8_t(b[d]));
        v->depth_.push_back(uint32_t(d + 1));
        v->end_.push_back(0);
        count.push_back(0);
      }
      ++count[path.back()];
      v->token_ids_.push_back(id);
      v->max_depth_ = std::max(v->max_depth_, uint32_t(b.size()));
      prev = b;
    }
    close_to(0);
    v->tok_begin_.assign(v->byte_.size() + 1, 0);
    for (size_t i = 0; i < count.size(); ++i) v->tok_begin_[i + 1] = v->tok_begin_[i] + count[i];
    return std::shared_ptr<const TokenVocabulary>(std::move(v));
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory building the token trie");
  }
}

}  // namespace foundry::runtime::grammar
