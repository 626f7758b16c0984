// The RocksDB event store. Callers queue their appends (bounded) and
// sleep. A preparer thread takes all that is queued, validates each append
// against the stream heads (including heads changed by earlier appends of
// the same group and of the group still being written) and builds one
// WriteBatch; a committer thread writes the groups in order with a synced
// WAL and publishes the new heads and positions; a notifier thread then
// wakes the callers. While one group is being synced the next is prepared
// and the previous one's callers are woken, so the disk never waits for
// the CPU work. Key layout: encoding.h and docs/architecture.md.
#include "changeledger/eventstore/rocksdb_event_store.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <deque>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "append_common.h"
#include "changeledger/rocksdb_log/info_log.h"
#include "crc32c.h"
#include "encoding.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/memtablerep.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "rocksdb_event_store_internal.h"

namespace changeledger::eventstore {
namespace {

using internal::Crc32c;
using internal::Crc32cExtend;

// A one-shot completion flag on which exactly one thread sleeps. Set() may
// run while the waiter is already returning and freeing the flag: the
// futex wake only names the address (the kernel never dereferences freed
// user memory for FUTEX_WAKE), so unlike a condition variable this needs
// no lock that both sides touch after the flag is set.
class Completion {
 public:
  void Set() {
    state_.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }
  void Wait() {
    while (state_.load(std::memory_order_acquire) == 0) {
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), FUTEX_WAIT_PRIVATE, 0,
              nullptr, nullptr, 0);
    }
  }

 private:
  std::atomic<uint32_t> state_{0};
};
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

// Groups of at most this many appends are answered by the committer
// itself rather than by the notifier.
constexpr size_t kMaxAnsweredByCommitter = 2;

// One append waiting for (or being processed by) the writer. Lives on the
// caller's stack.
struct Pending {
  AppendRequest request;
  // Serialized events (without the store-assigned fields) and their
  // CRC-32C, in request order, prepared on the caller's thread.
  std::vector<std::string> event_bytes;
  std::vector<uint32_t> event_crcs;
  absl::StatusOr<AppendResult> result;
  Completion done;
};

absl::Status FromRocks(const rocksdb::Status& s, std::string_view path,
                       std::string_view context) {
  std::string message = absl::StrCat("event store at ", internal::Av(path), ": ",
                                     internal::Av(context), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(message);
  if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
  return absl::InternalError(message);
}

std::string Fixed64(uint64_t v) {
  std::string out;
  internal::PutFixed64BE(&out, v);
  return out;
}

// Event records are keyed by increasing global position, so each new one
// lands right after the previous one. With this transform as the
// memtable's insert-hint extractor, RocksDB remembers where the last event
// key went and skips most of the skiplist search for the next one
// (skiplist search was the top cost of a group commit in profiles).
class SequentialKeyHint : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "changeledger.SequentialKeyHint"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), 1);
  }
  bool InDomain(const rocksdb::Slice& key) const override {
    return !key.empty() && key[0] == internal::kEventPrefix;
  }
};

// The stream of an index key: s<stream>\0 without the version.
class StreamOfIndexKey : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "changeledger.StreamOfIndexKey"; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), key.size() - 8);
  }
  bool InDomain(const rocksdb::Slice& key) const override { return key.size() > 9; }
};

// Block-based tables with a bloom filter (on the whole key, and on the
// prefix where a family has a prefix extractor).
std::shared_ptr<rocksdb::TableFactory> BloomFilteredTables() {
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  return std::shared_ptr<rocksdb::TableFactory>(rocksdb::NewBlockBasedTableFactory(table));
}

// The log: event records and meta records.
rocksdb::ColumnFamilyOptions LogFamilyOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.memtable_insert_with_hint_prefix_extractor = std::make_shared<SequentialKeyHint>();
  o.table_factory = BloomFilteredTables();
  return o;
}

// The stream index. An append adds a key after its stream's last one, but
// with many streams the streams' keys interleave in one skiplist and each
// insert was a full search. With the stream as the memtable's insert-hint
// extractor, RocksDB keeps where each stream's last key went, and the next
// key of that stream is linked in there.
//
// A hash memtable keyed by stream did the same job before and cost more:
// Debian's RocksDB is built with assertions on, and its hash skiplist
// asserts on every insert with a search of the stream's whole list; its
// flushes also sort the memtable into a new skiplist first (together about
// a fifth of the store's CPU in profiles with 64 streams). Reads stay
// within one stream (prefix seeks); only loading the heads at open reads
// across streams.
rocksdb::ColumnFamilyOptions StreamsFamilyOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.prefix_extractor = std::make_shared<StreamOfIndexKey>();
  o.memtable_insert_with_hint_prefix_extractor = o.prefix_extractor;
  o.table_factory = BloomFilteredTables();
  return o;
}

// Request records: looked up by request id before every append that has
// one, nearly always in vain, and written in no useful order (ids are
// random). In a skiplist memtable each such insert was a search through
// every key the memtable held; in a hash memtable keyed by the whole key,
// inserts and lookups touch one short bucket. The sorting is not saved
// but moved: the flush puts every record into a skiplist first (several
// us each, bench/memtable_bench), on RocksDB's thread instead of the
// committer. Table files keep a whole-key bloom filter, so lookups of
// unknown ids rarely read a block.
rocksdb::ColumnFamilyOptions RequestsFamilyOptions() {
  rocksdb::ColumnFamilyOptions o;
  o.prefix_extractor.reset(rocksdb::NewNoopTransform());
  // About one record per bucket in a full 64 MiB memtable; 1 MiB of
  // bucket array per memtable.
  o.memtable_factory.reset(rocksdb::NewHashLinkListRepFactory(131072));
  o.table_factory = BloomFilteredTables();
  return o;
}

// Options of the column families after the default one, by name; none
// for a name that is not ours.
std::optional<rocksdb::ColumnFamilyOptions> FamilyOptions(std::string_view name) {
  if (name == internal::kStreamsFamily) return StreamsFamilyOptions();
  if (name == internal::kRequestsFamily) return RequestsFamilyOptions();
  return std::nullopt;
}

class RocksDbEventStore final : public EventStore {
 public:
  // `handles` are the column families DB::Open returned: the default one
  // and those of ours the store already has (Load creates the others).
  // The store owns the database and the handles.
  RocksDbEventStore(RocksDbEventStoreOptions options, rocksdb::DB* db,
                    const std::vector<rocksdb::ColumnFamilyHandle*>& handles)
      : options_(std::move(options)), db_(db) {
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      const std::string& name = handle->GetName();
      (name == internal::kStreamsFamily    ? streams_
       : name == internal::kRequestsFamily ? requests_
                                           : log_) = handle;
    }
  }

  ~RocksDbEventStore() override {
    Close();
    if (db_ != nullptr) {
      // Leave the data in table files so that the next open replays
      // nothing; the WAL already holds every commit.
      std::vector<rocksdb::ColumnFamilyHandle*> families;
      for (rocksdb::ColumnFamilyHandle* family : {log_, streams_, requests_}) {
        if (family != nullptr) families.push_back(family);
      }
      db_->Flush(rocksdb::FlushOptions(), families).PermitUncheckedError();
      for (rocksdb::ColumnFamilyHandle* family : families) {
        db_->DestroyColumnFamilyHandle(family).PermitUncheckedError();
      }
      db_->Close().PermitUncheckedError();
      delete db_;
    }
  }

  // Reads meta, the last event, heads and outbox; then starts the writer.
  absl::Status Load();

  absl::StatusOr<AppendResult> Append(AppendRequest request) override;
  absl::StatusOr<uint64_t> StreamVersion(std::string_view stream) override;
  absl::StatusOr<std::vector<Envelope>> ReadStream(std::string_view stream,
                                                   uint64_t from_version,
                                                   size_t limit) override;
  absl::StatusOr<std::vector<Envelope>> ReadAll(uint64_t from_position,
                                                size_t limit) override;
  uint64_t LastPosition() const override {
    return last_position_.load(std::memory_order_acquire);
  }
  absl::Status WriteStatus() override {
    absl::MutexLock lock(&queue_mu_);
    return failed_;
  }
  bool WaitForPosition(uint64_t position, absl::Time deadline) override;
  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(size_t limit) override;
  absl::Status AckOutbox(const std::vector<uint64_t>& positions) override;
  OutboxStats GetOutboxStats() override;
  bool WaitForOutbox(absl::Time deadline) override;
  void Close() override;

 private:
  absl::Status Rejected(absl::Status status) {
    if (options_.observer != nullptr) options_.observer->OnRejected(status.code());
    return status;
  }
  // One group commit on its way through the pipeline.
  struct Group {
    uint64_t seq = 0;
    std::vector<Pending*> members;   // in queue order; answered together
    size_t accepted = 0;             // members whose events are in `batch`
    size_t events = 0;
    uint64_t first_position = 0;     // valid when accepted > 0
    uint64_t last_position = 0;
    int64_t recorded = 0;            // Unix ns
    rocksdb::WriteBatch batch;
    std::vector<std::pair<std::string, uint64_t>> heads;  // stream -> new head
    std::vector<std::string> request_ids;                 // of accepted members
  };

  void PrepareLoop();
  void CommitLoop();
  void NotifyLoop();
  // Removes a committed group's entries from the in-flight maps.
  void Recycle(Group* group);
  // Prepares members[from..] of `group` into its batch; called again as
  // appends join the group before the committer takes it.
  void Prepare(Group* group, size_t from);
  void Commit(Group* group);
  // Format 1 -> 2: drops the head and outbox keys, keeping the outbox's
  // resume point as the watermark.
  absl::Status ConvertFromFormat1(uint64_t last_position);
  // Format 2 -> 3: moves the stream index and the request records into
  // their column families.
  absl::Status ConvertFromFormat2();
  // Creates the families after the default one that the store lacks.
  absl::Status CreateFamilies();
  // Writes `batch` with a synced WAL (the open-time writes); `context`
  // names the step in the error.
  absl::Status WriteSynced(rocksdb::WriteBatch* batch, std::string_view context);
  absl::Status LoadHeads();
  absl::Status LoadOutbox(uint64_t last_position);
  uint64_t CurrentVersion(absl::string_view stream) const;
  // Reads the events at `positions` (ascending, all committed).
  absl::StatusOr<std::vector<Envelope>> GetEvents(const std::vector<uint64_t>& positions);

  const RocksDbEventStoreOptions options_;
  rocksdb::DB* db_;
  // Column families (encoding.h): set by the constructor or by Load.
  rocksdb::ColumnFamilyHandle* log_ = nullptr;  // the default family
  rocksdb::ColumnFamilyHandle* streams_ = nullptr;
  rocksdb::ColumnFamilyHandle* requests_ = nullptr;

  // Queue of appends for the preparer.
  absl::Mutex queue_mu_;
  absl::CondVar queue_cv_;
  std::deque<Pending*> queue_ ABSL_GUARDED_BY(queue_mu_);
  bool preparer_idle_ ABSL_GUARDED_BY(queue_mu_) = false;
  // While the preparer lingers on an open group (group_linger), an append
  // wakes it only once this many are queued: enough to fill the group.
  // Zero when it is not lingering.
  size_t linger_wake_at_ ABSL_GUARDED_BY(queue_mu_) = 0;
  // True from the moment a group is handed to the committer until the
  // committer finds nothing more to write; while it is true the preparer
  // keeps adding arrivals to the group it is filling.
  bool committer_busy_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool closing_ ABSL_GUARDED_BY(queue_mu_) = false;
  absl::Status failed_ ABSL_GUARDED_BY(queue_mu_);

  // The pipeline: the preparer fills a free group and hands it over in
  // `ready_`; the committer writes ready groups in order and hands them to
  // the notifier in `written_`, which wakes their callers and frees them.
  // Three groups: one being prepared, one written, one notified. Waking a
  // group's callers is one futex call each (several microseconds apiece
  // in a VM, where the wake-up is an inter-processor interrupt); done by
  // the committer it held up the next write as long as the write itself.
  absl::Mutex pipe_mu_;
  Group groups_[3];
  std::vector<Group*> free_groups_ ABSL_GUARDED_BY(pipe_mu_) = {&groups_[0], &groups_[1],
                                                                &groups_[2]};
  std::deque<Group*> ready_ ABSL_GUARDED_BY(pipe_mu_);
  std::deque<Group*> written_ ABSL_GUARDED_BY(pipe_mu_);
  bool preparer_done_ ABSL_GUARDED_BY(pipe_mu_) = false;
  bool committer_done_ ABSL_GUARDED_BY(pipe_mu_) = false;

  absl::Mutex close_mu_;
  std::thread preparer_;
  std::thread committer_;
  std::thread notifier_;

  // Committed state, changed only by the committer.
  mutable absl::Mutex heads_mu_;
  absl::flat_hash_map<std::string, uint64_t> heads_;
  std::atomic<uint64_t> last_position_{0};

  // Tail waiters wait on tail_mu_; the committer publishes last_position_
  // while holding it.
  absl::Mutex tail_mu_;
  bool tail_closed_ ABSL_GUARDED_BY(tail_mu_) = false;

  // Unacknowledged outbox positions -> recorded_at (Unix ns): every
  // committed event above the persisted watermark that is not yet
  // acknowledged. Only the watermark is stored (kMetaOutboxAcked).
  absl::Mutex outbox_mu_;
  absl::btree_map<uint64_t, int64_t> outbox_ ABSL_GUARDED_BY(outbox_mu_);
  uint64_t outbox_committed_through_ ABSL_GUARDED_BY(outbox_mu_) = 0;
  bool outbox_closed_ ABSL_GUARDED_BY(outbox_mu_) = false;
  // Serializes watermark writes so that a lower one never overwrites a
  // higher one.
  absl::Mutex ack_mu_;
  uint64_t outbox_acked_ ABSL_GUARDED_BY(ack_mu_) = 0;

  // Preparer-thread state. The in-flight maps hold what prepared but not
  // yet committed groups will change (all later groups assume that earlier
  // ones succeed: a failed write fails the store and every later group).
  uint64_t next_seq_ = 1;
  uint64_t prepared_position_ = 0;
  int64_t last_recorded_ = INT64_MIN;
  size_t last_group_appends_ = 0;  // appends in the group handed over last
  // stream -> (version, seq)
  absl::flat_hash_map<std::string, std::pair<uint64_t, uint64_t>> inflight_heads_;
  absl::flat_hash_map<std::string, std::pair<AppendResult, uint64_t>> inflight_requests_;
  std::string key_;
  std::string tail_;
  std::string value_;
};

absl::Status RocksDbEventStore::Load() {
  const std::string& path = options_.path;
  rocksdb::ReadOptions ro;
  std::string value;
  rocksdb::Status s = db_->Get(ro, rocksdb::Slice(internal::kMetaFormat), &value);
  int format = 3;
  if (s.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::DataLossError(absl::StrCat(
          "event store at ", path, ": no format marker; not a changeledger event store"));
    }
    if (!it->status().ok()) return FromRocks(it->status(), path, "scanning");
    if (absl::Status created = CreateFamilies(); !created.ok()) return created;
    rocksdb::WriteBatch batch;
    batch.Put(rocksdb::Slice(internal::kMetaFormat), rocksdb::Slice(internal::kFormatVersion))
        .PermitUncheckedError();
    if (absl::Status written = WriteSynced(&batch, "writing the format marker");
        !written.ok()) {
      return written;
    }
  } else if (!s.ok()) {
    return FromRocks(s, path, "reading the format marker");
  } else if (value == internal::kFormat1) {
    format = 1;
  } else if (value == internal::kFormat2) {
    format = 2;
  } else if (value != internal::kFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "event store at ", path, ": unsupported format \"", value, "\""));
  }

  // Last position: the meta record and the last event key must agree.
  uint64_t meta_last = 0;
  s = db_->Get(ro, rocksdb::Slice(internal::kMetaLastPosition), &value);
  if (s.ok()) {
    if (value.size() != 8) {
      return absl::DataLossError(
          absl::StrCat("event store at ", path, ": malformed last position record"));
    }
    meta_last = internal::GetFixed64BE(value.data());
  } else if (!s.IsNotFound()) {
    return FromRocks(s, path, "reading the last position");
  }
  uint64_t key_last = 0;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
    std::string seek;
    internal::EventKey(&seek, UINT64_MAX);
    it->SeekForPrev(seek);
    if (it->Valid() && it->key().size() == 9 && it->key()[0] == internal::kEventPrefix) {
      key_last = internal::GetFixed64BE(it->key().data() + 1);
      auto last = internal::DecodeEventRecord(
          std::string_view(it->key().data(), it->key().size()),
          std::string_view(it->value().data(), it->value().size()), key_last);
      if (!last.ok()) {
        return absl::DataLossError(
            absl::StrCat("event store at ", path, ": ", last.status().message()));
      }
      last_recorded_ = absl::ToUnixNanos(internal::FromTimestamp(last->recorded_at()));
    }
    if (!it->status().ok()) return FromRocks(it->status(), path, "reading the last event");
  }
  if (key_last != meta_last) {
    return absl::DataLossError(absl::StrCat("event store at ", path, ": last position is ",
                                            meta_last, " but the last event is at ",
                                            key_last));
  }
  last_position_.store(meta_last);
  prepared_position_ = meta_last;

  if (format == 1) {
    if (absl::Status converted = ConvertFromFormat1(meta_last); !converted.ok()) {
      return converted;
    }
  }
  if (format <= 2) {
    if (absl::Status converted = ConvertFromFormat2(); !converted.ok()) return converted;
  }
  if (streams_ == nullptr || requests_ == nullptr) {
    return absl::DataLossError(absl::StrCat(
        "event store at ", path, ": the \"",
        internal::Av(streams_ == nullptr ? internal::kStreamsFamily : internal::kRequestsFamily),
        "\" column family is missing"));
  }
  if (absl::Status heads = LoadHeads(); !heads.ok()) return heads;
  if (absl::Status outbox = LoadOutbox(meta_last); !outbox.ok()) return outbox;

  // Named so that top, perf and gdb tell the store's threads apart.
  preparer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "es-prepare");
    PrepareLoop();
  });
  committer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "es-commit");
    CommitLoop();
  });
  notifier_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "es-notify");
    NotifyLoop();
  });
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::ConvertFromFormat1(uint64_t last_position) {
  // The oldest outbox key is the first unpublished event; everything
  // before it was acknowledged. Acknowledged entries after it are
  // published once more (delivery is at-least-once).
  uint64_t acked = last_position;
  {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    const std::string prefix(1, internal::kFormat1OutboxPrefix);
    it->Seek(prefix);
    if (it->Valid() && it->key().starts_with(prefix)) {
      if (it->key().size() != 9) {
        return absl::DataLossError(
            absl::StrCat("event store at ", options_.path, ": malformed outbox entry"));
      }
      acked = internal::GetFixed64BE(it->key().data() + 1) - 1;
    }
    if (!it->status().ok()) return FromRocks(it->status(), options_.path, "reading the outbox");
  }
  rocksdb::WriteBatch batch;
  const char head[2] = {internal::kFormat1HeadPrefix, internal::kFormat1HeadPrefix + 1};
  const char outbox[2] = {internal::kFormat1OutboxPrefix, internal::kFormat1OutboxPrefix + 1};
  batch.DeleteRange(rocksdb::Slice(head, 1), rocksdb::Slice(head + 1, 1)).PermitUncheckedError();
  batch.DeleteRange(rocksdb::Slice(outbox, 1), rocksdb::Slice(outbox + 1, 1))
      .PermitUncheckedError();
  batch.Put(rocksdb::Slice(internal::kMetaOutboxAcked), Fixed64(acked)).PermitUncheckedError();
  batch.Put(rocksdb::Slice(internal::kMetaFormat), rocksdb::Slice(internal::kFormat2))
      .PermitUncheckedError();
  return WriteSynced(&batch, "converting from format 1");
}

absl::Status RocksDbEventStore::WriteSynced(rocksdb::WriteBatch* batch,
                                            std::string_view context) {
  rocksdb::WriteOptions wo;
  wo.sync = true;
  rocksdb::Status s = db_->Write(wo, batch);
  if (!s.ok()) return FromRocks(s, options_.path, context);
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::CreateFamilies() {
  for (auto [name, handle] : {std::pair{internal::kStreamsFamily, &streams_},
                              std::pair{internal::kRequestsFamily, &requests_}}) {
    if (*handle != nullptr) continue;
    rocksdb::Status s = db_->CreateColumnFamily(*FamilyOptions(name), std::string(name), handle);
    if (!s.ok()) {
      return FromRocks(s, options_.path,
                       absl::StrCat("creating column family ", internal::Av(name)));
    }
  }
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::ConvertFromFormat2() {
  // The families may already exist (a conversion cut short by a crash):
  // the copies are then made again, with the same bytes.
  if (absl::Status created = CreateFamilies(); !created.ok()) return created;
  // Copies go in unsynced batches; the last write, which removes the
  // originals and sets the format, is synced and so makes every earlier
  // one durable (the WAL is written in order).
  rocksdb::WriteBatch batch;
  for (auto [prefix, family] : {std::pair{internal::kIndexPrefix, streams_},
                                std::pair{internal::kRequestPrefix, requests_}}) {
    const char bounds[2] = {prefix, static_cast<char>(prefix + 1)};
    const rocksdb::Slice begin(bounds, 1);
    const rocksdb::Slice end(bounds + 1, 1);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &end;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, log_));
    for (it->Seek(begin); it->Valid(); it->Next()) {
      batch.Put(family, it->key(), it->value()).PermitUncheckedError();
      if (batch.Count() >= 10000) {
        rocksdb::Status s = db_->Write(rocksdb::WriteOptions(), &batch);
        if (!s.ok()) return FromRocks(s, options_.path, "converting from format 2");
        batch.Clear();
      }
    }
    if (!it->status().ok()) {
      return FromRocks(it->status(), options_.path, "reading format-2 records");
    }
    batch.DeleteRange(log_, begin, end).PermitUncheckedError();
  }
  batch.Put(log_, rocksdb::Slice(internal::kMetaFormat), rocksdb::Slice(internal::kFormatVersion))
      .PermitUncheckedError();
  return WriteSynced(&batch, "converting from format 2");
}

absl::Status RocksDbEventStore::LoadHeads() {
  // A stream's head is its last index key: for each stream, jump to the
  // end of its keys (s<stream>\0... sorts before s<stream>\1) and then
  // on to the next stream, two seeks per stream.
  // Across streams: a total-order seek, so that the table files' prefix
  // bloom filters do not skip the other streams.
  rocksdb::ReadOptions ro;
  ro.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams_));
  const std::string prefix(1, internal::kIndexPrefix);
  std::string past_stream;
  auto malformed = [&] {
    return absl::DataLossError(
        absl::StrCat("event store at ", options_.path, ": malformed stream index key"));
  };
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix);) {
    const rocksdb::Slice first = it->key();
    if (first.size() < 11 || first[first.size() - 9] != '\0') return malformed();
    const std::string stream(first.data() + 1, first.size() - 10);
    past_stream = prefix + stream;
    past_stream.push_back('\1');
    it->SeekForPrev(past_stream);
    const rocksdb::Slice last = it->key();
    if (!it->Valid() || last.size() != stream.size() + 10 ||
        !last.starts_with(rocksdb::Slice(past_stream.data(), past_stream.size() - 1)) ||
        last[last.size() - 9] != '\0') {
      if (!it->status().ok()) break;
      return malformed();
    }
    heads_.emplace(stream, internal::GetFixed64BE(last.data() + last.size() - 8));
    it->Seek(past_stream);
  }
  if (!it->status().ok()) return FromRocks(it->status(), options_.path, "reading stream heads");
  return absl::OkStatus();
}

absl::Status RocksDbEventStore::LoadOutbox(uint64_t last_position) {
  std::string value;
  uint64_t acked = 0;
  rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), rocksdb::Slice(internal::kMetaOutboxAcked), &value);
  if (s.ok()) {
    if (value.size() != 8) {
      return absl::DataLossError(
          absl::StrCat("event store at ", options_.path, ": malformed outbox watermark"));
    }
    acked = internal::GetFixed64BE(value.data());
  } else if (!s.IsNotFound()) {
    return FromRocks(s, options_.path, "reading the outbox watermark");
  }
  if (acked > last_position) {
    return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                            ": outbox watermark ", acked,
                                            " is past the last event at ", last_position));
  }
  // Every event after the watermark is (again) waiting to be published.
  // Only its position and recorded_at are needed here. A record that fails
  // its checksum is still listed (ReadOutbox then reports DATA_LOSS for
  // it, as every read does) with its neighbour's recorded_at, which is as
  // close as the store can know: recorded_at never decreases along the log.
  absl::btree_map<uint64_t, int64_t> pending;
  std::vector<uint64_t> damaged_before_first_good;
  int64_t last_good = 0;
  bool have_good = false;
  std::string key;
  std::string end;
  internal::EventKey(&end, last_position + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  internal::EventKey(&key, acked + 1);
  for (it->Seek(key); it->Valid(); it->Next()) {
    if (it->key().size() != 9) break;
    const uint64_t position = internal::GetFixed64BE(it->key().data() + 1);
    auto event = internal::DecodeEventRecord(
        std::string_view(it->key().data(), it->key().size()),
        std::string_view(it->value().data(), it->value().size()), position);
    if (event.ok()) {
      last_good = absl::ToUnixNanos(internal::FromTimestamp(event->recorded_at()));
      if (!have_good) {
        for (uint64_t p : damaged_before_first_good) pending[p] = last_good;
        have_good = true;
      }
    } else if (!have_good) {
      damaged_before_first_good.push_back(position);
      continue;
    }
    pending.emplace_hint(pending.end(), position, last_good);
  }
  if (!it->status().ok()) return FromRocks(it->status(), options_.path, "reading the outbox");
  for (uint64_t p : damaged_before_first_good) pending.emplace(p, 0);  // nothing good at all

  absl::MutexLock ack_lock(&ack_mu_);
  absl::MutexLock lock(&outbox_mu_);
  outbox_acked_ = acked;
  outbox_committed_through_ = last_position;
  outbox_ = std::move(pending);
  return absl::OkStatus();
}

absl::StatusOr<AppendResult> RocksDbEventStore::Append(AppendRequest request) {
  if (absl::Status s = internal::ValidateAppendRequest(request); !s.ok()) {
    return Rejected(std::move(s));
  }
  internal::PrepareEvents(request);
  Pending pending;
  pending.request = std::move(request);
  for (const StreamAppend& w : pending.request.writes) {
    for (const Envelope& e : w.events) {
      std::string& bytes = pending.event_bytes.emplace_back();
      e.SerializeToString(&bytes);
      pending.event_crcs.push_back(Crc32c(bytes));
    }
  }
  {
    absl::MutexLock lock(&queue_mu_);
    if (!failed_.ok()) return Rejected(failed_);
    if (closing_) return Rejected(absl::UnavailableError("event store is closing"));
    if (queue_.size() >= options_.max_pending_appends) {
      return Rejected(absl::UnavailableError(absl::StrCat(
          "event store is overloaded: ", queue_.size(), " appends already queued")));
    }
    queue_.push_back(&pending);
    if (options_.observer != nullptr) options_.observer->OnQueueDepth(queue_.size());
    // While the committer is busy the preparer is woken for every
    // preparer_wake_batch-th append only (the committer wakes it when it is
    // free): a wake-up per append cost more than preparing the append.
    // While it lingers on an open group, only once the group would be full
    // enough (its deadline wakes it otherwise).
    if (preparer_idle_) {
      const bool wake = linger_wake_at_ > 0 ? queue_.size() >= linger_wake_at_
                        : !committer_busy_ || queue_.size() >= options_.preparer_wake_batch;
      if (wake) queue_cv_.Signal();
    }
  }
  pending.done.Wait();
  if (!pending.result.ok() && options_.observer != nullptr) {
    options_.observer->OnRejected(pending.result.status().code());
  }
  return std::move(pending.result);
}

void RocksDbEventStore::PrepareLoop() {
  while (true) {
    Group* group = nullptr;
    {
      // At most one group waits for the committer: a group that is still
      // open takes more appends than one already handed over.
      absl::MutexLock lock(&pipe_mu_);
      auto can_fill = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pipe_mu_) {
        return !free_groups_.empty() && ready_.empty();
      };
      pipe_mu_.Await(absl::Condition(&can_fill));
      group = free_groups_.back();
      free_groups_.pop_back();
    }
    Recycle(group);
    // Fill the group until the committer can take it: appends that arrive
    // while the previous group is being synced join this one, so a group
    // holds everything that queued during one sync. Handing a group over
    // as soon as it had one append would leave the arrivals of the rest of
    // the sync for the group after, and groups would stay small.
    size_t queued_events = 0;
    bool closed = false;
    // Group linger (RocksDbEventStoreOptions::group_linger): only after a
    // group of two or more, so that a lone caller never waits.
    const bool may_linger = options_.group_linger > absl::ZeroDuration() &&
                            last_group_appends_ >= 2;
    absl::Time linger_deadline = absl::InfiniteFuture();
    bool lingered = false;
    while (true) {
      size_t from = group->members.size();
      bool failed = false;
      bool hand_over = false;
      {
        absl::MutexLock lock(&queue_mu_);
        auto full = [&] {
          return group->members.size() >= options_.max_appends_per_group ||
                 queued_events >= options_.max_events_per_group;
        };
        // Linger while the committer is free and the group is small.
        auto lingering = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
          return may_linger && !lingered && !committer_busy_ &&
                 group->members.size() < options_.group_linger_below;
        };
        while (!closing_ && !full() && queue_.empty() &&
               (group->members.empty() || committer_busy_ || lingering())) {
          preparer_idle_ = true;
          if (!group->members.empty() && lingering()) {
            if (linger_deadline == absl::InfiniteFuture()) {
              linger_deadline = absl::Now() + options_.group_linger;
            }
            linger_wake_at_ = options_.group_linger_below - group->members.size();
            const bool timed_out = queue_cv_.WaitWithDeadline(&queue_mu_, linger_deadline);
            linger_wake_at_ = 0;
            if (timed_out && queue_.empty()) lingered = true;
          } else {
            queue_cv_.Wait(&queue_mu_);
          }
          preparer_idle_ = false;
        }
        if (group->members.empty() && queue_.empty()) {
          closed = true;  // closing and drained
          break;
        }
        // As many queued appends as the group's bounds allow (at least one
        // in an empty group, however large).
        while (!queue_.empty() && !full()) {
          size_t events = queue_.front()->event_bytes.size();
          if (!group->members.empty() &&
              queued_events + events > options_.max_events_per_group) {
            break;
          }
          group->members.push_back(queue_.front());
          queued_events += events;
          queue_.pop_front();
        }
        if (options_.observer != nullptr) options_.observer->OnQueueDepth(queue_.size());
        failed = !failed_.ok();
        // An append left in the queue did not fit: the group is as full as
        // it can get.
        hand_over = full() || !queue_.empty() || closing_ || (!committer_busy_ && !lingering());
        if (hand_over) committer_busy_ = true;
      }
      if (group->members.size() > from) {
        if (from == 0) group->seq = next_seq_++;
        if (!failed) Prepare(group, from);  // else the committer answers with failed_
      }
      if (hand_over) break;
    }
    if (closed) {
      absl::MutexLock lock(&pipe_mu_);
      free_groups_.push_back(group);
      break;
    }
    last_group_appends_ = group->members.size();
    absl::MutexLock lock(&pipe_mu_);
    ready_.push_back(group);
  }
  absl::MutexLock lock(&pipe_mu_);
  preparer_done_ = true;
}

void RocksDbEventStore::Recycle(Group* group) {
  for (const auto& [stream, version] : group->heads) {
    auto it = inflight_heads_.find(stream);
    if (it != inflight_heads_.end() && it->second.second == group->seq) inflight_heads_.erase(it);
  }
  for (const std::string& id : group->request_ids) {
    auto it = inflight_requests_.find(id);
    if (it != inflight_requests_.end() && it->second.second == group->seq) {
      inflight_requests_.erase(it);
    }
  }
  group->members.clear();
  group->first_position = 0;
  group->last_position = 0;
  group->accepted = 0;
  group->events = 0;
  group->batch.Clear();
  group->heads.clear();
  group->request_ids.clear();
}

uint64_t RocksDbEventStore::CurrentVersion(absl::string_view stream) const {
  if (auto it = inflight_heads_.find(stream); it != inflight_heads_.end()) {
    return it->second.first;
  }
  absl::ReaderMutexLock lock(&heads_mu_);
  if (auto it = heads_.find(stream); it != heads_.end()) return it->second;
  return 0;
}

void RocksDbEventStore::Prepare(Group* group, size_t from) {
  if (from == 0) {
    // One recorded_at per group, taken when its first append is prepared.
    group->recorded = internal::NextRecordedAt(options_.clock(), last_recorded_);
    last_recorded_ = group->recorded;
    group->first_position = prepared_position_ + 1;
  }
  const int64_t recorded = group->recorded;
  rocksdb::ReadOptions ro;

  for (size_t m = from; m < group->members.size(); ++m) {
    Pending* p = group->members[m];
    const AppendRequest& req = p->request;
    if (!req.request_id.empty()) {
      // Committed, or accepted in a group not yet committed: replay.
      if (auto it = inflight_requests_.find(req.request_id); it != inflight_requests_.end()) {
        AppendResult replay = it->second.first;
        replay.replayed = true;
        p->result = std::move(replay);
        continue;
      }
      internal::RequestKey(&key_, req.request_id);
      rocksdb::Status s = db_->Get(ro, requests_, key_, &value_);
      if (s.ok()) {
        p->result = internal::DecodeRequestRecord(key_, value_);
        if (p->result.ok()) p->result->replayed = true;
        continue;
      }
      if (!s.IsNotFound()) {
        p->result = FromRocks(s, options_.path, "reading a request record");
        continue;
      }
    }
    absl::Status conflict;
    for (const StreamAppend& w : req.writes) {
      uint64_t current = CurrentVersion(w.stream);
      if (!internal::VersionMatches(w.expected, current)) {
        conflict = internal::ConflictError(w.stream, current, w.expected);
        break;
      }
    }
    if (!conflict.ok()) {
      p->result = std::move(conflict);
      continue;
    }

    AppendResult result;
    result.recorded_at = absl::FromUnixNanos(recorded);
    result.first_position = prepared_position_ + 1;
    result.streams.reserve(req.writes.size());
    size_t event_index = 0;
    for (const StreamAppend& w : req.writes) {
      uint64_t version = CurrentVersion(w.stream);
      const uint64_t first_version = version + 1;
      for (size_t i = 0; i < w.events.size(); ++i, ++event_index) {
        ++version;
        const uint64_t position = ++prepared_position_;
        tail_.clear();
        internal::AppendStoreFields(&tail_, w.stream, version, position, recorded);
        internal::EventKey(&key_, position);
        const std::string& bytes = p->event_bytes[event_index];
        uint32_t crc = Crc32cExtend(Crc32cExtend(p->event_crcs[event_index], tail_), key_);
        char crc_bytes[4] = {static_cast<char>(crc >> 24), static_cast<char>(crc >> 16),
                             static_cast<char>(crc >> 8), static_cast<char>(crc)};
        rocksdb::Slice key_slice(key_);
        rocksdb::Slice parts[3] = {rocksdb::Slice(crc_bytes, 4), rocksdb::Slice(bytes),
                                   rocksdb::Slice(tail_)};
        group->batch.Put(rocksdb::SliceParts(&key_slice, 1), rocksdb::SliceParts(parts, 3))
            .PermitUncheckedError();
        internal::IndexKey(&key_, w.stream, version);
        group->batch.Put(streams_, key_, Fixed64(position)).PermitUncheckedError();
      }
      inflight_heads_.insert_or_assign(w.stream, std::pair{version, group->seq});
      group->heads.emplace_back(w.stream, version);
      result.streams.push_back(StreamAppendResult{w.stream, first_version, version});
    }
    result.last_position = prepared_position_;
    group->events += event_index;
    ++group->accepted;
    if (!req.request_id.empty()) {
      internal::RequestKey(&key_, req.request_id);
      group->batch.Put(requests_, key_, internal::EncodeRequestRecord(key_, result))
          .PermitUncheckedError();
      inflight_requests_.insert_or_assign(req.request_id, std::pair{result, group->seq});
      group->request_ids.push_back(req.request_id);
    }
    p->result = std::move(result);
  }
  if (group->accepted > 0 && group->last_position != prepared_position_) {
    // Written again by each later call for the same group; the last Put wins.
    group->batch.Put(rocksdb::Slice(internal::kMetaLastPosition), Fixed64(prepared_position_))
        .PermitUncheckedError();
  }
  group->last_position = prepared_position_;
}

void RocksDbEventStore::CommitLoop() {
  while (true) {
    Group* group = nullptr;
    {
      absl::MutexLock lock(&pipe_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pipe_mu_) {
        return !ready_.empty() || preparer_done_;
      };
      pipe_mu_.Await(absl::Condition(&ready));
      if (ready_.empty()) {  // the preparer has finished and all is written
        committer_done_ = true;
        return;
      }
      group = ready_.front();
      ready_.pop_front();
    }
    Commit(group);
    // A group of one or two is answered here: handing it to the notifier
    // would cost more than the wake-ups themselves.
    const bool answer_here = group->members.size() <= kMaxAnsweredByCommitter;
    if (answer_here) {
      for (Pending* p : group->members) p->done.Set();  // p may be gone after this
    }
    bool idle = false;
    {
      absl::MutexLock lock(&pipe_mu_);
      if (answer_here) {
        free_groups_.push_back(group);
      } else {
        written_.push_back(group);
      }
      idle = ready_.empty();
    }
    if (idle) {
      // Tell the preparer to hand over what it has gathered.
      absl::MutexLock lock(&queue_mu_);
      committer_busy_ = false;
      if (preparer_idle_) queue_cv_.Signal();
    }
  }
}

void RocksDbEventStore::NotifyLoop() {
  while (true) {
    Group* group = nullptr;
    {
      absl::MutexLock lock(&pipe_mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(pipe_mu_) {
        return !written_.empty() || committer_done_;
      };
      pipe_mu_.Await(absl::Condition(&ready));
      if (written_.empty()) return;  // the committer has finished and all are answered
      group = written_.front();
      written_.pop_front();
    }
    for (Pending* p : group->members) p->done.Set();  // p may be gone after this
    absl::MutexLock lock(&pipe_mu_);
    free_groups_.push_back(group);
  }
}

void RocksDbEventStore::Commit(Group* group) {
  absl::Status failed;
  {
    absl::MutexLock lock(&queue_mu_);
    failed = failed_;
  }
  if (!failed.ok()) {
    // An earlier write failed; this group was prepared on top of it.
    for (Pending* p : group->members) p->result = failed;
    return;
  }
  if (group->accepted == 0) return;  // only replays and conflicts

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync;
  const absl::Time start = absl::Now();
  rocksdb::Status s = db_->Write(wo, &group->batch);
  const absl::Duration latency = absl::Now() - start;
  if (!s.ok()) {
    // Later appends are refused with `failure`; this group's members are
    // told that theirs may be on disk after all (a failed sync can leave
    // the write in the file), so that they retry with the same request id
    // instead of assuming nothing was stored.
    absl::Status failure = FromRocks(s, options_.path, "a group commit failed; refusing appends");
    absl::Status outcome_unknown = FromRocks(
        s, options_.path,
        "group commit failed: this append may or may not be stored; retry it with the same "
        "request id once the store is reopened");
    {
      absl::MutexLock lock(&queue_mu_);
      failed_ = failure;
    }
    if (options_.observer != nullptr) options_.observer->OnFailed(failure);
    for (Pending* p : group->members) p->result = outcome_unknown;
    return;
  }

  {
    absl::WriterMutexLock lock(&heads_mu_);
    for (const auto& [stream, version] : group->heads) heads_.insert_or_assign(stream, version);
  }
  {
    absl::MutexLock lock(&outbox_mu_);
    for (uint64_t p = group->first_position; p <= group->last_position; ++p) {
      outbox_.emplace_hint(outbox_.end(), p, group->recorded);
    }
    outbox_committed_through_ = group->last_position;
  }
  {
    absl::MutexLock lock(&tail_mu_);
    last_position_.store(group->last_position, std::memory_order_release);
  }
  if (options_.observer != nullptr) {
    options_.observer->OnCommit(group->members.size(), group->events,
                                group->batch.GetDataSize(), latency);
  }
}

absl::StatusOr<uint64_t> RocksDbEventStore::StreamVersion(std::string_view stream) {
  absl::ReaderMutexLock lock(&heads_mu_);
  auto it = heads_.find(internal::Av(stream));
  return it == heads_.end() ? 0 : it->second;
}

absl::StatusOr<std::vector<Envelope>> RocksDbEventStore::GetEvents(
    const std::vector<uint64_t>& positions) {
  std::vector<std::string> keys(positions.size());
  std::vector<rocksdb::Slice> slices;
  slices.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    internal::EventKey(&keys[i], positions[i]);
    slices.emplace_back(keys[i]);
  }
  std::vector<std::string> values;
  std::vector<rocksdb::Status> statuses =
      db_->MultiGet(rocksdb::ReadOptions(), slices, &values);
  std::vector<Envelope> out;
  out.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    if (statuses[i].IsNotFound()) {
      return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                              ": event at position ", positions[i],
                                              " is missing"));
    }
    if (!statuses[i].ok()) return FromRocks(statuses[i], options_.path, "reading an event");
    auto event = internal::DecodeEventRecord(keys[i], values[i], positions[i]);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat("event store at ", options_.path, ": ", event.status().message()));
    }
    out.push_back(*std::move(event));
  }
  return out;
}

absl::StatusOr<std::vector<Envelope>> RocksDbEventStore::ReadStream(std::string_view stream,
                                                                    uint64_t from_version,
                                                                    size_t limit) {
  uint64_t head = 0;
  {
    absl::ReaderMutexLock lock(&heads_mu_);
    auto it = heads_.find(internal::Av(stream));
    if (it != heads_.end()) head = it->second;
  }
  const uint64_t from = std::max<uint64_t>(from_version, 1);
  if (from > head || limit == 0) return std::vector<Envelope>{};
  const uint64_t to = head - from + 1 <= limit ? head : from + limit - 1;

  std::string begin;
  std::string end;
  internal::IndexKey(&begin, stream, from);
  internal::IndexKey(&end, stream, to + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  ro.prefix_same_as_start = true;  // one stream
  std::vector<uint64_t> positions;
  positions.reserve(to - from + 1);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, streams_));
  uint64_t expected = from;
  for (it->Seek(begin); it->Valid(); it->Next(), ++expected) {
    internal::IndexKey(&begin, stream, expected);
    if (it->key() != rocksdb::Slice(begin) || it->value().size() != 8) {
      return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                              ": stream index of \"", internal::Av(stream),
                                              "\" is broken at version ", expected));
    }
    positions.push_back(internal::GetFixed64BE(it->value().data()));
  }
  if (!it->status().ok()) return FromRocks(it->status(), options_.path, "reading a stream");
  if (positions.size() != to - from + 1) {
    return absl::DataLossError(absl::StrCat("event store at ", options_.path, ": stream \"",
                                            internal::Av(stream), "\" lacks version ", expected));
  }
  auto events = GetEvents(positions);
  if (!events.ok()) return events.status();
  for (size_t i = 0; i < events->size(); ++i) {
    const Envelope& e = (*events)[i];
    if (e.stream() != stream || e.version() != from + i) {
      return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                              ": event at position ", positions[i],
                                              " does not belong to stream \"", internal::Av(stream),
                                              "\" version ", from + i));
    }
  }
  return events;
}

absl::StatusOr<std::vector<Envelope>> RocksDbEventStore::ReadAll(uint64_t from_position,
                                                                 size_t limit) {
  const uint64_t last = LastPosition();
  const uint64_t from = std::max<uint64_t>(from_position, 1);
  if (from > last || limit == 0) return std::vector<Envelope>{};
  const uint64_t to = last - from + 1 <= limit ? last : from + limit - 1;

  std::string key;
  std::string end;
  internal::EventKey(&end, to + 1);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro));
  std::vector<Envelope> out;
  out.reserve(to - from + 1);
  internal::EventKey(&key, from);
  uint64_t expected = from;
  for (it->Seek(key); it->Valid(); it->Next(), ++expected) {
    internal::EventKey(&key, expected);
    if (it->key() != rocksdb::Slice(key)) {
      return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                              ": event at position ", expected,
                                              " is missing"));
    }
    auto event = internal::DecodeEventRecord(
        key, std::string_view(it->value().data(), it->value().size()), expected);
    if (!event.ok()) {
      return absl::DataLossError(
          absl::StrCat("event store at ", options_.path, ": ", event.status().message()));
    }
    out.push_back(*std::move(event));
  }
  if (!it->status().ok()) return FromRocks(it->status(), options_.path, "reading the log");
  if (expected != to + 1) {
    return absl::DataLossError(absl::StrCat("event store at ", options_.path,
                                            ": event at position ", expected,
                                            " is missing"));
  }
  return out;
}

bool RocksDbEventStore::WaitForPosition(uint64_t position, absl::Time deadline) {
  absl::MutexLock lock(&tail_mu_);
  auto ready = [&] {
    return tail_closed_ || last_position_.load(std::memory_order_acquire) >= position;
  };
  tail_mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  return last_position_.load(std::memory_order_acquire) >= position;
}

absl::StatusOr<std::vector<OutboxEntry>> RocksDbEventStore::ReadOutbox(size_t limit) {
  std::vector<uint64_t> positions;
  {
    absl::MutexLock lock(&outbox_mu_);
    for (auto it = outbox_.begin(); it != outbox_.end() && positions.size() < limit; ++it) {
      positions.push_back(it->first);
    }
  }
  auto events = GetEvents(positions);
  if (!events.ok()) return events.status();
  std::vector<OutboxEntry> out;
  out.reserve(positions.size());
  for (size_t i = 0; i < positions.size(); ++i) {
    out.push_back(OutboxEntry{positions[i], std::move((*events)[i])});
  }
  return out;
}

absl::Status RocksDbEventStore::AckOutbox(const std::vector<uint64_t>& positions) {
  absl::MutexLock ack_lock(&ack_mu_);
  uint64_t acked = 0;
  {
    absl::MutexLock lock(&outbox_mu_);
    for (uint64_t p : positions) outbox_.erase(p);
    acked = outbox_.empty() ? outbox_committed_through_ : outbox_.begin()->first - 1;
  }
  if (acked <= outbox_acked_) return absl::OkStatus();
  // Not synced: a watermark lost in a machine crash only means that the
  // entries after the older one are published again (delivery is
  // at-least-once). Entries acknowledged above the watermark (out of
  // order) are likewise published again after a restart.
  rocksdb::Status s = db_->Put(rocksdb::WriteOptions(),
                               rocksdb::Slice(internal::kMetaOutboxAcked), Fixed64(acked));
  if (!s.ok()) return FromRocks(s, options_.path, "acknowledging outbox entries");
  outbox_acked_ = acked;
  return absl::OkStatus();
}

OutboxStats RocksDbEventStore::GetOutboxStats() {
  absl::MutexLock lock(&outbox_mu_);
  OutboxStats stats;
  stats.depth = outbox_.size();
  stats.oldest_recorded_at =
      outbox_.empty() ? absl::InfinitePast() : absl::FromUnixNanos(outbox_.begin()->second);
  return stats;
}

bool RocksDbEventStore::WaitForOutbox(absl::Time deadline) {
  absl::MutexLock lock(&outbox_mu_);
  auto ready = [&] { return outbox_closed_ || !outbox_.empty(); };
  outbox_mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
  return !outbox_closed_ && !outbox_.empty();
}

void RocksDbEventStore::Close() {
  absl::MutexLock close_lock(&close_mu_);
  {
    absl::MutexLock lock(&queue_mu_);
    closing_ = true;
    queue_cv_.Signal();
  }
  if (preparer_.joinable()) preparer_.join();
  if (committer_.joinable()) committer_.join();
  if (notifier_.joinable()) notifier_.join();
  {
    absl::MutexLock lock(&tail_mu_);
    tail_closed_ = true;
  }
  {
    absl::MutexLock lock(&outbox_mu_);
    outbox_closed_ = true;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenRocksDbEventStore(
    const RocksDbEventStoreOptions& options) {
  return internal::OpenRocksDbEventStoreOnEnv(options, nullptr);
}

absl::StatusOr<std::unique_ptr<EventStore>> internal::OpenRocksDbEventStoreOnEnv(
    const RocksDbEventStoreOptions& options, rocksdb::Env* env) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: empty");
  if (options.max_pending_appends == 0) {
    return absl::InvalidArgumentError("max_pending_appends: must be at least 1");
  }
  if (options.max_appends_per_group == 0) {
    return absl::InvalidArgumentError("max_appends_per_group: must be at least 1");
  }
  if (options.max_events_per_group == 0) {
    return absl::InvalidArgumentError("max_events_per_group: must be at least 1");
  }
  if (options.preparer_wake_batch == 0) {
    return absl::InvalidArgumentError("preparer_wake_batch: must be at least 1");
  }
  if (options.group_linger < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("group_linger: must not be negative");
  }
  if (options.group_linger > absl::ZeroDuration() && options.group_linger_below < 2) {
    return absl::InvalidArgumentError("group_linger_below: must be at least 2");
  }
  if (!options.clock) return absl::InvalidArgumentError("clock: empty");

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.paranoid_checks = true;
  if (env != nullptr) db_options.env = env;
  // Not RocksDB's own LOG writer: with Debian's assertions, a full disk
  // made it abort the process (libs/rocksdb_log).
  db_options.info_log = rocksdb_log::NewInfoLog({.dir = options.path});
  // A torn last record is an append that was never acknowledged (its sync
  // did not finish); corruption anywhere else fails the open. (This mode
  // rules out recycled WAL files, whose syncs would be cheaper: RocksDB
  // 7.8 keeps recycle_log_file_num only when it may skip damaged records.)
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  db_options.IncreaseParallelism(2);
  // The requests family's hash memtable takes one writer at a time; the
  // store has one writer thread anyway.
  db_options.allow_concurrent_memtable_write = false;

  // Open every column family the store has: the default one always, the
  // others from format 3 on (Load creates them for a new or older store).
  // Any other family means this is not our database.
  std::vector<rocksdb::ColumnFamilyDescriptor> families = {
      {rocksdb::kDefaultColumnFamilyName, LogFamilyOptions()}};
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      if (name == rocksdb::kDefaultColumnFamilyName) continue;
      std::optional<rocksdb::ColumnFamilyOptions> family_options = FamilyOptions(name);
      if (!family_options) {
        return absl::DataLossError(absl::StrCat("event store at ", options.path,
                                                ": unknown column family \"", name,
                                                "\"; not a changeledger event store"));
      }
      families.emplace_back(name, *family_options);
    }
  }  // else a new store, or one Open reports on below

  rocksdb::DB* db = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, families, &handles, &db);
  if (!s.ok()) {
    std::string message =
        absl::StrCat("cannot open event store at ", options.path, ": ", s.ToString());
    if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
      return absl::UnavailableError(message);
    }
    if (s.IsNoSpace()) return absl::ResourceExhaustedError(message);
    if (s.IsCorruption() || s.IsIOError()) return absl::DataLossError(message);
    return absl::InternalError(message);
  }
  auto store = std::make_unique<RocksDbEventStore>(options, db, handles);
  if (options.verify_checksums_on_open) {
    s = db->VerifyChecksum();
    if (!s.ok()) {
      return absl::DataLossError(absl::StrCat("event store at ", options.path,
                                              " is corrupted: ", s.ToString()));
    }
  }
  if (absl::Status loaded = store->Load(); !loaded.ok()) return loaded;
  return store;
}

}  // namespace changeledger::eventstore
