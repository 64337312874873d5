// (a) The reference to_float of every weight type reproduces ../shared/quant/*.dequant.f32.bin
// bit for bit (formats.md §2: the formulas are exact up to their stated f32 operation order).

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "engine/kernels/kernel_test_util.h"
#include "engine/kernels/variants.h"
#include "foundry/engine/kernels/kernels.h"
#include "support/shared_data.h"

namespace foundry::engine::kernels {
namespace {

using foundry::testing::ReadFileBytes;
using foundry::testing::ReadFileText;
using foundry::testing::SharedPath;
using test_util::ReferenceOf;

std::vector<float> ReadFloats(const std::filesystem::path& path) {
  const std::vector<char> bytes = ReadFileBytes(path);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

nlohmann::json Index() {
  return nlohmann::json::parse(ReadFileText(SharedPath("quant/index.json")));
}

TEST(ReferenceDequantTest, EveryEntryMatchesBitForBit) {
  const nlohmann::json index = Index();
  const KernelTable scalar = SelectKernels(DetectCpu(), Isa::kScalar);
  ASSERT_GT(index["entries"].size(), 0u);
  for (const auto& entry : index["entries"]) {
    const std::string name = entry["raw_file"];
    SCOPED_TRACE(name);
    const auto type = TensorType(entry["ggml_type_id"].get<uint32_t>());
    const QuantOps* ops = scalar.Get(type);
    ASSERT_NE(ops, nullptr) << entry["ggml_type"];
    EXPECT_EQ(ops->block_elems, entry["block_size"].get<int>());
    EXPECT_EQ(ops->block_bytes, entry["type_size"].get<int>());
    EXPECT_EQ(ops->to_float, ReferenceOf(type).to_float);

    const std::vector<char> raw = ReadFileBytes(SharedPath("quant/" + name));
    const std::vector<float> expected =
        ReadFloats(SharedPath("quant/" + entry["dequant_file"].get<std::string>()));
    const int64_t rows = entry["rows"], row_length = entry["row_length"];
    const size_t row_bytes = entry["row_bytes"];
    ASSERT_EQ(raw.size(), size_t(rows) * row_bytes);
    ASSERT_EQ(expected.size(), size_t(rows * row_length));

    // Whole buffer at once, and row by row through DequantizeRow.
    std::vector<float> got(expected.size());
    ops->to_float(raw.data(), got.data(), rows * row_length);
    const WeightMatrix w{.type = type,
                         .n_cols = row_length,
                         .n_rows = rows,
                         .row_bytes = row_bytes,
                         .data = reinterpret_cast<const std::byte*>(raw.data())};
    std::vector<float> row(static_cast<size_t>(row_length));
    for (int64_t r = 0; r < rows; ++r) {
      DequantizeRow(scalar, w, r, row);
      for (int64_t i = 0; i < row_length; ++i) {
        ASSERT_EQ(std::bit_cast<uint32_t>(row[size_t(i)]),
                  std::bit_cast<uint32_t>(expected[size_t(r * row_length + i)]))
            << "DequantizeRow row " << r << " element " << i;
      }
    }
    int mismatches = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(expected[i]) &&
          ++mismatches <= 5) {
        ADD_FAILURE() << "element " << i << ": got " << got[i] << " expected " << expected[i];
      }
    }
    EXPECT_EQ(mismatches, 0);
  }
}

// The index covers every quantized weight type we support (F32 is checked below), so no
// reference dequantizer goes untested. Q3_K/Q4_K/Q5_K come from the *_K_M/_K_S files.
TEST(ReferenceDequantTest, IndexCoversEveryWeightType) {
  const nlohmann::json index = Index();  // kept alive: the loop below iterates into it
  std::set<uint32_t> covered;
  for (const auto& entry : index["entries"]) covered.insert(entry["ggml_type_id"].get<uint32_t>());
  for (TensorType t : test_util::kWeightTypes) {
    if (t == TensorType::kF32) continue;
    EXPECT_TRUE(covered.count(uint32_t(t))) << TensorTypeName(t);
  }
}

// F32 "dequantization" is the identity: the source rows come back unchanged.
TEST(ReferenceDequantTest, F32IsIdentity) {
  const std::vector<float> source =
      ReadFloats(SharedPath("quant/source-F32.blk.0.ffn_up.weight.rows0-3.f32.bin"));
  ASSERT_EQ(source.size(), 1024u);
  std::vector<float> got(source.size());
  ReferenceOf(TensorType::kF32).to_float(source.data(), got.data(), int64_t(source.size()));
  EXPECT_EQ(std::memcmp(got.data(), source.data(), source.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace foundry::engine::kernels
