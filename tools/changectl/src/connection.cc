#include "changeledger/changectl/connection.h"

#include <future>

#include <grpcpp/client_context.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

namespace changeledger::changectl {

grpc::Status CheckHealth(grpc::Channel* channel, const std::string& service,
                         std::chrono::milliseconds timeout, HealthState* state) {
  *state = HealthState::kUnknown;
  // HealthCheckRequest { string service = 1; }, encoded by hand.
  std::string request;
  if (!service.empty()) {
    request.push_back(0x0A);
    size_t n = service.size();
    while (n >= 0x80) {
      request.push_back(static_cast<char>((n & 0x7F) | 0x80));
      n >>= 7;
    }
    request.push_back(static_cast<char>(n));
    request += service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  grpc::ByteBuffer response_buffer;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  grpc::GenericStub stub(std::shared_ptr<grpc::Channel>(channel, [](grpc::Channel*) {}));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request_buffer,
                 &response_buffer, [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    *state = HealthState::kServiceUnknown;
    return grpc::Status::OK;
  }
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  std::string response;
  if (response_buffer.Dump(&slices).ok()) {
    for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  // HealthCheckResponse { ServingStatus status = 1; }: SERVING = 1,
  // NOT_SERVING = 2, SERVICE_UNKNOWN = 3; absent field = UNKNOWN (0).
  int value = 0;
  if (response.size() >= 2 && response[0] == 0x08) value = static_cast<unsigned char>(response[1]);
  switch (value) {
    case 1: *state = HealthState::kServing; break;
    case 2: *state = HealthState::kNotServing; break;
    case 3: *state = HealthState::kServiceUnknown; break;
    default: *state = HealthState::kUnknown; break;
  }
  return grpc::Status::OK;
}

}  // namespace changeledger::changectl
