#pragma once
// IdHashTable: an open-addressing hash index of int32 ids whose keys live elsewhere (the token
// texts of a Vocab, its merge pairs). It stores only {hash tag, id} per slot — 8 bytes, at most
// 2/3 full — instead of a node per key, so a 150k-entry index takes 2 MiB instead of the ~9 MiB
// of a std::unordered_map<std::string_view, int32_t>, and a lookup touches one cache line of
// slots before it compares a key.
//
// The caller supplies the key's 64-bit hash and an `eq(id)` predicate that says whether the key
// stored for `id` equals the one looked up; it is called only for slots whose hash tag matches.
// Linear probing; the table never grows (size it with Reset() before inserting).
//
// Thread-safety: Find() is const and safe from any thread; Reset()/Insert() are not.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace foundry::engine::tokenizer {

class IdHashTable {
 public:
  // Empties the table and sizes it for up to `n` ids (a power of two >= 1.5 n slots).
  void Reset(size_t n) {
    const size_t want = n + n / 2 + 1;
    slots_.assign(std::bit_ceil(want < 8 ? size_t(8) : want), Slot{0, kEmpty});
    mask_ = slots_.size() - 1;
  }

  // The id whose key equals the looked-up one (eq(id) is true), or -1. Always -1 before Reset().
  template <class Eq>
  int32_t Find(uint64_t hash, Eq&& eq) const {
    if (slots_.empty()) return -1;
    const uint32_t tag = Tag(hash);
    for (size_t i = size_t(hash) & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kEmpty) return -1;
      if (s.tag == tag && eq(s.id)) return s.id;
    }
  }

  // Adds `id` under `hash` unless an equal key is already present (the first one stays).
  // Returns -1 when inserted, else the id already present.
  // REQUIRES: Reset(n) with n >= the number of ids inserted; id >= 0.
  template <class Eq>
  int32_t Insert(uint64_t hash, int32_t id, Eq&& eq) {
    const uint32_t tag = Tag(hash);
    for (size_t i = size_t(hash) & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.id == kEmpty) {
        s = Slot{tag, id};
        return -1;
      }
      if (s.tag == tag && eq(s.id)) return s.id;
    }
  }

  size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  static constexpr int32_t kEmpty = -1;
  struct Slot {
    uint32_t tag;  // high hash bits: most mismatches are rejected without touching the key
    int32_t id;    // kEmpty for a free slot
  };
  static uint32_t Tag(uint64_t hash) { return uint32_t(hash >> 32); }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
};

}  // namespace foundry::engine::tokenizer
