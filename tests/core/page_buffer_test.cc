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

TEST(MappedFileTest, AdviseRandomAccessKeepsBytesReadable) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("advise_test_" + std::to_string(::getpid()));
  {
    std::ofstream out(path, std::ios::binary);
    for (int i = 0; i < (1 << 21); ++i) out.put(char(i * 17 + 3));
  }
  Result<MappedFile> opened = MappedFile::Open(path);
  ASSERT_TRUE(opened.ok());
  MappedFile f = std::move(*opened);  // the moved-to object owns mapping and descriptor
  auto bytes = f.bytes();
  uint64_t before = 0;
  for (std::byte b : bytes) before = before * 131 + uint64_t(b);
  f.AdviseRandomAccess(bytes.subspan(5000, 1 << 20));  // unaligned ends
  f.AdviseRandomAccess(std::span<const std::byte>());  // empty and foreign ranges are ignored
  const std::byte outside[4] = {};
  f.AdviseRandomAccess(outside);
  // Scattered reads (the access pattern the advice is for), then everything.
  for (size_t i = 5000; i < (1 << 20); i += 70001)
    EXPECT_EQ(bytes[i], std::byte(char(int(i) * 17 + 3)));
  uint64_t after = 0;
  for (std::byte b : f.bytes()) after = after * 131 + uint64_t(b);
  EXPECT_EQ(before, after);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace foundry
