#include "changeledger/devbroker/devbroker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"

namespace changeledger::devbroker {

absl::StatusOr<std::unique_ptr<DevBrokerProcess>> DevBrokerProcess::Spawn(
    const std::string& binary, const std::vector<std::string>& args,
    absl::Duration timeout) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "devbroker_XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::UnavailableError("mkdtemp failed");
  std::unique_ptr<DevBrokerProcess> proc(new DevBrokerProcess());
  proc->dir_ = tmpl;
  const std::string file = proc->dir_ + "/bootstrap";

  std::vector<std::string> argv_strings = {binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  argv_strings.push_back("--bootstrap-file");
  argv_strings.push_back(file);
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t pid = fork();
  if (pid < 0) return absl::UnavailableError("fork failed");
  if (pid == 0) {
    // Child: quiet stdout (the list goes to the file), keep stderr.
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDOUT_FILENO);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
  proc->pid_ = pid;

  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      proc->pid_ = -1;
      return absl::UnavailableError(absl::StrCat("devbroker exited early, status ", status));
    }
    std::ifstream in(file);
    std::string line;
    if (in && std::getline(in, line) && !line.empty()) {
      proc->bootstrap_servers_ = line;
      return proc;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError("devbroker wrote no bootstrap file in time");
}

int DevBrokerProcess::Terminate() {
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

DevBrokerProcess::~DevBrokerProcess() {
  Terminate();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace changeledger::devbroker
