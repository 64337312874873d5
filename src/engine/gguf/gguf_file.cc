#include "foundry/engine/gguf/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <unordered_set>

#include "foundry/core/byte_reader.h"
#include "foundry/core/checked_math.h"

namespace foundry::engine {
namespace {

// Sanity caps: far above any real model, low enough that a hostile count cannot make us
// allocate unbounded memory before the "not enough bytes" check catches it.
constexpr uint64_t kMaxTensors = 1u << 20;
constexpr uint64_t kMaxKvs = 1u << 20;
constexpr uint64_t kMaxStringBytes = 1u << 30;  // as the reference
constexpr int kMaxArrayDepth = 8;
constexpr int kMaxDims = 4;

size_t ScalarSize(GgufType t) {
  switch (t) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kBool: return 1;
    case GgufType::kUint16:
    case GgufType::kInt16: return 2;
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kFloat32: return 4;
    case GgufType::kUint64:
    case GgufType::kInt64:
    case GgufType::kFloat64: return 8;
    case GgufType::kString:
    case GgufType::kArray: return 0;
  }
  return 0;
}

bool ValidType(uint32_t t) { return t <= uint32_t(GgufType::kFloat64); }

// Strict UTF-8 validation (no overlongs, no surrogates, <= U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + size_t(len) > n) return false;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + size_t(k)]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += size_t(len);
  }
  return true;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char ch : s.substr(0, 80)) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F) {
      out += ch;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace

// Fills a GgufStringArray with the elements the parser reads, in order (they lie back to back
// in the file, each after its length prefix).
class GgufStringArrayBuilder {
 public:
  GgufStringArrayBuilder(GgufStringArray* array, size_t count, uint32_t prefix_bytes)
      : a_(array) {
    a_->prefix_bytes_ = prefix_bytes;
    a_->offsets_.reserve(count + 1);
  }

  // Appends the next element (`s` views the file bytes right after its length prefix). false
  // when the array's bytes would exceed 4 GiB.
  bool Add(std::string_view s) {
    if (a_->offsets_.empty()) a_->base_ = s.data();
    const uint64_t begin = uint64_t(s.data() - a_->base_);
    const uint64_t end = begin + s.size() + a_->prefix_bytes_;
    if (end > std::numeric_limits<uint32_t>::max()) return false;
    a_->offsets_.push_back(uint32_t(begin));
    end_ = uint32_t(end);
    return true;
  }

  // Closes the array after its last element.
  void Finish() {
    if (!a_->offsets_.empty()) a_->offsets_.push_back(end_);
  }

 private:
  GgufStringArray* a_;
  uint32_t end_ = 0;
};

namespace {

// Parses the file body. Strings/counts are u64 in v2/v3 and u32 in v1.
class Parser {
 public:
  Parser(std::span<const std::byte> bytes, uint32_t version) : r_(bytes), v1_(version == 1) {}
  ByteReader& reader() { return r_; }

  Status ReadCount(const char* what, uint64_t* out) {
    if (v1_) {
      uint32_t v;
      if (!r_.Read(&v)) return Truncated(what);
      *out = v;
    } else {
      if (!r_.Read(out)) return Truncated(what);
    }
    return Status::Ok();
  }

  Status ReadString(const char* what, std::string_view* out) {
    uint64_t len = 0;
    FOUNDRY_RETURN_IF_ERROR(ReadCount(what, &len));
    if (len > kMaxStringBytes)
      return Bad(std::string(what) + ": string length " + std::to_string(len) + " too large");
    if (!r_.ReadBytes(len, out))
      return Bad(std::string(what) + ": string of " + std::to_string(len) +
                 " bytes runs past the end of the file");
    return Status::Ok();
  }

  Status ReadValue(GgufType type, const std::string& ctx, int depth, GgufValue* v) {
    v->type = type;
    switch (type) {
      case GgufType::kString: {
        // Values are not required to be UTF-8: real vocabularies carry byte-piece tokens that are
        // not (the reference does not check either). Keys and tensor names are checked.
        return ReadString(ctx.c_str(), &v->str);
      }
      case GgufType::kArray: return ReadArray(ctx, depth, v);
      default: break;
    }
    std::byte buf[8] = {};
    size_t n = ScalarSize(type);
    std::string_view bytes;
    if (!r_.ReadBytes(n, &bytes)) return Truncated(ctx.c_str());
    std::memcpy(buf, bytes.data(), n);
    DecodeScalar(type, buf, v);
    return Status::Ok();
  }

  static void DecodeScalar(GgufType type, const std::byte* buf, GgufValue* v) {
    auto rd = [&](auto tag) {
      decltype(tag) x;
      std::memcpy(&x, buf, sizeof x);
      return x;
    };
    switch (type) {
      case GgufType::kUint8: v->u = rd(uint8_t{}); v->i = int64_t(v->u); break;
      case GgufType::kUint16: v->u = rd(uint16_t{}); v->i = int64_t(v->u); break;
      case GgufType::kUint32: v->u = rd(uint32_t{}); v->i = int64_t(v->u); break;
      case GgufType::kUint64: v->u = rd(uint64_t{}); v->i = int64_t(v->u); break;
      case GgufType::kInt8: v->i = rd(int8_t{}); break;
      case GgufType::kInt16: v->i = rd(int16_t{}); break;
      case GgufType::kInt32: v->i = rd(int32_t{}); break;
      case GgufType::kInt64: v->i = rd(int64_t{}); break;
      case GgufType::kFloat32: v->f = rd(float{}); break;
      case GgufType::kFloat64: v->f = rd(double{}); break;
      case GgufType::kBool:
        v->b = rd(uint8_t{}) != 0;
        v->i = v->b;
        v->u = v->b;
        break;
      default: break;
    }
    if ((type == GgufType::kInt8 || type == GgufType::kInt16 || type == GgufType::kInt32 ||
         type == GgufType::kInt64) &&
        v->i >= 0)
      v->u = uint64_t(v->i);
  }

  Status ReadArray(const std::string& ctx, int depth, GgufValue* v) {
    if (depth >= kMaxArrayDepth) return Bad(ctx + ": arrays nested too deeply");
    uint32_t et = 0;
    if (!r_.Read(&et)) return Truncated(ctx.c_str());
    if (!ValidType(et)) return Bad(ctx + ": unknown array element type " + std::to_string(et));
    v->elem_type = GgufType(et);
    FOUNDRY_RETURN_IF_ERROR(ReadCount(ctx.c_str(), &v->count));
    // Every element takes at least one byte (strings at least their length prefix), so a count
    // larger than the bytes left is a lie we can reject before allocating anything.
    if (v->count > r_.remaining())
      return Bad(ctx + ": array count " + std::to_string(v->count) + " exceeds the file size");
    if (v->elem_type == GgufType::kString) {
      GgufStringArrayBuilder strings(&v->strings, size_t(v->count), v1_ ? 4 : 8);
      for (uint64_t k = 0; k < v->count; ++k) {
        std::string_view s;
        FOUNDRY_RETURN_IF_ERROR(ReadString(ctx.c_str(), &s));
        if (!strings.Add(s)) return Bad(ctx + ": string array larger than 4 GiB");
      }
      strings.Finish();
    } else if (v->elem_type == GgufType::kArray) {
      v->items.resize(size_t(v->count));
      for (uint64_t k = 0; k < v->count; ++k)
        FOUNDRY_RETURN_IF_ERROR(
            ReadValue(GgufType::kArray, ctx + "[" + std::to_string(k) + "]", depth + 1, &v->items[k]));
    } else {
      uint64_t nbytes;
      if (!CheckedMul(v->count, ScalarSize(v->elem_type), &nbytes) || nbytes > r_.remaining())
        return Bad(ctx + ": array of " + std::to_string(v->count) + " " +
                   std::string(GgufTypeName(v->elem_type)) + " runs past the end of the file");
      std::string_view raw;
      (void)r_.ReadBytes(nbytes, &raw);
      v->raw = std::as_bytes(std::span<const char>(raw.data(), raw.size()));
    }
    return Status::Ok();
  }

  Status Truncated(const char* what) {
    return Bad(std::string("file truncated while reading ") + what + " at offset " +
               std::to_string(r_.offset()));
  }
  static Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

 private:
  ByteReader r_;
  bool v1_;
};

}  // namespace

std::string_view GgufTypeName(GgufType t) {
  switch (t) {
    case GgufType::kUint8: return "u8";
    case GgufType::kInt8: return "i8";
    case GgufType::kUint16: return "u16";
    case GgufType::kInt16: return "i16";
    case GgufType::kUint32: return "u32";
    case GgufType::kInt32: return "i32";
    case GgufType::kFloat32: return "f32";
    case GgufType::kBool: return "bool";
    case GgufType::kString: return "string";
    case GgufType::kArray: return "array";
    case GgufType::kUint64: return "u64";
    case GgufType::kInt64: return "i64";
    case GgufType::kFloat64: return "f64";
  }
  return "?";
}

bool GgufValue::is_integer() const {
  switch (type) {
    case GgufType::kUint8:
    case GgufType::kInt8:
    case GgufType::kUint16:
    case GgufType::kInt16:
    case GgufType::kUint32:
    case GgufType::kInt32:
    case GgufType::kUint64:
    case GgufType::kInt64: return true;
    default: return false;
  }
}

std::optional<uint64_t> GgufValue::AsUint() const {
  if (!is_integer()) return std::nullopt;
  bool is_signed = type == GgufType::kInt8 || type == GgufType::kInt16 ||
                   type == GgufType::kInt32 || type == GgufType::kInt64;
  if (is_signed && i < 0) return std::nullopt;
  return u;
}

std::optional<int64_t> GgufValue::AsInt() const {
  if (!is_integer()) return std::nullopt;
  if (type == GgufType::kUint64 && u > uint64_t(INT64_MAX)) return std::nullopt;
  return i;
}

std::optional<double> GgufValue::AsFloat() const {
  if (is_float()) return f;
  if (is_integer()) return type == GgufType::kUint64 ? double(u) : double(i);
  return std::nullopt;
}

std::optional<bool> GgufValue::AsBool() const {
  if (type == GgufType::kBool) return b;
  return std::nullopt;
}

std::optional<std::string_view> GgufValue::AsString() const {
  if (type == GgufType::kString) return str;
  return std::nullopt;
}

double GgufValue::ArrayFloat(uint64_t k) const {
  GgufValue e;
  Parser::DecodeScalar(elem_type, raw.data() + k * ScalarSize(elem_type), &e);
  e.type = elem_type;
  return e.AsFloat().value_or(e.type == GgufType::kBool ? double(e.b) : 0.0);
}

int64_t GgufValue::ArrayInt(uint64_t k) const {
  GgufValue e;
  Parser::DecodeScalar(elem_type, raw.data() + k * ScalarSize(elem_type), &e);
  e.type = elem_type;
  if (e.is_float()) return int64_t(e.f);
  return e.i;
}

std::string GgufValue::ToString(size_t max_items) const {
  switch (type) {
    case GgufType::kString: return "\"" + Printable(str) + (str.size() > 80 ? "…\"" : "\"");
    case GgufType::kBool: return b ? "true" : "false";
    case GgufType::kFloat32:
    case GgufType::kFloat64: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", f);
      return buf;
    }
    case GgufType::kArray: {
      std::string out = "[";
      uint64_t shown = std::min<uint64_t>(count, max_items);
      for (uint64_t k = 0; k < shown; ++k) {
        if (k) out += ", ";
        if (elem_type == GgufType::kString) {
          out += "\"" + Printable(strings[k]) + "\"";
        } else if (elem_type == GgufType::kArray) {
          out += items[k].ToString(max_items);
        } else if (elem_type == GgufType::kFloat32 || elem_type == GgufType::kFloat64) {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%g", ArrayFloat(k));
          out += buf;
        } else {
          out += std::to_string(ArrayInt(k));
        }
      }
      if (count > shown) out += ", … (" + std::to_string(count) + " items)";
      return out + "]";
    }
    default:
      if (type == GgufType::kUint64) return std::to_string(u);
      return std::to_string(i);
  }
}

std::string TensorInfo::ShapeString() const {
  std::string s = "[";
  for (int d = 0; d < n_dims; ++d) s += (d ? ", " : "") + std::to_string(ne[d]);
  return s + "]";
}

std::span<const std::byte> GgufFile::bytes() const {
  if (map_) return map_->bytes();
  if (buffer_) return {buffer_->data(), buffer_->size()};
  return {};
}

Result<GgufFile> GgufFile::Open(const std::filesystem::path& path) {
  FOUNDRY_ASSIGN_OR_RETURN(MappedFile mapped, MappedFile::Open(path));
  GgufFile f;
  f.map_ = std::make_unique<MappedFile>(std::move(mapped));
  return Parse(std::move(f), path.string());
}

Result<GgufFile> GgufFile::FromBytes(std::vector<std::byte> bytes) {
  GgufFile f;
  f.buffer_ = std::make_unique<std::vector<std::byte>>(std::move(bytes));
  return Parse(std::move(f), "<memory>");
}

Result<GgufFile> GgufFile::Parse(GgufFile f, std::string_view label) {
  auto fail = [&](const Status& st) { return st.WithContext(label); };
  std::span<const std::byte> data = f.bytes();
  ByteReader head(data);
  char magic[4];
  if (!head.Read(&magic))
    return fail(Status::InvalidArgument("not a GGUF file: shorter than the 4-byte magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0)
    return fail(Status::InvalidArgument("not a GGUF file: bad magic '" +
                                        Printable(std::string_view(magic, 4)) + "'"));
  uint32_t version;
  if (!head.Read(&version))
    return fail(Status::InvalidArgument("file truncated while reading the version"));
  if (version == 0 || (version & 0xFFFF) == 0)
    return fail(Status::InvalidArgument("unsupported GGUF version " + std::to_string(version) +
                                        (version ? " (big-endian file?)" : "")));
  if (version > 3)
    return fail(Status::Unimplemented("unsupported GGUF version " + std::to_string(version) +
                                      " (this build reads versions 1 to 3)"));
  f.version_ = version;

  Parser p(data, version);
  ByteReader& r = p.reader();
  (void)r.Skip(8);
  uint64_t n_tensors = 0, n_kv = 0;
  FOUNDRY_RETURN_IF_ERROR(fail(p.ReadCount("the tensor count", &n_tensors)));
  FOUNDRY_RETURN_IF_ERROR(fail(p.ReadCount("the metadata count", &n_kv)));
  if (n_tensors > kMaxTensors || n_tensors > r.remaining())
    return fail(Status::InvalidArgument("tensor count " + std::to_string(n_tensors) +
                                        " is implausible for a file of " +
                                        std::to_string(data.size()) + " bytes"));
  if (n_kv > kMaxKvs || n_kv > r.remaining())
    return fail(Status::InvalidArgument("metadata count " + std::to_string(n_kv) +
                                        " is implausible for a file of " +
                                        std::to_string(data.size()) + " bytes"));

  std::unordered_set<std::string_view> keys;
  f.kvs_.reserve(size_t(n_kv));
  for (uint64_t k = 0; k < n_kv; ++k) {
    GgufKv kv;
    std::string what = "metadata key #" + std::to_string(k);
    FOUNDRY_RETURN_IF_ERROR(fail(p.ReadString(what.c_str(), &kv.key)));
    if (kv.key.empty()) return fail(Status::InvalidArgument(what + " is empty"));
    if (!IsValidUtf8(kv.key))
      return fail(Status::InvalidArgument(what + " is not valid UTF-8: '" + Printable(kv.key) + "'"));
    if (!keys.insert(kv.key).second)
      return fail(Status::InvalidArgument("duplicate metadata key '" + std::string(kv.key) + "'"));
    std::string ctx = "metadata '" + std::string(kv.key) + "'";
    uint32_t type;
    if (!r.Read(&type)) return fail(p.Truncated(ctx.c_str()));
    if (!ValidType(type))
      return fail(Status::InvalidArgument(ctx + ": unknown value type " + std::to_string(type)));
    FOUNDRY_RETURN_IF_ERROR(fail(p.ReadValue(GgufType(type), ctx, 0, &kv.value)));
    f.kvs_.push_back(std::move(kv));
  }

  if (const GgufValue* a = f.Find("general.alignment")) {
    auto al = a->AsUint();
    if (!al || *al == 0 || (*al & (*al - 1)) != 0 || *al > (1u << 30))
      return fail(Status::InvalidArgument("general.alignment must be a power of two, got " +
                                          a->ToString()));
    f.alignment_ = *al;
  }

  std::unordered_set<std::string_view> names;
  f.tensors_.reserve(size_t(n_tensors));
  for (uint64_t t = 0; t < n_tensors; ++t) {
    TensorInfo ti;
    std::string what = "tensor #" + std::to_string(t);
    FOUNDRY_RETURN_IF_ERROR(fail(p.ReadString((what + " name").c_str(), &ti.name)));
    if (ti.name.empty() || !IsValidUtf8(ti.name))
      return fail(Status::InvalidArgument(what + " has an empty or non-UTF-8 name"));
    if (!names.insert(ti.name).second)
      return fail(Status::InvalidArgument("duplicate tensor name '" + std::string(ti.name) + "'"));
    std::string ctx = "tensor '" + std::string(ti.name) + "'";
    uint32_t n_dims;
    if (!r.Read(&n_dims)) return fail(p.Truncated(ctx.c_str()));
    if (n_dims > uint32_t(kMaxDims))
      return fail(Status::InvalidArgument(ctx + ": " + std::to_string(n_dims) +
                                          " dimensions (at most 4 allowed)"));
    ti.n_dims = int(n_dims);
    uint64_t n_el = 1;
    for (int d = 0; d < ti.n_dims; ++d) {
      uint64_t dim;
      if (version == 1) {
        uint32_t d32;
        if (!r.Read(&d32)) return fail(p.Truncated(ctx.c_str()));
        dim = d32;
      } else if (!r.Read(&dim)) {
        return fail(p.Truncated(ctx.c_str()));
      }
      if (dim > uint64_t(INT64_MAX) || !CheckedMul(n_el, dim, &n_el) || n_el > uint64_t(INT64_MAX))
        return fail(Status::InvalidArgument(ctx + ": dimensions overflow"));
      ti.ne[d] = int64_t(dim);
    }
    ti.n_elements = n_el;
    uint32_t type_id;
    if (!r.Read(&type_id)) return fail(p.Truncated(ctx.c_str()));
    auto type = LookupTensorType(type_id);
    if (!type)
      return fail(Status::InvalidArgument(ctx + ": unknown tensor type id " + std::to_string(type_id)));
    ti.type = type->type;
    if (ti.ne[0] % type->block_elems != 0)
      return fail(Status::InvalidArgument(
          ctx + ": row length " + std::to_string(ti.ne[0]) + " is not a multiple of the " +
          std::string(type->name) + " block size " + std::to_string(type->block_elems)));
    ti.row_bytes = uint64_t(ti.ne[0] / type->block_elems) * uint64_t(type->block_bytes);
    uint64_t rows = n_el == 0 ? 0 : n_el / uint64_t(ti.ne[0] == 0 ? 1 : ti.ne[0]);
    if (ti.ne[0] == 0) rows = 0;
    if (!CheckedMul(ti.row_bytes, rows, &ti.n_bytes))
      return fail(Status::InvalidArgument(ctx + ": byte size overflows"));
    if (!r.Read(&ti.offset)) return fail(p.Truncated(ctx.c_str()));
    if (ti.offset % f.alignment_ != 0)
      return fail(Status::InvalidArgument(ctx + ": data offset " + std::to_string(ti.offset) +
                                          " is not aligned to " + std::to_string(f.alignment_)));
    f.tensors_.push_back(ti);
  }

  uint64_t data_start = r.offset();
  if (n_tensors > 0 && !CheckedAlignUp(data_start, f.alignment_, &data_start))
    return fail(Status::InvalidArgument("data section offset overflows"));
  if (data_start > data.size() && n_tensors > 0)
    return fail(Status::InvalidArgument("file truncated: tensor data section starts at " +
                                        std::to_string(data_start) + " but the file has " +
                                        std::to_string(data.size()) + " bytes"));
  f.data_offset_ = data_start;
  const uint64_t data_size = data.size() > data_start ? data.size() - data_start : 0;

  // Every tensor inside the data section, and no two overlapping.
  std::vector<size_t> order(f.tensors_.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  for (TensorInfo& ti : f.tensors_) {
    std::string ctx = "tensor '" + std::string(ti.name) + "'";
    if (ti.n_bytes > data_size || ti.offset > data_size - ti.n_bytes)
      return fail(Status::InvalidArgument(
          ctx + ": data [" + std::to_string(ti.offset) + ", +" + std::to_string(ti.n_bytes) +
          ") lies outside the " + std::to_string(data_size) + "-byte data section (truncated file?)"));
    ti.data = data.data() + data_start + ti.offset;
  }
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return f.tensors_[a].offset < f.tensors_[b].offset;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    const TensorInfo& prev = f.tensors_[order[k - 1]];
    const TensorInfo& cur = f.tensors_[order[k]];
    if (prev.n_bytes > 0 && cur.n_bytes > 0 && prev.offset + prev.n_bytes > cur.offset)
      return fail(Status::InvalidArgument("tensors '" + std::string(prev.name) + "' and '" +
                                          std::string(cur.name) + "' overlap"));
  }
  return f;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  for (const auto& kv : kvs_)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

const TensorInfo* GgufFile::FindTensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

namespace {
Status WrongType(std::string_view key, const GgufValue& v, const char* want) {
  return Status::InvalidArgument("metadata '" + std::string(key) + "' should be " + want +
                                 ", found " + std::string(GgufTypeName(v.type)) + " " +
                                 v.ToString());
}
}  // namespace

Result<uint32_t> GgufFile::GetU32(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Status::NotFound("metadata key '" + std::string(key) + "' is missing");
  auto u = v->AsUint();
  if (!u || *u > UINT32_MAX) return WrongType(key, *v, "an unsigned 32-bit integer");
  return uint32_t(*u);
}

Result<float> GgufFile::GetF32(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Status::NotFound("metadata key '" + std::string(key) + "' is missing");
  auto d = v->AsFloat();
  if (!d) return WrongType(key, *v, "a number");
  return float(*d);
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Status::NotFound("metadata key '" + std::string(key) + "' is missing");
  auto b = v->AsBool();
  if (!b) return WrongType(key, *v, "a bool");
  return *b;
}

Result<std::string_view> GgufFile::GetString(std::string_view key) const {
  const GgufValue* v = Find(key);
  if (!v) return Status::NotFound("metadata key '" + std::string(key) + "' is missing");
  auto s = v->AsString();
  if (!s) return WrongType(key, *v, "a string");
  return *s;
}

Result<uint32_t> GgufFile::GetU32Or(std::string_view key, uint32_t fallback) const {
  if (!Find(key)) return fallback;
  return GetU32(key);
}
Result<float> GgufFile::GetF32Or(std::string_view key, float fallback) const {
  if (!Find(key)) return fallback;
  return GetF32(key);
}
Result<bool> GgufFile::GetBoolOr(std::string_view key, bool fallback) const {
  if (!Find(key)) return fallback;
  return GetBool(key);
}

}  // namespace foundry::engine
