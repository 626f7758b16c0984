// A benchmark's helper process: started from an argument list, ready once
// it has written a line to a file it was told of, stopped with SIGTERM
// (SIGKILL if it has not ended 10 s later). The destructor stops it, so a
// benchmark that returns early leaves no process behind.
#ifndef CHANGELEDGER_BENCH_CHILD_PROCESS_H_
#define CHANGELEDGER_BENCH_CHILD_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace changeledger::bench {

class ChildProcess {
 public:
  // Runs argv[0] with `argv` and waits up to `timeout` for the first line
  // of `ready_file`, which the child writes once it serves. UNAVAILABLE if
  // it cannot start, exits first or stays silent.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(std::vector<std::string> argv,
                                                             const std::string& ready_file,
                                                             absl::Duration timeout) {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    std::unique_ptr<ChildProcess> child(new ChildProcess());
    child->pid_ = fork();
    if (child->pid_ < 0) return absl::UnavailableError("fork failed");
    if (child->pid_ == 0) {
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
    return absl::UnavailableError(absl::StrCat(argv[0], " was not ready in time"));
  }

  ~ChildProcess() { Terminate(); }

  pid_t pid() const { return pid_; }
  // What the child wrote to its ready file.
  const std::string& ready_line() const { return ready_line_; }

  // Stops the child; its wait status, or -1 if it had to be killed.
  int Terminate() {
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

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  std::string ready_line_;
};

}  // namespace changeledger::bench

#endif  // CHANGELEDGER_BENCH_CHILD_PROCESS_H_
