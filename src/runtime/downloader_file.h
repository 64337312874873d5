#pragma once
// Internal to the downloader: the `.partial` file a download writes (RAII fd + exclusive
// flock), errno-to-Status mapping, and the atomic rename into place.
//
// PartialFile is move-only; it owns its descriptor and lock. Thread-compatible.

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "foundry/core/status.h"

namespace foundry::runtime::internal {

// A Status for OS error `err` while doing `what` (which names the path):
// ENOENT -> kNotFound, EACCES/EPERM/EROFS -> kFailedPrecondition, ENOSPC/EDQUOT ->
// kResourceExhausted ("disk full"), anything else -> kUnavailable. The OS text is appended.
Status ErrnoStatus(int err, const std::string& what);

class PartialFile {
 public:
  // Opens `path` read/write, creating it (0644) if absent, and takes an exclusive,
  // non-blocking flock. kFailedPrecondition if another process or thread holds the lock
  // (a download of the same file in progress); else ErrnoStatus.
  static Result<PartialFile> Open(const std::filesystem::path& path);

  PartialFile(PartialFile&& other) noexcept;
  PartialFile& operator=(PartialFile&& other) noexcept;
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;
  ~PartialFile();  // closes (dropping the lock); errors are lost, use Close() to see them

  const std::filesystem::path& path() const { return path_; }

  // Current size (fstat).
  Result<uint64_t> Size() const;
  // Drops everything from byte `size` on and positions writes there.
  Status TruncateTo(uint64_t size);
  // Positions the next Append at byte `offset`.
  Status SeekTo(uint64_t offset);
  // Writes all of `bytes` at the current position (retrying short writes and EINTR).
  // kResourceExhausted on a full disk; else ErrnoStatus.
  Status Append(std::span<const std::byte> bytes);
  // fsync: the bytes are on disk before the rename that publishes them.
  Status Sync();
  // Closes the descriptor (dropping the lock). Idempotent.
  Status Close();

 private:
  PartialFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::filesystem::path path_;
  int fd_ = -1;
};

// rename(from, to), then fsync of to's folder so the new name survives a crash.
Status RenameIntoPlace(const std::filesystem::path& from, const std::filesystem::path& to);

// fsync of a folder (after a rename or link into it). Best effort: errors are returned.
Status SyncDirectory(const std::filesystem::path& dir);

}  // namespace foundry::runtime::internal
