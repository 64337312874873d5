#include "runtime/chat/builtin_templates.h"

namespace foundry::runtime::chat {
namespace {

// Every fallback accepts the same input as model templates: content may be a string, null, or
// a list of OpenAI content parts (text parts are joined); assistant tool_calls are rendered as
// JSON; tool results are shown to the model in the format the family uses (or as user turns
// where it has none).

// ChatML (Qwen, Hermes, SmolLM, Yi, ...): tools listed in the system turn Qwen-style,
// calls as <tool_call>, results as <tool_response> inside a user turn.
constexpr std::string_view kChatMl = R"JINJA(
{%- macro text(content) -%}
{%- if content is string -%}{{ content }}
{%- elif content is iterable and content is not mapping -%}
{%- for part in content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{%- set loop_messages = messages -%}
{%- if tools -%}
{{- '<|im_start|>system\n' -}}
{%- if messages and messages[0].role == 'system' -%}
{{- text(messages[0].content) + '\n\n' -}}
{%- set loop_messages = messages[1:] -%}
{%- endif -%}
{{- '# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>' -}}
{%- for tool in tools -%}{{- '\n' + tool | tojson -}}{%- endfor -%}
{{- '\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' -}}
{%- endif -%}
{%- for message in loop_messages -%}
{%- if message.role == 'tool' -%}
{%- if loop.first or loop.previtem.role != 'tool' -%}{{- '<|im_start|>user' -}}{%- endif -%}
{{- '\n<tool_response>\n' + text(message.content) + '\n</tool_response>' -}}
{%- if loop.last or loop.nextitem.role != 'tool' -%}{{- '<|im_end|>\n' -}}{%- endif -%}
{%- else -%}
{{- '<|im_start|>' + message.role -}}
{%- set body = text(message.content) -%}
{%- if body or not message.tool_calls -%}{{- '\n' + body -}}{%- endif -%}
{%- for call in message.tool_calls or [] -%}
{%- set fn = call.function if call.function is defined else call -%}
{{- '\n<tool_call>\n{"name": "' + fn.name + '", "arguments": ' -}}
{{- fn.arguments if fn.arguments is string else fn.arguments | tojson -}}
{{- '}\n</tool_call>' -}}
{%- endfor -%}
{{- '<|im_end|>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\n' -}}{%- endif -%}
)JINJA";

// Llama 3 / 3.1 / 3.2 headers; tool results use the ipython role, tool calls are JSON.
constexpr std::string_view kLlama3 = R"JINJA(
{%- macro text(content) -%}
{%- if content is string -%}{{ content }}
{%- elif content is iterable and content is not mapping -%}
{%- for part in content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{{- bos_token if bos_token else '' -}}
{%- if tools -%}
{{- '<|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\n\nYou have access to the following functions. To call a function, respond with JSON of the form {"name": function name, "parameters": dictionary of argument name and its value}.\n\n' -}}
{%- for tool in tools -%}{{- tool | tojson(indent=4) + '\n\n' -}}{%- endfor -%}
{%- if messages and messages[0].role == 'system' -%}{{- text(messages[0].content) | trim -}}{%- endif -%}
{{- '<|eot_id|>' -}}
{%- endif -%}
{%- for message in messages -%}
{%- if not (tools and loop.first and message.role == 'system') -%}
{%- set role = 'ipython' if message.role == 'tool' else message.role -%}
{{- '<|start_header_id|>' + role + '<|end_header_id|>\n\n' + text(message.content) | trim -}}
{%- for call in message.tool_calls or [] -%}
{%- set fn = call.function if call.function is defined else call -%}
{{- '{"name": "' + fn.name + '", "parameters": ' -}}
{{- fn.arguments if fn.arguments is string else fn.arguments | tojson -}}
{{- '}' -}}
{%- endfor -%}
{{- '<|eot_id|>' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}{%- endif -%}
)JINJA";

// Phi-3 / Phi-3.5: <|role|> turns closed by <|end|>; tool results become user turns; the
// end-of-text token closes a conversation that needs no reply.
constexpr std::string_view kPhi3 = R"JINJA(
{%- macro text(content) -%}
{%- if content is string -%}{{ content }}
{%- elif content is iterable and content is not mapping -%}
{%- for part in content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{%- macro calls(tool_calls) -%}
{%- for call in tool_calls or [] -%}
{%- set fn = call.function if call.function is defined else call -%}
{{- '{"name": "' + fn.name + '", "arguments": ' + (fn.arguments if fn.arguments is string else fn.arguments | tojson) + '}' -}}
{%- endfor -%}
{%- endmacro -%}
{%- for message in messages -%}
{%- set body = text(message.content) + calls(message.tool_calls) -%}
{%- if message.role == 'system' -%}
{%- if body -%}{{- '<|system|>\n' + body + '<|end|>\n' -}}{%- endif -%}
{%- elif message.role == 'assistant' -%}
{{- '<|assistant|>\n' + body + '<|end|>\n' -}}
{%- else -%}
{{- '<|user|>\n' + body + '<|end|>\n' -}}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<|assistant|>\n' -}}{%- else -%}{{- eos_token if eos_token else '' -}}{%- endif -%}
)JINJA";

// Gemma: user/model turns only; system text is prepended to the first user turn and tool
// results are user turns.
constexpr std::string_view kGemma = R"JINJA(
{%- macro text(content) -%}
{%- if content is string -%}{{ content }}
{%- elif content is iterable and content is not mapping -%}
{%- for part in content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{{- bos_token if bos_token else '' -}}
{%- macro calls(tool_calls) -%}
{%- for call in tool_calls or [] -%}
{%- set fn = call.function if call.function is defined else call -%}
{{- '{"name": "' + fn.name + '", "arguments": ' + (fn.arguments if fn.arguments is string else fn.arguments | tojson) + '}' -}}
{%- endfor -%}
{%- endmacro -%}
{%- set ns = namespace(system='') -%}
{%- for message in messages -%}
{%- if message.role == 'system' -%}
{%- set ns.system = ns.system + (text(message.content) | trim) + '\n\n' -%}
{%- else -%}
{%- set body = (text(message.content) | trim) + calls(message.tool_calls) -%}
{%- if message.role == 'assistant' -%}
{{- '<start_of_turn>model\n' + body + '<end_of_turn>\n' -}}
{%- else -%}
{{- '<start_of_turn>user\n' + ns.system + body + '<end_of_turn>\n' -}}
{%- set ns.system = '' -%}
{%- endif -%}
{%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- '<start_of_turn>model\n' -}}{%- endif -%}
)JINJA";

// Mistral instruct (v0.1-v0.3 style): [INST] ... [/INST] with the system text before the first
// user message; replies end with the end-of-sequence token. There is no generation header: the
// model answers right after [/INST].
constexpr std::string_view kMistral = R"JINJA(
{%- macro text(content) -%}
{%- if content is string -%}{{ content }}
{%- elif content is iterable and content is not mapping -%}
{%- for part in content if part is mapping and part.type == 'text' -%}{{ part.text }}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{{- bos_token if bos_token else '' -}}
{%- set ns = namespace(system='') -%}
{%- for message in messages -%}
{%- if message.role == 'system' -%}
{%- set ns.system = ns.system + text(message.content) + '\n\n' -%}
{%- elif message.role == 'assistant' -%}
{{- ' ' + text(message.content) -}}
{%- if message.tool_calls -%}
{{- '[TOOL_CALLS][' -}}
{%- for call in message.tool_calls -%}
{%- set fn = call.function if call.function is defined else call -%}
{{- '{"name": "' + fn.name + '", "arguments": ' + (fn.arguments if fn.arguments is string else fn.arguments | tojson) + '}' -}}
{{- ', ' if not loop.last else ']' -}}
{%- endfor -%}
{%- endif -%}
{{- eos_token if eos_token else '' -}}
{%- elif message.role == 'tool' -%}
{{- '[TOOL_RESULTS]' + text(message.content) + '[/TOOL_RESULTS]' -}}
{%- else -%}
{{- '[INST] ' + ns.system + text(message.content) + ' [/INST]' -}}
{%- set ns.system = '' -%}
{%- endif -%}
{%- endfor -%}
)JINJA";

}  // namespace

const BuiltinTemplate kBuiltinTemplates[5] = {
    {"chatml", kChatMl}, {"llama3", kLlama3},   {"phi3", kPhi3},
    {"gemma", kGemma},   {"mistral", kMistral},
};

}  // namespace foundry::runtime::chat
