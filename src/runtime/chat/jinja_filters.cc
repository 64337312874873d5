#include "runtime/chat/jinja_filters.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>

#include "runtime/chat/jinja_json.h"
#include "runtime/chat/jinja_methods.h"
#include "runtime/chat/jinja_objects.h"
#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_tests.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja::filters {
namespace {

struct Ctx {
  const Value& in;
  const CallArgs& args;
  ArgBinder a;
  size_t max_bytes;
};

using FilterFn = Result<Value> (*)(Ctx& c);

Status TooLarge(size_t max_bytes) {
  return Status::ResourceExhausted("filter result larger than " + std::to_string(max_bytes) +
                                   " bytes");
}

// jinja's ignore_case: strings compare lower-cased unless case_sensitive.
Value SortKey(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value(text::Lower(v.string_value()));
  return v;
}

// Stable sort by a fallible comparison; the first comparison error is returned.
Status SortValues(std::vector<Value>& keys, std::vector<Value>& items, bool reverse) {
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Status error;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
    if (!error.ok()) return false;
    auto lt =
        ops::Compare(ops::CmpOp::kLt, reverse ? keys[y] : keys[x], reverse ? keys[x] : keys[y]);
    if (!lt.ok()) {
      error = lt.status();
      return false;
    }
    return *lt;
  });
  FOUNDRY_RETURN_IF_ERROR(error);
  std::vector<Value> sorted;
  sorted.reserve(items.size());
  for (size_t i : order) sorted.push_back(items[i]);
  items = std::move(sorted);
  return Status::Ok();
}

Result<std::string> JoinStrings(const std::vector<Value>& items, const std::string& sep,
                                size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += ops::Str(items[i]);
    if (out.size() > max_bytes) return TooLarge(max_bytes);
  }
  return out;
}

Result<Value> Abs(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  if (c.in.is_int()) {
    if (c.in.int_value() == INT64_MIN) return ops::Negate(c.in);
    return Value(c.in.int_value() < 0 ? -c.in.int_value() : c.in.int_value());
  }
  if (c.in.is_bool()) return Value(int64_t{c.in.bool_value()});
  if (c.in.is_float()) return Value(std::fabs(c.in.float_value()));
  return ops::TypeError("bad operand type for abs(): '" + ops::TypeName(c.in) + "'");
}

Result<Value> Attr(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"name"}, 1));
  FOUNDRY_ASSIGN_OR_RETURN(std::string name, c.a.String(0, ""));
  if (c.in.is_undefined()) return ops::UndefinedError(c.in);
  // Python getattr() only: unlike `x.name`, a dict's keys are not attributes here.
  if (c.in.is_dict() && !methods::IsMethod(c.in, name))
    return Value::Undefined("UndefinedError: 'dict object' has no attribute " + text::Repr(name));
  return methods::GetAttr(c.in, name);
}

Result<Value> BatchOrSlice(Ctx& c, bool is_batch) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({is_batch ? "linecount" : "slices", "fill_with"}, 1));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t n, c.a.Int(0, 1));
  if (n <= 0) return ops::ValueError("batch size and slice count must be positive");
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  const Value* fill = c.a.Get(1);
  std::vector<Value> out;
  if (is_batch) {
    for (size_t i = 0; i < items.size(); i += static_cast<size_t>(n)) {
      std::vector<Value> row(items.begin() + static_cast<ptrdiff_t>(i),
                             items.begin() + static_cast<ptrdiff_t>(std::min(
                                                 items.size(), i + static_cast<size_t>(n))));
      if (fill && !fill->is_none())
        while (row.size() < static_cast<size_t>(n)) row.push_back(*fill);
      out.push_back(Value::List(std::move(row)));
    }
    return Value::List(std::move(out));
  }
  // jinja's do_slice: the first `extra` slices get one more item.
  size_t slices = static_cast<size_t>(std::min<int64_t>(n, 1 << 20));
  size_t per = items.size() / slices, extra = items.size() % slices;
  for (size_t k = 0; k < slices; ++k) {
    size_t start = k * per + std::min(k, extra);
    size_t end = start + per + (k < extra ? 1 : 0);
    std::vector<Value> row(items.begin() + static_cast<ptrdiff_t>(start),
                           items.begin() + static_cast<ptrdiff_t>(end));
    if (fill && !fill->is_none() && k >= extra) row.push_back(*fill);
    out.push_back(Value::List(std::move(row)));
  }
  return Value::List(std::move(out));
}

Result<Value> StrFilter(Ctx& c, std::string (*fn)(std::string_view)) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  return Value(fn(ops::Str(c.in)));
}

Result<Value> Center(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"width"}));
  CallArgs args;
  args.positional.push_back(c.a.Has(0) ? *c.a.Get(0) : Value(80));
  return methods::Call(Value(ops::Str(c.in)), "center", args, c.max_bytes);
}

Result<Value> Length(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t n, ops::Len(c.in));
  return Value(n);
}

Result<Value> Default(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"default_value", "boolean"}));
  bool use_default = c.in.is_undefined() || (c.a.Bool(1, false) && !c.in.Truthy());
  if (!use_default) return c.in;
  return c.a.Has(0) ? *c.a.Get(0) : Value("");
}

Result<Value> DictSort(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"case_sensitive", "by", "reverse"}));
  if (c.in.is_undefined()) return ops::UndefinedError(c.in);
  if (!c.in.is_dict()) return ops::TypeError("dictsort filter needs a mapping");
  FOUNDRY_ASSIGN_OR_RETURN(std::string by, c.a.String(1, "key"));
  if (by != "key" && by != "value")
    return Status::InvalidArgument(
        "FilterArgumentError: You can only sort by either \"key\" or \"value\"");
  bool cs = c.a.Bool(0, false);
  std::vector<Value> items, keys;
  for (const auto& [k, v] : c.in.dict().entries()) {
    items.push_back(Value::Tuple({k, v}));
    keys.push_back(SortKey(by == "key" ? k : v, cs));
  }
  FOUNDRY_RETURN_IF_ERROR(SortValues(keys, items, c.a.Bool(2, false)));
  return Value::List(std::move(items));
}

Result<Value> Escape(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  std::string out;
  for (char ch : ops::Str(c.in)) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  if (out.size() > c.max_bytes) return TooLarge(c.max_bytes);
  return Value(std::move(out));
}

Result<Value> FirstOrLast(Ctx& c, bool first) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  if (items.empty())
    return Value::Undefined(std::string("UndefinedError: No ") + (first ? "first" : "last") +
                            " item, sequence was empty.");
  return first ? items.front() : items.back();
}

// Python float(str) for the int/float filters: decimal text with optional sign and exponent,
// plus inf/nan spellings; nullopt if it is not a number.
std::optional<double> ParseFloat(const std::string& s) {
  std::string t = text::Strip(s, std::nullopt, true, true);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size()) return std::nullopt;
  // strtod accepts hex floats, which Python's float() does not.
  if (t.find_first_of("xX") != std::string::npos) return std::nullopt;
  return d;
}

std::optional<int64_t> ParseInt(const std::string& s, int64_t base) {
  std::string t = text::Strip(s, std::nullopt, true, true);
  t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
  if (t.empty()) return std::nullopt;
  bool neg = t[0] == '-';
  if (t[0] == '-' || t[0] == '+') t.erase(0, 1);
  auto strip_prefix = [&](std::string_view p, int64_t b) {
    if (t.size() > 2 && (t.compare(0, 2, p) == 0 || t.compare(0, 2, text::Upper(p)) == 0) &&
        (base == 0 || base == b)) {
      t.erase(0, 2);
      base = b;
    }
  };
  strip_prefix("0x", 16);
  strip_prefix("0o", 8);
  strip_prefix("0b", 2);
  if (base == 0) base = 10;
  if (base < 2 || base > 36 || t.empty()) return std::nullopt;
  int64_t v = 0;
  for (char ch : t) {
    int d = ch >= '0' && ch <= '9'   ? ch - '0'
            : ch >= 'a' && ch <= 'z' ? ch - 'a' + 10
            : ch >= 'A' && ch <= 'Z' ? ch - 'A' + 10
                                     : 99;
    if (d >= base) return std::nullopt;
    if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
      return std::nullopt;
  }
  return neg ? -v : v;
}

Result<Value> Int(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"default", "base"}));
  Value dflt = c.a.Has(0) ? *c.a.Get(0) : Value(0);
  FOUNDRY_ASSIGN_OR_RETURN(int64_t base, c.a.Int(1, 10));
  const Value& v = c.in;
  if (v.is_int()) return v;
  if (v.is_bool()) return Value(int64_t{v.bool_value()});
  if (v.is_float()) {
    double f = v.float_value();
    if (!std::isfinite(f) || std::fabs(f) >= 9.2e18) return dflt;
    return Value(static_cast<int64_t>(f));
  }
  if (v.is_string()) {
    if (auto i = ParseInt(v.string_value(), base)) return Value(*i);
    if (auto f = ParseFloat(v.string_value()); f && std::isfinite(*f) && std::fabs(*f) < 9.2e18)
      return Value(static_cast<int64_t>(*f));
  }
  return dflt;
}

Result<Value> Float(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"default"}));
  Value dflt = c.a.Has(0) ? *c.a.Get(0) : Value(0.0);
  if (c.in.is_number() || c.in.is_bool()) return Value(c.in.AsDouble());
  if (c.in.is_string())
    if (auto f = ParseFloat(c.in.string_value())) return Value(*f);
  return dflt;
}

Result<Value> Format(Ctx& c) {
  if (!c.args.keyword.empty() && !c.args.positional.empty())
    return Status::InvalidArgument(
        "FilterArgumentError: can't handle positional and keyword arguments at the same time");
  Value args = Value::Tuple(c.args.positional);
  FOUNDRY_ASSIGN_OR_RETURN(std::string s, ops::PercentFormat(ops::Str(c.in), args));
  return Value(std::move(s));
}

Result<Value> Indent(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"width", "first", "blank"}));
  std::string indention;
  const Value* w = c.a.Get(0);
  if (w && w->is_string()) {
    indention = w->string_value();
  } else {
    FOUNDRY_ASSIGN_OR_RETURN(int64_t width, c.a.Int(0, 4));
    indention.assign(static_cast<size_t>(std::clamp<int64_t>(width, 0, 1 << 16)), ' ');
  }
  std::vector<std::string> lines = text::SplitLines(ops::Str(c.in) + "\n", false);
  std::string rv;
  if (c.a.Bool(2, false)) {
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i) rv += "\n" + indention;
      rv += lines[i];
      if (rv.size() > c.max_bytes) return TooLarge(c.max_bytes);
    }
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      rv += "\n";
      if (!lines[i].empty()) rv += indention;
      rv += lines[i];
      if (rv.size() > c.max_bytes) return TooLarge(c.max_bytes);
    }
  }
  if (c.a.Bool(1, false)) rv = indention + rv;
  return Value(std::move(rv));
}

Result<Value> Items(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  if (c.in.is_undefined()) return Value::List({});
  if (!c.in.is_dict()) return ops::TypeError("Can only get item pairs from a mapping.");
  return methods::Call(c.in, "items", {}, c.max_bytes);
}

Result<Value> Join(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"d", "attribute"}));
  FOUNDRY_ASSIGN_OR_RETURN(std::string sep, c.a.String(0, ""));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  if (const Value* attr = c.a.Get(1); attr && !attr->is_none())
    for (Value& v : items) v = GetPath(v, ops::Str(*attr));
  FOUNDRY_ASSIGN_OR_RETURN(std::string out, JoinStrings(items, sep, c.max_bytes));
  return Value(std::move(out));
}

Result<Value> List(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  return Value::List(std::move(items));
}

Result<Value> Map(Ctx& c) {
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  std::vector<Value> out;
  out.reserve(items.size());
  if (c.args.positional.empty()) {
    FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"attribute", "default"}));
    FOUNDRY_ASSIGN_OR_RETURN(std::string attr, c.a.String(0, ""));
    for (const Value& v : items) {
      Value got = GetPath(v, attr);
      if (got.is_undefined() && c.a.Has(1)) got = *c.a.Get(1);
      out.push_back(std::move(got));
    }
    return Value::List(std::move(out));
  }
  if (!c.args.positional[0].is_string()) return ops::TypeError("map filter name must be a string");
  CallArgs rest;
  rest.positional.assign(c.args.positional.begin() + 1, c.args.positional.end());
  rest.keyword = c.args.keyword;
  for (const Value& v : items) {
    FOUNDRY_ASSIGN_OR_RETURN(Value r,
                             Apply(c.args.positional[0].string_value(), v, rest, c.max_bytes));
    out.push_back(std::move(r));
  }
  return Value::List(std::move(out));
}

Result<Value> MinMax(Ctx& c, bool is_max) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"case_sensitive", "attribute"}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  if (items.empty())
    return Value::Undefined(std::string("UndefinedError: No aggregated item, sequence was empty."));
  FOUNDRY_ASSIGN_OR_RETURN(std::string attr, c.a.String(1, ""));
  bool cs = c.a.Bool(0, false);
  size_t best = 0;
  auto key = [&](size_t i) {
    return SortKey(attr.empty() ? items[i] : GetPath(items[i], attr), cs);
  };
  for (size_t i = 1; i < items.size(); ++i) {
    FOUNDRY_ASSIGN_OR_RETURN(
        bool better, ops::Compare(is_max ? ops::CmpOp::kGt : ops::CmpOp::kLt, key(i), key(best)));
    if (better) best = i;
  }
  return items[best];
}

Result<Value> Replace(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"old", "new", "count"}, 2));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t count, c.a.Int(2, -1));
  std::string out;
  if (!text::Replace(ops::Str(c.in), ops::Str(*c.a.Get(0)), ops::Str(*c.a.Get(1)), count,
                     c.max_bytes, out))
    return TooLarge(c.max_bytes);
  return Value(std::move(out));
}

Result<Value> Reverse(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  if (c.in.is_string()) {
    std::u32string cps = text::Decode(c.in.string_value());
    std::reverse(cps.begin(), cps.end());
    return Value(text::Encode(cps));
  }
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

Result<Value> Round(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"precision", "method"}));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t precision, c.a.Int(0, 0));
  FOUNDRY_ASSIGN_OR_RETURN(std::string method, c.a.String(1, "common"));
  if (method != "common" && method != "ceil" && method != "floor")
    return Status::InvalidArgument("FilterArgumentError: method must be common, ceil or floor");
  if (c.in.is_undefined()) return ops::UndefinedError(c.in);
  if (!c.in.is_number() && !c.in.is_bool())
    return ops::TypeError("type " + ops::TypeName(c.in) + " doesn't define __round__ method");
  if (method == "common" && !c.in.is_float() && precision >= 0)
    return Value(int64_t{c.in.is_bool() ? c.in.bool_value() : c.in.int_value()});
  double scale = std::pow(10.0, static_cast<double>(std::clamp<int64_t>(precision, -308, 308)));
  double x = c.in.AsDouble() * scale;
  // Python's round() rounds half to even; ceil/floor are math.ceil / math.floor.
  double r = method == "ceil"    ? std::ceil(x)
             : method == "floor" ? std::floor(x)
                                 : std::nearbyint(x);
  return Value(r / scale);
}

Result<Value> SelectReject(Ctx& c, bool select, bool by_attr) {
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  const auto& pos = c.args.positional;
  size_t next = 0;
  std::string attr;
  if (by_attr) {
    if (pos.empty() || !pos[0].is_string())
      return ops::TypeError("selectattr/rejectattr need an attribute name");
    attr = pos[0].string_value();
    next = 1;
  }
  std::string test;
  if (next < pos.size()) {
    if (!pos[next].is_string()) return ops::TypeError("test name must be a string");
    test = pos[next].string_value();
    ++next;
  }
  CallArgs test_args;
  test_args.positional.assign(pos.begin() + static_cast<ptrdiff_t>(std::min(next, pos.size())),
                              pos.end());
  test_args.keyword = c.args.keyword;
  std::vector<Value> out;
  for (const Value& item : items) {
    Value probe = by_attr ? GetPath(item, attr) : item;
    bool ok = false;
    if (test.empty()) {
      ok = probe.Truthy();
    } else {
      FOUNDRY_ASSIGN_OR_RETURN(ok, tests::Apply(test, probe, test_args));
    }
    if (ok == select) out.push_back(item);
  }
  return Value::List(std::move(out));
}

Result<Value> Sort(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"reverse", "case_sensitive", "attribute"}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  FOUNDRY_ASSIGN_OR_RETURN(std::string attr, c.a.String(2, ""));
  bool cs = c.a.Bool(1, false);
  std::vector<Value> keys;
  for (const Value& v : items) keys.push_back(SortKey(attr.empty() ? v : GetPath(v, attr), cs));
  FOUNDRY_RETURN_IF_ERROR(SortValues(keys, items, c.a.Bool(0, false)));
  return Value::List(std::move(items));
}

Result<Value> String(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  return Value(ops::Str(c.in));
}

Result<Value> Sum(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"attribute", "start"}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  FOUNDRY_ASSIGN_OR_RETURN(std::string attr, c.a.String(0, ""));
  Value total = c.a.Has(1) ? *c.a.Get(1) : Value(0);
  for (const Value& v : items) {
    FOUNDRY_ASSIGN_OR_RETURN(total, ops::Binary(ops::BinOp::kAdd, total,
                                                attr.empty() ? v : GetPath(v, attr), c.max_bytes));
  }
  return total;
}

Result<Value> ToJson(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonDumpOptions o;
  o.ensure_ascii = c.a.Bool(0, false);
  o.sort_keys = c.a.Bool(3, false);
  if (const Value* indent = c.a.Get(1); indent && !indent->is_none()) {
    if (indent->is_string()) {
      o.indent = indent->string_value();
    } else {
      FOUNDRY_ASSIGN_OR_RETURN(int64_t n, c.a.Int(1, 0));
      o.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(n, 0, 1 << 10)), ' ');
    }
    o.item_separator = ",";
  }
  if (const Value* seps = c.a.Get(2); seps && !seps->is_none()) {
    if (!seps->is_sequence() || seps->items().size() != 2 || !seps->items()[0].is_string() ||
        !seps->items()[1].is_string())
      return ops::ValueError("separators must be a (item_separator, key_separator) pair");
    o.item_separator = seps->items()[0].string_value();
    o.key_separator = seps->items()[1].string_value();
  }
  FOUNDRY_ASSIGN_OR_RETURN(std::string s, DumpJson(c.in, o, c.max_bytes));
  return Value(std::move(s));
}

Result<Value> Trim(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"chars"}));
  std::optional<std::string> chars;
  if (const Value* v = c.a.Get(0); v && !v->is_none()) chars = ops::Str(*v);
  return Value(text::Strip(ops::Str(c.in), chars, true, true));
}

Result<Value> Truncate(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"length", "killwords", "end", "leeway"}));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t length, c.a.Int(0, 255));
  FOUNDRY_ASSIGN_OR_RETURN(std::string end, c.a.String(2, "..."));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t leeway, c.a.Int(3, 5));
  std::u32string s = text::Decode(ops::Str(c.in));
  auto end_len = static_cast<int64_t>(text::Length(end));
  if (length < end_len) return ops::ValueError("expected length >= len(end)");
  if (static_cast<int64_t>(s.size()) <= length + leeway) return Value(text::Encode(s));
  std::u32string cut = s.substr(0, static_cast<size_t>(length - end_len));
  if (!c.a.Bool(1, false)) {
    size_t sp = cut.rfind(U' ');
    if (sp != std::u32string::npos) cut = cut.substr(0, sp);
  }
  return Value(text::Encode(cut) + end);
}

Result<Value> Unique(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({"case_sensitive", "attribute"}));
  FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(c.in));
  FOUNDRY_ASSIGN_OR_RETURN(std::string attr, c.a.String(1, ""));
  bool cs = c.a.Bool(0, false);
  std::vector<Value> out, seen;
  for (const Value& v : items) {
    Value key = SortKey(attr.empty() ? v : GetPath(v, attr), cs);
    bool dup =
        std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return ops::Equals(s, key); });
    if (dup) continue;
    seen.push_back(std::move(key));
    out.push_back(v);
  }
  return Value::List(std::move(out));
}

Result<Value> WordCount(Ctx& c) {
  FOUNDRY_RETURN_IF_ERROR(c.a.Bind({}));
  int64_t n = 0;
  bool in_word = false;
  for (char32_t ch : text::Decode(ops::Str(c.in))) {
    bool word = text::IsAlpha(ch) || text::IsDigit(ch) || ch == U'_';
    if (word && !in_word) ++n;
    in_word = word;
  }
  return Value(n);
}

struct FilterEntry {
  std::string_view name;
  FilterFn fn;
};

// Sorted by name for the lookup below.
constexpr FilterEntry kFilters[] = {
    {"abs", Abs},
    {"attr", Attr},
    {"batch", [](Ctx& c) { return BatchOrSlice(c, true); }},
    {"capitalize", [](Ctx& c) { return StrFilter(c, text::Capitalize); }},
    {"center", Center},
    {"count", Length},
    {"d", Default},
    {"default", Default},
    {"dictsort", DictSort},
    {"e", Escape},
    {"escape", Escape},
    {"first", [](Ctx& c) { return FirstOrLast(c, true); }},
    {"float", Float},
    {"format", Format},
    {"indent", Indent},
    {"int", Int},
    {"items", Items},
    {"join", Join},
    {"last", [](Ctx& c) { return FirstOrLast(c, false); }},
    {"length", Length},
    {"list", List},
    {"lower", [](Ctx& c) { return StrFilter(c, text::Lower); }},
    {"map", Map},
    {"max", [](Ctx& c) { return MinMax(c, true); }},
    {"min", [](Ctx& c) { return MinMax(c, false); }},
    {"reject", [](Ctx& c) { return SelectReject(c, false, false); }},
    {"rejectattr", [](Ctx& c) { return SelectReject(c, false, true); }},
    {"replace", Replace},
    {"reverse", Reverse},
    {"round", Round},
    {"safe", String},
    {"select", [](Ctx& c) { return SelectReject(c, true, false); }},
    {"selectattr", [](Ctx& c) { return SelectReject(c, true, true); }},
    {"slice", [](Ctx& c) { return BatchOrSlice(c, false); }},
    {"sort", Sort},
    {"string", String},
    {"sum", Sum},
    {"title", [](Ctx& c) { return StrFilter(c, text::JinjaTitle); }},
    {"tojson", ToJson},
    {"trim", Trim},
    {"truncate", Truncate},
    {"unique", Unique},
    {"upper", [](Ctx& c) { return StrFilter(c, text::Upper); }},
    {"wordcount", WordCount},
};

static_assert(std::is_sorted(std::begin(kFilters), std::end(kFilters),
                             [](const FilterEntry& a, const FilterEntry& b) {
                               return a.name < b.name;
                             }),
              "kFilters must stay sorted by name");

const FilterEntry* Find(std::string_view name) {
  auto it = std::lower_bound(std::begin(kFilters), std::end(kFilters), name,
                             [](const FilterEntry& e, std::string_view n) { return e.name < n; });
  return it != std::end(kFilters) && it->name == name ? it : nullptr;
}

}  // namespace

bool Exists(std::string_view name) { return Find(name) != nullptr; }

Result<Value> Apply(std::string_view name, const Value& input, const CallArgs& args,
                    size_t max_bytes) {
  const FilterEntry* f = Find(name);
  if (!f)
    return Status::InvalidArgument("TemplateAssertionError: No filter named " + text::Repr(name) +
                                   ".");
  Ctx c{input, args, ArgBinder(args, name), max_bytes};
  return f->fn(c);
}

Value GetPath(const Value& item, std::string_view path) {
  Value cur = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part(
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    bool numeric = !part.empty() && std::all_of(part.begin(), part.end(),
                                                [](char ch) { return ch >= '0' && ch <= '9'; });
    if (cur.is_undefined()) return cur;
    Value key =
        numeric && part.size() < 18 ? Value(static_cast<int64_t>(std::stoll(part))) : Value(part);
    auto got = ops::GetItem(cur, key);
    Value next = got.ok() ? *got : Value::Undefined("");
    if (next.is_undefined() && !numeric) next = methods::GetAttr(cur, part);
    cur = std::move(next);
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

}  // namespace foundry::runtime::jinja::filters
