#include "changeledger/bus/log_reader_service.h"

#include <algorithm>
#include <utility>

#include "changeledger/errors/grpc_status.h"
#include "changeledger/rpc/answer_size.h"
#include "changeledger/rpc/page_size.h"

namespace changeledger::bus {

using eventlog::v1::GetLogHeadRequest;
using eventlog::v1::GetLogHeadResponse;
using eventlog::v1::ReadLogRequest;
using eventlog::v1::ReadLogResponse;

namespace {
constexpr int32_t kDefaultPageSize = 256;
constexpr int32_t kMaxPageSize = 1000;

// The events of `page` from the first, as many as fit in the answer size
// gRPC clients receive by default (at least one): events of up to ~80 KiB
// each, which any proposer can make, would otherwise fill a page of 256
// past those 4 MiB, and an auditor's client could not read the log. The
// rest are read again for the next page.
ReadLogResponse PageWithinAnswerSize(std::vector<eventstore::Envelope> page) {
  ReadLogResponse response;
  size_t bytes = 0;
  for (eventstore::Envelope& event : page) {
    const size_t item_bytes = rpc::AnswerItemBytes(event);
    if (!rpc::FitsInAnswer(bytes, item_bytes, response.events_size())) break;
    bytes += item_bytes;
    *response.add_events() = std::move(event);
  }
  return response;
}
}  // namespace

LogReaderService::LogReaderService(eventstore::EventStore* store,
                                   LogReaderServiceOptions options)
    : store_(store), options_(std::move(options)) {}

void LogReaderService::Shutdown() { stopping_.store(true); }

grpc::Status LogReaderService::ReadLog(grpc::ServerContext* context,
                                       const ReadLogRequest* request,
                                       grpc::ServerWriter<ReadLogResponse>* writer) {
  // page_size is unsigned here, so never refused as negative.
  const size_t page_size =
      *rpc::PageSize(request->page_size(), kDefaultPageSize, kMaxPageSize);
  uint64_t position = std::max<uint64_t>(1, request->from_position());
  while (true) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    if (stopping_.load()) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "log reader is shutting down");
    }
    absl::StatusOr<std::vector<eventstore::Envelope>> page =
        store_->ReadAll(position, page_size);
    if (!page.ok()) return errors::ToGrpcStatus(page.status());
    if (!page->empty()) {
      ReadLogResponse response = PageWithinAnswerSize(*std::move(page));
      position = response.events().rbegin()->global_position() + 1;
      // Read after the page, so log_head >= every position in it.
      response.set_log_head(store_->LastPosition());
      if (!writer->Write(response)) {
        return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
      }
      continue;
    }
    if (!request->follow()) return grpc::Status::OK;
    // Wait in short slices so cancellation and shutdown are noticed.
    const absl::Time deadline = absl::Now() + options_.wait_slice;
    if (!store_->WaitForPosition(position, deadline) && absl::Now() < deadline) {
      // An early false means the store is closing.
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "event store is closing");
    }
  }
}

grpc::Status LogReaderService::GetLogHead(grpc::ServerContext* /*context*/,
                                          const GetLogHeadRequest* /*request*/,
                                          GetLogHeadResponse* response) {
  response->set_log_head(store_->LastPosition());
  response->set_source(options_.source);
  return grpc::Status::OK;
}

LogReaderClient::LogReaderClient(std::shared_ptr<grpc::ChannelInterface> channel)
    : stub_(eventlog::v1::LogReader::NewStub(std::move(channel))) {}

absl::Status LogReaderClient::Read(
    const ReadLogOptions& options,
    const std::function<absl::Status(const ReadLogResponse&)>& on_page) {
  grpc::ClientContext context;
  for (const auto& [key, value] : options.metadata) context.AddMetadata(key, value);
  {
    std::lock_guard lock(mu_);
    if (cancelled_) {
      cancelled_ = false;
      return absl::CancelledError("log read cancelled");
    }
    active_ = &context;
  }
  ReadLogRequest request;
  request.set_from_position(options.from_position);
  request.set_follow(options.follow);
  request.set_page_size(options.page_size);
  std::unique_ptr<grpc::ClientReader<ReadLogResponse>> reader =
      stub_->ReadLog(&context, request);
  ReadLogResponse response;
  absl::Status callback_status;
  while (reader->Read(&response)) {
    callback_status = on_page(response);
    if (!callback_status.ok()) {
      context.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  bool cancelled = false;
  {
    std::lock_guard lock(mu_);
    active_ = nullptr;
    cancelled = cancelled_;
    cancelled_ = false;
  }
  if (!callback_status.ok()) return callback_status;
  if (cancelled) return absl::CancelledError("log read cancelled");
  return errors::FromGrpcStatus(status);
}

absl::StatusOr<GetLogHeadResponse> LogReaderClient::GetLogHead(
    const std::map<std::string, std::string>& metadata) {
  grpc::ClientContext context;
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  GetLogHeadResponse response;
  grpc::Status status = stub_->GetLogHead(&context, GetLogHeadRequest(), &response);
  if (!status.ok()) return errors::FromGrpcStatus(status);
  return response;
}

void LogReaderClient::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (active_ != nullptr) active_->TryCancel();
}

}  // namespace changeledger::bus
