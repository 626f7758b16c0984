// A grpc.health.v1 check that needs no generated code. changectl's channels
// and per-call contexts are libs/rpc's (rpc::MakeChannel,
// rpc::ClientContextFactory), as the services' own clients are.
#ifndef CHANGELEDGER_CHANGECTL_CONNECTION_H_
#define CHANGELEDGER_CHANGECTL_CONNECTION_H_

#include <chrono>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/support/status.h>

namespace changeledger::changectl {

enum class HealthState { kUnknown, kServing, kNotServing, kServiceUnknown };

// Calls grpc.health.v1.Health/Check for `service` ("" = the whole server).
// A non-OK status is the call's failure (e.g. UNAVAILABLE when down).
grpc::Status CheckHealth(grpc::Channel* channel, const std::string& service,
                         std::chrono::milliseconds timeout, HealthState* state);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_CONNECTION_H_
