#include "stack.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace changeledger::e2e {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& x : extra) {
      if (entry.substr(0, entry.find('=') + 1) == x.substr(0, x.find('=') + 1)) overridden = true;
    }
    // The tests choose the stack; a token from the caller's shell must not leak in.
    if (entry.rfind("CHANGELEDGER_TOKEN=", 0) == 0 || entry.rfind("CHANGECTL_CONFIG=", 0) == 0) {
      overridden = true;
    }
    if (!overridden) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (auto& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

}  // namespace

std::string BuildDir() { return CHANGELEDGER_BUILD_DIR; }
std::string SourceDir() { return CHANGELEDGER_SOURCE_DIR; }
std::string ChangectlPath() { return BuildDir() + "/bin/changectl"; }
std::string RunScriptPath() { return SourceDir() + "/tools/run.sh"; }

CommandResult RunCommand(const std::vector<std::string>& argv_in,
                         const std::vector<std::string>& env_in) {
  CommandResult result;
  char out_path[] = "/tmp/e2e_changectl_out_XXXXXX";
  char err_path[] = "/tmp/e2e_changectl_err_XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> argv = argv_in;
  std::vector<std::string> env = Environment(env_in);
  auto argv_p = Pointers(argv);
  auto env_p = Pointers(env);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, argv_p.data(), env_p.data()) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  close(out_fd);
  close(err_fd);
  result.out = ReadFile(out_path);
  result.err = ReadFile(err_path);
  unlink(out_path);
  unlink(err_path);
  return result;
}

Stack::~Stack() {
  Stop(60);
  if (pid_ > 0) kill(-pid_, SIGKILL);
}

bool Stack::Start(const std::vector<std::string>& extra, int timeout_s, std::string* why) {
  ++starts_;
  const std::string ready = dir_ + "/ready";
  std::filesystem::create_directories(dir_);
  std::filesystem::remove(ready);
  const std::string log = dir_ + "/run.sh." + std::to_string(starts_) + ".out";
  std::vector<std::string> argv = {"/bin/bash",   RunScriptPath(), "--no-build",   "--dir", dir_,
                                   "--build-dir", BuildDir(),      "--ready-file", ready,   "--quiet"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::vector<std::string> env = Environment({});
  auto argv_p = Pointers(argv);
  auto env_p = Pointers(env);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group: one kill reaches every child
  const int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, &attr, argv_p.data(), env_p.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    *why = std::string("cannot start run.sh: ") + std::strerror(rc);
    pid_ = -1;
    return false;
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    if (std::filesystem::exists(ready)) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = "run.sh exited early:\n" + Output();
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  *why = "run.sh was not ready in time:\n" + Output();
  return false;
}

int Stack::Stop(int timeout_s) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      kill(-pid_, SIGKILL);  // anything left in the group (there should be nothing)
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  kill(-pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  return -1;
}

std::string Stack::Output() const {
  return ReadFile(dir_ + "/run.sh." + std::to_string(starts_) + ".out");
}

CommandResult Stack::Ctl(const std::vector<std::string>& args,
                         const std::vector<std::string>& env) const {
  std::vector<std::string> argv = {ChangectlPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> full_env = env;
  full_env.push_back("CHANGECTL_CONFIG=" + config());
  return RunCommand(argv, full_env);
}

}  // namespace changeledger::e2e
