// An in-memory KvStore for unit tests: same ordering, atomicity and
// DeleteRange behaviour as the RocksDB store, nothing durable.
#ifndef CHANGELEDGER_KV_IN_MEMORY_KV_STORE_H_
#define CHANGELEDGER_KV_IN_MEMORY_KV_STORE_H_

#include <memory>

#include "changeledger/kv/kv_store.h"

namespace changeledger::kv {

// A new, empty store. Thread-safe; Scan calls `fn` on a snapshot of the
// range taken when the scan starts, so `fn` may call back into the store.
std::unique_ptr<KvStore> NewInMemoryKvStore();

}  // namespace changeledger::kv

#endif  // CHANGELEDGER_KV_IN_MEMORY_KV_STORE_H_
