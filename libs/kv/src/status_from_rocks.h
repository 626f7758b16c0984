// How RocksDB's statuses become the kv store's (absl) statuses. Internal to
// libs/kv; its own header so that the mapping is tested on its own.
#ifndef CHANGELEDGER_KV_SRC_STATUS_FROM_ROCKS_H_
#define CHANGELEDGER_KV_SRC_STATUS_FROM_ROCKS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace changeledger::kv::internal {

// `what` names the operation; the message is "<what>: <RocksDB's message>".
// Corruption -> DATA_LOSS; a full disk -> RESOURCE_EXHAUSTED; other I/O
// errors, a locked directory (busy), time-outs -> UNAVAILABLE; "exists"
// and "does not exist" at open -> ALREADY_EXISTS / NOT_FOUND; anything
// else INTERNAL.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what);

}  // namespace changeledger::kv::internal

#endif  // CHANGELEDGER_KV_SRC_STATUS_FROM_ROCKS_H_
