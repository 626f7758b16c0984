// The one place where absl::Status becomes grpc::Status and back.
#ifndef CHANGELEDGER_ERRORS_GRPC_STATUS_H_
#define CHANGELEDGER_ERRORS_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace changeledger::errors {

// Same code, same message. absl and gRPC share the canonical code numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// The inverse, for clients of our own services.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace changeledger::errors

#endif  // CHANGELEDGER_ERRORS_GRPC_STATUS_H_
