// The durable EventStore: RocksDB on a local directory, one writer thread,
// group commit with a synced WAL. See docs/architecture.md ("Event store")
// for the key layout and the guarantees.
#ifndef CHANGELEDGER_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
#define CHANGELEDGER_EVENTSTORE_ROCKSDB_EVENT_STORE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/eventstore/observer.h"

namespace changeledger::eventstore {

struct RocksDbEventStoreOptions {
  // Directory of the RocksDB database; created if missing. Required.
  std::string path;

  // Sync the WAL before answering an append. Turning it off loses the
  // durability guarantee (a machine crash may lose acknowledged appends);
  // only for tests and benchmarks of the non-durable path.
  // Default: true.
  bool sync = true;

  // Appends waiting for the writer thread at most; one more is answered
  // with UNAVAILABLE at once (memory stays bounded under overload).
  // Default: 4096.
  size_t max_pending_appends = 4096;

  // Appends combined into one synced write at most.
  // Default: 1024.
  size_t max_appends_per_group = 1024;

  // Events combined into one synced write at most (a single larger append
  // still commits alone).
  // Default: 8192.
  size_t max_events_per_group = 8192;

  // While a group is being written, appends queue for the next one; the
  // thread that prepares them (looks up request ids, checks versions,
  // builds the batch) is woken once this many are queued, and in any case
  // when the write ends. 1 prepares each append as it arrives; larger
  // values save a thread wake-up per append under load (measured with
  // eventstore_bench at 64 appenders: about 10% less CPU per event).
  // Default: 16.
  size_t preparer_wake_batch = 16;

  // Group linger: when the writer is free and the open group holds fewer
  // than group_linger_below appends, keep the group open for up to
  // group_linger for more to join, so that one synced write serves more
  // appends. It applies only after a group of two or more appends (a lone
  // caller never waits), and arrivals wake the preparer only once the group
  // would be large enough. For servers whose callers come back within a
  // write's time (intake sets 1 ms and 8: groups of 10 instead of 2.5, and
  // about 10% less CPU per command). Zero turns it off.
  // Default: zero (off), 8.
  absl::Duration group_linger = absl::ZeroDuration();
  size_t group_linger_below = 8;

  // Verify every table file's checksums when opening (reads the whole
  // store once). A corrupted store then fails to open with DATA_LOSS
  // instead of failing later on the damaged read.
  // Default: true.
  bool verify_checksums_on_open = true;

  // Source of recorded_at, read once per group commit. recorded_at never
  // decreases along the global order, even if this clock steps back.
  // Default: absl::Now.
  std::function<absl::Time()> clock = [] { return absl::Now(); };

  // Receives metrics hooks; not owned, must outlive the store.
  // Default: none.
  EventStoreObserver* observer = nullptr;
};

// Opens (creating if needed) the store at options.path, with RocksDB's
// paranoid checks. Reads the last position, the stream heads and the
// outbox index at open, then starts the writer thread.
// Errors:
//   INVALID_ARGUMENT  empty path, empty clock or a zero queue/group bound.
//   DATA_LOSS         the store is unreadable or corrupted (the message
//                     names the path); do not serve from it.
//   UNAVAILABLE       the store is locked by another process.
//   RESOURCE_EXHAUSTED no space left on the disk.
//   INTERNAL          any other RocksDB failure.
absl::StatusOr<std::unique_ptr<EventStore>> OpenRocksDbEventStore(
    const RocksDbEventStoreOptions& options);

}  // namespace changeledger::eventstore

#endif  // CHANGELEDGER_EVENTSTORE_ROCKSDB_EVENT_STORE_H_
