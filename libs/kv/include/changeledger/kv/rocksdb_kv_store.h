// KvStore on a RocksDB directory. RocksDB types stay in src/.
#ifndef CHANGELEDGER_KV_ROCKSDB_KV_STORE_H_
#define CHANGELEDGER_KV_ROCKSDB_KV_STORE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "changeledger/kv/kv_store.h"

namespace changeledger::kv {

struct RocksDbKvStoreOptions {
  // Directory of the database. Required.
  std::string path;
  // Create the database when `path` holds none. Default: true.
  bool create_if_missing = true;
  // Fail when a database already exists at `path`. Default: false.
  bool error_if_exists = false;
  // RocksDB paranoid_checks: verify checksums aggressively and refuse to
  // open (DATA_LOSS) a database it finds corrupted. Default: true.
  bool paranoid_checks = true;
  // Memtable size in bytes. Default: 16 MiB.
  size_t write_buffer_size = 16u << 20;
  // Insert hints by key directory: keys are grouped by their bytes up to
  // and including the last '/', and the memtable remembers where it last
  // inserted in each group, so that keys arriving in increasing order
  // within a group (e.g. "f/<source>/<position>") are inserted without a
  // search from the top of the skip list. Only insert cost changes, never
  // what is stored or read. Default: false.
  bool insert_hints_by_key_directory = false;
};

// Opens (or creates) the database.
// Errors: INVALID_ARGUMENT (empty path), ALREADY_EXISTS (error_if_exists),
// NOT_FOUND (missing and !create_if_missing), DATA_LOSS (corruption
// detected), RESOURCE_EXHAUSTED (the disk is full), UNAVAILABLE (locked by
// another process, or another I/O error). Reads and writes later return
// DATA_LOSS on corruption, RESOURCE_EXHAUSTED on a full disk and
// UNAVAILABLE on other I/O errors as well.
absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbKvStore(
    const RocksDbKvStoreOptions& options);

}  // namespace changeledger::kv

#endif  // CHANGELEDGER_KV_ROCKSDB_KV_STORE_H_
