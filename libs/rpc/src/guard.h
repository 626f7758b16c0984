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

#include "absl/status/status.h"
#include "changeledger/rpc/auth.h"

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

// What every guarded method shares.
struct GuardContext {
  std::shared_ptr<const TokenTable> tokens;
  std::chrono::milliseconds default_deadline;
  DeadlineWatchdog* watchdog;
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
