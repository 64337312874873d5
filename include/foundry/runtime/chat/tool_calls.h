#pragma once
// Tool calls in model output: which markup a model family writes (ToolCallFormat), and an
// incremental parser (ToolCallParser) that turns generated text into plain content plus
// OpenAI-style function calls while the text is still streaming. docs/tool-calling.md shows
// every format.
//
// Formats (what the model writes after the generation prompt):
//   kHermes   Hermes / Qwen 2.5 / Qwen 3 / SmolLM3:
//             <tool_call>{"name": "f", "arguments": {...}}</tool_call>, one block per call
//   kLlama3   Llama 3.1 / 3.2 / 3.3: {"name": "f", "parameters": {...}} at the start of the reply
//             or after <|python_tag|>; parallel calls separated by ';'
//   kPhi4     Phi-4-mini (and Granite 3.x, which omits the closing tag):
//             <|tool_call|>[{"name": "f", "arguments": {...}}, ...]<|/tool_call|>
//   kMistral  Mistral / Mistral Nemo: [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...]
//   kGeneric  any other template that renders tools: only the fallback below
// Every format except kNone also accepts the generic JSON fallback at the start of the reply:
// {"name": "f", "arguments"|"parameters": {...}} (';'-separated for several) or
// {"tool_calls": [{"name": ..., "arguments": ...}, ...]}. A call object may also be OpenAI
// shaped: {"type": "function", "function": {"name": ..., "arguments": ...}}.
//
// Error policy (the same whether text arrives at once or byte by byte, see ToolCallParser):
//  - A markup block whose first call has not started yet (no name and arguments seen) and that
//    turns out malformed (bad JSON, no name, a bare JSON reply that is no call) or is cut off by
//    the end of the output is given back verbatim as content.
//  - Once a call of a block has started, a syntax error or the end of output ends the open call
//    with the arguments text accepted so far and `complete = false`; the rest of the block (up
//    to its closing tag, or to the end of output for formats without one) is dropped and the
//    reason recorded in errors(). A call object without a name after a started call is dropped
//    the same way.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "foundry/runtime/chat/chat_template.h"

namespace foundry::runtime::chat {

enum class ToolCallFormat { kNone, kHermes, kLlama3, kPhi4, kMistral, kGeneric };

// "none", "hermes", "llama3", "phi4", "mistral", "generic".
std::string_view ToolCallFormatName(ToolCallFormat format);

// The format a model writes, judged from its chat template source: the markers the template
// itself prints ([TOOL_CALLS], <|tool_call|>, <tool_call>, <|python_tag|> or Llama's
// "parameters" JSON). kGeneric for a template that mentions tools in another way, kNone for a
// template that never mentions tools.
ToolCallFormat DetectToolCallFormat(std::string_view template_source);

// Phi-4-mini's template reads the tools from the system message's "tools" field (a JSON
// string) instead of the `tools` variable. For such a template (its source mentions
// message['tools'] or message.tools) this copies `input->tools` there, adding an empty system
// message if the conversation has none; otherwise it does nothing.
void AttachToolsToSystemMessage(std::string_view template_source, ChatInput* input);

// Whether the template shows tools to the model: rendering a conversation with one tool (via
// AttachToolsToSystemMessage where needed) differs from rendering it without, or only the version
// with tools renders. A template that does not parse, or raises with tools, does not.
bool TemplateRendersTools(std::string_view template_source);

// The special-token texts `format` writes (openers and closing tags), e.g. "<tool_call>",
// "</tool_call>". Generation must stream these as text (they are often control tokens).
std::vector<std::string_view> ToolCallMarkers(ToolCallFormat format);

// One function call found in the output.
struct ToolCall {
  int index = 0;          // position among the calls of this output (0, 1, ...)
  std::string id;         // from ToolCallParserOptions::make_id
  std::string name;
  std::string arguments;  // JSON text: the model's arguments value as written (or decoded, when
                          // the model wrote them as a JSON string); "{}" when it gave none
  bool complete = true;   // false: the output ended or broke inside the arguments
};

// What the parser reports while text streams in. Events are coalesced: consecutive content or
// argument text of one Feed/Finish call comes as one event.
struct ToolCallEvent {
  enum class Kind {
    kContent,    // `text`: plain text that is certainly not markup
    kCallStart,  // `index`, `id`, `text` = function name
    kArguments,  // `index`, `text` = the next piece of the arguments JSON
    kCallEnd,    // `index`: that call's arguments are final
  };
  Kind kind = Kind::kContent;
  int index = -1;
  std::string id;
  std::string text;

  bool operator==(const ToolCallEvent&) const = default;
};

struct ToolCallParserOptions {
  // kNone: no parsing, all text is content.
  ToolCallFormat format = ToolCallFormat::kNone;
  // Id of the call with this index; default "call_<index>". Called once per call.
  std::function<std::string(int index)> make_id;
};

// Splits generated text into content and tool calls, incrementally.
//
// Content is released as soon as it certainly is not markup: text that could still grow into a
// marker ("<tool_" while "<tool_call>" is possible) is held back, as is whitespace at the very
// start of the output (the bare JSON fallback only counts there). Whitespace right after a
// markup block and before the first block at the start of the output is dropped. A call starts
// (kCallStart) once its name and the beginning of its arguments have been seen; its argument
// text then streams byte for byte as the model writes it, every prefix a valid JSON prefix.
//
// Chunking never changes the result: feeding any split of a text gives the same calls(),
// content(), errors(), and the same events once adjacent content / argument events of one call
// are merged. See the header comment for the error policy.
//
// Thread-compatible. Input pieces should be whole UTF-8 characters (as Generate streams them);
// content is then cut only at character boundaries, since every marker is ASCII.
class ToolCallParser {
 public:
  explicit ToolCallParser(ToolCallParserOptions options);
  ~ToolCallParser();
  ToolCallParser(ToolCallParser&&) noexcept;
  ToolCallParser& operator=(ToolCallParser&&) noexcept;

  // Appends `text`; events it completes are appended to *out. REQUIRES: Finish not yet called.
  void Feed(std::string_view text, std::vector<ToolCallEvent>* out);
  // Ends the output: held-back text is released as content, an unfinished block handled by the
  // error policy. Idempotent.
  void Finish(std::vector<ToolCallEvent>* out);

  // Everything reported so far.
  const std::vector<ToolCall>& calls() const;  // started calls, in index order
  const std::string& content() const;          // all content text
  const std::vector<std::string>& errors() const;  // one line per dropped piece of markup

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The whole output at once: content, calls and errors as a ToolCallParser fed `text` reports.
struct ParsedToolCalls {
  std::string content;
  std::vector<ToolCall> calls;
  std::vector<std::string> errors;
};
ParsedToolCalls ParseToolCalls(std::string_view text, ToolCallParserOptions options);

}  // namespace foundry::runtime::chat
