#include "runtime/chat/jinja_ops.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja::ops {
namespace {

using Kind = Value::Kind;

Status Overflow() {
  return Status::InvalidArgument("OverflowError: integer result out of 64-bit range");
}

Status TooLarge(size_t max_bytes) {
  return Status::ResourceExhausted("result larger than the " + std::to_string(max_bytes) +
                                   "-byte limit");
}

bool IsIntLike(const Value& v) { return v.is_int() || v.is_bool(); }
int64_t AsInt(const Value& v) { return v.is_bool() ? int64_t{v.bool_value()} : v.int_value(); }
bool IsNumeric(const Value& v) { return v.is_number() || v.is_bool(); }

const char* OpSymbol(BinOp op) {
  switch (op) {
    case BinOp::kAdd:
      return "+";
    case BinOp::kSub:
      return "-";
    case BinOp::kMul:
      return "*";
    case BinOp::kDiv:
      return "/";
    case BinOp::kFloorDiv:
      return "//";
    case BinOp::kMod:
      return "%";
    case BinOp::kPow:
      return "** or pow()";
  }
  return "?";
}

const char* CmpSymbol(CmpOp op) {
  switch (op) {
    case CmpOp::kLt:
      return "<";
    case CmpOp::kLe:
      return "<=";
    case CmpOp::kGt:
      return ">";
    case CmpOp::kGe:
      return ">=";
    default:
      return "==";
  }
}

Status Unsupported(BinOp op, const Value& a, const Value& b) {
  return TypeError(std::string("unsupported operand type(s) for ") + OpSymbol(op) + ": '" +
                   TypeName(a) + "' and '" + TypeName(b) + "'");
}

// Python floor division / modulo on ints.
Result<Value> IntDivMod(BinOp op, int64_t x, int64_t y) {
  if (y == 0)
    return Status::InvalidArgument(op == BinOp::kMod
                                       ? "ZeroDivisionError: integer modulo by zero"
                                       : "ZeroDivisionError: integer division or modulo by zero");
  if (x == std::numeric_limits<int64_t>::min() && y == -1) {
    if (op == BinOp::kMod) return Value(int64_t{0});
    return Overflow();
  }
  int64_t q = x / y, r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) {
    q -= 1;
    r += y;
  }
  return Value(op == BinOp::kFloorDiv ? q : r);
}

Result<Value> IntPow(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 0)
      return Status::InvalidArgument("ZeroDivisionError: 0.0 cannot be raised to a negative power");
    return Value(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  }
  int64_t result = 1;
  while (exp > 0) {
    if (exp & 1) {
      if (__builtin_mul_overflow(result, base, &result)) return Overflow();
    }
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
  }
  return Value(result);
}

Result<Value> Arith(BinOp op, const Value& a, const Value& b) {
  if (IsIntLike(a) && IsIntLike(b)) {
    int64_t x = AsInt(a), y = AsInt(b), r = 0;
    switch (op) {
      case BinOp::kAdd:
        if (__builtin_add_overflow(x, y, &r)) return Overflow();
        return Value(r);
      case BinOp::kSub:
        if (__builtin_sub_overflow(x, y, &r)) return Overflow();
        return Value(r);
      case BinOp::kMul:
        if (__builtin_mul_overflow(x, y, &r)) return Overflow();
        return Value(r);
      case BinOp::kDiv:
        if (y == 0) return Status::InvalidArgument("ZeroDivisionError: division by zero");
        return Value(static_cast<double>(x) / static_cast<double>(y));
      case BinOp::kFloorDiv:
      case BinOp::kMod:
        return IntDivMod(op, x, y);
      case BinOp::kPow:
        return IntPow(x, y);
    }
  }
  double x = a.AsDouble(), y = b.AsDouble();
  switch (op) {
    case BinOp::kAdd:
      return Value(x + y);
    case BinOp::kSub:
      return Value(x - y);
    case BinOp::kMul:
      return Value(x * y);
    case BinOp::kDiv:
      if (y == 0) return Status::InvalidArgument("ZeroDivisionError: float division by zero");
      return Value(x / y);
    case BinOp::kFloorDiv:
      if (y == 0) return Status::InvalidArgument("ZeroDivisionError: float floor division by zero");
      return Value(std::floor(x / y));
    case BinOp::kMod: {
      if (y == 0) return Status::InvalidArgument("ZeroDivisionError: float modulo");
      double m = std::fmod(x, y);
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value(m);
    }
    case BinOp::kPow:
      if (x == 0 && y < 0)
        return Status::InvalidArgument(
            "ZeroDivisionError: 0.0 cannot be raised to a negative power");
      return Value(std::pow(x, y));
  }
  return Unsupported(op, a, b);
}

Result<Value> Repeat(const Value& seq, int64_t n, size_t max_bytes) {
  if (n < 0) n = 0;
  uint64_t unit = seq.is_string() ? seq.string_value().size() : seq.items().size();
  uint64_t total = 0;
  if (__builtin_mul_overflow(unit, static_cast<uint64_t>(n), &total) || total > max_bytes)
    return TooLarge(max_bytes);
  if (seq.is_string()) {
    std::string out;
    out.reserve(total);
    for (int64_t i = 0; i < n; ++i) out += seq.string_value();
    return Value(std::move(out));
  }
  std::vector<Value> out;
  out.reserve(total);
  for (int64_t i = 0; i < n; ++i) out.insert(out.end(), seq.items().begin(), seq.items().end());
  return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

// Three-way Python ordering, or a TypeError naming `op`.
Result<int> Order(CmpOp op, const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (IsNumeric(a) && IsNumeric(b)) {
    if (IsIntLike(a) && IsIntLike(b)) {
      int64_t x = AsInt(a), y = AsInt(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    double x = a.AsDouble(), y = b.AsDouble();
    if (std::isnan(x) || std::isnan(y)) return 2;  // every ordering test is false
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    // UTF-8 byte order is code-point order.
    int c = a.string_value().compare(b.string_value());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (a.kind() == b.kind() && a.is_sequence()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (Equals(x[i], y[i])) continue;
      return Order(op, x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
  }
  return TypeError(std::string("'") + CmpSymbol(op) + "' not supported between instances of '" +
                   TypeName(a) + "' and '" + TypeName(b) + "'");
}

// Python slice index normalization (CPython PySlice_AdjustIndices).
void AdjustSlice(int64_t len, const std::optional<int64_t>& start_in,
                 const std::optional<int64_t>& stop_in, int64_t step, int64_t* start,
                 int64_t* stop) {
  auto adjust = [&](const std::optional<int64_t>& v, int64_t dflt) {
    if (!v) return dflt;
    int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= len) {
      x = step < 0 ? len - 1 : len;
    }
    return x;
  };
  *start = adjust(start_in, step < 0 ? len - 1 : 0);
  *stop = adjust(stop_in, step < 0 ? -1 : len);
}

}  // namespace

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return "list";
    case Kind::kTuple:
      return "tuple";
    case Kind::kDict:
      return "dict";
    case Kind::kObject:
      return std::string(v.object()->type_name());
  }
  return "object";
}

std::string ObjectTypeRepr(const Value& v) {
  if (v.is_none()) return "None";
  return TypeName(v) + " object";
}

Status UndefinedError(const Value& v) {
  const std::string& m = v.undefined_message();
  return Status::InvalidArgument(m.empty() ? "UndefinedError: value is undefined" : m);
}

Status TypeError(const std::string& message) {
  return Status::InvalidArgument("TypeError: " + message);
}

Status ValueError(const std::string& message) {
  return Status::InvalidArgument("ValueError: " + message);
}

std::string Str(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kString:
      return v.string_value();
    default:
      return Repr(v);
  }
}

std::string Repr(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return "";
    case Kind::kNone:
      return "None";
    case Kind::kBool:
      return v.bool_value() ? "True" : "False";
    case Kind::kInt:
      return std::to_string(v.int_value());
    case Kind::kFloat:
      return text::FormatFloat(v.float_value());
    case Kind::kString:
      return text::Repr(v.string_value());
    case Kind::kList:
    case Kind::kTuple: {
      std::string out = v.is_list() ? "[" : "(";
      const auto& items = v.items();
      for (size_t i = 0; i < items.size(); ++i) {
        if (i) out += ", ";
        out += Repr(items[i]);
      }
      if (v.is_tuple() && items.size() == 1) out += ",";
      out += v.is_list() ? "]" : ")";
      return out;
    }
    case Kind::kDict: {
      std::string out = "{";
      bool first = true;
      for (const auto& [k, val] : v.dict().entries()) {
        if (!first) out += ", ";
        first = false;
        out += Repr(k) + ": " + Repr(val);
      }
      return out + "}";
    }
    case Kind::kObject:
      return v.object()->repr();
  }
  return "";
}

bool Equals(const Value& a, const Value& b) {
  if (IsNumeric(a) && IsNumeric(b)) {
    if (IsIntLike(a) && IsIntLike(b)) return AsInt(a) == AsInt(b);
    return a.AsDouble() == b.AsDouble();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return true;
    case Kind::kString:
      return a.string_value() == b.string_value();
    case Kind::kList:
    case Kind::kTuple: {
      const auto& x = a.items();
      const auto& y = b.items();
      if (x.size() != y.size()) return false;
      for (size_t i = 0; i < x.size(); ++i)
        if (!Equals(x[i], y[i])) return false;
      return true;
    }
    case Kind::kDict: {
      const Dict& x = a.dict();
      const Dict& y = b.dict();
      if (x.size() != y.size()) return false;
      for (const auto& [k, val] : x.entries()) {
        const Value* other = y.FindKey(k);
        if (!other || !Equals(val, *other)) return false;
      }
      return true;
    }
    case Kind::kObject:
      return a.object() == b.object();
    default:
      return false;
  }
}

Result<bool> Compare(CmpOp op, const Value& a, const Value& b) {
  switch (op) {
    case CmpOp::kEq:
      return Equals(a, b);
    case CmpOp::kNe:
      return !Equals(a, b);
    case CmpOp::kIn:
      return Contains(b, a);
    case CmpOp::kNotIn: {
      FOUNDRY_ASSIGN_OR_RETURN(bool in, Contains(b, a));
      return !in;
    }
    default:
      break;
  }
  FOUNDRY_ASSIGN_OR_RETURN(int c, Order(op, a, b));
  if (c == 2) return false;
  switch (op) {
    case CmpOp::kLt:
      return c < 0;
    case CmpOp::kLe:
      return c <= 0;
    case CmpOp::kGt:
      return c > 0;
    case CmpOp::kGe:
      return c >= 0;
    default:
      return false;
  }
}

Result<bool> Contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Kind::kUndefined:
      return false;  // iterates as empty
    case Kind::kString:
      if (!item.is_string())
        return TypeError("'in <string>' requires string as left operand, not " + TypeName(item));
      return container.string_value().find(item.string_value()) != std::string::npos;
    case Kind::kList:
    case Kind::kTuple:
      for (const Value& v : container.items())
        if (Equals(v, item)) return true;
      return false;
    case Kind::kDict:
      if (item.is_sequence() || item.is_dict())
        return TypeError("unhashable type: '" + TypeName(item) + "'");
      return container.dict().FindKey(item) != nullptr;
    default:
      return TypeError("argument of type '" + TypeName(container) + "' is not iterable");
  }
}

Result<Value> Binary(BinOp op, const Value& a, const Value& b, size_t max_bytes) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (IsNumeric(a) && IsNumeric(b)) return Arith(op, a, b);
  if (op == BinOp::kAdd) {
    if (a.is_string()) {
      if (!b.is_string())
        return TypeError("can only concatenate str (not \"" + TypeName(b) + "\") to str");
      if (a.string_value().size() + b.string_value().size() > max_bytes) return TooLarge(max_bytes);
      return Value(a.string_value() + b.string_value());
    }
    if (a.is_sequence()) {
      if (b.kind() != a.kind())
        return TypeError("can only concatenate " + TypeName(a) + " (not \"" + TypeName(b) +
                         "\") to " + TypeName(a));
      if (a.items().size() + b.items().size() > max_bytes) return TooLarge(max_bytes);
      std::vector<Value> out = a.items();
      out.insert(out.end(), b.items().begin(), b.items().end());
      return a.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
    }
  }
  if (op == BinOp::kMul) {
    if ((a.is_string() || a.is_sequence()) && IsIntLike(b)) return Repeat(a, AsInt(b), max_bytes);
    if ((b.is_string() || b.is_sequence()) && IsIntLike(a)) return Repeat(b, AsInt(a), max_bytes);
    if (a.is_string() || a.is_sequence() || b.is_string() || b.is_sequence())
      return TypeError("can't multiply sequence by non-int of type '" +
                       TypeName(a.is_string() || a.is_sequence() ? b : a) + "'");
  }
  if (op == BinOp::kMod && a.is_string()) {
    FOUNDRY_ASSIGN_OR_RETURN(std::string s, PercentFormat(a.string_value(), b));
    if (s.size() > max_bytes) return TooLarge(max_bytes);
    return Value(std::move(s));
  }
  return Unsupported(op, a, b);
}

Result<Value> Negate(const Value& v) {
  if (v.is_undefined()) return UndefinedError(v);
  if (IsIntLike(v)) {
    if (AsInt(v) == std::numeric_limits<int64_t>::min()) return Overflow();
    return Value(-AsInt(v));
  }
  if (v.is_float()) return Value(-v.float_value());
  return TypeError("bad operand type for unary -: '" + TypeName(v) + "'");
}

Result<Value> Positive(const Value& v) {
  if (v.is_undefined()) return UndefinedError(v);
  if (IsIntLike(v)) return Value(AsInt(v));
  if (v.is_float()) return v;
  return TypeError("bad operand type for unary +: '" + TypeName(v) + "'");
}

Result<int64_t> Len(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return int64_t{0};
    case Kind::kString:
      return static_cast<int64_t>(text::Length(v.string_value()));
    case Kind::kList:
    case Kind::kTuple:
      return static_cast<int64_t>(v.items().size());
    case Kind::kDict:
      return static_cast<int64_t>(v.dict().size());
    default:
      return TypeError("object of type '" + TypeName(v) + "' has no len()");
  }
}

Result<std::vector<Value>> Iterate(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
      return std::vector<Value>{};
    case Kind::kList:
    case Kind::kTuple:
      return v.items();
    case Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(v.dict().size());
      for (const auto& e : v.dict().entries()) keys.push_back(e.first);
      return keys;
    }
    case Kind::kString: {
      std::vector<Value> chars;
      std::string one;
      for (char32_t c : text::Decode(v.string_value())) {
        one.clear();
        text::AppendUtf8(c, one);
        chars.emplace_back(one);
      }
      return chars;
    }
    default:
      return TypeError("'" + TypeName(v) + "' object is not iterable");
  }
}

Result<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj);
  auto missing = [&]() {
    std::string msg = key.is_string() ? std::string("'") + ObjectTypeRepr(obj) +
                                            "' has no attribute " + text::Repr(key.string_value())
                                      : ObjectTypeRepr(obj) + " has no element " + Repr(key);
    return Value::Undefined("UndefinedError: " + msg);
  };
  if (obj.is_dict()) {
    if (key.is_sequence() || key.is_dict())
      return TypeError("unhashable type: '" + TypeName(key) + "'");
    const Value* v = obj.dict().FindKey(key);
    return v ? *v : missing();
  }
  if (obj.is_string() || obj.is_sequence()) {
    if (!IsIntLike(key)) return missing();
    int64_t i = AsInt(key);
    if (obj.is_string()) {
      const std::string& s = obj.string_value();
      if (text::IsAscii(s)) {
        int64_t n = static_cast<int64_t>(s.size());
        if (i < 0) i += n;
        if (i < 0 || i >= n) return missing();
        return Value(std::string(1, s[static_cast<size_t>(i)]));
      }
      std::u32string cps = text::Decode(s);
      int64_t n = static_cast<int64_t>(cps.size());
      if (i < 0) i += n;
      if (i < 0 || i >= n) return missing();
      std::string one;
      text::AppendUtf8(cps[static_cast<size_t>(i)], one);
      return Value(std::move(one));
    }
    int64_t n = static_cast<int64_t>(obj.items().size());
    if (i < 0) i += n;
    if (i < 0 || i >= n) return missing();
    return obj.items()[static_cast<size_t>(i)];
  }
  return missing();
}

Result<Value> Slice(const Value& obj, const std::optional<int64_t>& start_in,
                    const std::optional<int64_t>& stop_in, const std::optional<int64_t>& step_in) {
  if (obj.is_undefined()) return UndefinedError(obj);
  int64_t step = step_in.value_or(1);
  if (step == 0) return ValueError("slice step cannot be zero");
  if (!obj.is_string() && !obj.is_sequence())
    return TypeError("'" + TypeName(obj) + "' object is not subscriptable");
  std::u32string cps;
  if (obj.is_string()) cps = text::Decode(obj.string_value());
  int64_t len =
      obj.is_string() ? static_cast<int64_t>(cps.size()) : static_cast<int64_t>(obj.items().size());
  int64_t start = 0, stop = 0;
  AdjustSlice(len, start_in, stop_in, step, &start, &stop);
  std::u32string out_cps;
  std::vector<Value> out_items;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (obj.is_string())
      out_cps.push_back(cps[static_cast<size_t>(i)]);
    else
      out_items.push_back(obj.items()[static_cast<size_t>(i)]);
  }
  if (obj.is_string()) return Value(text::Encode(out_cps));
  return obj.is_tuple() ? Value::Tuple(std::move(out_items)) : Value::List(std::move(out_items));
}

Result<std::string> PercentFormat(const std::string& fmt, const Value& args) {
  std::vector<Value> values = args.is_tuple() ? args.items() : std::vector<Value>{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) return ValueError("incomplete format");
    // Optional precision for %f: "%.2f".
    int precision = -1;
    if (fmt[i] == '.') {
      precision = 0;
      while (++i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9' && precision < 100)
        precision = precision * 10 + (fmt[i] - '0');
      if (i >= fmt.size()) return ValueError("incomplete format");
    }
    char conv = fmt[i];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= values.size()) return TypeError("not enough arguments for format string");
    const Value& v = values[next++];
    switch (conv) {
      case 's':
        out += Str(v);
        break;
      case 'r':
        out += Repr(v);
        break;
      case 'd':
      case 'i':
        if (IsIntLike(v))
          out += std::to_string(AsInt(v));
        else if (v.is_float())
          out += std::to_string(static_cast<int64_t>(v.float_value()));
        else
          return TypeError("%" + std::string(1, conv) + " format: a real number is required, not " +
                           TypeName(v));
        break;
      case 'f': {
        if (!IsNumeric(v)) return TypeError("must be real number, not " + TypeName(v));
        char buf[512];
        std::snprintf(buf, sizeof buf, "%.*f", precision < 0 ? 6 : precision, v.AsDouble());
        out += buf;
        break;
      }
      default:
        return ValueError(std::string("unsupported format character '") + conv + "'");
    }
  }
  if (next < values.size())
    return TypeError("not all arguments converted during string formatting");
  return out;
}

}  // namespace foundry::runtime::jinja::ops
