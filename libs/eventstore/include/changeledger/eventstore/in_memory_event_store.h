// An in-memory EventStore for unit tests of domain and service code. It
// has the semantics of the RocksDB store (expected versions, idempotent
// request ids, global order, outbox, tail, Close) without durability:
// everything is gone when it is destroyed. The shared behavioural tests
// run against both implementations.
#ifndef CHANGELEDGER_EVENTSTORE_IN_MEMORY_EVENT_STORE_H_
#define CHANGELEDGER_EVENTSTORE_IN_MEMORY_EVENT_STORE_H_

#include <functional>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"

namespace changeledger::eventstore {

struct InMemoryEventStoreOptions {
  // Source of recorded_at, read once per append. recorded_at never
  // decreases along the global order.
  // Default: absl::Now.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

std::unique_ptr<EventStore> NewInMemoryEventStore(
    InMemoryEventStoreOptions options = {});

}  // namespace changeledger::eventstore

#endif  // CHANGELEDGER_EVENTSTORE_IN_MEMORY_EVENT_STORE_H_
