// DevBrokerProcess: runs the devbroker binary as a child process (for
// integration tests and benchmarks) and reads its bootstrap list.
#ifndef CHANGELEDGER_DEVBROKER_DEVBROKER_PROCESS_H_
#define CHANGELEDGER_DEVBROKER_DEVBROKER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/devbroker/child_process.h"

namespace changeledger::devbroker {

class DevBrokerProcess {
 public:
  // Starts `binary` with `args` plus --bootstrap-file in a fresh temp
  // directory, and waits (up to `timeout`) for the file.
  // Errors: UNAVAILABLE (could not start, exited, or no file in time).
  static absl::StatusOr<std::unique_ptr<DevBrokerProcess>> Spawn(
      const std::string& binary, const std::vector<std::string>& args,
      absl::Duration timeout = absl::Seconds(20));

  // Stops the broker (SIGTERM, then SIGKILL after 10 s) and removes the
  // temp directory.
  ~DevBrokerProcess();

  const std::string& bootstrap_servers() const { return bootstrap_servers_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }

  // Sends SIGTERM and waits; returns the exit status as waitpid reports it
  // (use WIFEXITED/WEXITSTATUS), or -1 if it had to be killed.
  int Terminate();

 private:
  DevBrokerProcess() = default;
  std::unique_ptr<ChildProcess> child_;
  std::string dir_;
  std::string bootstrap_servers_;
};

}  // namespace changeledger::devbroker

#endif  // CHANGELEDGER_DEVBROKER_DEVBROKER_PROCESS_H_
