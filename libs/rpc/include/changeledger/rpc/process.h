// Process plumbing every main() shares: logging set-up and shutdown signals.
//
//   int main(int argc, char** argv) {
//     rpc::BlockShutdownSignals();          // first, before any thread starts
//     ... load config, rpc::ConfigureLogging(common.log_level), build, Start ...
//     rpc::WaitForShutdownSignal();         // SIGTERM or SIGINT
//     server->Shutdown(common.shutdown_grace); ... stop the rest ...
//   }
#ifndef CHANGELEDGER_RPC_PROCESS_H_
#define CHANGELEDGER_RPC_PROCESS_H_

#include <string_view>

#include "absl/status/status.h"

namespace changeledger::rpc {

// Blocks SIGTERM and SIGINT in the calling thread. Threads inherit the
// signal mask of the thread that creates them, so main() must call this
// before anything starts a thread (gRPC, RocksDB, librdkafka); then the
// signals stay pending until WaitForShutdownSignal takes them.
void BlockShutdownSignals();

// Waits for SIGTERM or SIGINT (BlockShutdownSignals must have run) and
// returns the signal number.
int WaitForShutdownSignal();

// Sets spdlog's default logger: one key=value line per event on stderr,
//   ts=2026-01-02T03:04:05.123456Z level=info msg="rpc" method=/x.v1.S/M code=OK ...
// `level`: trace, debug, info, warn, error, off. INVALID_ARGUMENT otherwise.
absl::Status ConfigureLogging(std::string_view level);

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_PROCESS_H_
