#include "changeledger/rpc/health_check.h"

#include <grpcpp/client_context.h>
#include <grpcpp/impl/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/impl/rpc_method.h>

#include <chrono>

#include "google/protobuf/wrappers.pb.h"

namespace changeledger::rpc::testing {

int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service) {
  // Without the health proto: HealthCheckRequest is {string service = 1}
  // and HealthCheckResponse {enum status = 1}, the same wire format as
  // StringValue and Int32Value.
  static const grpc::internal::RpcMethod kCheck("/grpc.health.v1.Health/Check",
                                                grpc::internal::RpcMethod::NORMAL_RPC);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  google::protobuf::StringValue request;
  request.set_value(service);
  google::protobuf::Int32Value response;
  const grpc::Status status =
      grpc::internal::BlockingUnaryCall(channel.get(), kCheck, &context, request, &response);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return kServiceUnknown;
  return status.ok() ? response.value() : -static_cast<int>(status.error_code());
}

}  // namespace changeledger::rpc::testing
