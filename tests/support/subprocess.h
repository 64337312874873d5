#pragma once
// Runs a command line through /bin/sh and captures its exit code, stdout and stderr.

#include <string>

namespace foundry::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// `command` is passed to /bin/sh -c; quote arguments with ShellQuote().
CommandResult RunCommand(const std::string& command);
std::string ShellQuote(const std::string& arg);

}  // namespace foundry::testing
