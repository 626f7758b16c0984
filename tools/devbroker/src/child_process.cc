#include "changeledger/devbroker/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace changeledger::devbroker {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(std::vector<std::string> argv,
                                                                  const std::string& ready_file,
                                                                  absl::Duration timeout,
                                                                  bool quiet_stdout) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to run");
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = fork();
  if (child->pid_ < 0) return absl::UnavailableError(absl::StrCat("cannot start ", argv[0]));
  if (child->pid_ == 0) {
    // Only async-signal-safe calls between fork and exec: the parent may
    // have other threads.
    if (quiet_stdout) {
      const int devnull = ::open("/dev/null", O_WRONLY);
      if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    }
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(child->pid_, &status, WNOHANG) == child->pid_) {
      child->pid_ = -1;
      return absl::UnavailableError(
          absl::StrCat(argv[0], " exited before it was ready, status ", status));
    }
    std::ifstream in(ready_file);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) {
      child->ready_line_ = line;
      return child;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError(
      absl::StrCat(argv[0], " wrote nothing to ", ready_file, " in time"));
}

int ChildProcess::Terminate() {
  if (pid_ < 0) return -1;
  ::kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (absl::Now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

}  // namespace changeledger::devbroker
