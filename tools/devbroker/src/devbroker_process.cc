#include "changeledger/devbroker/devbroker_process.h"

#include <stdlib.h>

#include <filesystem>

namespace changeledger::devbroker {

absl::StatusOr<std::unique_ptr<DevBrokerProcess>> DevBrokerProcess::Spawn(
    const std::string& binary, const std::vector<std::string>& args,
    absl::Duration timeout) {
  std::string tmpl =
      (std::filesystem::temp_directory_path() / "devbroker_XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return absl::UnavailableError("mkdtemp failed");
  // Owns the directory from here on: an error below removes it.
  std::unique_ptr<DevBrokerProcess> proc(new DevBrokerProcess());
  proc->dir_ = tmpl;
  const std::string file = proc->dir_ + "/bootstrap";

  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--bootstrap-file");
  argv.push_back(file);
  // Quiet stdout: the list goes to the file.
  auto child = ChildProcess::Spawn(std::move(argv), file, timeout, /*quiet_stdout=*/true);
  if (!child.ok()) return child.status();
  proc->child_ = *std::move(child);
  proc->bootstrap_servers_ = proc->child_->ready_line();
  return proc;
}

int DevBrokerProcess::Terminate() { return child_ ? child_->Terminate() : -1; }

DevBrokerProcess::~DevBrokerProcess() {
  Terminate();
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace changeledger::devbroker
