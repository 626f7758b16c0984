// Channels and per-call contexts for changectl, and a grpc.health.v1 check
// that needs no generated code.
#ifndef CHANGELEDGER_CHANGECTL_CONNECTION_H_
#define CHANGELEDGER_CHANGECTL_CONNECTION_H_

#include <chrono>
#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include "absl/status/statusor.h"

namespace changeledger::changectl {

struct ConnectionOptions {
  // "host:port". Required.
  std::string address;
  // Bearer token; "" sends no authorization header.
  std::string token;
  // Deadline of each call. Default: 10 s.
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  // PEM CA bundle: set -> TLS. Default: "" (plaintext).
  std::string tls_ca_file;
  // TLS target-name override. Default: "".
  std::string tls_server_name;
};

// NOT_FOUND when the CA file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ConnectionOptions& options);

// A context with the deadline and the authorization metadata.
std::unique_ptr<grpc::ClientContext> NewCallContext(const ConnectionOptions& options);

enum class HealthState { kUnknown, kServing, kNotServing, kServiceUnknown };

// Calls grpc.health.v1.Health/Check for `service` ("" = the whole server).
// A non-OK status is the call's failure (e.g. UNAVAILABLE when down).
grpc::Status CheckHealth(grpc::Channel* channel, const std::string& service,
                         std::chrono::milliseconds timeout, HealthState* state);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_CONNECTION_H_
