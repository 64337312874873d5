#include "foundry/engine/kv_cache.h"

#include <gtest/gtest.h>

#include <set>

namespace foundry::engine {
namespace {

constexpr uint32_t B = KvCache::kBlockSize;

Hparams SmallHparams() {
  Hparams hp;
  hp.n_layer = 2;
  hp.n_head = 4;
  hp.n_head_kv = 2;
  hp.head_dim_k = hp.head_dim_v = 8;
  return hp;
}

KvCache Make(uint32_t n_ctx, uint32_t n_seq, uint32_t n_blocks = 0) {
  auto c = KvCache::Create(SmallHparams(), n_ctx, n_seq, n_blocks);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

TEST(KvCache, DefaultPoolHoldsEveryContextAndBytesFollowBlocks) {
  KvCache c = Make(40, 3);  // ceil(40 / 16) = 3 blocks per sequence
  EXPECT_EQ(c.n_blocks(), 9u);
  EXPECT_EQ(c.n_free_blocks(), 9u);
  EXPECT_EQ(c.bytes(), 9 * KvCache::BlockBytes(SmallHparams()));
  EXPECT_EQ(KvCache::BlockBytes(SmallHparams()), uint64_t(2 * B * (16 + 16) * sizeof(float)));
  for (uint32_t s = 0; s < 3; ++s) ASSERT_TRUE(c.Reserve(s, 40).ok());
  EXPECT_EQ(c.n_free_blocks(), 0u);
  EXPECT_EQ(c.Reserve(0, 41).code(), StatusCode::kOutOfRange);
  EXPECT_EQ(KvCache::Create(SmallHparams(), 0, 1).status().code(), StatusCode::kInvalidArgument);
}

TEST(KvCache, ReserveIsAllOrNothingAndExhaustionIsAnError) {
  KvCache c = Make(256, 2, 3);
  ASSERT_TRUE(c.Reserve(0, 33).ok());  // 3 blocks
  EXPECT_EQ(c.capacity(0), 3 * B);
  EXPECT_EQ(c.n_used_blocks(), 3u);
  Status st = c.Reserve(1, 1);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("0 of 3 are free"), std::string::npos) << st.message();
  EXPECT_EQ(c.capacity(1), 0u);
  c.Truncate(0, 0);  // len is 0: every reserved block goes back
  EXPECT_EQ(c.n_free_blocks(), 3u);
  ASSERT_TRUE(c.Reserve(0, 20).ok());
  EXPECT_EQ(c.Reserve(1, 40).code(), StatusCode::kResourceExhausted);  // needs 3, 1 free
  EXPECT_EQ(c.capacity(1), 0u);
  EXPECT_EQ(c.n_free_blocks(), 1u);
}

TEST(KvCache, TruncateReturnsBlocksThatAreReused) {
  KvCache c = Make(64, 2, 4);
  ASSERT_TRUE(c.Reserve(0, 50).ok());
  c.set_seq_len(0, 50);
  const std::vector<uint32_t> first(c.block_table(0).begin(), c.block_table(0).end());
  c.Truncate(0, 17);  // keeps 2 blocks
  EXPECT_EQ(c.seq_len(0), 17u);
  EXPECT_EQ(c.block_table(0).size(), 2u);
  EXPECT_EQ(c.n_free_blocks(), 2u);
  ASSERT_TRUE(c.Reserve(1, 32).ok());
  std::set<uint32_t> all(c.block_table(0).begin(), c.block_table(0).end());
  all.insert(c.block_table(1).begin(), c.block_table(1).end());
  EXPECT_EQ(all.size(), 4u);  // distinct blocks, the freed ones reused
  EXPECT_EQ(all, std::set<uint32_t>(first.begin(), first.end()));
  c.Free(1);
  c.Free(0);
  EXPECT_EQ(c.n_free_blocks(), 4u);
}

TEST(KvCache, RowsOfASequenceLiveInItsBlocks) {
  KvCache c = Make(64, 2, 8);
  ASSERT_TRUE(c.Reserve(1, 5).ok());  // sequence 1 takes a block first
  ASSERT_TRUE(c.Reserve(0, 40).ok());
  const auto t = c.block_table(0);
  const uint32_t dk = SmallHparams().n_embd_k_gqa();
  EXPECT_EQ(c.k(1, 0, 0), c.k_block(1, t[0]));
  EXPECT_EQ(c.k(1, 0, 37), c.k_block(1, t[2]) + 5 * dk);
  EXPECT_EQ(c.v(0, 0, 16), c.v_block(0, t[1]));
  EXPECT_NE(c.k(0, 0, 0), c.k(0, 1, 0));
}

TEST(KvCache, SharedBlocksAreCountedAndCopiedBeforeAWrite) {
  KvCache c = Make(64, 3, 8);
  ASSERT_TRUE(c.Reserve(0, 40).ok());
  c.set_seq_len(0, 40);
  for (uint32_t p = 0; p < 40; ++p) c.k(0, 0, p)[0] = float(p);
  EXPECT_EQ(c.ShareBlocks(0, 1, 20).code(), StatusCode::kInvalidArgument);  // not whole blocks
  EXPECT_EQ(c.ShareBlocks(0, 1, 48).code(), StatusCode::kInvalidArgument);  // beyond filled
  EXPECT_EQ(c.ShareBlocks(0, 0, 16).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(c.ShareBlocks(0, 1, 32).ok());
  EXPECT_EQ(c.seq_len(1), 32u);
  EXPECT_EQ(c.n_used_blocks(), 3u);
  EXPECT_EQ(c.block_refs(c.block_table(0)[0]), 2u);
  EXPECT_EQ(c.k(0, 1, 31), c.k(0, 0, 31));
  EXPECT_EQ(c.ShareBlocks(0, 1, 16).code(), StatusCode::kInvalidArgument);  // dst not empty

  // Growing past the shared blocks takes a new block; the shared ones stay shared.
  ASSERT_TRUE(c.Reserve(1, 33).ok());
  EXPECT_EQ(c.n_used_blocks(), 4u);
  EXPECT_EQ(c.block_refs(c.block_table(1)[1]), 2u);

  // Cut inside a shared block, then write: a private copy of that block first.
  c.Truncate(1, 20);
  EXPECT_EQ(c.n_used_blocks(), 3u);
  EXPECT_EQ(c.BlocksNeeded(1, 21), 1u);
  ASSERT_TRUE(c.Reserve(1, 21).ok());
  EXPECT_NE(c.block_table(1)[1], c.block_table(0)[1]);
  EXPECT_EQ(c.block_refs(c.block_table(0)[1]), 1u);
  EXPECT_EQ(c.k(0, 1, 19)[0], 19.0f);  // copied rows
  c.k(0, 1, 20)[0] = -1.0f;
  EXPECT_EQ(c.k(0, 0, 20)[0], 20.0f);  // the source is untouched

  // Freeing the source keeps the blocks still held by sequence 1.
  c.Free(0);
  EXPECT_EQ(c.n_used_blocks(), 2u);
  EXPECT_EQ(c.k(0, 1, 3)[0], 3.0f);
  c.Free(1);
  EXPECT_EQ(c.n_free_blocks(), 8u);
}

}  // namespace
}  // namespace foundry::engine
