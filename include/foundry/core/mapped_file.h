#pragma once
// MappedFile: a whole file mapped read-only (RAII; holds the mapping and one descriptor).
// Move-only.
// Thread-safety: immutable after Open(); the bytes may be read from any thread.

#include <cstddef>
#include <filesystem>
#include <cstdint>
#include <span>
#include <utility>

#include "foundry/core/status.h"

namespace foundry {

class MappedFile {
 public:
  // kNotFound: no such file. kInvalidArgument: a directory or not a regular file.
  // kUnavailable: the OS refused to open or map it (message has errno text and the path).
  // An empty file maps to an empty span.
  static Result<MappedFile> Open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }

  // Drops the pages lying wholly inside `range` (a sub-span of bytes()) from this process's
  // resident set; the bytes stay readable and are faulted back in from the page cache if read
  // again. For data that is no longer read from the mapping (weights copied into another
  // layout), so that it stops counting as resident memory. A hint: a no-op where the OS
  // declines or `range` is not inside the mapping.
  void Evict(std::span<const std::byte> range) const;

  // Copies `range` (a sub-span of bytes()) to `out` by reading the file (pread), without
  // touching the mapping: for data read in small scattered pieces (embedding rows looked up by
  // token id). Linux >= 6.x keeps file data in large page-cache folios and maps a whole folio
  // (up to 2 MiB) on a fault, so reading one 1 KiB row through the mapping would cost ~600 KiB
  // of resident memory; a read costs none and leaves the page cache warm. False (nothing
  // promised about `out`) if the range is not inside the mapping or the read fails.
  bool ReadInto(std::span<const std::byte> range, std::byte* out) const;

 private:
  // The page-aligned part of `range` lying wholly inside the mapping, as [begin, end) addresses;
  // begin == end when there is none.
  std::pair<uintptr_t, uintptr_t> InnerPages(std::span<const std::byte> range) const;

  const std::byte* data_ = nullptr;
  size_t size_ = 0;
  int fd_ = -1;  // kept open for posix_fadvise
};

}  // namespace foundry
