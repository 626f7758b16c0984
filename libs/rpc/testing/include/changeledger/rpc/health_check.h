// For tests in any module: what a server's health service says of a
// service name ("" for the server as a whole, "dependency/<name>" for one
// of its dependencies).
#ifndef CHANGELEDGER_RPC_TESTING_HEALTH_CHECK_H_
#define CHANGELEDGER_RPC_TESTING_HEALTH_CHECK_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace changeledger::rpc::testing {

inline constexpr int kServing = 1;
inline constexpr int kNotServing = 2;
inline constexpr int kServiceUnknown = 3;

// grpc.health.v1.Health/Check with a 5 s deadline: kServing, kNotServing,
// kServiceUnknown (the health service answers NOT_FOUND for a name it does
// not know), or minus the status code when the call failed (-14 when
// nothing answers on the channel).
int HealthStatus(const std::shared_ptr<grpc::Channel>& channel, const std::string& service);

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTING_HEALTH_CHECK_H_
