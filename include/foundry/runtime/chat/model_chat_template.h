#pragma once
// Which chat template a model uses: its own (GGUF `tokenizer.chat_template`) or, for files
// without one, the built-in fallback for its architecture ("llama3" for llama, "phi3",
// "gemma" for gemma3, "chatml" otherwise). Also answers, from the file's metadata alone,
// whether the model can take tools (its template shows them to the model).
//
// Thread-safety: free functions over immutable inputs.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "foundry/core/status.h"
#include "foundry/engine/model.h"
#include "foundry/runtime/chat/chat_template.h"

namespace foundry::runtime::chat {

// The template source for a model with `gguf_template` (nullopt: none in the file) and
// architecture `arch` (general.architecture).
std::string ModelChatTemplateSource(std::optional<std::string_view> gguf_template,
                                    std::string_view arch);

// The model's template with its BOS/EOS texts. Errors as ChatTemplate::FromSource (a template
// the interpreter cannot parse).
Result<ChatTemplate> ModelChatTemplate(const engine::Model& model);

// Whether the GGUF file's template (or fallback) renders tools (TemplateRendersTools). Reads
// only the metadata. kNotFound / kInvalidArgument as GgufFile::Open.
Result<bool> ModelFileRendersTools(const std::filesystem::path& gguf_path);

}  // namespace foundry::runtime::chat
