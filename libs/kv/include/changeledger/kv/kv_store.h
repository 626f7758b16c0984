// KvStore: the small key-value interface that read models (projections)
// keep their state in. RocksDB stays behind it (see rocksdb_kv_store.h);
// an in-memory store with the same behaviour serves unit tests.
//
// Keys and values are arbitrary bytes; keys sort bytewise.
// Thread safety: every method may be called from any thread at once; a
// WriteBatch and a Transaction belong to one thread.
#ifndef CHANGELEDGER_KV_KV_STORE_H_
#define CHANGELEDGER_KV_KV_STORE_H_

#include <concepts>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace changeledger::kv {

// Writes applied atomically by KvStore::Write. Later operations on the
// same key win.
class WriteBatch {
 public:
  void Put(std::string_view key, std::string_view value);
  // Same as above for a key (and value) passed as a std::string rvalue:
  // takes the string over instead of copying it. (Templates, so that a
  // literal or any other argument picks the overload above.)
  template <typename K>
    requires std::same_as<K, std::string>
  void Put(K&& key, std::string_view value) {
    PutOwned(std::move(key), std::string(value));
  }
  template <typename K, typename V>
    requires std::same_as<K, std::string> && std::same_as<V, std::string>
  void Put(K&& key, V&& value) {
    PutOwned(std::move(key), std::move(value));
  }
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
  // Room for `n` operations in all (an optional hint).
  void Reserve(size_t n) { ops_.reserve(n); }

 private:
  void PutOwned(std::string key, std::string value);

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
//
// Cost: Put and Delete only append to the batch; the index of pending
// writes that Get and Scan consult is built from the batch when one of
// them is first called (and kept up to date from then on), so a group
// that only writes never builds it.
class Transaction {
 public:
  explicit Transaction(KvStore& store) : store_(store) {}

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key);
  void Put(std::string_view key, std::string_view value);
  // Same as above for a key and value passed as std::string rvalues:
  // takes them over instead of copying them.
  template <typename K, typename V>
    requires std::same_as<K, std::string> && std::same_as<V, std::string>
  void Put(K&& key, V&& value) {
    PutOwned(std::move(key), std::move(value));
  }
  void Delete(std::string_view key);
  // Merges pending writes with the store's keys in [begin, end).
  absl::Status Scan(std::string_view begin, std::string_view end, const ScanFn& fn);

  // The pending writes. Writes made directly on the returned batch are
  // committed but, as ever, not seen by Get and Scan.
  WriteBatch& batch();
  // The pending writes, to read (e.g. to copy them into another batch):
  // unlike batch(), this builds no index of them.
  const WriteBatch& writes() const { return batch_; }
  // Commits the pending writes and clears them.
  absl::Status Commit(bool sync);

 private:
  void PutOwned(std::string key, std::string value);
  // Folds the writes made through Put/Delete since the last call into
  // pending_.
  void IndexPending();

  KvStore& store_;
  WriteBatch batch_;
  std::map<std::string, std::optional<std::string>, std::less<>> pending_;
  // Ops of batch_ before this index are in pending_ (while !eager_).
  size_t indexed_ = 0;
  // Once batch() has handed the batch out, ops may be added that are not
  // the transaction's own: from then on pending_ is kept up to date on
  // every Put/Delete and the batch is no longer read back.
  bool eager_ = false;
};

}  // namespace changeledger::kv

#endif  // CHANGELEDGER_KV_KV_STORE_H_
