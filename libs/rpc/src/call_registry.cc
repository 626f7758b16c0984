#include "call_registry.h"

#include <mutex>

#include "absl/container/flat_hash_map.h"

namespace changeledger::rpc::internal {
namespace {

struct Registry {
  std::mutex mu;
  absl::flat_hash_map<const grpc::ServerContextBase*, const CallRecord*> calls;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();  // never destroyed: used at exit
  return *registry;
}

}  // namespace

void CallRegistry::Add(const grpc::ServerContextBase* context, const CallRecord* record) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  registry.calls[context] = record;
}

void CallRegistry::Remove(const grpc::ServerContextBase* context) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  registry.calls.erase(context);
}

const CallRecord* CallRegistry::Find(const grpc::ServerContextBase* context) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mu);
  auto it = registry.calls.find(context);
  return it == registry.calls.end() ? nullptr : it->second;
}

}  // namespace changeledger::rpc::internal
