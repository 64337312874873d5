#include "foundry/engine/gguf/gguf_file.h"

#include <gtest/gtest.h>

#include <cstring>

#include "foundry/engine/gguf/gguf_writer.h"
#include "support/shared_data.h"

namespace foundry::engine {
namespace {

using foundry::testing::SharedPath;

std::vector<std::byte> SmallFile() {
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddU32("llama.block_count", 2);
  w.AddF32("x.f", 1.5f);
  w.AddBool("x.b", true);
  w.AddI32("x.neg", -7);
  std::vector<std::string> toks = {"a", "bc", "\xE2\x96\x81hi"};
  w.AddStringArray("tokenizer.ggml.tokens", toks);
  std::vector<float> scores = {0.5f, -1.f, 2.f};
  w.AddF32Array("tokenizer.ggml.scores", scores);
  std::vector<float> t1(8, 1.0f);
  std::vector<int64_t> shape = {4, 2};
  EXPECT_TRUE(w.AddTensor("t1", TensorType::kF32, shape, std::as_bytes(std::span(t1))).ok());
  std::vector<uint16_t> t2(32, 0x3C00);
  std::vector<int64_t> shape2 = {32};
  EXPECT_TRUE(w.AddTensor("t2", TensorType::kF16, shape2, std::as_bytes(std::span(t2))).ok());
  return w.Finish();
}

Status ParseStatus(std::vector<std::byte> bytes) { return GgufFile::FromBytes(std::move(bytes)).status(); }

void Put32(std::vector<std::byte>& b, size_t off, uint32_t v) { std::memcpy(b.data() + off, &v, 4); }
void Put64(std::vector<std::byte>& b, size_t off, uint64_t v) { std::memcpy(b.data() + off, &v, 8); }

// Offset of the first occurrence of `needle` in the bytes.
size_t Find(const std::vector<std::byte>& b, std::string_view needle) {
  std::string_view hay(reinterpret_cast<const char*>(b.data()), b.size());
  size_t p = hay.find(needle);
  EXPECT_NE(p, std::string_view::npos) << needle;
  return p;
}

TEST(GgufFile, RoundTripsEveryValueTypeWeWrite) {
  auto f = GgufFile::FromBytes(SmallFile());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(*f->GetU32("llama.block_count"), 2u);
  EXPECT_FLOAT_EQ(*f->GetF32("x.f"), 1.5f);
  EXPECT_TRUE(*f->GetBool("x.b"));
  EXPECT_EQ(f->Find("x.neg")->AsInt(), -7);
  EXPECT_FALSE(f->GetU32("x.neg").ok());  // negative is not a u32
  const GgufValue* toks = f->Find("tokenizer.ggml.tokens");
  ASSERT_NE(toks, nullptr);
  ASSERT_EQ(toks->strings.size(), 3u);
  EXPECT_EQ(toks->strings[2], "\xE2\x96\x81hi");
  EXPECT_DOUBLE_EQ(f->Find("tokenizer.ggml.scores")->ArrayFloat(1), -1.0);
  ASSERT_EQ(f->tensors().size(), 2u);
  const TensorInfo* t1 = f->FindTensor("t1");
  ASSERT_NE(t1, nullptr);
  EXPECT_EQ(t1->ne[0], 4);
  EXPECT_EQ(t1->ne[1], 2);
  EXPECT_EQ(t1->n_bytes, 32u);
  float first;
  std::memcpy(&first, t1->data, 4);
  EXPECT_EQ(first, 1.0f);
  EXPECT_EQ(f->FindTensor("t2")->n_bytes, 64u);
  EXPECT_EQ(f->GetU32("missing").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f->GetString("llama.block_count").status().code(), StatusCode::kInvalidArgument);
}

TEST(GgufFile, StringArraysIndexAndIterate) {
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  std::vector<std::string> items = {"", "x", "", std::string(300, 'y'), "\xE2\x96\x81z", ""};
  w.AddStringArray("a.items", items);
  w.AddStringArray("a.none", std::vector<std::string>{});
  auto f = GgufFile::FromBytes(w.Finish());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufStringArray& a = f->Find("a.items")->strings;
  ASSERT_EQ(a.size(), items.size());
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(a[i], items[i]) << i;
  std::vector<std::string> seen;
  for (std::string_view s : a) seen.emplace_back(s);
  EXPECT_EQ(seen, items);
  const GgufStringArray& none = f->Find("a.none")->strings;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.begin(), none.end());
  EXPECT_FALSE(a == none);
  EXPECT_TRUE(a == a);
}

TEST(GgufFile, NestedArrays) {
  // Build [[1, 2], [3]] of u8 by hand: element type ARRAY, count 2, then two arrays.
  GgufWriter w;
  GgufValue inner1;
  inner1.type = GgufType::kArray;
  inner1.elem_type = GgufType::kUint8;
  inner1.count = 2;
  static const std::byte b12[] = {std::byte{1}, std::byte{2}};
  inner1.raw = b12;
  GgufValue inner2 = inner1;
  inner2.count = 1;
  static const std::byte b3[] = {std::byte{3}};
  inner2.raw = b3;
  GgufValue outer;
  outer.type = GgufType::kArray;
  outer.elem_type = GgufType::kArray;
  outer.count = 2;
  outer.items = {inner1, inner2};
  w.AddValue("nested", outer);
  auto f = GgufFile::FromBytes(w.Finish());
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufValue* v = f->Find("nested");
  ASSERT_EQ(v->items.size(), 2u);
  EXPECT_EQ(v->items[0].ArrayInt(1), 2);
  EXPECT_EQ(v->items[1].ArrayInt(0), 3);
  EXPECT_EQ(v->ToString(), "[[1, 2], [3]]");
}

TEST(GgufFile, OpensEveryModelInShared) {
  for (const char* dir : {"models/real", "models/synthetic", "tokenizer"}) {
    for (const auto& e : std::filesystem::directory_iterator(SharedPath(dir))) {
      if (e.path().extension() != ".gguf") continue;
      auto f = GgufFile::Open(e.path());
      if (e.path().filename() == "tinyllamas-stories-260k-q8_0.gguf") {
        // Legacy flat Q8_0: ffn_down rows of 172 values are not whole 32-value blocks.
        ASSERT_FALSE(f.ok());
        EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument);
        EXPECT_NE(f.status().message().find("not a multiple of the Q8_0 block size"), std::string::npos)
            << f.status().message();
        continue;
      }
      ASSERT_TRUE(f.ok()) << e.path() << ": " << f.status().ToString();
      EXPECT_TRUE(f->GetString("general.architecture").ok()) << e.path();
    }
  }
}

TEST(GgufFile, VersionOneFileMatchesItsV3Twin) {
  auto v1 = GgufFile::Open(SharedPath("models/real/tinyllamas-stories-260k-f32.gguf"));
  auto v3 = GgufFile::Open(SharedPath("models/real/stories260K.gguf"));
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  EXPECT_EQ(v1->version(), 1u);
  EXPECT_EQ(v1->data_offset(), 11456u);  // formats.md §1.1
  ASSERT_EQ(v1->tensors().size(), v3->tensors().size());
  for (const TensorInfo& t : v3->tensors()) {
    const TensorInfo* o = v1->FindTensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    ASSERT_EQ(o->n_bytes, t.n_bytes) << t.name;
    EXPECT_EQ(std::memcmp(o->data, t.data, t.n_bytes), 0) << t.name;
  }
  const GgufValue* a = v1->Find("tokenizer.ggml.tokens");
  const GgufValue* b = v3->Find("tokenizer.ggml.tokens");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->strings, b->strings);
}

TEST(GgufFile, MissingFileIsNotFound) {
  EXPECT_EQ(GgufFile::Open("/nonexistent/model.gguf").status().code(), StatusCode::kNotFound);
}

TEST(GgufFile, EveryTruncationIsACleanError) {
  std::vector<std::byte> full = SmallFile();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<std::byte> cut(full.begin(), full.begin() + long(n));
    Status st = ParseStatus(std::move(cut));
    ASSERT_FALSE(st.ok()) << "truncated at " << n;
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << n << ": " << st.ToString();
  }
  EXPECT_TRUE(ParseStatus(full).ok());
}

TEST(GgufFile, BadMagicAndVersions) {
  auto b = SmallFile();
  b[0] = std::byte{'X'};
  Status st = ParseStatus(b);
  EXPECT_NE(st.message().find("bad magic"), std::string::npos) << st.message();

  for (uint32_t v : {0u, 0x03000000u}) {
    auto c = SmallFile();
    Put32(c, 4, v);
    EXPECT_EQ(ParseStatus(c).code(), StatusCode::kInvalidArgument) << v;
  }
  auto c = SmallFile();
  Put32(c, 4, 4);
  EXPECT_EQ(ParseStatus(c).code(), StatusCode::kUnimplemented);
}

TEST(GgufFile, HugeCountsAreRejectedBeforeAllocating) {
  auto b = SmallFile();
  Put64(b, 8, uint64_t(1) << 62);  // n_tensors
  Status st = ParseStatus(b);
  EXPECT_NE(st.message().find("tensor count"), std::string::npos) << st.message();

  b = SmallFile();
  Put64(b, 16, ~uint64_t(0));  // n_kv
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("metadata count"), std::string::npos) << st.message();

  // Array count of the token list.
  b = SmallFile();
  size_t key = Find(b, "tokenizer.ggml.tokens");
  Put64(b, key + 21 + 4 + 4, uint64_t(1) << 40);  // key, value type, element type, count
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("tokenizer.ggml.tokens"), std::string::npos) << st.message();

  // String length.
  b = SmallFile();
  Put64(b, Find(b, "general.architecture") - 8, uint64_t(1) << 50);
  st = ParseStatus(b);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("too large"), std::string::npos) << st.message();
}

// Offset of tensor info field right after the name `name` (n_dims).
size_t TensorInfoAfterName(const std::vector<std::byte>& b, std::string_view name) {
  // Tensor names appear after all metadata; search from the back to skip metadata strings.
  std::string_view hay(reinterpret_cast<const char*>(b.data()), b.size());
  std::string needle = std::string(name);
  size_t p = hay.rfind(needle, 400);
  return p + name.size();
}

TEST(GgufFile, TensorTableValidation) {
  // Unknown tensor type.
  auto b = SmallFile();
  size_t t1 = TensorInfoAfterName(b, "t1");
  Put32(b, t1 + 4 + 16, 4);  // type id 4 (removed Q4_2)
  Status st = ParseStatus(b);
  EXPECT_NE(st.message().find("unknown tensor type id 4"), std::string::npos) << st.message();

  // Too many dims.
  b = SmallFile();
  Put32(b, t1, 5);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("dimensions"), std::string::npos) << st.message();

  // Overflowing dims.
  b = SmallFile();
  Put64(b, t1 + 4, uint64_t(1) << 62);
  Put64(b, t1 + 12, uint64_t(1) << 62);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("overflow"), std::string::npos) << st.message();

  // Row not a whole number of blocks: F32 -> Q4_0 with ne0 = 4.
  b = SmallFile();
  Put32(b, t1 + 4 + 16, 2);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("block size"), std::string::npos) << st.message();

  // Offset beyond the data section.
  b = SmallFile();
  Put64(b, t1 + 4 + 16 + 4, 1 << 20);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("outside"), std::string::npos) << st.message();

  // Misaligned offset.
  b = SmallFile();
  Put64(b, t1 + 4 + 16 + 4, 4);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("not aligned"), std::string::npos) << st.message();

  // Overlap: t2 placed at t1's offset (0).
  b = SmallFile();
  size_t t2 = TensorInfoAfterName(b, "t2");
  Put64(b, t2 + 4 + 8 + 4, 0);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("overlap"), std::string::npos) << st.message();
}

TEST(GgufFile, MetadataValidation) {
  // Bad UTF-8 in a key.
  auto b = SmallFile();
  b[Find(b, "x.f")] = std::byte{0xFF};
  Status st = ParseStatus(b);
  EXPECT_NE(st.message().find("UTF-8"), std::string::npos) << st.message();

  // Unknown value type.
  b = SmallFile();
  Put32(b, Find(b, "x.f") + 3, 13);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("unknown value type 13"), std::string::npos) << st.message();

  // Duplicate key.
  b = SmallFile();
  std::memcpy(b.data() + Find(b, "x.b"), "x.f", 3);
  st = ParseStatus(b);
  EXPECT_NE(st.message().find("duplicate metadata key 'x.f'"), std::string::npos) << st.message();

  // Invalid UTF-8 in a string value is kept as bytes (real vocabularies have such tokens).
  b = SmallFile();
  b[Find(b, "llama") + 1] = std::byte{0xFF};
  auto f = GgufFile::FromBytes(b);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->GetString("general.architecture")->size(), 5u);

  // Non power-of-two alignment.
  GgufWriter w;
  w.AddU32("general.alignment", 24);
  st = ParseStatus(w.Finish());
  EXPECT_NE(st.message().find("alignment"), std::string::npos) << st.message();
}

TEST(GgufFile, RandomCorruptionNeverCrashes) {
  // Flip bytes across the header region; every outcome must be OK or a clean error.
  auto base = SmallFile();
  uint64_t seed = 12345;
  for (int iter = 0; iter < 3000; ++iter) {
    auto b = base;
    for (int k = 0; k < 3; ++k) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      size_t pos = (seed >> 33) % b.size();
      b[pos] = std::byte(uint8_t(seed >> 17));
    }
    auto f = GgufFile::FromBytes(std::move(b));
    if (f.ok()) {
      for (const TensorInfo& t : f->tensors())
        ASSERT_LE(t.data + t.n_bytes, f->bytes().data() + f->bytes().size());
    }
  }
}

}  // namespace
}  // namespace foundry::engine
