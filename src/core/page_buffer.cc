#include "foundry/core/page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>

namespace foundry {
namespace {
constexpr size_t kHugePage = size_t(2) << 20;  // x86-64 transparent huge page
}  // namespace

Result<PageBuffer> PageBuffer::Allocate(size_t size, bool huge_pages) {
  PageBuffer b;
  if (size == 0) return b;
  huge_pages = huge_pages && size >= kHugePage;
  // Over-allocate by one huge page so the start can be aligned; the unused head and tail are
  // never touched, so they cost address space only.
  const size_t extra = huge_pages ? kHugePage : 0;
  if (size > SIZE_MAX - extra) return Status::ResourceExhausted("buffer size overflows");
  void* p = ::mmap(nullptr, size + extra, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (p == MAP_FAILED)
    return Status::ResourceExhausted("cannot allocate " + std::to_string(size) +
                                     " bytes: " + std::strerror(errno));
  b.map_ = p;
  b.map_size_ = size + extra;
  uintptr_t start = reinterpret_cast<uintptr_t>(p);
  if (huge_pages) start = (start + kHugePage - 1) / kHugePage * kHugePage;
  b.data_ = reinterpret_cast<std::byte*>(start);
  b.size_ = size;
#if defined(MADV_HUGEPAGE)
  if (huge_pages) (void)::madvise(b.data_, size, MADV_HUGEPAGE);
#endif
  return b;
}

PageBuffer::PageBuffer(PageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)) {}

PageBuffer& PageBuffer::operator=(PageBuffer&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    map_ = std::exchange(other.map_, nullptr);
    map_size_ = std::exchange(other.map_size_, 0);
  }
  return *this;
}

PageBuffer::~PageBuffer() { Release(); }

void PageBuffer::Release() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  map_ = nullptr;
  data_ = nullptr;
  size_ = map_size_ = 0;
}

}  // namespace foundry
