// Feeds arbitrary model output to the tool-call parser, in one piece and split at points taken
// from the input: it must never crash, and both ways must give the same content and calls (the
// parser's chunking guarantee). Run under ASan + UBSan by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "foundry/runtime/chat/tool_calls.h"

using foundry::runtime::chat::ToolCallFormat;
using foundry::runtime::chat::ToolCallParser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const ToolCallFormat format = static_cast<ToolCallFormat>(data[0] % 6);
  const size_t piece = 1 + data[1] % 7;
  const std::string_view text(reinterpret_cast<const char*>(data + 2), size - 2);
  const auto whole = foundry::runtime::chat::ParseToolCalls(text, {.format = format});
  ToolCallParser parser({.format = format});
  std::vector<foundry::runtime::chat::ToolCallEvent> events;
  for (size_t at = 0; at < text.size(); at += piece) parser.Feed(text.substr(at, piece), &events);
  parser.Finish(&events);
  if (parser.content() != whole.content || parser.calls().size() != whole.calls.size() ||
      parser.errors() != whole.errors)
    __builtin_trap();
  for (size_t i = 0; i < whole.calls.size(); ++i)
    if (parser.calls()[i].arguments != whole.calls[i].arguments ||
        parser.calls()[i].name != whole.calls[i].name)
      __builtin_trap();
  return 0;
}
