#pragma once
// Fallback chat templates (Jinja source written for foundry) for GGUFs that carry none.
// Internal; reached through ChatTemplate::Builtin.

#include <string_view>

namespace foundry::runtime::chat {

struct BuiltinTemplate {
  std::string_view name;
  std::string_view source;
};

// All built-ins, in a fixed order: chatml, llama3, phi3, gemma, mistral.
extern const BuiltinTemplate kBuiltinTemplates[5];

}  // namespace foundry::runtime::chat
