// Test harness: the development stack started by tools/run.sh in a temp
// directory, and changectl runs against it.
#ifndef CHANGELEDGER_TESTS_E2E_CHANGECTL_STACK_H_
#define CHANGELEDGER_TESTS_E2E_CHANGECTL_STACK_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace changeledger::e2e {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` (no shell), with `env` entries ("K=V") added to the
// environment, and captures stdout, stderr and the exit code.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& env = {});

// tools/run.sh --no-build in its own process group.
class Stack {
 public:
  // `dir`: the state directory (kept between Start calls).
  explicit Stack(std::string dir) : dir_(std::move(dir)) {}
  ~Stack();  // Stop(); kills the whole process group if needed.

  // Starts run.sh with `extra` arguments and waits (up to `timeout_s`) for
  // its ready file. Returns false (and fills *why) if it exited or timed out.
  bool Start(const std::vector<std::string>& extra, int timeout_s, std::string* why);
  // SIGTERM to run.sh; waits up to `timeout_s`; returns run.sh's exit code
  // (-1 if it had to be killed). Idempotent.
  int Stop(int timeout_s = 60);
  // Everything run.sh printed so far (stdout and stderr).
  std::string Output() const;

  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/changectl.yaml"; }

  // changectl with CHANGECTL_CONFIG pointing at this stack.
  CommandResult Ctl(const std::vector<std::string>& args,
                    const std::vector<std::string>& env = {}) const;

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

std::string ChangectlPath();
std::string RunScriptPath();
std::string BuildDir();
std::string SourceDir();

}  // namespace changeledger::e2e

#endif  // CHANGELEDGER_TESTS_E2E_CHANGECTL_STACK_H_
