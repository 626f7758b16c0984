// Per-RPC metrics and log lines, as a server interceptor: it sees every
// call (guarded or not) and the status actually sent.
#ifndef CHANGELEDGER_RPC_SRC_OBSERVER_H_
#define CHANGELEDGER_RPC_SRC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "changeledger/metrics/metrics.h"

namespace changeledger::rpc::internal {

// Handles of changeledger_rpc_requests_total and
// changeledger_rpc_duration_seconds, created per series on first use.
class RpcProbe {
 public:
  explicit RpcProbe(metrics::Registry* registry) : registry_(registry) {}
  void Finished(const std::string& full_method, grpc::StatusCode code, double seconds);

 private:
  metrics::Registry* registry_;
  std::mutex mu_;
  std::map<std::pair<std::string, int>, metrics::Counter> counters_;
  std::map<std::string, metrics::Histogram> histograms_;
};

class ObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ObserverFactory(std::shared_ptr<RpcProbe> probe) : probe_(std::move(probe)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<RpcProbe> probe_;
};

// "OK", "NOT_FOUND", ...
const char* StatusCodeName(grpc::StatusCode code);
// "/pkg.Service/Method" -> {"pkg.Service", "Method"}.
std::pair<std::string, std::string> SplitMethod(const std::string& full_method);

}  // namespace changeledger::rpc::internal

#endif  // CHANGELEDGER_RPC_SRC_OBSERVER_H_
