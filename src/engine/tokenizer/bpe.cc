#include "engine/tokenizer/bpe.h"

#include <algorithm>
#include <queue>
#include <string>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace foundry::engine::tokenizer {
namespace {

struct Symbol {
  int prev;
  int next;
  size_t begin;   // byte offset in the word
  size_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  int32_t rank;
  size_t left_length;  // lengths when queued: a pair whose sides changed since is stale
  size_t right_length;
};

// Min-heap order for std::priority_queue: lowest rank first, then the leftmost pair.
struct BigramGreater {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void EncodeBpeWord(const Vocab& vocab, std::string_view word, std::vector<TokenId>& out) {
  if (word.empty()) return;
  if (vocab.ignore_merges) {
    const TokenId whole = vocab.Find(word);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }

  std::vector<Symbol> symbols;
  for (size_t at = 0; at < word.size();) {
    const size_t len =
        std::min(Utf8SequenceLength(static_cast<uint8_t>(word[at])), word.size() - at);
    const int index = static_cast<int>(symbols.size());
    at += len;
    symbols.push_back({index - 1, at == word.size() ? -1 : index + 1, at - len, len});
  }

  std::priority_queue<Bigram, std::vector<Bigram>, BigramGreater> queue;
  auto try_add = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[size_t(left)];
    const Symbol& r = symbols[size_t(right)];
    const int32_t rank =
        vocab.MergeRank(word.substr(l.begin, l.length), word.substr(r.begin, r.length));
    if (rank < 0) return;
    queue.push({left, right, rank, l.length, r.length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add(i - 1, i);

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[size_t(b.left)];
    Symbol& r = symbols[size_t(b.right)];
    // Symbols only grow to the right and a merged-away symbol has length 0, so unchanged
    // lengths mean the pair's text is still the queued one (the reference compares texts).
    if (l.length == 0 || r.length == 0 || l.length != b.left_length || r.length != b.right_length) {
      continue;
    }
    l.length += r.length;
    r.length = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[size_t(r.next)].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  for (int i = 0; i != -1; i = symbols[size_t(i)].next) {
    const Symbol& s = symbols[size_t(i)];
    const std::string_view piece = word.substr(s.begin, s.length);
    const TokenId id = vocab.Find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (size_t k = 0; k < piece.size(); ++k) {
      const TokenId byte_id = vocab.Find(piece.substr(k, 1));
      if (byte_id >= 0) out.push_back(byte_id);
    }
  }
}

void EncodeBpe(const Vocab& vocab, const RegexSplitter& splitter, std::string_view fragment,
               std::vector<TokenId>& out) {
  const std::vector<uint32_t> cps = DecodeUtf8Lenient(fragment);
  std::string utf8;
  std::string word;
  size_t at = 0;
  for (uint32_t len : splitter.Split(cps)) {
    // Re-encode the code points (this normalises overlong forms and turns invalid bytes into
    // U+FFFD, exactly like the reference), then map each byte to the byte-level alphabet.
    utf8.clear();
    for (size_t k = at; k < at + len; ++k) AppendUtf8(cps[k], utf8);
    at += len;
    word.clear();
    AppendByteEncoded(utf8, word);
    EncodeBpeWord(vocab, word, out);
  }
}

}  // namespace foundry::engine::tokenizer
