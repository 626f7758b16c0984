// LogReaderService: changeledger.eventlog.v1.LogReader over an EventStore,
// for every writing service to register on its gRPC server. It performs no
// authentication or authorisation itself: the server runtime (libs/rpc)
// does that before a call reaches it.
//
// Plus LogReaderClient: streams a remote log into a callback (projection
// rebuilds, auditors).
#ifndef CHANGELEDGER_BUS_LOG_READER_SERVICE_H_
#define CHANGELEDGER_BUS_LOG_READER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "changeledger/eventlog/v1/log_reader.grpc.pb.h"
#include "changeledger/eventstore/event_store.h"

namespace changeledger::bus {

struct LogReaderServiceOptions {
  // Service name reported by GetLogHead, e.g. "intake". Default: empty.
  std::string source;
  // In follow mode, how long one wait for new events lasts before the
  // handler checks for cancellation and shutdown again. Default: 200 ms.
  absl::Duration wait_slice = absl::Milliseconds(200);
};

class LogReaderService final : public eventlog::v1::LogReader::Service {
 public:
  // `store` is not owned and must outlive the service.
  LogReaderService(eventstore::EventStore* store, LogReaderServiceOptions options = {});

  // Streams pages of ReadAll from request->from_position. Errors:
  // INVALID_ARGUMENT (page_size > 1000), CANCELLED (client went away),
  // UNAVAILABLE (Shutdown), DATA_LOSS / INTERNAL from the store.
  grpc::Status ReadLog(grpc::ServerContext* context,
                       const eventlog::v1::ReadLogRequest* request,
                       grpc::ServerWriter<eventlog::v1::ReadLogResponse>* writer) override;

  grpc::Status GetLogHead(grpc::ServerContext* context,
                          const eventlog::v1::GetLogHeadRequest* request,
                          eventlog::v1::GetLogHeadResponse* response) override;

  // Ends every follow stream with UNAVAILABLE within one wait_slice, so
  // server shutdown is not blocked by followers. Call before
  // grpc::Server::Shutdown. Idempotent.
  void Shutdown();

 private:
  eventstore::EventStore* store_;
  LogReaderServiceOptions options_;
  std::atomic<bool> stopping_{false};
};

struct ReadLogOptions {
  // First global position to read (0 and 1: the beginning). Default: 1.
  uint64_t from_position = 1;
  // Keep reading new events until Cancel() or an error. Default: false.
  bool follow = false;
  // Events per page, 1..1000. Default: 500.
  uint32_t page_size = 500;
  // Call metadata, e.g. {"authorization", "Bearer <token>"}.
  std::map<std::string, std::string> metadata;
};

class LogReaderClient {
 public:
  explicit LogReaderClient(std::shared_ptr<grpc::ChannelInterface> channel);

  // Calls `on_page` for every page in order until the log ends (follow =
  // false), Cancel(), or an error; a non-OK status from `on_page` cancels
  // the call and is returned. Returns OK at the end of the log, CANCELLED
  // after Cancel(), or the call's error converted to absl::Status.
  // One Read at a time per client.
  absl::Status Read(const ReadLogOptions& options,
                    const std::function<absl::Status(const eventlog::v1::ReadLogResponse&)>&
                        on_page);

  // The remote log head and source name.
  absl::StatusOr<eventlog::v1::GetLogHeadResponse> GetLogHead(
      const std::map<std::string, std::string>& metadata = {});

  // Cancels the Read in progress (from any thread); when none is in
  // progress, the next Read returns CANCELLED at once. Either way the
  // cancellation is used up by that one Read.
  void Cancel();

 private:
  std::unique_ptr<eventlog::v1::LogReader::Stub> stub_;
  std::mutex mu_;
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_
  bool cancelled_ = false;                 // guarded by mu_
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_LOG_READER_SERVICE_H_
