#pragma once
// jinja::Template: a Jinja2 interpreter for chat templates.
//
// Renders the way Hugging Face transformers' apply_chat_template does (Python jinja2 3.1,
// ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and the loopcontrols extension):
// the same output bytes, and an error wherever Python raises one. The supported subset:
//   statements   if/elif/else, for (else, `if` filter, tuple targets, loop.*), set (also block
//                set with filters, tuple unpacking, namespace attributes), macro (defaults,
//                keyword args, caller), call blocks, filter blocks, with, raw, break, continue,
//                comments, whitespace control (`-`, `+`, trim_blocks, lstrip_blocks)
//   expressions  literals, lists, tuples, dicts, arithmetic (+ - * / // % **), ~, comparisons
//                (chained), and/or/not, in/not in, is/is not tests, a if b else c, attributes,
//                subscripts and slices, calls with keyword arguments
//   library      Jinja's common filters and tests, Python str/dict/list methods, and the globals
//                namespace, range, dict, raise_exception, strftime_now
//
// Errors are returned, never thrown, and carry the template position:
//   "line 3, column 12: TypeError: can only concatenate str (not \"NoneType\") to str"
// The part after the position mirrors the Python exception (`<Type>: <message>`); a template's
// raise_exception("msg") gives "line L, column C: TemplateError: msg".
//
// Hostile templates are bounded: source size and nesting depth at parse time; output size,
// string/list sizes, loop iterations + macro calls, and call depth at render time.
//
// Thread-safety: a Template is immutable after Parse; Render is const and may run concurrently
// from any number of threads. Copying a Template is cheap (the parsed program is shared).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja_value.h"

namespace foundry::runtime::jinja {

struct Program;  // parsed template (internal)

struct RenderOptions {
  // The clock strftime_now(format) reads; its result is formatted as UTC. Empty: the system
  // clock. Tests pass a frozen clock.
  std::function<std::chrono::system_clock::time_point()> clock;
  // Largest rendered output, and largest single string or list built while rendering (a macro's
  // output, a concatenation, a repetition). Past it: kResourceExhausted.
  size_t max_output_bytes = size_t{16} << 20;
  // Loop iterations plus macro calls per render (a loop over a million-element list, or a
  // macro that calls itself twice per level, would run for ages). Past it: kResourceExhausted.
  uint64_t max_steps = uint64_t{1} << 20;
  // Nested macro calls (Python's own recursion limit stops jinja2 at a similar depth); past it:
  // kResourceExhausted. Independently of it, a fixed cap on evaluation nesting keeps a render
  // within about 0.5 MiB of native stack (4 MiB under ASan), whatever the template does.
  int max_call_depth = 100;
};

class Template {
 public:
  // Largest accepted source (real chat templates are under 64 KiB) and deepest nesting of
  // statements or expressions; both keep the recursive-descent parser's stack bounded.
  static constexpr size_t kMaxSourceBytes = size_t{1} << 20;
  static constexpr int kMaxNestingDepth = 128;

  // Lexes and parses `source` (which need not outlive the Template). As jinja2 does, "\r\n" and
  // "\r" become "\n" and one trailing newline is dropped.
  // kInvalidArgument: a syntax error ("line 4, column 9: TemplateSyntaxError: ..."), an unknown
  // tag, or a source over kMaxSourceBytes / nested deeper than kMaxNestingDepth.
  static Result<Template> Parse(std::string_view source);

  // Renders with the variables of `context` (a dict; anything else is kInvalidArgument) on top of
  // the globals namespace, range, dict, raise_exception and strftime_now.
  // kInvalidArgument: the template raised (raise_exception, TypeError, UndefinedError, ...);
  // kResourceExhausted: a limit of `options` was reached. The message carries line and column.
  Result<std::string> Render(const Value& context, const RenderOptions& options = {}) const;

 private:
  explicit Template(std::shared_ptr<const Program> program) : program_(std::move(program)) {}
  std::shared_ptr<const Program> program_;
};

}  // namespace foundry::runtime::jinja
