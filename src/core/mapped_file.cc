#include "foundry/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <utility>

namespace foundry {

Result<MappedFile> MappedFile::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    std::string msg = path.string() + ": " + std::strerror(err);
    if (err == ENOENT) return Status::NotFound(msg);
    return Status::Unavailable(msg);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::string msg = path.string() + ": " + std::strerror(errno);
    ::close(fd);
    return Status::Unavailable(msg);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(path.string() + ": not a regular file");
  }
  MappedFile f;
  f.size_ = size_t(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      std::string msg = path.string() + ": mmap: " + std::strerror(errno);
      ::close(fd);
      return Status::Unavailable(msg);
    }
    f.data_ = static_cast<const std::byte*>(p);
  }
  f.fd_ = fd;
  return f;
}

std::pair<uintptr_t, uintptr_t> MappedFile::InnerPages(std::span<const std::byte> range) const {
  if (range.empty() || range.data() < data_ || range.data() + range.size() > data_ + size_)
    return {0, 0};
  const uintptr_t page = uintptr_t(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (uintptr_t(range.data()) + page - 1) / page * page;
  const uintptr_t end = (uintptr_t(range.data()) + range.size()) / page * page;
  return end > begin ? std::make_pair(begin, end) : std::make_pair(uintptr_t(0), uintptr_t(0));
}

void MappedFile::Evict(std::span<const std::byte> range) const {
  const auto [begin, end] = InnerPages(range);
  // MADV_DONTNEED on a shared file mapping only unmaps the pages; the file and the page cache
  // are untouched, so later reads see the same bytes.
  if (end > begin) (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

bool MappedFile::ReadInto(std::span<const std::byte> range, std::byte* out) const {
  if (fd_ < 0 || range.data() < data_ || range.data() + range.size() > data_ + size_) return false;
  size_t done = 0;
  const off_t offset = off_t(range.data() - data_);
  while (done < range.size()) {
    const ssize_t n = ::pread(fd_, out + done, range.size() - done, offset + off_t(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += size_t(n);
  }
  return true;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      fd_(std::exchange(other.fd_, -1)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<std::byte*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace foundry
