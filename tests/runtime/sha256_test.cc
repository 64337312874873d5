#include "foundry/runtime/sha256.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

std::string Digest(std::string_view data) {
  auto sha = Sha256::Create();
  EXPECT_TRUE(sha.ok());
  EXPECT_TRUE(sha->Update(data).ok());
  auto hex = sha->HexDigest();
  EXPECT_TRUE(hex.ok());
  return *hex;
}

// FIPS 180-2 test vectors.
TEST(Sha256Test, KnownVectors) {
  EXPECT_EQ(Digest(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, IncrementalEqualsOneShotAndResetStartsOver) {
  auto sha = Sha256::Create();
  ASSERT_TRUE(sha.ok());
  ASSERT_TRUE(sha->Update("garbage").ok());
  ASSERT_TRUE(sha->Reset().ok());
  ASSERT_TRUE(sha->Update("a").ok());
  ASSERT_TRUE(sha->Update("bc").ok());
  EXPECT_EQ(*sha->HexDigest(), Digest("abc"));
}

// The inventory in ../shared/models/README.md lists each file's sha256.
TEST(Sha256Test, FileMatchesSharedInventory) {
  auto hex = Sha256File(foundry::testing::SharedPath("models/real/tinyllamas-stories-260k-q8_0.gguf"));
  ASSERT_TRUE(hex.ok()) << hex.status().ToString();
  EXPECT_EQ(*hex, "3a1ffde700f058b27f77778987e4ac78282af1a8dbaec68bf8c797fcd28ff432");
}

TEST(Sha256Test, FileProgressCanCancel) {
  auto path = foundry::testing::SharedPath("models/real/tinyllama-v0-f32.gguf");  // 19 MB: 3 slices
  uint64_t last = 0;
  auto hex = Sha256File(path, [&](uint64_t done) {
    last = done;
    return false;
  });
  EXPECT_EQ(hex.status().code(), StatusCode::kCancelled);
  EXPECT_GT(last, 0u);
}

TEST(Sha256Test, MissingFileIsNotFound) {
  auto hex = Sha256File(std::filesystem::temp_directory_path() / "foundry-no-such-file.gguf");
  EXPECT_EQ(hex.status().code(), StatusCode::kNotFound);
}

TEST(Sha256Test, IsSha256Hex) {
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'a')));
  EXPECT_TRUE(IsSha256Hex(std::string(64, 'F')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a')));
  EXPECT_FALSE(IsSha256Hex(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace foundry::runtime
