// KvStore: the small key-value interface that read models (projections)
// keep their state in. RocksDB stays behind it (see rocksdb_kv_store.h);
// an in-memory store with the same behaviour serves unit tests.
//
// Keys and values are arbitrary bytes; keys sort bytewise.
// Thread safety: every method may be called from any thread at once; a
// WriteBatch and a Transaction belong to one thread.
#ifndef CHANGELEDGER_KV_KV_STORE_H_
#define CHANGELEDGER_KV_KV_STORE_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace changeledger::kv {

// Writes applied atomically by KvStore::Write. Later operations on the
// same key win.
class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Deletes every key in [begin, end).
  void DeleteRange(std::string_view begin, std::string_view end);

  struct Op {
    enum class Kind { kPut, kDelete, kDeleteRange } kind;
    std::string key;
    std::string value;  // kPut: the value; kDeleteRange: the end key
  };
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }
  void Clear() { ops_.clear(); }

 private:
  std::vector<Op> ops_;
};

// Called for each key/value in order; return false to stop early.
using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;

class KvStore {
 public:
  virtual ~KvStore() = default;

  // The value of `key`, or nullopt if absent.
  virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;
  // Visits keys in [begin, end) in order (end empty: to the last key).
  virtual absl::Status Scan(std::string_view begin, std::string_view end,
                            const ScanFn& fn) = 0;
  // Applies `batch` atomically; with `sync` the WAL is synced first.
  virtual absl::Status Write(const WriteBatch& batch, bool sync) = 0;
};

// Scan helper: every key that starts with `prefix`.
absl::Status ScanPrefix(KvStore& store, std::string_view prefix, const ScanFn& fn);

// Read-your-writes view for a projection applying a group of events: Get
// and Put go through a pending batch that the caller commits once.
class Transaction {
 public:
  explicit Transaction(KvStore& store) : store_(store) {}

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  void Put(std::string_view key, std::string_view value);
  void Delete(std::string_view key);
  // Merges pending writes with the store's keys in [begin, end).
  absl::Status Scan(std::string_view begin, std::string_view end, const ScanFn& fn);

  WriteBatch& batch() { return batch_; }
  // Commits the pending writes and clears them.
  absl::Status Commit(bool sync);

 private:
  KvStore& store_;
  WriteBatch batch_;
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;
};

}  // namespace changeledger::kv

#endif  // CHANGELEDGER_KV_KV_STORE_H_
