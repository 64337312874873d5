#pragma once
// GgufWriter: builds a GGUF v3 file in memory (metadata + tensors), e.g. for `model synth` and
// for tests that need crafted files. Thread-compatible.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/core/status.h"
#include "foundry/engine/gguf/gguf_file.h"

namespace foundry::engine {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  void AddU32(std::string_view key, uint32_t v);
  void AddI32(std::string_view key, int32_t v);
  void AddU64(std::string_view key, uint64_t v);
  void AddF32(std::string_view key, float v);
  void AddBool(std::string_view key, bool v);
  void AddString(std::string_view key, std::string_view v);
  void AddStringArray(std::string_view key, std::span<const std::string> v);
  void AddF32Array(std::string_view key, std::span<const float> v);
  void AddI32Array(std::string_view key, std::span<const int32_t> v);
  // Copies an existing value (any type, incl. arrays) under `key`.
  void AddValue(std::string_view key, const GgufValue& v);

  // `data` must hold exactly the tensor's byte size for `type` and `shape` (ne0 first).
  Status AddTensor(std::string_view name, TensorType type, std::span<const int64_t> shape,
                   std::span<const std::byte> data);

  // A tensor whose bytes are produced by `fill` while the file is written (one tensor in memory
  // at a time, so multi-GB files can be generated). `fill` receives a buffer of the tensor's
  // exact byte size.
  Status AddGeneratedTensor(std::string_view name, TensorType type, std::span<const int64_t> shape,
                            std::function<void(std::span<std::byte>)> fill);

  // The whole file in memory (tests; generated tensors are filled too).
  std::vector<std::byte> Finish() const;
  // Streams the file to `path` through a temporary file renamed into place, so a failed write
  // (disk full) never leaves a partial file under the final name.
  Status WriteFile(const std::filesystem::path& path) const;

 private:
  void Key(std::string_view key, GgufType type);
  void Put(const void* p, size_t n) { meta_.insert(meta_.end(), (const std::byte*)p, (const std::byte*)p + n); }
  void PutString(std::string_view s);
  void PutValue(const GgufValue& v);

  struct Tensor {
    std::string name;
    TensorType type;
    std::vector<int64_t> shape;
    uint64_t offset;   // in the data section
    uint64_t n_bytes;
    std::function<void(std::span<std::byte>)> fill;  // generated tensors only
  };
  Status AddInfo(std::string_view name, TensorType type, std::span<const int64_t> shape,
                 uint64_t* n_bytes);
  std::vector<std::byte> Header() const;  // everything before the data section
  uint32_t alignment_;
  uint64_t n_kv_ = 0;
  std::vector<std::byte> meta_;
  std::vector<Tensor> tensors_;
  std::vector<std::byte> data_;  // bytes of non-generated tensors, at their offsets
  uint64_t data_size_ = 0;       // size of the whole data section
};

}  // namespace foundry::engine
