#include "runtime/chat/jinja_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja {
namespace {

class JsonWriter {
 public:
  JsonWriter(const JsonDumpOptions& options, size_t max_bytes)
      : options_(options), max_bytes_(max_bytes) {}

  Status Write(const Value& v, int level) {
    if (out_.size() > max_bytes_)
      return Status::ResourceExhausted("tojson output larger than " + std::to_string(max_bytes_) +
                                       " bytes");
    switch (v.kind()) {
      case Value::Kind::kNone:
        out_ += "null";
        return Status::Ok();
      case Value::Kind::kBool:
        out_ += v.bool_value() ? "true" : "false";
        return Status::Ok();
      case Value::Kind::kInt:
        out_ += std::to_string(v.int_value());
        return Status::Ok();
      case Value::Kind::kFloat:
        out_ += FloatText(v.float_value());
        return Status::Ok();
      case Value::Kind::kString:
        AppendJsonString(v.string_value(), options_.ensure_ascii, out_);
        return Status::Ok();
      case Value::Kind::kList:
      case Value::Kind::kTuple:
        return WriteList(v.items(), level);
      case Value::Kind::kDict:
        return WriteDict(v.dict(), level);
      default:
        return ops::TypeError("Object of type " + ops::TypeName(v) + " is not JSON serializable");
    }
  }

  std::string& out() { return out_; }

 private:
  static std::string FloatText(double f) {
    if (std::isnan(f)) return "NaN";
    if (std::isinf(f)) return f < 0 ? "-Infinity" : "Infinity";
    return text::FormatFloat(f);
  }

  void NewLine(int level) {
    if (!options_.indent) return;
    out_ += '\n';
    for (int i = 0; i < level; ++i) out_ += *options_.indent;
  }

  Status WriteList(const std::vector<Value>& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return Status::Ok();
    }
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out_ += options_.item_separator;
      NewLine(level + 1);
      FOUNDRY_RETURN_IF_ERROR(Write(items[i], level + 1));
    }
    NewLine(level);
    out_ += ']';
    return Status::Ok();
  }

  static Result<std::string> KeyText(const Value& k) {
    switch (k.kind()) {
      case Value::Kind::kString:
        return k.string_value();
      case Value::Kind::kNone:
        return std::string("null");
      case Value::Kind::kBool:
        return std::string(k.bool_value() ? "true" : "false");
      case Value::Kind::kInt:
        return std::to_string(k.int_value());
      case Value::Kind::kFloat:
        return FloatText(k.float_value());
      default:
        return ops::TypeError("keys must be str, int, float, bool or None, not " +
                              ops::TypeName(k));
    }
  }

  Status WriteDict(const Dict& d, int level) {
    if (d.empty()) {
      out_ += "{}";
      return Status::Ok();
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    entries.reserve(d.size());
    for (const auto& [k, v] : d.entries()) {
      FOUNDRY_ASSIGN_OR_RETURN(std::string key, KeyText(k));
      entries.emplace_back(std::move(key), &v);
    }
    if (options_.sort_keys)
      std::stable_sort(entries.begin(), entries.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    out_ += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i) out_ += options_.item_separator;
      NewLine(level + 1);
      AppendJsonString(entries[i].first, options_.ensure_ascii, out_);
      out_ += options_.key_separator;
      FOUNDRY_RETURN_IF_ERROR(Write(*entries[i].second, level + 1));
    }
    NewLine(level);
    out_ += '}';
    return Status::Ok();
  }

  const JsonDumpOptions& options_;
  size_t max_bytes_;
  std::string out_;
};

}  // namespace

void AppendJsonString(const std::string& s, bool ensure_ascii, std::string& out) {
  out += '"';
  auto hex4 = [&out](unsigned v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\u%04x", v & 0xFFFFu);
    out += buf;
  };
  std::u32string cps;
  bool ascii = text::IsAscii(s);
  if (ensure_ascii && !ascii) cps = text::Decode(s);
  auto one = [&](char32_t c) {
    switch (c) {
      case U'"':
        out += "\\\"";
        return;
      case U'\\':
        out += "\\\\";
        return;
      case U'\n':
        out += "\\n";
        return;
      case U'\r':
        out += "\\r";
        return;
      case U'\t':
        out += "\\t";
        return;
      case U'\b':
        out += "\\b";
        return;
      case U'\f':
        out += "\\f";
        return;
      default:
        break;
    }
    if (c < 0x20) {
      hex4(static_cast<unsigned>(c));
    } else if (c < 0x80 || !ensure_ascii) {
      text::AppendUtf8(c, out);
    } else if (c < 0x10000) {
      hex4(static_cast<unsigned>(c));
    } else {
      char32_t v = c - 0x10000;
      hex4(static_cast<unsigned>(0xD800 + (v >> 10)));
      hex4(static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
    }
  };
  if (ensure_ascii && !ascii) {
    for (char32_t c : cps) one(c);
  } else {
    // Without ensure_ascii only ASCII bytes are escaped, so UTF-8 sequences pass through whole.
    for (char ch : s) {
      auto b = static_cast<unsigned char>(ch);
      if (b >= 0x80)
        out += ch;
      else
        one(b);
    }
  }
  out += '"';
}

Result<std::string> DumpJson(const Value& value, const JsonDumpOptions& options, size_t max_bytes) {
  JsonWriter w(options, max_bytes);
  FOUNDRY_RETURN_IF_ERROR(w.Write(value, 0));
  if (w.out().size() > max_bytes)
    return Status::ResourceExhausted("tojson output larger than " + std::to_string(max_bytes) +
                                     " bytes");
  return std::move(w.out());
}

}  // namespace foundry::runtime::jinja
