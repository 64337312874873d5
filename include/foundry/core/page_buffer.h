#pragma once
// PageBuffer: zero-filled memory straight from the OS (an anonymous mapping), for large,
// long-lived buffers such as repacked weights and KV caches. Pages are only backed when first
// written, so nothing is touched twice (no memset after malloc), and a buffer of 2 MiB or more
// can ask for transparent huge pages: code that streams the whole buffer (a decode step reads
// every weight once) then spends far fewer TLB misses. Move-only (RAII: unmapped on destruction).
// Thread-compatible: the bytes may be read from any thread once written.

#include <cstddef>

#include "foundry/core/status.h"

namespace foundry {

class PageBuffer {
 public:
  // `huge_pages`: align to 2 MiB and advise the OS (Linux MADV_HUGEPAGE) to back the buffer with
  // transparent huge pages where it allows; a hint only. kResourceExhausted if the OS has no
  // memory for it. size 0 gives an empty buffer.
  static Result<PageBuffer> Allocate(size_t size, bool huge_pages);

  PageBuffer() = default;
  PageBuffer(PageBuffer&& other) noexcept;
  PageBuffer& operator=(PageBuffer&& other) noexcept;
  PageBuffer(const PageBuffer&) = delete;
  PageBuffer& operator=(const PageBuffer&) = delete;
  ~PageBuffer();

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return data_ == nullptr; }

 private:
  void Release();
  std::byte* data_ = nullptr;  // inside the mapping, aligned as asked
  size_t size_ = 0;
  void* map_ = nullptr;        // the whole mapping (larger than size_ when aligned up)
  size_t map_size_ = 0;
};

}  // namespace foundry
