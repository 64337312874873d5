#pragma once
// ByteReader: a little-endian cursor over untrusted bytes that can never read past the end.
//
// Every Read* returns false (and leaves the cursor where it was) when fewer bytes remain than the
// value needs; callers turn that into a Status naming what was being read. Thread-compatible.
// The span must outlive the reader.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

namespace foundry {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  size_t size() const { return data_.size(); }

  // Reads a trivially copyable little-endian scalar (this code targets little-endian hosts).
  template <class T>
  [[nodiscard]] bool Read(T* out) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return false;
    std::memcpy(out, data_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }

  // A view of the next n bytes (borrowed from the underlying span), advancing past them.
  [[nodiscard]] bool ReadBytes(uint64_t n, std::string_view* out) {
    if (n > remaining()) return false;
    *out = std::string_view(reinterpret_cast<const char*>(data_.data() + pos_), size_t(n));
    pos_ += size_t(n);
    return true;
  }

  [[nodiscard]] bool Skip(uint64_t n) {
    if (n > remaining()) return false;
    pos_ += size_t(n);
    return true;
  }

 private:
  std::span<const std::byte> data_;
  size_t pos_ = 0;
};

}  // namespace foundry
