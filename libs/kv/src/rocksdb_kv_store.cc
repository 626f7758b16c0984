#include "changeledger/kv/rocksdb_kv_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/write_batch.h>

#include "changeledger/rocksdb_log/info_log.h"
#include "status_from_rocks.h"

#include <string>
#include <utility>

namespace changeledger::kv {
namespace {

using internal::FromRocks;

// rocksdb::WriteBatch's header: sequence number and count.
constexpr size_t kBatchHeaderBytes = 12;

// The key up to and including its last '/' (the whole key when it has
// none): the group whose insert position the memtable remembers.
class KeyDirectoryTransform final : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "changeledger.KeyDirectory"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    std::string_view k(key.data(), key.size());
    const size_t slash = k.rfind('/');
    return slash == std::string_view::npos ? key : rocksdb::Slice(key.data(), slash + 1);
  }
  bool InDomain(const rocksdb::Slice& /*key*/) const override { return true; }
};

class RocksDbKvStore final : public KvStore {
 public:
  explicit RocksDbKvStore(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {}

  ~RocksDbKvStore() override {
    // Closes cleanly: flushes nothing (the WAL has every write), releases
    // the lock.
    (void)db_->Close();
  }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(),
                                 rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "kv get");
    return std::optional<std::string>(std::move(value));
  }

  absl::Status Scan(std::string_view begin, std::string_view end,
                    const ScanFn& fn) override {
    rocksdb::ReadOptions read_options;
    rocksdb::Slice upper(end.data(), end.size());
    if (!end.empty()) read_options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
    for (it->Seek(rocksdb::Slice(begin.data(), begin.size())); it->Valid(); it->Next()) {
      rocksdb::Slice k = it->key();
      rocksdb::Slice v = it->value();
      if (!fn(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) {
        break;
      }
    }
    return FromRocks(it->status(), "kv scan");
  }

  absl::Status Write(const WriteBatch& batch, bool sync) override {
    // Sized once up front: RocksDB's batch is one string, which would
    // otherwise grow (and be copied) several times for a large group.
    // Per op: a tag byte and two varint lengths (at most 5 bytes each).
    size_t bytes = kBatchHeaderBytes;
    for (const WriteBatch::Op& op : batch.ops()) bytes += 11 + op.key.size() + op.value.size();
    rocksdb::WriteBatch rb(bytes);
    for (const WriteBatch::Op& op : batch.ops()) {
      rocksdb::Status s;
      switch (op.kind) {
        case WriteBatch::Op::Kind::kPut:
          s = rb.Put(op.key, op.value);
          break;
        case WriteBatch::Op::Kind::kDelete:
          s = rb.Delete(op.key);
          break;
        case WriteBatch::Op::Kind::kDeleteRange:
          // RocksDB rejects begin > end; an empty range deletes nothing.
          if (op.key < op.value) s = rb.DeleteRange(op.key, op.value);
          break;
      }
      if (!s.ok()) return FromRocks(s, "kv batch");
    }
    rocksdb::WriteOptions write_options;
    write_options.sync = sync;
    return FromRocks(db_->Write(write_options, &rb), "kv write");
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbKvStore(
    const RocksDbKvStoreOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("kv: path is empty");
  rocksdb::Options rocks;
  rocks.create_if_missing = options.create_if_missing;
  rocks.error_if_exists = options.error_if_exists;
  rocks.paranoid_checks = options.paranoid_checks;
  // Not RocksDB's own LOG writer: with Debian's assertions, a full disk
  // made it abort the process (libs/rocksdb_log).
  rocks.info_log = rocksdb_log::NewInfoLog({.dir = options.path});
  rocks.write_buffer_size = options.write_buffer_size;
  if (options.insert_hints_by_key_directory) {
    rocks.memtable_insert_with_hint_prefix_extractor = std::make_shared<KeyDirectoryTransform>();
  }
  // WAL recovery stays at RocksDB's default (point in time): after a crash
  // the store is a consistent prefix of the committed batches. Projections
  // keep their offsets in the same batches, so they resume right after it.
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(rocks, options.path, &raw);
  if (!s.ok()) return FromRocks(s, "kv open " + options.path);
  return std::unique_ptr<KvStore>(
      std::make_unique<RocksDbKvStore>(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace changeledger::kv
