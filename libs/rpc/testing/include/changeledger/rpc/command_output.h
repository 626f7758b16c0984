// For tests that run a program of the project (changectl, a service) the
// way an operator would, and check what it printed and how it exited.
#ifndef CHANGELEDGER_RPC_TESTING_COMMAND_OUTPUT_H_
#define CHANGELEDGER_RPC_TESTING_COMMAND_OUTPUT_H_

#include <string>

namespace changeledger::rpc::testing {

struct CommandOutput {
  int exit_code = -1;  // -1: it could not be started, or did not exit
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs `command` with /bin/sh, stderr joined to stdout, and waits for it.
CommandOutput RunShellCommand(const std::string& command);

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTING_COMMAND_OUTPUT_H_
