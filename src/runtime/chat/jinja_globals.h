#pragma once
// The global functions every render sees: range, dict, namespace, raise_exception and
// strftime_now (Hugging Face's extras). Internal to the jinja interpreter.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/runtime/chat/jinja.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja {

// range's cap, as jinja2's sandbox (MAX_RANGE).
inline constexpr int64_t kMaxRange = 100000;

class Namespace;

// The globals for one render; strftime_now reads options.clock (the system clock if empty).
// namespace() appends each namespace it makes to *created (which must outlive the globals) so
// the render can break reference cycles through them when it ends.
Dict MakeGlobals(const RenderOptions& options, std::vector<std::shared_ptr<Namespace>>* created);

// Python's datetime.strftime for `t` in UTC (C locale): %a %A %b %B %c %d %e %H %I %j %m %M %p
// %S %u %w %x %X %y %Y %Z %z %%, and glibc's %-d style unpadded forms. Unknown directives are
// copied as written.
std::string FormatTime(std::chrono::system_clock::time_point t, std::string_view format);

}  // namespace foundry::runtime::jinja
