#include "foundry/runtime/prefix_cache.h"

#include <algorithm>

namespace foundry::runtime {
namespace {

constexpr size_t kBlock = engine::KvCache::kBlockSize;

uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

PrefixCache::Key PrefixCache::Chain(Key parent, std::span<const engine::TokenId> block) {
  uint64_t h = Mix(parent ^ 0x9e3779b97f4a7c15ull);
  for (engine::TokenId t : block) h = Mix(h ^ uint32_t(t));
  return h == 0 ? 1 : h;  // 0 means "no parent"
}

void PrefixCache::Touch(Entry& e, Key key) {
  lru_.erase(e.lru);
  lru_.push_front(key);
  e.lru = lru_.begin();
}

PrefixCache::Entry* PrefixCache::Find(Key key, Key parent, std::span<const engine::TokenId> block) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  Entry& e = it->second;
  if (e.parent != parent || !std::equal(block.begin(), block.end(), e.tokens.begin(), e.tokens.end()))
    return nullptr;  // a hash collision: treat as a miss
  return &e;
}

void PrefixCache::CountLookup(size_t hit_blocks) {
  ++lookups_;
  if (hit_blocks > 0) {
    ++hits_;
    hit_tokens_ += hit_blocks * kBlock;
  }
}

std::vector<uint32_t> PrefixCache::Lookup(std::span<const engine::TokenId> tokens, size_t max_blocks, bool count) {
  std::vector<uint32_t> blocks;
  std::vector<Key> keys;
  Key parent = 0;
  for (size_t i = 0; i < max_blocks && (i + 1) * kBlock <= tokens.size(); ++i) {
    const auto block = tokens.subspan(i * kBlock, kBlock);
    const Key key = Chain(parent, block);
    Entry* e = Find(key, parent, block);
    if (!e) break;
    blocks.push_back(e->block);
    keys.push_back(key);
    parent = key;
  }
  // Refresh from the last block to the first: earlier blocks end up more recent.
  for (size_t i = keys.size(); i-- > 0;) Touch(entries_.at(keys[i]), keys[i]);
  if (count) CountLookup(blocks.size());
  return blocks;
}

void PrefixCache::Insert(std::span<const engine::TokenId> tokens, std::span<const uint32_t> table,
                         size_t n_blocks) {
  n_blocks = std::min({n_blocks, table.size(), tokens.size() / kBlock});
  std::vector<Key> keys;
  Key parent = 0;
  for (size_t i = 0; i < n_blocks; ++i) {
    const auto block = tokens.subspan(i * kBlock, kBlock);
    const Key key = Chain(parent, block);
    if (!Find(key, parent, block)) {
      if (entries_.count(key)) break;  // a colliding entry owns the key: stop here
      kv_.Retain(table[i]);
      lru_.push_front(key);
      entries_.emplace(key, Entry{table[i], parent, {block.begin(), block.end()}, lru_.begin()});
    }
    keys.push_back(key);
    parent = key;
  }
  for (size_t i = keys.size(); i-- > 0;) Touch(entries_.at(keys[i]), keys[i]);
}

uint32_t PrefixCache::Evict(uint32_t n) {
  uint32_t freed = 0;
  for (auto it = lru_.end(); freed < n && it != lru_.begin();) {
    --it;
    auto e = entries_.find(*it);
    if (kv_.block_refs(e->second.block) != 1) continue;  // a sequence still uses it
    kv_.Release(e->second.block);
    entries_.erase(e);
    it = lru_.erase(it);
    ++freed;
  }
  return freed;
}

uint32_t PrefixCache::evictable() const {
  uint32_t n = 0;
  for (const auto& [key, e] : entries_) n += kv_.block_refs(e.block) == 1;
  return n;
}

void PrefixCache::Clear() {
  for (const auto& [key, e] : entries_) kv_.Release(e.block);
  entries_.clear();
  lru_.clear();
}

}  // namespace foundry::runtime
