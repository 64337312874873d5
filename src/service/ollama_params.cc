#include "service/ollama_params.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <ctime>
#include <random>
#include <memory>
#include <set>

#include "foundry/runtime/grammar/json_schema.h"

namespace foundry::service {
namespace {

using nlohmann::json;

Status Bad(const std::string& field, const std::string& why) {
  return Status::InvalidArgument("'" + field + "' " + why);
}

// Go's time.ParseDuration: an optional sign, then one or more <decimal><unit> with units ns,
// us, µs, ms, s, m, h. Returns seconds, or nullopt if `s` is not such a string.
std::optional<double> ParseGoDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double sign = 1;
  if (s[0] == '-' || s[0] == '+') {
    if (s[0] == '-') sign = -1;
    s.remove_prefix(1);
  }
  if (s == "0") return 0.0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    bool digits = false, dot = false;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !dot))) {
      if (s[i] == '.') dot = true;
      else digits = true;
      ++i;
    }
    if (!digits) return std::nullopt;
    const double v = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
    s.remove_prefix(i);
    static constexpr std::pair<std::string_view, double> kUnits[] = {
        {"ns", 1e-9}, {"us", 1e-6}, {"\xC2\xB5s", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
    bool matched = false;
    for (const auto& [unit, scale] : kUnits) {
      // "m" must not take the "m" of "ms": try the two-letter units first (table order).
      if (s.starts_with(unit)) {
        total += v * scale;
        s.remove_prefix(unit.size());
        matched = true;
        break;
      }
    }
    if (!matched) return std::nullopt;
  }
  return sign * total;
}

Status Number(const json& o, const char* key, double lo, double hi, float* out) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return Bad(std::string("options.") + key, "must be a number");
  const double v = it->get<double>();
  if (!(v >= lo && v <= hi))
    return Bad(std::string("options.") + key, "must be between " + json(lo).dump() + " and " + json(hi).dump());
  *out = float(v);
  return Status::Ok();
}

// Integers may arrive as 40.0 from some clients; whole floats are accepted.
Status Integer(const json& o, const char* key, int64_t lo, int64_t hi, int64_t* out, bool* given = nullptr) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return Status::Ok();
  if (!it->is_number()) return Bad(std::string("options.") + key, "must be an integer");
  const double d = it->get<double>();
  if (!it->is_number_integer() && d != std::floor(d)) return Bad(std::string("options.") + key, "must be an integer");
  const int64_t v = it->is_number_integer() ? it->get<int64_t>() : int64_t(d);
  if (v < lo || v > hi)
    return Bad(std::string("options.") + key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  *out = v;
  if (given) *given = true;
  return Status::Ok();
}

}  // namespace

std::chrono::seconds KeepAlive::AcquireTtl() const {
  switch (kind) {
    case Kind::kDuration: return duration;
    // "Forever": ten years keeps the steady-clock arithmetic far from overflow.
    case Kind::kForever: return std::chrono::hours(24 * 365 * 10);
    default: return std::chrono::seconds(0);
  }
}

Result<KeepAlive> ParseKeepAlive(const json& value) {
  KeepAlive k;
  if (value.is_null()) return k;
  std::optional<double> seconds;
  if (value.is_number()) {
    seconds = value.get<double>();
  } else if (value.is_string()) {
    const std::string s = value.get<std::string>();
    seconds = ParseGoDuration(s);
    if (!seconds) {
      char* end = nullptr;
      const double v = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0') seconds = v;
    }
    if (!seconds)
      return Bad("keep_alive", "must be a duration such as \"5m\", \"1h30m\", \"-1\" or a number of seconds, not \"" +
                                   s + "\"");
  } else {
    return Bad("keep_alive", "must be a duration string or a number of seconds");
  }
  if (!std::isfinite(*seconds)) return Bad("keep_alive", "must be finite");
  if (*seconds < 0) {
    k.kind = KeepAlive::Kind::kForever;
  } else if (*seconds == 0) {
    k.kind = KeepAlive::Kind::kUnload;
  } else {
    k.kind = KeepAlive::Kind::kDuration;
    const double capped = std::min(*seconds, 10.0 * 365 * 24 * 3600);
    k.duration = std::chrono::seconds(std::max<int64_t>(1, int64_t(std::ceil(capped))));
  }
  return k;
}

Result<runtime::GenerateOptions> ParseOllamaOptions(const json& body) {
  runtime::GenerateOptions g;
  auto& s = g.sampling;
  s.temperature = 0.8f;
  s.top_k = 40;
  s.top_p = 0.9f;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  s.penalty_last_n = 64;
  s.seed = std::random_device{}();
  g.max_tokens = -1;
  auto it = body.find("options");
  if (it == body.end() || it->is_null()) return g;
  if (!it->is_object()) return Bad("options", "must be an object");
  const json& o = *it;
  FOUNDRY_RETURN_IF_ERROR(Number(o, "temperature", 0.0, 100.0, &s.temperature));
  FOUNDRY_RETURN_IF_ERROR(Number(o, "top_p", 0.0, 1.0, &s.top_p));
  if (s.top_p <= 0.0f) s.top_p = 1e-6f;  // 0: only the top token
  FOUNDRY_RETURN_IF_ERROR(Number(o, "min_p", 0.0, 1.0, &s.min_p));
  FOUNDRY_RETURN_IF_ERROR(Number(o, "repeat_penalty", 0.0, 100.0, &s.repeat_penalty));
  if (s.repeat_penalty <= 0.0f) s.repeat_penalty = 1.0f;  // Ollama: 0 disables it
  FOUNDRY_RETURN_IF_ERROR(Number(o, "presence_penalty", -100.0, 100.0, &s.presence_penalty));
  FOUNDRY_RETURN_IF_ERROR(Number(o, "frequency_penalty", -100.0, 100.0, &s.frequency_penalty));
  int64_t v = s.top_k;
  FOUNDRY_RETURN_IF_ERROR(Integer(o, "top_k", 0, 1 << 20, &v));
  s.top_k = int32_t(v);
  v = s.penalty_last_n;
  FOUNDRY_RETURN_IF_ERROR(Integer(o, "repeat_last_n", -1, 1 << 20, &v));
  s.penalty_last_n = int32_t(v);
  bool seeded = false;
  int64_t seed = 0;
  FOUNDRY_RETURN_IF_ERROR(Integer(o, "seed", INT64_MIN, INT64_MAX, &seed, &seeded));
  // Ollama: a negative seed means "random".
  if (seeded && seed >= 0) s.seed = uint64_t(seed);
  int64_t num_predict = -1;
  FOUNDRY_RETURN_IF_ERROR(Integer(o, "num_predict", -2, INT32_MAX, &num_predict));
  g.max_tokens = num_predict < 0 ? -1 : int32_t(num_predict);  // -1 and -2: until the context is full
  if (auto st = o.find("stop"); st != o.end() && !st->is_null()) {
    if (st->is_string()) {
      g.stop.push_back(st->get<std::string>());
    } else if (st->is_array()) {
      for (const auto& x : *st) {
        if (!x.is_string()) return Bad("options.stop", "must be a string or an array of strings");
        if (!x.get<std::string>().empty()) g.stop.push_back(x.get<std::string>());
      }
    } else {
      return Bad("options.stop", "must be a string or an array of strings");
    }
  }
  return g;
}

Result<bool> ParseStream(const json& body) {
  auto it = body.find("stream");
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_boolean()) return Bad("stream", "must be a boolean");
  return it->get<bool>();
}

Result<OutputFormat> ParseFormat(const json& body) {
  OutputFormat f;
  auto it = body.find("format");
  if (it == body.end() || it->is_null()) return f;
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (s.empty()) return f;
    if (s != "json") return Bad("format", "must be \"json\" or a JSON schema object, not \"" + s + "\"");
    f.kind = OutputFormat::Kind::kJson;
    return f;
  }
  if (!it->is_object()) return Bad("format", "must be \"json\" or a JSON schema object");
  f.kind = OutputFormat::Kind::kSchema;
  f.schema = *it;
  return f;
}

Status ApplyFormatConstraint(const OutputFormat& format, runtime::GenerateOptions* gen) {
  switch (format.kind) {
    case OutputFormat::Kind::kNone: return Status::Ok();
    case OutputFormat::Kind::kJson:
      gen->grammar = std::make_shared<const runtime::grammar::Grammar>(runtime::grammar::JsonObjectGrammar());
      return Status::Ok();
    case OutputFormat::Kind::kSchema: {
      auto g = runtime::grammar::CompileJsonSchema(format.schema);
      if (!g.ok()) return Status::InvalidArgument("'format': " + g.status().message());
      gen->grammar = std::make_shared<const runtime::grammar::Grammar>(std::move(g).value());
      return Status::Ok();
    }
  }
  return Status::Ok();
}

Status CheckThink(const json& body, std::string_view model) {
  auto it = body.find("think");
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (it->is_boolean()) {
    if (!it->get<bool>()) return Status::Ok();
  } else if (it->is_string()) {
    static const std::set<std::string> kLevels = {"low", "medium", "high", "max"};
    if (!kLevels.contains(it->get<std::string>()))
      return Bad("think", "must be a boolean or one of \"low\", \"medium\", \"high\", \"max\"");
  } else {
    return Bad("think", "must be a boolean or a level string");
  }
  std::string message = "\"";
  message += model;
  message += "\" does not support thinking";
  return Status::InvalidArgument(message);
}

Result<json> OllamaMessagesToOpenAi(const json& messages) {
  if (!messages.is_array()) return Bad("messages", "must be an array");
  json out = json::array();
  struct Open {
    std::string id, name;
    bool answered = false;
  };
  std::vector<Open> calls;  // every tool call so far, in order
  for (size_t i = 0; i < messages.size(); ++i) {
    const std::string at = "messages[" + std::to_string(i) + "]";
    const json& m = messages[i];
    if (!m.is_object()) return Bad(at, "must be an object");
    if (!m.contains("role") || !m["role"].is_string()) return Bad(at + ".role", "is required (a string)");
    if (auto im = m.find("images"); im != m.end() && !im->is_null() && !(im->is_array() && im->empty()))
      return Status::InvalidArgument("'" + at + ".images': this model does not support images");
    if (auto c = m.find("content"); c != m.end() && !c->is_null() && !c->is_string())
      return Bad(at + ".content", "must be a string");
    json o = {{"role", m["role"]}, {"content", m.value("content", json(""))}};
    if (o["content"].is_null()) o["content"] = "";
    const std::string role = m["role"];
    if (auto tc = m.find("tool_calls"); tc != m.end() && !tc->is_null()) {
      if (!tc->is_array()) return Bad(at + ".tool_calls", "must be an array");
      json list = json::array();
      for (size_t k = 0; k < tc->size(); ++k) {
        const std::string c_at = at + ".tool_calls[" + std::to_string(k) + "]";
        const json& c = (*tc)[k];
        if (!c.is_object() || !c.contains("function") || !c["function"].is_object())
          return Bad(c_at + ".function", "is required (an object)");
        const json& f = c["function"];
        if (!f.contains("name") || !f["name"].is_string()) return Bad(c_at + ".function.name", "is required (a string)");
        json args = f.value("arguments", json::object());
        if (args.is_null()) args = json::object();
        if (args.is_string()) {  // tolerate OpenAI-style string arguments
          json parsed = json::parse(args.get<std::string>(), nullptr, false);
          if (!parsed.is_discarded()) args = std::move(parsed);
        }
        std::string id = c.contains("id") && c["id"].is_string() ? c["id"].get<std::string>()
                                                                  : "call_" + std::to_string(i) + "_" + std::to_string(k);
        calls.push_back({id, f["name"].get<std::string>()});
        list.push_back({{"id", id}, {"type", "function"}, {"function", {{"name", f["name"]}, {"arguments", args}}}});
      }
      o["tool_calls"] = std::move(list);
    }
    if (role == "tool") {
      std::string name;
      if (auto tn = m.find("tool_name"); tn != m.end() && tn->is_string()) name = tn->get<std::string>();
      else if (auto n = m.find("name"); n != m.end() && n->is_string()) name = n->get<std::string>();
      std::string id;
      if (auto tid = m.find("tool_call_id"); tid != m.end() && tid->is_string()) id = tid->get<std::string>();
      for (auto& c : calls) {
        if (!id.empty()) {
          if (c.id == id) c.answered = true;
          continue;
        }
        if (c.answered || (!name.empty() && c.name != name)) continue;
        c.answered = true;
        id = c.id;
        if (name.empty()) name = c.name;
        break;
      }
      if (id.empty()) id = "call_tool_" + std::to_string(i);  // a result with no call before it
      o["tool_call_id"] = id;
      if (!name.empty()) o["name"] = name;
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  const std::time_t secs = std::time_t(ns / 1'000'000'000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ns % 1'000'000'000));
  return buf;
}

int64_t Nanos(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

std::vector<std::string> NameCandidates(std::string_view name) {
  std::vector<std::string> out = {std::string(name)};
  constexpr std::string_view kLatest = ":latest";
  if (name.ends_with(kLatest)) out.emplace_back(name.substr(0, name.size() - kLatest.size()));
  else if (name.find(':') == std::string_view::npos) out.push_back(std::string(name) + std::string(kLatest));
  return out;
}

}  // namespace foundry::service
