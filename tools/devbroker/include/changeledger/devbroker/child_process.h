// ChildProcess: a helper process of a test or benchmark (the dev broker,
// a server started apart from its clients). It is ready once it has
// written a line to a file it was told of; it is stopped with SIGTERM
// (SIGKILL if it has not ended 10 s later), at the latest when the
// ChildProcess is destroyed, so a caller that returns early leaves no
// process behind.
#ifndef CHANGELEDGER_DEVBROKER_CHILD_PROCESS_H_
#define CHANGELEDGER_DEVBROKER_CHILD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace changeledger::devbroker {

class ChildProcess {
 public:
  // Runs argv[0] with `argv` and waits up to `timeout` for the first line
  // of `ready_file`. `quiet_stdout` sends the child's stdout to /dev/null
  // (its stderr stays). Errors: UNAVAILABLE naming argv[0] (could not
  // start, exited first, or wrote no line in time); INVALID_ARGUMENT for
  // an empty `argv`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(std::vector<std::string> argv,
                                                             const std::string& ready_file,
                                                             absl::Duration timeout,
                                                             bool quiet_stdout = false);

  ~ChildProcess() { Terminate(); }

  pid_t pid() const { return pid_; }
  // The first line of the ready file.
  const std::string& ready_line() const { return ready_line_; }

  // Sends SIGTERM and waits; returns the exit status as waitpid reports it
  // (use WIFEXITED/WEXITSTATUS), or -1 if it had to be killed or was
  // already stopped.
  int Terminate();

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  std::string ready_line_;
};

}  // namespace changeledger::devbroker

#endif  // CHANGELEDGER_DEVBROKER_CHILD_PROCESS_H_
