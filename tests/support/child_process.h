#pragma once
// ChildProcess: runs a program with pipes on stdin and stdout (stderr goes to a pipe read
// together with stdout), so a test can converse with an interactive command: write a line,
// wait for a text to appear, send a signal. Every wait has a deadline, so a hung child fails
// the test instead of hanging it. The destructor kills (SIGKILL) and reaps a child still running.
// Test-only. Thread-compatible.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace foundry::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with `env` ("KEY=value") added to this process's environment.
  // Returns false if it could not be started.
  bool Start(const std::vector<std::string>& argv, const std::vector<std::string>& env);
  ~ChildProcess();

  bool Write(const std::string& text);  // to its stdin
  void CloseStdin();                    // end of input (Ctrl+D)
  void Signal(int sig);

  // Reads until everything read so far (output()) contains `text` after position `from`;
  // false at end of output or after `timeout`.
  bool WaitFor(const std::string& text, size_t from = 0,
               std::chrono::milliseconds timeout = std::chrono::seconds(120));
  // Reads to end of output and reaps the child; its exit code (-1: killed by a signal or timeout).
  int Wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

  const std::string& output() const { return output_; }

 private:
  // Reads what is available within `timeout`: 1 read something, 0 end of output, -1 timeout.
  int ReadSome(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int in_fd_ = -1, out_fd_ = -1;
  std::string output_;
};

}  // namespace foundry::testing
