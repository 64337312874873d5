#include "runtime/downloader_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace foundry::runtime::internal {

Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT: return Status::NotFound(msg);
    case EACCES:
    case EPERM:
    case EROFS: return Status::FailedPrecondition(msg);
    case ENOSPC:
    case EDQUOT: return Status::ResourceExhausted("disk full: " + msg);
    default: return Status::Unavailable(msg);
  }
}

Result<PartialFile> PartialFile::Open(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(errno, "cannot open " + path.string());
  PartialFile file(path, fd);  // owns fd from here on
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK)
      return Status::FailedPrecondition("another download of " + path.filename().string() +
                                        " is in progress (" + path.string() + " is locked)");
    return ErrnoStatus(err, "cannot lock " + path.string());
  }
  return file;
}

PartialFile::PartialFile(PartialFile&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

PartialFile& PartialFile::operator=(PartialFile&& other) noexcept {
  if (this != &other) {
    (void)Close();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PartialFile::~PartialFile() { (void)Close(); }

Result<uint64_t> PartialFile::Size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, "cannot stat " + path_.string());
  return static_cast<uint64_t>(st.st_size);
}

Status PartialFile::TruncateTo(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    return ErrnoStatus(errno, "cannot truncate " + path_.string());
  return SeekTo(size);
}

Status PartialFile::SeekTo(uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
    return ErrnoStatus(errno, "cannot seek in " + path_.string());
  return Status::Ok();
}

Status PartialFile::Append(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write " + path_.string());
    }
    if (n == 0) return ErrnoStatus(ENOSPC, "cannot write " + path_.string());
    bytes = bytes.subspan(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status PartialFile::Sync() {
  if (::fsync(fd_) != 0 && errno != EINVAL)  // EINVAL: not syncable (a device); nothing to do
    return ErrnoStatus(errno, "cannot sync " + path_.string());
  return Status::Ok();
}

Status PartialFile::Close() {
  if (fd_ < 0) return Status::Ok();
  int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) return ErrnoStatus(errno, "cannot close " + path_.string());
  return Status::Ok();
}

Status SyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open folder " + dir.string());
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0 && err != EINVAL) return ErrnoStatus(err, "cannot sync folder " + dir.string());
  return Status::Ok();
}

Status RenameIntoPlace(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    return ErrnoStatus(errno, "cannot rename " + from.string() + " to " + to.string());
  return SyncDirectory(to.parent_path());
}

}  // namespace foundry::runtime::internal
