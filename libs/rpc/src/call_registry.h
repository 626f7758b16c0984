// Per-call state the guard hands to handlers: who is calling and by when
// the call must end. Keyed by ServerContext, registered for exactly the
// time the handler runs.
#ifndef CHANGELEDGER_RPC_SRC_CALL_REGISTRY_H_
#define CHANGELEDGER_RPC_SRC_CALL_REGISTRY_H_

#include <chrono>

#include <grpcpp/server_context.h>

#include "changeledger/rpc/auth.h"

namespace changeledger::rpc::internal {

struct CallRecord {
  // Points into the server's TokenTable, which outlives every call.
  const Principal* principal;
  std::chrono::system_clock::time_point deadline;
};

class CallRegistry {
 public:
  // `record` must stay valid until Remove(context).
  static void Add(const grpc::ServerContextBase* context, const CallRecord* record);
  static void Remove(const grpc::ServerContextBase* context);
  static const CallRecord* Find(const grpc::ServerContextBase* context);
};

}  // namespace changeledger::rpc::internal

#endif  // CHANGELEDGER_RPC_SRC_CALL_REGISTRY_H_
