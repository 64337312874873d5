#pragma once
// PrefixCache: KV blocks of token prefixes kept after (or while) their sequence runs, so a
// later prompt that starts the same way — a system prompt, the chat so far, tool definitions —
// skips evaluating them.
//
// The KV of a full block depends on every token up to the block's end, so each cached block is
// keyed by a hash chained over all blocks before it, and keeps its own tokens and its parent's
// key to confirm a hit. The cache holds one reference on each block it keeps
// (engine::KvCache::Retain); a sequence that reuses blocks takes its own references
// (KvCache::AdoptBlocks). Eviction drops least recently used entries whose block nobody else
// holds; a lookup refreshes the blocks it returns from the last to the first, so a prefix's
// first blocks, shared by more prompts, are evicted last.
//
// Thread-compatible: the Scheduler's worker owns it, with the KvCache it refers to.

#include <cstdint>
#include <list>
#include <span>
#include <unordered_map>
#include <vector>

#include "foundry/engine/kv_cache.h"
#include "foundry/engine/tokenizer/tokenizer.h"

namespace foundry::runtime {

class PrefixCache {
 public:
  // `kv` must outlive the cache.
  explicit PrefixCache(engine::KvCache& kv) : kv_(kv) {}
  ~PrefixCache() { Clear(); }
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // The blocks holding the longest cached prefix of `tokens`, in order, at most `max_blocks`.
  // With `count`, records a lookup (a hit when at least one block is returned) in the
  // counters; a caller that may look again before using the answer counts with CountLookup.
  std::vector<uint32_t> Lookup(std::span<const engine::TokenId> tokens, size_t max_blocks, bool count = true);
  void CountLookup(size_t hit_blocks);

  // Remembers the first n_blocks full blocks of a sequence: `tokens` are its tokens (at least
  // n_blocks × kBlockSize), `table` its block table. Blocks already cached are refreshed.
  void Insert(std::span<const engine::TokenId> tokens, std::span<const uint32_t> table, size_t n_blocks);

  // Drops least recently used entries that only the cache holds until `n` blocks went back to
  // the pool or none is left. Returns the number freed.
  uint32_t Evict(uint32_t n);
  // Blocks that Evict could free now.
  uint32_t evictable() const;
  // Drops every entry (blocks still used by sequences stay with them).
  void Clear();

  size_t size() const { return entries_.size(); }
  uint64_t lookups() const { return lookups_; }
  uint64_t hits() const { return hits_; }
  uint64_t hit_tokens() const { return hit_tokens_; }  // positions reused

 private:
  using Key = uint64_t;
  struct Entry {
    uint32_t block;
    Key parent;                            // 0 for a first block
    std::vector<engine::TokenId> tokens;   // the block's kBlockSize tokens
    std::list<Key>::iterator lru;          // position in lru_ (front = most recent)
  };
  static Key Chain(Key parent, std::span<const engine::TokenId> block);
  void Touch(Entry& e, Key key);
  // The entry for `key` if it really holds `block` after `parent`.
  Entry* Find(Key key, Key parent, std::span<const engine::TokenId> block);

  engine::KvCache& kv_;
  std::unordered_map<Key, Entry> entries_;
  std::list<Key> lru_;
  uint64_t lookups_ = 0, hits_ = 0, hit_tokens_ = 0;
};

}  // namespace foundry::runtime
