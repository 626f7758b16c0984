// The floor of a durable command, for `intake_bench --floors`: servers that
// answer SubmitProposal with the echo's canned response, but only once a
// group-committed fdatasync has made the command's bytes durable. They do
// nothing else (no RocksDB, no decision, no read model, no relay), so no
// server that answers after a synced write can beat them on this machine in
// the same server model; intake's commands/s against them says how much of
// the gap to the echo is intake's own work and how much the durable wait.
//
// Two server models: gRPC's synchronous API, as the intake server and the
// echo use it (the echo server itself, its handler blocking until the
// write is durable: intake_bench.cc), and gRPC's asynchronous
// completion-queue API (AsyncFloorServer: the call is answered by the
// syncing thread, no server thread waits).
#ifndef CHANGELEDGER_BENCH_INTAKE_BENCH_DURABLE_FLOOR_H_
#define CHANGELEDGER_BENCH_INTAKE_BENCH_DURABLE_FLOOR_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"

namespace changeledger::intake::durable_floor {

// Group commit to one file, as the event store's committer does it without
// RocksDB: a thread takes every queued wait, writes `bytes_per_wait` bytes
// for each in one write(2), fdatasyncs, and then runs their callbacks. The
// file is preallocated without changing its size, as RocksDB preallocates
// its WAL, so each sync also writes the file's new size.
class GroupSyncedFile {
 public:
  static absl::StatusOr<std::unique_ptr<GroupSyncedFile>> Open(const std::string& path,
                                                               size_t bytes_per_wait);
  // Only once every wait has been answered.
  ~GroupSyncedFile();

  // Runs `durable` on the syncing thread once this wait's bytes are
  // durable. A failed write or sync aborts the benchmark.
  void Enqueue(std::function<void()> durable);
  // Blocks until this wait's bytes are durable.
  void Wait();

 private:
  GroupSyncedFile(int fd, size_t bytes_per_wait);
  void SyncLoop();

  const int fd_;
  const size_t bytes_per_wait_;
  std::mutex mu_;
  std::condition_variable queued_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool stop_ = false;                         // guarded by mu_
  off_t written_ = 0;                         // syncing thread only
  off_t preallocated_ = 0;                    // syncing thread only
  std::thread thread_;
};

// An asynchronous gRPC server on a free loopback port: `threads` threads,
// each with a completion queue of its own; a call's answer is sent from
// the syncing thread once its wait on `file` is durable. Destroy it only
// once every call has been answered.
class AsyncFloorServer {
 public:
  AsyncFloorServer(GroupSyncedFile* file, v1::Proposal canned, int threads);
  ~AsyncFloorServer();
  const std::string& target() const { return target_; }

 private:
  class Call;
  GroupSyncedFile* const file_;
  const v1::Proposal canned_;
  v1::IntakeService::AsyncService service_;
  std::vector<std::unique_ptr<grpc::ServerCompletionQueue>> queues_;
  std::unique_ptr<grpc::Server> server_;
  std::vector<std::thread> threads_;
  std::string target_;
};

}  // namespace changeledger::intake::durable_floor

#endif  // CHANGELEDGER_BENCH_INTAKE_BENCH_DURABLE_FLOOR_H_
