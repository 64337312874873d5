#include "runtime/chat/jinja_globals.h"

#include <cstdio>
#include <memory>

#include "runtime/chat/jinja_objects.h"
#include "runtime/chat/jinja_ops.h"

namespace foundry::runtime::jinja {
namespace {

constexpr const char* kDayNames[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
constexpr const char* kMonthNames[] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};

Result<Value> Range(const CallArgs& args) {
  if (!args.keyword.empty()) return ops::TypeError("range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3)
    return ops::TypeError("range expected 1 to 3 arguments, got " + std::to_string(p.size()));
  int64_t v[3] = {0, 0, 1};
  for (size_t i = 0; i < p.size(); ++i) {
    if (!p[i].is_int() && !p[i].is_bool())
      return ops::TypeError(std::string("'") + ops::TypeName(p[i]) +
                            "' object cannot be interpreted as an integer");
    v[i] = p[i].is_bool() ? int64_t{p[i].bool_value()} : p[i].int_value();
  }
  int64_t start = p.size() == 1 ? 0 : v[0];
  int64_t stop = p.size() == 1 ? v[0] : v[1];
  int64_t step = p.size() == 3 ? v[2] : 1;
  if (step == 0) return ops::ValueError("range() arg 3 must not be zero");
  // Count without overflow: the span fits in unsigned 64 bits.
  uint64_t count = 0;
  if (step > 0 && start < stop)
    count = (static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) - 1) /
                static_cast<uint64_t>(step) +
            1;
  if (step < 0 && start > stop)
    count = (static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) - 1) /
                (0 - static_cast<uint64_t>(step)) +
            1;
  if (count > static_cast<uint64_t>(kMaxRange))
    return Status::InvalidArgument(
        "OverflowError: Range too big. The sandbox blocks ranges larger than MAX_RANGE (" +
        std::to_string(kMaxRange) + ").");
  std::vector<Value> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i)
    out.emplace_back(
        static_cast<int64_t>(static_cast<uint64_t>(start) + i * static_cast<uint64_t>(step)));
  return Value::List(std::move(out));
}

// dict(mapping, key=value, ...) and namespace(mapping, key=value, ...) take the same arguments.
Status CollectPairs(const CallArgs& args, std::string_view fn, Dict& out) {
  if (args.positional.size() > 1)
    return ops::TypeError(std::string(fn) + " expected at most 1 argument, got " +
                          std::to_string(args.positional.size()));
  if (!args.positional.empty()) {
    const Value& src = args.positional[0];
    if (src.is_dict()) {
      for (const auto& [k, v] : src.dict().entries()) FOUNDRY_RETURN_IF_ERROR(out.Insert(k, v));
    } else if (src.is_sequence()) {
      for (const Value& pair : src.items()) {
        if (!pair.is_sequence() || pair.items().size() != 2)
          return ops::TypeError("cannot convert " + std::string(fn) +
                                " update sequence element to a pair");
        FOUNDRY_RETURN_IF_ERROR(out.Insert(pair.items()[0], pair.items()[1]));
      }
    } else {
      return ops::TypeError(std::string("'") + ops::TypeName(src) + "' object is not iterable");
    }
  }
  for (const auto& [k, v] : args.keyword) out.Set(k, v);
  return Status::Ok();
}

}  // namespace

std::string FormatTime(std::chrono::system_clock::time_point t, std::string_view format) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  auto tod = t - day;
  auto hours = duration_cast<std::chrono::hours>(tod).count();
  auto minutes = duration_cast<std::chrono::minutes>(tod).count() % 60;
  auto seconds = duration_cast<std::chrono::seconds>(tod).count() % 60;
  int yr = static_cast<int>(ymd.year());
  unsigned mon = static_cast<unsigned>(ymd.month());
  unsigned mday = static_cast<unsigned>(ymd.day());
  unsigned wday = weekday{day}.c_encoding();  // 0 = Sunday
  auto yday = (day - sys_days{year{yr} / January / 1}).count() + 1;
  int hour12 = static_cast<int>(hours % 12 == 0 ? 12 : hours % 12);

  std::string out;
  char buf[64];
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    bool no_pad = format[i + 1] == '-' && i + 2 < format.size();
    char d = format[i + (no_pad ? 2 : 1)];
    auto num = [&](long long v, int width) {
      std::snprintf(buf, sizeof buf, "%0*lld", no_pad ? 0 : width, v);
      out += buf;
    };
    switch (d) {
      case 'a':
        out += std::string(kDayNames[wday]).substr(0, 3);
        break;
      case 'A':
        out += kDayNames[wday];
        break;
      case 'b':
      case 'h':
        out += std::string(kMonthNames[mon - 1]).substr(0, 3);
        break;
      case 'B':
        out += kMonthNames[mon - 1];
        break;
      case 'c':
        std::snprintf(buf, sizeof buf, "%.3s %.3s %2u %02lld:%02lld:%02lld %d", kDayNames[wday],
                      kMonthNames[mon - 1], mday, static_cast<long long>(hours),
                      static_cast<long long>(minutes), static_cast<long long>(seconds), yr);
        out += buf;
        break;
      case 'd':
        num(mday, 2);
        break;
      case 'e':
        std::snprintf(buf, sizeof buf, no_pad ? "%u" : "%2u", mday);
        out += buf;
        break;
      case 'H':
        num(hours, 2);
        break;
      case 'I':
        num(hour12, 2);
        break;
      case 'j':
        num(yday, 3);
        break;
      case 'm':
        num(mon, 2);
        break;
      case 'M':
        num(minutes, 2);
        break;
      case 'p':
        out += hours < 12 ? "AM" : "PM";
        break;
      case 'S':
        num(seconds, 2);
        break;
      case 'u':
        num(wday == 0 ? 7 : wday, 1);
        break;
      case 'w':
        num(wday, 1);
        break;
      case 'x':
        std::snprintf(buf, sizeof buf, "%02u/%02u/%02d", mon, mday, ((yr % 100) + 100) % 100);
        out += buf;
        break;
      case 'X':
        std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(hours),
                      static_cast<long long>(minutes), static_cast<long long>(seconds));
        out += buf;
        break;
      case 'y':
        num(((yr % 100) + 100) % 100, 2);
        break;
      case 'Y':
        num(yr, 4);
        break;
      case 'Z':
      case 'z':
        break;  // a naive datetime has no zone, as in HF's datetime.now()
      case '%':
        out += '%';
        break;
      default:
        out += format.substr(i, no_pad ? 3 : 2);
        break;
    }
    i += no_pad ? 2 : 1;
  }
  return out;
}

Dict MakeGlobals(const RenderOptions& options, std::vector<std::shared_ptr<Namespace>>* created) {
  Dict g;
  g.Set("range", Value::Function("range", Range));
  g.Set("dict", Value::Function("dict", [](const CallArgs& args) -> Result<Value> {
          Dict d;
          FOUNDRY_RETURN_IF_ERROR(CollectPairs(args, "dict", d));
          return Value::FromDict(std::move(d));
        }));
  g.Set("namespace", Value::Function("namespace", [created](const CallArgs& args) -> Result<Value> {
          Dict d;
          FOUNDRY_RETURN_IF_ERROR(CollectPairs(args, "namespace", d));
          auto ns = std::make_shared<Namespace>();
          for (const auto& [k, v] : d.entries()) ns->SetAttr(ops::Str(k), v);
          created->push_back(ns);
          return Value::FromObject(std::move(ns));
        }));
  g.Set("raise_exception",
        Value::Function("raise_exception", [](const CallArgs& args) -> Result<Value> {
          std::string msg = args.positional.empty() ? "" : ops::Str(args.positional[0]);
          return Status::InvalidArgument("TemplateError: " + msg);
        }));
  auto clock = options.clock;
  g.Set(
      "strftime_now",
      Value::Function("strftime_now", [clock](const CallArgs& args) -> Result<Value> {
        if (args.positional.size() != 1 || !args.positional[0].is_string() || !args.keyword.empty())
          return ops::TypeError("strftime_now() takes one string argument");
        auto now = clock ? clock() : std::chrono::system_clock::now();
        return Value(FormatTime(now, args.positional[0].string_value()));
      }));
  return g;
}

}  // namespace foundry::runtime::jinja
