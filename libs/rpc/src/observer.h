// Per-RPC metrics and log lines, as a server interceptor: it sees every
// call (guarded or not) and the status actually sent.
#ifndef CHANGELEDGER_RPC_SRC_OBSERVER_H_
#define CHANGELEDGER_RPC_SRC_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "changeledger/metrics/metrics.h"
#include "log_limiter.h"

namespace changeledger::rpc::internal {

// Handles of changeledger_rpc_requests_total and
// changeledger_rpc_duration_seconds, created per series on first use and
// kept per method, so a finished call costs one look-up without copies.
// Only methods the server serves get series of their own: a call to any
// other name (answered UNIMPLEMENTED, before any token is checked) counts
// under service="unknown", method="unknown", so that no client can add
// series at will.
class RpcProbe {
 public:
  explicit RpcProbe(metrics::Registry* registry) : registry_(registry) {}
  // Declares a served method, "/pkg.Service/Method"; before the first call.
  void AddMethod(std::string full_method);
  void Finished(std::string_view full_method, grpc::StatusCode code, double seconds);

 private:
  static constexpr int kCodes = grpc::StatusCode::UNAUTHENTICATED + 1;
  struct MethodSeries {
    metrics::Histogram duration;
    std::array<std::optional<metrics::Counter>, kCodes> requests;  // by status code
  };
  metrics::Registry* registry_;
  std::mutex mu_;
  absl::flat_hash_set<std::string> served_;                 // guarded by mu_
  absl::flat_hash_map<std::string, MethodSeries> methods_;  // guarded by mu_
};

// Calls that end in an error write a warning, within two bounds: calls to
// methods not served and calls past their deadline count against
// `caller_lines` (the client chooses both, as it chooses to be refused),
// the server's own errors against `server_error_lines`, so that a flood of
// the first cannot hide the second.
class ObserverFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  ObserverFactory(std::shared_ptr<RpcProbe> probe, LogLimiter* caller_lines,
                  LogLimiter* server_error_lines)
      : probe_(std::move(probe)),
        caller_lines_(caller_lines),
        server_error_lines_(server_error_lines) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<RpcProbe> probe_;
  LogLimiter* caller_lines_;
  LogLimiter* server_error_lines_;
};

// "OK", "NOT_FOUND", ...
const char* StatusCodeName(grpc::StatusCode code);
// "/pkg.Service/Method" -> {"pkg.Service", "Method"}.
std::pair<std::string, std::string> SplitMethod(const std::string& full_method);

// `value` as one value of a key=value log line: as it is when it holds only
// letters, digits and `._/:-`, otherwise in double quotes with `"` and `\`
// escaped and every other byte outside printable ASCII written `\xHH`. For
// text a client chose (the method name of a call to a method we do not
// serve, an error message quoting the request), so that it can neither end
// the line and forge another nor pass for a key of its own.
std::string LogValue(std::string_view value);

}  // namespace changeledger::rpc::internal

#endif  // CHANGELEDGER_RPC_SRC_OBSERVER_H_
