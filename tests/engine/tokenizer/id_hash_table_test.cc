// IdHashTable: the open-addressing id index behind Vocab::Find and Vocab::MergeRank.

#include "engine/tokenizer/id_hash_table.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace foundry::engine::tokenizer {
namespace {

// Keys live in a vector, as token texts live in a Vocab arena.
struct Keys {
  std::vector<std::string> text;
  IdHashTable index;

  int32_t Insert(std::string s, uint64_t hash) {
    text.push_back(std::move(s));
    const int32_t id = int32_t(text.size() - 1);
    return index.Insert(hash, id,
                        [&](int32_t other) { return text[size_t(other)] == text[size_t(id)]; });
  }
  int32_t Find(std::string_view s, uint64_t hash) const {
    return index.Find(hash, [&](int32_t id) { return text[size_t(id)] == s; });
  }
};

uint64_t H(std::string_view s) { return std::hash<std::string_view>{}(s); }

std::string Name(const char* prefix, int i) {
  std::string s(prefix);
  s.append(std::to_string(i));
  return s;
}

TEST(IdHashTableTest, EmptyTableFindsNothing) {
  IdHashTable t;
  EXPECT_EQ(t.Find(H("a"), [](int32_t) { return true; }), -1);  // before Reset
  t.Reset(0);
  EXPECT_EQ(t.Find(H("a"), [](int32_t) { return true; }), -1);
}

TEST(IdHashTableTest, FindsEveryInsertedKeyAndNoOther) {
  Keys k;
  const int n = 20000;
  k.index.Reset(n);
  for (int i = 0; i < n; ++i) ASSERT_EQ(k.Insert(Name("tok", i), H(Name("tok", i))), -1);
  for (int i = 0; i < n; ++i) EXPECT_EQ(k.Find(Name("tok", i), H(Name("tok", i))), i);
  for (int i = n; i < 2 * n; ++i) EXPECT_EQ(k.Find(Name("tok", i), H(Name("tok", i))), -1);
  EXPECT_LE(k.index.memory_bytes(), size_t(4 * n) * 8);
}

TEST(IdHashTableTest, DuplicateKeepsTheFirstId) {
  Keys k;
  k.index.Reset(3);
  EXPECT_EQ(k.Insert("x", H("x")), -1);
  EXPECT_EQ(k.Insert("y", H("y")), -1);
  EXPECT_EQ(k.Insert("x", H("x")), 0);  // reports the id already there
  EXPECT_EQ(k.Find("x", H("x")), 0);
}

TEST(IdHashTableTest, KeysWithTheSameHashAreToldApartByTheirKeys) {
  // Every key hashes alike: the table must fall back on the predicate (full probing chain).
  Keys k;
  k.index.Reset(50);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(k.Insert(Name("k", i), 42), -1);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(k.Find(Name("k", i), 42), i);
  EXPECT_EQ(k.Find("k50", 42), -1);
  // Same low bits, different tag: probes the same slots, never matches.
  EXPECT_EQ(k.Find("k0", 42 | (uint64_t(7) << 40)), -1);
}

TEST(IdHashTableTest, ResetEmptiesTheTable) {
  Keys k;
  k.index.Reset(4);
  k.Insert("a", H("a"));
  k.index.Reset(4);
  EXPECT_EQ(k.Find("a", H("a")), -1);
}

}  // namespace
}  // namespace foundry::engine::tokenizer
