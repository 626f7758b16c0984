// The guard wraps every method handler of a registered service so that
// authentication and authorisation happen before the handler runs.
//
// Why a handler wrapper: in gRPC 1.51 a server interceptor cannot fail a
// call before the handler runs, and an AuthMetadataProcessor cannot be set
// on insecure credentials and does not see the method. The sync server,
// however, runs each call through the method's MethodHandler
// (Deserialize, then RunHandler); wrapping it lets us answer
// UNAUTHENTICATED / PERMISSION_DENIED ourselves and never call the inner
// handler. The request is deserialised only once the call is allowed.
#ifndef CHANGELEDGER_RPC_SRC_GUARD_H_
#define CHANGELEDGER_RPC_SRC_GUARD_H_

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "changeledger/rpc/auth.h"
#include "log_limiter.h"

namespace changeledger::rpc::internal {

// Cancels calls that pass their server-side default deadline.
class DeadlineWatchdog {
 public:
  DeadlineWatchdog();
  ~DeadlineWatchdog();
  void Watch(grpc::ServerContext* context, std::chrono::system_clock::time_point deadline);
  // After Unwatch returns, the watchdog no longer touches `context`.
  void Unwatch(grpc::ServerContext* context);
  void Stop();

 private:
  void Run();
  std::mutex mu_;
  std::condition_variable cv_;
  std::multimap<std::chrono::system_clock::time_point, grpc::ServerContext*> by_deadline_;
  std::map<grpc::ServerContext*, std::chrono::system_clock::time_point> deadlines_;
  bool stop_ = false;
  std::thread thread_;
};

// Counts the calls each principal has in progress. A synchronous handler
// holds a server thread for the whole call (a ReadLog in follow mode, an
// ImportReturn left open: as long as the client's deadline allows), so
// without a bound one caller could make the server start threads until it
// runs out of memory. Thread-safe.
class PrincipalCallLimiter {
 public:
  explicit PrincipalCallLimiter(int max_calls_per_principal)
      : max_(max_calls_per_principal) {}
  // Counts a call of `principal` and returns true, unless it already has
  // the maximum in progress.
  bool TryAcquire(const Principal* principal);
  void Release(const Principal* principal);
  int max() const { return max_; }

 private:
  const int max_;
  std::mutex mu_;
  std::unordered_map<const Principal*, int> in_progress_;  // guarded by mu_
};

// What every guarded method shares.
struct GuardContext {
  std::shared_ptr<const TokenTable> tokens;
  std::chrono::milliseconds default_deadline;
  DeadlineWatchdog* watchdog;
  PrincipalCallLimiter* limiter;
  // Bounds the lines written for refused calls.
  LogLimiter* refusal_log;
};

// Wraps each synchronous method of `service` with the guard, using the
// method's entry in `policy` (none: denied). Fills `methods` with the full
// method names. Errors: INVALID_ARGUMENT for a policy key that is not a
// method of the service, FAILED_PRECONDITION for non-sync methods.
absl::Status GuardService(grpc::Service* service, const MethodPolicy& policy,
                          std::shared_ptr<const GuardContext> guard,
                          std::vector<std::string>* methods);

// The token of "authorization: Bearer <token>" (scheme case-insensitive);
// empty if absent or malformed. Points into the call's metadata.
std::string_view BearerToken(const grpc::ServerContext& context);

}  // namespace changeledger::rpc::internal

#endif  // CHANGELEDGER_RPC_SRC_GUARD_H_
