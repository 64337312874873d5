#include "foundry/core/page_buffer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "foundry/core/mapped_file.h"

namespace foundry {
namespace {

TEST(PageBufferTest, EmptyForSizeZero) {
  Result<PageBuffer> b = PageBuffer::Allocate(0, true);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->empty());
  EXPECT_EQ(b->size(), 0u);
}

TEST(PageBufferTest, ZeroFilledWritableAndAligned) {
  for (bool huge : {false, true}) {
    const size_t size = (size_t(3) << 20) + 123;  // not a multiple of any page size
    Result<PageBuffer> b = PageBuffer::Allocate(size, huge);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_EQ(b->size(), size);
    const uintptr_t align = huge ? (uintptr_t(2) << 20) : uintptr_t(::sysconf(_SC_PAGESIZE));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data()) % align, 0u);
    for (size_t i = 0; i < size; i += 4093) ASSERT_EQ(b->data()[i], std::byte{0});
    EXPECT_EQ(b->data()[size - 1], std::byte{0});
    b->data()[0] = std::byte{1};
    b->data()[size - 1] = std::byte{2};
    PageBuffer moved = std::move(*b);
    EXPECT_TRUE(b->empty());
    EXPECT_EQ(moved.data()[0], std::byte{1});
    EXPECT_EQ(moved.data()[size - 1], std::byte{2});
  }
}

TEST(PageBufferTest, HugeRequestTooLargeIsAnError) {
  Result<PageBuffer> b = PageBuffer::Allocate(SIZE_MAX - 10, true);
  EXPECT_EQ(b.status().code(), StatusCode::kResourceExhausted);
}

TEST(MappedFileTest, EvictKeepsBytesReadable) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("evict_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < (1 << 20); ++i) out.put(char(i * 31 + 7));
  }
  Result<MappedFile> f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok());
  auto bytes = f->bytes();
  uint64_t before = 0;
  for (std::byte b : bytes) before = before * 131 + uint64_t(b);
  f->Evict(bytes.subspan(1000, 700000));  // unaligned ends: only whole pages inside are dropped
  f->Evict(bytes);
  f->Evict(std::span<const std::byte>());  // empty and foreign ranges are ignored
  const std::byte outside[4] = {};
  f->Evict(outside);
  uint64_t after = 0;
  for (std::byte b : f->bytes()) after = after * 131 + uint64_t(b);
  EXPECT_EQ(before, after);
  std::filesystem::remove(path);
}

TEST(MappedFileTest, ReadIntoCopiesRangesThroughTheFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("readinto_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < (1 << 21); ++i) out.put(char(i * 17 + 3));
  }
  Result<MappedFile> opened = MappedFile::Open(path);
  ASSERT_TRUE(opened.ok());
  MappedFile f = std::move(*opened);  // the moved-to object owns mapping and descriptor
  auto bytes = f.bytes();
  // Scattered unaligned rows (the access pattern it is for), up to the last byte.
  std::vector<std::byte> row(1000);
  for (size_t at : {size_t(0), size_t(5001), size_t(777777), bytes.size() - row.size()}) {
    ASSERT_TRUE(f.ReadInto(bytes.subspan(at, row.size()), row.data())) << at;
    for (size_t i = 0; i < row.size(); ++i) ASSERT_EQ(row[i], std::byte(char(int(at + i) * 17 + 3))) << at + i;
  }
  // Ranges outside the mapping are refused.
  const std::byte outside[4] = {};
  EXPECT_FALSE(f.ReadInto(outside, row.data()));
  EXPECT_FALSE(f.ReadInto({bytes.data() + bytes.size() - 10, 20}, row.data()));
  EXPECT_FALSE(MappedFile().ReadInto(outside, row.data()));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace foundry
