#pragma once
// GgufFile: a GGUF model file (versions 1, 2 and 3), memory-mapped and fully validated on Open().
//
// Validation covers the header, every metadata key/value (all 13 value types, nested arrays),
// the tensor table (names, dims, types, offsets, sizes, alignment, overlap) and that all tensor
// data lies inside the file; counts are capped before they size an allocation and all size
// arithmetic is overflow-checked. A malformed, truncated or hostile file yields
// kInvalidArgument whose message names the offending field, key or tensor — never a crash or an
// out-of-bounds read. See docs/formats.md.
//
// Thread-safety: immutable after Open(); const methods are safe from any thread. All
// string_views, spans and TensorInfo/GgufValue pointers returned borrow from *this and live as
// long as it (moving a GgufFile keeps them valid).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/mapped_file.h"
#include "foundry/core/status.h"
#include "foundry/engine/tensor_type.h"

namespace foundry::engine {

enum class GgufType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufTypeName(GgufType t);

// The elements of a metadata string array: views into the file bytes, located by one 32-bit
// offset per element (4 bytes each, where a std::string_view takes 16: 0.6 instead of 2.4 MiB
// for a 152k-token vocabulary, kept as long as the file is open). Random access; iterates as
// std::string_view values. Built by the parser only; an array's bytes are below 4 GiB.
class GgufStringArray {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = std::string_view;

    Iterator() = default;
    std::string_view operator*() const { return (*a_)[i_]; }
    Iterator& operator++() {
      ++i_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const Iterator& o) const { return i_ == o.i_; }

   private:
    friend class GgufStringArray;
    Iterator(const GgufStringArray* a, size_t i) : a_(a), i_(i) {}
    const GgufStringArray* a_ = nullptr;
    size_t i_ = 0;
  };

  size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
  bool empty() const { return size() == 0; }
  // REQUIRES: i < size().
  std::string_view operator[](size_t i) const {
    const uint32_t begin = offsets_[i], end = offsets_[i + 1] - prefix_bytes_;
    return {base_ + begin, end - begin};
  }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }
  friend bool operator==(const GgufStringArray& a, const GgufStringArray& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

 private:
  friend class GgufStringArrayBuilder;
  const char* base_ = nullptr;     // the first element's bytes
  std::vector<uint32_t> offsets_;  // [size + 1]: element i starts at base_ + offsets_[i] and
                                   // ends prefix_bytes_ before base_ + offsets_[i + 1]
  uint32_t prefix_bytes_ = 0;      // the length prefix of an element (8; 4 in GGUF v1)
};

// One metadata value. Scalars are widened into u/i/f/b; strings borrow the file bytes.
// Arrays keep their elements: numeric/bool elements as raw little-endian bytes (`raw`),
// strings as views (`strings`), nested arrays as values (`items`).
struct GgufValue {
  GgufType type = GgufType::kUint8;
  uint64_t u = 0;         // kUint8/16/32/64 (also set for non-negative signed ints and bools)
  int64_t i = 0;          // every integer type and bool
  double f = 0;           // kFloat32/kFloat64
  bool b = false;         // kBool
  std::string_view str;   // kString (UTF-8, validated)

  // kArray only:
  GgufType elem_type = GgufType::kUint8;
  uint64_t count = 0;
  std::span<const std::byte> raw;          // numeric/bool arrays: count * elem size bytes
  GgufStringArray strings;                 // string arrays
  std::vector<GgufValue> items;            // nested arrays (elem_type == kArray)

  bool is_integer() const;  // any of the 8 integer types
  bool is_float() const { return type == GgufType::kFloat32 || type == GgufType::kFloat64; }

  // Typed reads. nullopt when the type does not fit (e.g. a negative or too large integer,
  // a string read as a number). Integers are accepted as floats; bools only as bools.
  std::optional<uint64_t> AsUint() const;
  std::optional<int64_t> AsInt() const;
  std::optional<double> AsFloat() const;
  std::optional<bool> AsBool() const;
  std::optional<std::string_view> AsString() const;

  // Numeric array element i as double / int64 (REQUIRES: type == kArray, numeric elem_type,
  // i < count). Bool elements read as 0/1.
  double ArrayFloat(uint64_t i) const;
  int64_t ArrayInt(uint64_t i) const;

  // Human-readable rendering for `model info` (arrays are abbreviated).
  std::string ToString(size_t max_items = 8) const;
};

struct GgufKv {
  std::string_view key;
  GgufValue value;
};

struct TensorInfo {
  std::string_view name;
  int n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
  TensorType type = TensorType::kF32;
  uint64_t offset = 0;           // relative to the data section
  uint64_t n_elements = 0;
  uint64_t n_bytes = 0;
  uint64_t row_bytes = 0;        // bytes of one ne[0] row
  const std::byte* data = nullptr;  // points into the mapping

  int64_t rows() const { return ne[1] * ne[2] * ne[3]; }
  std::string ShapeString() const;  // "[256, 512]"
};

class GgufFile {
 public:
  // Maps and validates `path`. kNotFound: no such file. kInvalidArgument: malformed (message
  // starts with the file name and names the problem). kUnavailable: I/O errors.
  static Result<GgufFile> Open(const std::filesystem::path& path);

  // Same validation over bytes in memory (tests, fuzzing); the GgufFile takes ownership.
  static Result<GgufFile> FromBytes(std::vector<std::byte> bytes);

  GgufFile(GgufFile&&) noexcept = default;
  GgufFile& operator=(GgufFile&&) noexcept = default;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute file offset of tensor data
  uint64_t file_size() const { return bytes().size(); }
  std::span<const std::byte> bytes() const;
  // Drops tensor bytes that are no longer read from the file (copied elsewhere) from resident
  // memory; see MappedFile::Evict. A no-op for a GgufFile built from bytes.
  void EvictFromMemory(std::span<const std::byte> range) const {
    if (map_) map_->Evict(range);
  }
  // Copies tensor bytes (a sub-span of the file's bytes) to `out`, reading the file rather
  // than the mapping where it can (MappedFile::ReadInto): for small scattered reads that should
  // not make the file's pages resident.
  void CopyOut(std::span<const std::byte> range, std::byte* out) const {
    if (!map_ || !map_->ReadInto(range, out)) std::memcpy(out, range.data(), range.size());
  }

  const std::vector<GgufKv>& metadata() const { return kvs_; }  // in file order
  const std::vector<TensorInfo>& tensors() const { return tensors_; }

  const GgufValue* Find(std::string_view key) const;          // nullptr if absent
  const TensorInfo* FindTensor(std::string_view name) const;  // nullptr if absent

  // Typed getters: kNotFound if absent, kInvalidArgument (naming key and actual type) if the
  // value does not have a compatible type or range.
  Result<uint32_t> GetU32(std::string_view key) const;
  Result<float> GetF32(std::string_view key) const;
  Result<bool> GetBool(std::string_view key) const;
  Result<std::string_view> GetString(std::string_view key) const;
  // Convenience: the value, or `fallback` when the key is absent (a present key of the wrong
  // type is still an error).
  Result<uint32_t> GetU32Or(std::string_view key, uint32_t fallback) const;
  Result<float> GetF32Or(std::string_view key, float fallback) const;
  Result<bool> GetBoolOr(std::string_view key, bool fallback) const;

 private:
  GgufFile() = default;
  static Result<GgufFile> Parse(GgufFile file, std::string_view label);

  std::unique_ptr<MappedFile> map_;                 // set when opened from disk
  std::unique_ptr<std::vector<std::byte>> buffer_;  // set when built from bytes
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<TensorInfo> tensors_;
};

}  // namespace foundry::engine
