#include "foundry/runtime/chat/model_chat_template.h"

#include "foundry/engine/gguf/gguf_file.h"
#include "foundry/runtime/chat/tool_calls.h"

namespace foundry::runtime::chat {

std::string ModelChatTemplateSource(std::optional<std::string_view> gguf_template,
                                    std::string_view arch) {
  if (gguf_template) return std::string(*gguf_template);
  const char* name = arch == "phi3"     ? "phi3"
                     : arch == "gemma3" ? "gemma"
                     : arch == "llama"  ? "llama3"
                                        : "chatml";
  return std::string(ChatTemplate::BuiltinSource(name));
}

Result<ChatTemplate> ModelChatTemplate(const engine::Model& model) {
  const auto& tok = model.tokenizer();
  ChatTokens tokens;
  if (tok.bos_id() >= 0) tokens.bos_token = std::string(tok.TokenText(tok.bos_id()));
  if (tok.eos_id() >= 0) tokens.eos_token = std::string(tok.TokenText(tok.eos_id()));
  return ChatTemplate::FromSource(ModelChatTemplateSource(model.chat_template(), model.arch().name),
                                  std::move(tokens));
}

Result<bool> ModelFileRendersTools(const std::filesystem::path& gguf_path) {
  FOUNDRY_ASSIGN_OR_RETURN(engine::GgufFile file, engine::GgufFile::Open(gguf_path));
  std::optional<std::string_view> tmpl;
  if (auto s = file.GetString("tokenizer.chat_template"); s.ok()) tmpl = *s;
  auto arch = file.GetString("general.architecture");
  return TemplateRendersTools(ModelChatTemplateSource(tmpl, arch.ok() ? *arch : ""));
}

}  // namespace foundry::runtime::chat
