#include "foundry/engine/gguf/gguf_writer.h"

#include <cstring>
#include <fstream>

namespace foundry::engine {

void GgufWriter::PutString(std::string_view s) {
  uint64_t n = s.size();
  Put(&n, 8);
  Put(s.data(), s.size());
}

void GgufWriter::Key(std::string_view key, GgufType type) {
  ++n_kv_;
  PutString(key);
  uint32_t t = uint32_t(type);
  Put(&t, 4);
}

void GgufWriter::AddU32(std::string_view key, uint32_t v) { Key(key, GgufType::kUint32); Put(&v, 4); }
void GgufWriter::AddI32(std::string_view key, int32_t v) { Key(key, GgufType::kInt32); Put(&v, 4); }
void GgufWriter::AddU64(std::string_view key, uint64_t v) { Key(key, GgufType::kUint64); Put(&v, 8); }
void GgufWriter::AddF32(std::string_view key, float v) { Key(key, GgufType::kFloat32); Put(&v, 4); }
void GgufWriter::AddBool(std::string_view key, bool v) {
  Key(key, GgufType::kBool);
  uint8_t b = v;
  Put(&b, 1);
}
void GgufWriter::AddString(std::string_view key, std::string_view v) {
  Key(key, GgufType::kString);
  PutString(v);
}

void GgufWriter::AddStringArray(std::string_view key, std::span<const std::string> v) {
  Key(key, GgufType::kArray);
  uint32_t t = uint32_t(GgufType::kString);
  uint64_t n = v.size();
  Put(&t, 4);
  Put(&n, 8);
  for (const auto& s : v) PutString(s);
}

void GgufWriter::AddF32Array(std::string_view key, std::span<const float> v) {
  Key(key, GgufType::kArray);
  uint32_t t = uint32_t(GgufType::kFloat32);
  uint64_t n = v.size();
  Put(&t, 4);
  Put(&n, 8);
  Put(v.data(), v.size_bytes());
}

void GgufWriter::AddI32Array(std::string_view key, std::span<const int32_t> v) {
  Key(key, GgufType::kArray);
  uint32_t t = uint32_t(GgufType::kInt32);
  uint64_t n = v.size();
  Put(&t, 4);
  Put(&n, 8);
  Put(v.data(), v.size_bytes());
}

void GgufWriter::PutValue(const GgufValue& v) {
  switch (v.type) {
    case GgufType::kString: PutString(v.str); return;
    case GgufType::kArray: {
      uint32_t t = uint32_t(v.elem_type);
      Put(&t, 4);
      Put(&v.count, 8);
      if (v.elem_type == GgufType::kString) {
        for (auto s : v.strings) PutString(s);
      } else if (v.elem_type == GgufType::kArray) {
        for (const auto& it : v.items) PutValue(it);
      } else {
        Put(v.raw.data(), v.raw.size());
      }
      return;
    }
    case GgufType::kUint8: { uint8_t x = uint8_t(v.u); Put(&x, 1); return; }
    case GgufType::kInt8: { int8_t x = int8_t(v.i); Put(&x, 1); return; }
    case GgufType::kUint16: { uint16_t x = uint16_t(v.u); Put(&x, 2); return; }
    case GgufType::kInt16: { int16_t x = int16_t(v.i); Put(&x, 2); return; }
    case GgufType::kUint32: { uint32_t x = uint32_t(v.u); Put(&x, 4); return; }
    case GgufType::kInt32: { int32_t x = int32_t(v.i); Put(&x, 4); return; }
    case GgufType::kUint64: Put(&v.u, 8); return;
    case GgufType::kInt64: Put(&v.i, 8); return;
    case GgufType::kFloat32: { float x = float(v.f); Put(&x, 4); return; }
    case GgufType::kFloat64: Put(&v.f, 8); return;
    case GgufType::kBool: { uint8_t x = v.b; Put(&x, 1); return; }
  }
}

void GgufWriter::AddValue(std::string_view key, const GgufValue& v) {
  Key(key, v.type);
  PutValue(v);
}

Status GgufWriter::AddInfo(std::string_view name, TensorType type,
                           std::span<const int64_t> shape, uint64_t* n_bytes) {
  auto info = LookupTensorType(uint32_t(type));
  if (!info) return Status::InvalidArgument("unknown tensor type");
  if (shape.empty() || shape.size() > 4) return Status::InvalidArgument("tensor needs 1-4 dims");
  if (shape[0] % info->block_elems != 0)
    return Status::InvalidArgument(std::string(name) + ": row not a multiple of the block size");
  uint64_t n = 1;
  for (int64_t d : shape) n *= uint64_t(d);
  *n_bytes = n / uint64_t(info->block_elems) * uint64_t(info->block_bytes);
  data_size_ = (data_size_ + alignment_ - 1) / alignment_ * alignment_;
  tensors_.push_back({std::string(name), type, {shape.begin(), shape.end()}, data_size_, *n_bytes, {}});
  data_size_ += *n_bytes;
  return Status::Ok();
}

Status GgufWriter::AddTensor(std::string_view name, TensorType type,
                             std::span<const int64_t> shape, std::span<const std::byte> data) {
  uint64_t n_bytes = 0;
  FOUNDRY_RETURN_IF_ERROR(AddInfo(name, type, shape, &n_bytes));
  if (n_bytes != data.size()) {
    data_size_ = tensors_.back().offset;
    tensors_.pop_back();
    return Status::InvalidArgument(std::string(name) + ": expected " + std::to_string(n_bytes) +
                                   " bytes, got " + std::to_string(data.size()));
  }
  data_.resize(tensors_.back().offset);
  data_.insert(data_.end(), data.begin(), data.end());
  return Status::Ok();
}

Status GgufWriter::AddGeneratedTensor(std::string_view name, TensorType type,
                                      std::span<const int64_t> shape,
                                      std::function<void(std::span<std::byte>)> fill) {
  uint64_t n_bytes = 0;
  FOUNDRY_RETURN_IF_ERROR(AddInfo(name, type, shape, &n_bytes));
  tensors_.back().fill = std::move(fill);
  return Status::Ok();
}

std::vector<std::byte> GgufWriter::Header() const {
  std::vector<std::byte> out;
  auto put = [&](const void* p, size_t n) {
    out.insert(out.end(), (const std::byte*)p, (const std::byte*)p + n);
  };
  put("GGUF", 4);
  uint32_t version = 3;
  uint64_t n_tensors = tensors_.size();
  uint64_t n_kv = n_kv_ + (alignment_ != 32 ? 1 : 0);
  put(&version, 4);
  put(&n_tensors, 8);
  put(&n_kv, 8);
  out.insert(out.end(), meta_.begin(), meta_.end());
  if (alignment_ != 32) {
    std::string key = "general.alignment";
    uint64_t n = key.size();
    uint32_t t = uint32_t(GgufType::kUint32);
    put(&n, 8);
    put(key.data(), key.size());
    put(&t, 4);
    put(&alignment_, 4);
  }
  for (const auto& t : tensors_) {
    uint64_t n = t.name.size();
    put(&n, 8);
    put(t.name.data(), t.name.size());
    uint32_t nd = uint32_t(t.shape.size());
    put(&nd, 4);
    for (int64_t d : t.shape) put(&d, 8);
    uint32_t type = uint32_t(t.type);
    put(&type, 4);
    put(&t.offset, 8);
  }
  if (!tensors_.empty())
    while (out.size() % alignment_) out.push_back(std::byte{0});
  return out;
}

std::vector<std::byte> GgufWriter::Finish() const {
  std::vector<std::byte> out = Header();
  const size_t base = out.size();
  out.resize(base + data_size_);
  for (const Tensor& t : tensors_) {
    std::span<std::byte> dst(out.data() + base + t.offset, t.n_bytes);
    if (t.fill) t.fill(dst);
    else std::memcpy(dst.data(), data_.data() + t.offset, t.n_bytes);
  }
  return out;
}

Status GgufWriter::WriteFile(const std::filesystem::path& path) const {
  const std::filesystem::path tmp = path.string() + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Unavailable(path.string() + ": cannot open for writing");
    auto write = [&](const void* p, size_t n) {
      out.write(static_cast<const char*>(p), std::streamsize(n));
    };
    std::vector<std::byte> header = Header();
    write(header.data(), header.size());
    uint64_t at = 0;
    std::vector<std::byte> buf;
    const std::byte zeros[64] = {};
    for (const Tensor& t : tensors_) {
      while (at < t.offset) {
        size_t pad = size_t(std::min<uint64_t>(sizeof zeros, t.offset - at));
        write(zeros, pad);
        at += pad;
      }
      if (t.fill) {
        buf.resize(size_t(t.n_bytes));
        t.fill(buf);
        write(buf.data(), buf.size());
      } else {
        write(data_.data() + t.offset, size_t(t.n_bytes));
      }
      at += t.n_bytes;
      if (!out) break;
    }
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return Status::Unavailable(path.string() + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Status::Unavailable(path.string() + ": " + ec.message());
  return Status::Ok();
}

}  // namespace foundry::engine
