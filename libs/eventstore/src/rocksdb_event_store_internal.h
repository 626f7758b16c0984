// What tests of the RocksDB event store need beyond its public header.
#ifndef CHANGELEDGER_EVENTSTORE_SRC_ROCKSDB_EVENT_STORE_INTERNAL_H_
#define CHANGELEDGER_EVENTSTORE_SRC_ROCKSDB_EVENT_STORE_INTERNAL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "rocksdb/env.h"

namespace changeledger::eventstore::internal {

// OpenRocksDbEventStore with RocksDB's files on `env` (a test's failing
// file system, say); nullptr is RocksDB's default Env. Not owned; it must
// outlive the store.
absl::StatusOr<std::unique_ptr<EventStore>> OpenRocksDbEventStoreOnEnv(
    const RocksDbEventStoreOptions& options, rocksdb::Env* env);

}  // namespace changeledger::eventstore::internal

#endif  // CHANGELEDGER_EVENTSTORE_SRC_ROCKSDB_EVENT_STORE_INTERNAL_H_
