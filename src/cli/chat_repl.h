#pragma once
// `foundry model run <alias|id>` without --prompt: Foundry Local's interactive chat
// (reference §1.3). Makes sure the service runs (starting it like `foundry service start`),
// downloads the model through the service if it is not cached, loads it through the service,
// then reads prompts line by line and streams each answer from the service's
// /v1/chat/completions, keeping the conversation.
//
// Texts (exact):
//   Model <id> was found in the local cache.          (or: Downloading <id>... + progress)
//   🕕 Loading model...
//   Time cost to load model: 00:00:00.1234567          (--verbose only)
//   🟢 Model <name> loaded successfully
//   <blank>
//   Interactive Chat. Enter /? or /help for help.
//   Press Ctrl+C to cancel generation. Type /exit to leave the chat.
//   <blank>
//   Interactive mode, please enter your prompt
//   > <prompt>
//   🧠 Thinking...
//   🤖  <streamed answer>
// Commands: /? and /help (help), /exit (leave). Ctrl+C during an answer closes its stream (the
// service stops generating), prints "(generation cancelled)" and returns to the prompt; the
// cancelled turn is dropped from the history. Ctrl+C at the prompt shows a fresh prompt.
// Ctrl+D (end of input) leaves.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/service_commands.h"

namespace foundry::cli {

struct ChatFlags {
  std::string model;        // alias, model ID or cached BYO name
  bool verbose = false;     // print the load time
  int ttl_seconds = 0;      // 0: the service's default
  nlohmann::json sampling;  // request fields added to every chat request (max_tokens, temperature, ...)
};

// Runs the chat on stdin/stdout. Returns the process exit code.
int RunInteractiveChat(const FoundryHome& home, const ChatFlags& flags);

}  // namespace foundry::cli
