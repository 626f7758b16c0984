// Process plumbing every main() shares: logging set-up and shutdown signals.
//
//   int main(int argc, char** argv) {
//     rpc::BlockShutdownSignals();          // first, before any thread starts
//     rpc::ConfigureRuntime();
//     ... load config, rpc::ConfigureLogging(common.log_level), build, Start ...
//     rpc::ServeUntilSignal("intake", grpc_port, metrics_port,
//                           [&] { server->Stop(common.shutdown_grace); });
//   }
#ifndef CHANGELEDGER_RPC_PROCESS_H_
#define CHANGELEDGER_RPC_PROCESS_H_

#include <functional>
#include <string_view>

#include "absl/status/status.h"

namespace changeledger::rpc {

// Blocks SIGTERM and SIGINT in the calling thread. Threads inherit the
// signal mask of the thread that creates them, so main() must call this
// before anything starts a thread (gRPC, RocksDB, librdkafka); then the
// signals stay pending until WaitForShutdownSignal takes them.
void BlockShutdownSignals();

// Process-wide runtime settings, applied before the first lock is taken
// (first thing in main()). In release builds (NDEBUG) it turns off
// abseil's mutex deadlock detection: Debian's abseil is built with it on,
// so every absl::Mutex acquisition (gRPC's, RocksDB-facing code's, ours)
// updates a process-wide lock graph under a global lock, about 1-3% of a
// loaded server's CPU. Debug and sanitizer builds keep the detection.
void ConfigureRuntime();

// Waits for SIGTERM or SIGINT (BlockShutdownSignals must have run) and
// returns the signal number.
int WaitForShutdownSignal();

// The end of every service's main(): logs that `service` serves on the
// given ports, waits for SIGTERM or SIGINT (WaitForShutdownSignal), logs
// the signal, calls `stop` and logs that the service stopped.
void ServeUntilSignal(std::string_view service, int grpc_port, int metrics_port,
                      const std::function<void()>& stop);

// Sets spdlog's default logger: one key=value line per event on stderr,
//   ts=2026-01-02T03:04:05.123456Z level=info msg="rpc" method=/x.v1.S/M code=OK ...
// `level`: trace, debug, info, warn, error, off. INVALID_ARGUMENT otherwise.
absl::Status ConfigureLogging(std::string_view level);

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_PROCESS_H_
