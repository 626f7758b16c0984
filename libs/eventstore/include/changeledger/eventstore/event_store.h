// EventStore: the durable, append-only log of one writing service.
//
// Events live in streams (one per aggregate, e.g. "proposal-<uuid>"); each
// stream numbers its events 1, 2, 3, ... and the whole store numbers every
// event with a global position 1, 2, 3, ... in commit order.
//
// One Append is one atomic commit: the events, the streams' new versions
// and the idempotency record are written together with a synced WAL before
// Append returns, and every event is in the outbox until the relay
// acknowledges it. Concurrent appends are combined into one synced write
// (group commit).
//
// Thread safety: every method may be called from any thread at once.
#ifndef CHANGELEDGER_EVENTSTORE_EVENT_STORE_H_
#define CHANGELEDGER_EVENTSTORE_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/eventlog/v1/envelope.pb.h"

namespace changeledger::eventstore {

using Envelope = ::changeledger::eventlog::v1::Envelope;

// What the writer believes the stream's current version to be.
class ExpectedVersion {
 public:
  // No check: append at the end, whatever the version.
  static ExpectedVersion Any() { return ExpectedVersion(kAnyTag); }
  // The stream must not exist yet (its version is 0).
  static ExpectedVersion NoStream() { return ExpectedVersion(0); }
  // The stream's last version must be exactly `version` (0 = no stream).
  static ExpectedVersion Exactly(uint64_t version) { return ExpectedVersion(version); }

  bool is_any() const { return version_ == kAnyTag; }
  // Only meaningful when !is_any().
  uint64_t version() const { return version_; }

 private:
  static constexpr uint64_t kAnyTag = UINT64_MAX;
  explicit ExpectedVersion(uint64_t version) : version_(version) {}
  uint64_t version_;
};

// Events to append to one stream.
struct StreamAppend {
  std::string stream;  // non-empty, at most 256 bytes, no '\0'
  ExpectedVersion expected = ExpectedVersion::Any();
  // The writer fills type, schema_version, occurred_at, actor,
  // correlation_id, causation_id, payload and (optionally) event_id and
  // source. The store sets stream, version, global_position and
  // recorded_at, and a random event_id where it is empty.
  std::vector<Envelope> events;  // at least one
};

// The longest request_id an append takes, in bytes.
inline constexpr size_t kMaxRequestIdBytes = 256;

struct AppendRequest {
  // One or more streams, committed atomically: either every stream's
  // events are stored or none is. A stream may appear only once.
  std::vector<StreamAppend> writes;
  // Client-supplied idempotency key (at most kMaxRequestIdBytes). Empty:
  // none. If an append with the same request_id was committed before (also
  // before a restart), Append returns that first result with replayed =
  // true and writes nothing, whatever the new request holds.
  std::string request_id;
};

struct StreamAppendResult {
  std::string stream;
  uint64_t first_version = 0;
  uint64_t last_version = 0;
};

struct AppendResult {
  std::vector<StreamAppendResult> streams;  // in the order of the request
  uint64_t first_position = 0;              // global positions of the commit
  uint64_t last_position = 0;
  absl::Time recorded_at;                   // the commit's recorded_at
  bool replayed = false;                    // true: an earlier result, returned again
};

// One event waiting to be published by the outbox relay.
struct OutboxEntry {
  uint64_t global_position = 0;
  Envelope event;
};

struct OutboxStats {
  uint64_t depth = 0;             // entries not yet acknowledged
  absl::Time oldest_recorded_at;  // of the oldest entry; InfinitePast if empty
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Commits `request` atomically and durably.
  // Errors:
  //   INVALID_ARGUMENT   empty writes, empty or duplicate stream, no events,
  //                      names or ids too long.
  //   ABORTED            a stream's version differs from `expected`; the
  //                      message names the stream and its current version.
  //   UNAVAILABLE        the pending-append queue is full, or the store is
  //                      stopping; retry later.
  //   RESOURCE_EXHAUSTED the disk is full; the store refuses further use
  //                      (reopen it once there is space).
  //   DATA_LOSS/INTERNAL the store could not write; it refuses further use.
  // After RESOURCE_EXHAUSTED, DATA_LOSS or INTERNAL from the write that
  // carried this append, the append may or may not be stored (a failed
  // sync can leave the write on disk); the message says so. Retried with
  // the same request id once the store is reopened, it goes in once.
  virtual absl::StatusOr<AppendResult> Append(AppendRequest request) = 0;

  // Current version of `stream` (0 if it does not exist).
  virtual absl::StatusOr<uint64_t> StreamVersion(std::string_view stream) = 0;

  // Up to `limit` events of `stream` with version >= from_version, in
  // order. An unknown stream gives an empty vector.
  virtual absl::StatusOr<std::vector<Envelope>> ReadStream(
      std::string_view stream, uint64_t from_version, size_t limit) = 0;

  // Up to `limit` events with global_position >= from_position, in global
  // order (one page; call again from the last position + 1).
  virtual absl::StatusOr<std::vector<Envelope>> ReadAll(uint64_t from_position,
                                                        size_t limit) = 0;

  // Global position of the last committed event (0 when empty).
  virtual uint64_t LastPosition() const = 0;

  // OK while the store can write; after a failed write, the status that
  // every append now gets (RESOURCE_EXHAUSTED for a full disk, DATA_LOSS,
  // INTERNAL). For health checks: such a store serves reads but must be
  // reopened before it takes appends again.
  virtual absl::Status WriteStatus() = 0;

  // Tail: blocks until an event with global_position >= position is
  // committed (returns true), `deadline` passes or the store is closing
  // (returns false).
  virtual bool WaitForPosition(uint64_t position, absl::Time deadline) = 0;

  // Outbox, for the relay: up to `limit` unacknowledged entries in global
  // order, oldest first.
  virtual absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(size_t limit) = 0;
  // Removes entries once they are durably published. Unknown positions are
  // ignored (acknowledging twice is harmless). After a restart an entry may
  // be listed again (delivery is at-least-once): the RocksDB store keeps
  // only the position below which everything was acknowledged.
  virtual absl::Status AckOutbox(const std::vector<uint64_t>& positions) = 0;
  virtual OutboxStats GetOutboxStats() = 0;
  // Blocks until the outbox is non-empty or `deadline` passes / closing.
  virtual bool WaitForOutbox(absl::Time deadline) = 0;

  // Wakes every waiter and rejects new appends with UNAVAILABLE; appends
  // already queued are committed first. Idempotent. The destructor calls it.
  virtual void Close() = 0;
};

}  // namespace changeledger::eventstore

#endif  // CHANGELEDGER_EVENTSTORE_EVENT_STORE_H_
