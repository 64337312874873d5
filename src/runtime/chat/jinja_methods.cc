#include "runtime/chat/jinja_methods.h"

#include <algorithm>
#include <optional>

#include "runtime/chat/jinja_objects.h"
#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja::methods {
namespace {

constexpr std::string_view kStrMethods[] = {
    "strip",      "lstrip",       "rstrip",       "split",   "rsplit",  "splitlines", "startswith",
    "endswith",   "replace",      "upper",        "lower",   "title",   "capitalize", "swapcase",
    "casefold",   "find",         "rfind",        "index",   "rindex",  "count",      "join",
    "isdigit",    "isalpha",      "isalnum",      "isspace", "islower", "isupper",    "isnumeric",
    "isdecimal",  "istitle",      "zfill",        "center",  "ljust",   "rjust",      "partition",
    "rpartition", "removeprefix", "removesuffix", "format"};
constexpr std::string_view kDictMethods[] = {"items", "keys", "values", "get", "copy"};
constexpr std::string_view kDictUnsafe[] = {"pop", "popitem", "setdefault", "update", "clear"};
constexpr std::string_view kListMethods[] = {"index", "count", "copy"};
constexpr std::string_view kListUnsafe[] = {"append", "extend",  "insert", "pop",
                                            "remove", "reverse", "sort",   "clear"};

template <size_t N>
bool In(const std::string_view (&set)[N], std::string_view name) {
  return std::find(std::begin(set), std::end(set), name) != std::end(set);
}

Value Bound(const Value& self, std::string_view name) {
  return Value::FromObject(std::make_shared<BoundMethod>(self, std::string(name)));
}

Value NoAttribute(const Value& obj, std::string_view name) {
  return Value::Undefined("UndefinedError: " + text::Repr(ops::ObjectTypeRepr(obj)) +
                          " has no attribute " + text::Repr(name));
}

Status TooLarge(size_t max_bytes) {
  return Status::ResourceExhausted("string result larger than " + std::to_string(max_bytes) +
                                   " bytes");
}

// Optional `chars` argument of strip(): None or a str.
Result<std::optional<std::string>> OptionalString(const ArgBinder& a, size_t i,
                                                  std::string_view fn) {
  const Value* v = a.Get(i);
  if (!v || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) return ops::TypeError(std::string(fn) + " arg must be None or str");
  return std::optional<std::string>(v->string_value());
}

// The code-point range [start, end) of `s` that find()/count()/startswith() look at, as a
// substring plus the code-point offset of its start.
struct Window {
  std::string text;
  int64_t offset = 0;
  bool empty_range = false;  // start past end: nothing matches, not even ""
};

Result<Window> MakeWindow(const std::string& s, const ArgBinder& a, size_t start_i, size_t end_i) {
  Window w;
  if (!a.Has(start_i) && !a.Has(end_i)) {
    w.text = s;
    return w;
  }
  auto len = static_cast<int64_t>(text::Length(s));
  auto norm = [len](int64_t x) { return x < 0 ? std::max<int64_t>(0, x + len) : std::min(x, len); };
  FOUNDRY_ASSIGN_OR_RETURN(int64_t start, a.Int(start_i, 0));
  FOUNDRY_ASSIGN_OR_RETURN(int64_t end, a.Int(end_i, len));
  start = norm(start);
  end = norm(end);
  w.offset = start;
  if (start > end) {
    w.empty_range = true;
    return w;
  }
  size_t b = text::CodePointOffset(s, static_cast<size_t>(start));
  size_t e = text::CodePointOffset(s, static_cast<size_t>(end));
  w.text = s.substr(b, e - b);
  return w;
}

Result<Value> Find(const std::string& s, const ArgBinder& a, bool reverse, bool raise) {
  const Value* sub = a.Get(0);
  if (!sub->is_string()) return ops::TypeError("must be str, not " + ops::TypeName(*sub));
  FOUNDRY_ASSIGN_OR_RETURN(Window w, MakeWindow(s, a, 1, 2));
  size_t hit = w.empty_range ? std::string::npos
               : reverse     ? w.text.rfind(sub->string_value())
                             : w.text.find(sub->string_value());
  if (hit == std::string::npos) {
    if (raise) return ops::ValueError("substring not found");
    return Value(int64_t{-1});
  }
  return Value(w.offset +
               static_cast<int64_t>(text::Length(std::string_view(w.text).substr(0, hit))));
}

Result<Value> StartsOrEnds(const std::string& s, const ArgBinder& a, bool ends) {
  const Value* what = a.Get(0);
  std::vector<Value> candidates = what->is_tuple() ? what->items() : std::vector<Value>{*what};
  FOUNDRY_ASSIGN_OR_RETURN(Window w, MakeWindow(s, a, 1, 2));
  if (w.empty_range) return Value(false);
  for (const Value& c : candidates) {
    if (!c.is_string())
      return ops::TypeError(std::string(ends ? "endswith" : "startswith") +
                            " first arg must be str or a tuple of str, not " + ops::TypeName(c));
    const std::string& p = c.string_value();
    bool hit = p.size() <= w.text.size() &&
               (ends ? w.text.compare(w.text.size() - p.size(), p.size(), p) == 0
                     : w.text.compare(0, p.size(), p) == 0);
    if (hit) return Value(true);
  }
  return Value(false);
}

Value StringList(std::vector<std::string> parts) {
  std::vector<Value> out;
  out.reserve(parts.size());
  for (auto& p : parts) out.emplace_back(std::move(p));
  return Value::List(std::move(out));
}

template <class Pred>
Value AllOf(const std::string& s, Pred pred) {
  std::u32string cps = text::Decode(s);
  if (cps.empty()) return Value(false);
  return Value(std::all_of(cps.begin(), cps.end(), pred));
}

Result<Value> Pad(const std::string& s, const ArgBinder& a, std::string_view how,
                  size_t max_bytes) {
  FOUNDRY_ASSIGN_OR_RETURN(int64_t width, a.Int(0, 0));
  FOUNDRY_ASSIGN_OR_RETURN(std::string fill, a.String(1, " "));
  if (text::Length(fill) != 1)
    return ops::TypeError("The fill character must be exactly one character long");
  auto len = static_cast<int64_t>(text::Length(s));
  if (width <= len) return Value(s);
  auto total = static_cast<uint64_t>(width - len);
  if (total * fill.size() + s.size() > max_bytes) return TooLarge(max_bytes);
  uint64_t left = how == "rjust" ? total : how == "ljust" ? 0 : total / 2 + (total & width & 1);
  std::string out;
  for (uint64_t i = 0; i < left; ++i) out += fill;
  out += s;
  for (uint64_t i = left; i < total; ++i) out += fill;
  return Value(std::move(out));
}

// str.format with "{}", "{0}", "{name}", "{{" and "}}"; conversions and format specs are not
// supported (chat templates do not use them).
Result<Value> Format(const std::string& fmt, const CallArgs& args, size_t max_bytes) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}')
        ++i;
      else
        return ops::ValueError("Single '}' encountered in format string");
      out += '}';
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) return ops::ValueError("expected '}' before end of string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    if (field.find_first_of(":!.[") != std::string::npos)
      return ops::ValueError("format specs and conversions are not supported");
    const Value* v = nullptr;
    if (field.empty() ||
        std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
      size_t idx = field.empty() ? auto_index++ : std::stoul(field.substr(0, 9));
      if (idx >= args.positional.size())
        return Status::InvalidArgument("IndexError: Replacement index " + std::to_string(idx) +
                                       " out of range for positional args tuple");
      v = &args.positional[idx];
    } else {
      for (const auto& [k, val] : args.keyword)
        if (k == field) v = &val;
      if (!v) return Status::InvalidArgument("KeyError: " + text::Repr(field));
    }
    out += ops::Str(*v);
    if (out.size() > max_bytes) return TooLarge(max_bytes);
    i = close;
  }
  return Value(std::move(out));
}

Result<Value> Partition(const std::string& s, const ArgBinder& a, bool reverse) {
  FOUNDRY_ASSIGN_OR_RETURN(std::string sep, a.String(0, ""));
  if (sep.empty()) return ops::ValueError("empty separator");
  size_t hit = reverse ? s.rfind(sep) : s.find(sep);
  if (hit == std::string::npos) {
    return reverse ? Value::Tuple({Value(""), Value(""), Value(s)})
                   : Value::Tuple({Value(s), Value(""), Value("")});
  }
  return Value::Tuple({Value(s.substr(0, hit)), Value(sep), Value(s.substr(hit + sep.size()))});
}

Result<Value> CallStr(const std::string& s, std::string_view name, const CallArgs& args,
                      size_t max_bytes) {
  ArgBinder a(args, name);
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"chars"}));
    FOUNDRY_ASSIGN_OR_RETURN(auto chars, OptionalString(a, 0, name));
    return Value(text::Strip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "split" || name == "rsplit") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"sep", "maxsplit"}));
    FOUNDRY_ASSIGN_OR_RETURN(auto sep, OptionalString(a, 0, name));
    FOUNDRY_ASSIGN_OR_RETURN(int64_t maxsplit, a.Int(1, -1));
    if (sep && sep->empty()) return ops::ValueError("empty separator");
    return StringList(name == "split" ? text::Split(s, sep, maxsplit)
                                      : text::RSplit(s, sep, maxsplit));
  }
  if (name == "splitlines") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"keepends"}));
    return StringList(text::SplitLines(s, a.Bool(0, false)));
  }
  if (name == "startswith" || name == "endswith") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"prefix", "start", "end"}, 1));
    return StartsOrEnds(s, a, name == "endswith");
  }
  if (name == "replace") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"old", "new", "count"}, 2));
    if (!a.Get(0)->is_string() || !a.Get(1)->is_string())
      return ops::TypeError("replace() argument must be str");
    FOUNDRY_ASSIGN_OR_RETURN(int64_t count, a.Int(2, -1));
    std::string out;
    if (!text::Replace(s, a.Get(0)->string_value(), a.Get(1)->string_value(), count, max_bytes,
                       out))
      return TooLarge(max_bytes);
    return Value(std::move(out));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"sub", "start", "end"}, 1));
    return Find(s, a, name[0] == 'r', name.find("index") != std::string_view::npos);
  }
  if (name == "count") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"sub", "start", "end"}, 1));
    if (!a.Get(0)->is_string())
      return ops::TypeError("must be str, not " + ops::TypeName(*a.Get(0)));
    FOUNDRY_ASSIGN_OR_RETURN(Window w, MakeWindow(s, a, 1, 2));
    if (w.empty_range) return Value(int64_t{0});
    return Value(text::Count(w.text, a.Get(0)->string_value()));
  }
  if (name == "join") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"iterable"}, 1));
    FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, ops::Iterate(*a.Get(0)));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string())
        return ops::TypeError("sequence item " + std::to_string(i) + ": expected str instance, " +
                              ops::TypeName(items[i]) + " found");
      if (i) out += s;
      out += items[i].string_value();
      if (out.size() > max_bytes) return TooLarge(max_bytes);
    }
    return Value(std::move(out));
  }
  if (name == "format") return Format(s, args, max_bytes);
  if (name == "zfill") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"width"}, 1));
    FOUNDRY_ASSIGN_OR_RETURN(int64_t width, a.Int(0, 0));
    auto len = static_cast<int64_t>(text::Length(s));
    if (width <= len) return Value(s);
    if (static_cast<uint64_t>(width) > max_bytes) return TooLarge(max_bytes);
    size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    return Value(s.substr(0, sign) + std::string(static_cast<size_t>(width - len), '0') +
                 s.substr(sign));
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"width", "fillchar"}, 1));
    return Pad(s, a, name, max_bytes);
  }
  if (name == "partition" || name == "rpartition") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"sep"}, 1));
    return Partition(s, a, name == "rpartition");
  }
  if (name == "removeprefix" || name == "removesuffix") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"affix"}, 1));
    FOUNDRY_ASSIGN_OR_RETURN(std::string affix, a.String(0, ""));
    if (name == "removeprefix")
      return Value(s.compare(0, affix.size(), affix) == 0 ? s.substr(affix.size()) : s);
    bool ends =
        affix.size() <= s.size() && s.compare(s.size() - affix.size(), affix.size(), affix) == 0;
    return Value(ends ? s.substr(0, s.size() - affix.size()) : s);
  }
  // The rest take no arguments.
  FOUNDRY_RETURN_IF_ERROR(a.Bind({}));
  if (name == "upper") return Value(text::Upper(s));
  if (name == "lower" || name == "casefold") return Value(text::Lower(s));
  if (name == "title") return Value(text::PyTitle(s));
  if (name == "capitalize") return Value(text::Capitalize(s));
  if (name == "swapcase") return Value(text::SwapCase(s));
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal")
    return AllOf(s, text::IsDigit);
  if (name == "isalpha") return AllOf(s, text::IsAlpha);
  if (name == "isalnum")
    return AllOf(s, [](char32_t c) { return text::IsAlpha(c) || text::IsDigit(c); });
  if (name == "isspace") return AllOf(s, text::IsSpace);
  if (name == "islower" || name == "isupper") {
    bool want_lower = name == "islower";
    bool any_cased = false;
    for (char32_t c : text::Decode(s)) {
      if (want_lower ? text::IsUpper(c) : text::IsLower(c)) return Value(false);
      any_cased = any_cased || text::IsCased(c);
    }
    return Value(any_cased);
  }
  if (name == "istitle")
    return Value(!s.empty() && text::PyTitle(s) == s && std::any_of(s.begin(), s.end(), [](char c) {
      return c != ' ';
    }) && text::Lower(s) != s);
  return Status::InvalidArgument("AttributeError: 'str' object has no attribute '" +
                                 std::string(name) + "'");
}

Result<Value> CallDict(const Value& self, std::string_view name, const CallArgs& args) {
  ArgBinder a(args, name);
  const Dict& d = self.dict();
  if (name == "get") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"key", "default"}, 1));
    if (a.Get(0)->is_sequence() || a.Get(0)->is_dict())
      return ops::TypeError("unhashable type: '" + ops::TypeName(*a.Get(0)) + "'");
    const Value* v = d.FindKey(*a.Get(0));
    if (v) return *v;
    return a.Has(1) ? *a.Get(1) : Value::None();
  }
  FOUNDRY_RETURN_IF_ERROR(a.Bind({}));
  if (name == "copy") return self;
  std::vector<Value> out;
  out.reserve(d.size());
  for (const auto& [k, v] : d.entries()) {
    if (name == "keys")
      out.push_back(k);
    else if (name == "values")
      out.push_back(v);
    else
      out.push_back(Value::Tuple({k, v}));
  }
  return Value::List(std::move(out));
}

Result<Value> CallList(const Value& self, std::string_view name, const CallArgs& args) {
  ArgBinder a(args, name);
  if (name == "copy") {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({}));
    return self;
  }
  FOUNDRY_RETURN_IF_ERROR(a.Bind({"value"}, 1));
  const auto& items = self.items();
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!ops::Equals(items[i], *a.Get(0))) continue;
    if (name == "index") return Value(static_cast<int64_t>(i));
    ++count;
  }
  if (name == "index") return ops::ValueError(ops::Repr(*a.Get(0)) + " is not in list");
  return Value(count);
}

}  // namespace

bool IsMethod(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::kString:
      return In(kStrMethods, name);
    case Value::Kind::kDict:
      return In(kDictMethods, name) || In(kDictUnsafe, name);
    case Value::Kind::kList:
      return In(kListMethods, name) || In(kListUnsafe, name);
    case Value::Kind::kTuple:
      return In(kListMethods, name) && name != "copy";
    default:
      return false;
  }
}

Value GetAttr(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::kString:
      return In(kStrMethods, name) ? Bound(obj, name) : NoAttribute(obj, name);
    case Value::Kind::kDict: {
      if (In(kDictMethods, name)) return Bound(obj, name);
      if (In(kDictUnsafe, name))
        return Value::Undefined("SecurityError: access to attribute '" + std::string(name) +
                                "' of 'dict' object is unsafe.");
      const Value* v = obj.dict().Find(name);
      return v ? *v : NoAttribute(obj, name);
    }
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      if (In(kListMethods, name) && !(obj.is_tuple() && name == "copy")) return Bound(obj, name);
      if (obj.is_list() && In(kListUnsafe, name))
        return Value::Undefined("SecurityError: access to attribute '" + std::string(name) +
                                "' of 'list' object is unsafe.");
      return NoAttribute(obj, name);
    case Value::Kind::kObject: {
      Value out;
      if (obj.object()->GetAttr(name, &out)) return out;
      return NoAttribute(obj, name);
    }
    default:
      return NoAttribute(obj, name);
  }
}

Result<Value> Call(const Value& self, std::string_view name, const CallArgs& args,
                   size_t max_bytes) {
  switch (self.kind()) {
    case Value::Kind::kString:
      return CallStr(self.string_value(), name, args, max_bytes);
    case Value::Kind::kDict:
      return CallDict(self, name, args);
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      return CallList(self, name, args);
    case Value::Kind::kObject:
      if (auto* loop = dynamic_cast<const LoopContext*>(self.object().get());
          loop && name == "cycle")
        return loop->Cycle(args);
      break;
    default:
      break;
  }
  return Status::InvalidArgument("AttributeError: '" + ops::TypeName(self) +
                                 "' object has no attribute '" + std::string(name) + "'");
}

}  // namespace foundry::runtime::jinja::methods
