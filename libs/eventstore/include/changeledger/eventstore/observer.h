// EventStoreObserver: hooks through which a service watches its event
// store (group-commit sizes, write latency, rejections, queue depth)
// without the store depending on any metrics library. A service adapts
// these calls to its own metrics; the default hooks do nothing.
//
// Thread safety: hooks may be called from several threads at once (the
// store's own threads and the appending threads) and must be thread-safe.
// They run on the append path, so they must be fast and must never call back
// into the store.
#ifndef CHANGELEDGER_EVENTSTORE_OBSERVER_H_
#define CHANGELEDGER_EVENTSTORE_OBSERVER_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace changeledger::eventstore {

class EventStoreObserver {
 public:
  virtual ~EventStoreObserver() = default;

  // One group commit became durable. `appends_in_group` counts every
  // append of the group (also those rejected or replayed), `events` and
  // `bytes` what the synced write held, `write_latency` the time of the
  // synced write alone. Called on the committer thread before the callers
  // of the group are answered.
  virtual void OnCommit(size_t /*appends_in_group*/, size_t /*events*/,
                        size_t /*bytes*/, absl::Duration /*write_latency*/) {}

  // An append was answered with an error (INVALID_ARGUMENT, ABORTED,
  // UNAVAILABLE, DATA_LOSS, INTERNAL).
  virtual void OnRejected(absl::StatusCode /*code*/) {}

  // The number of appends waiting to be taken into a group changed to
  // `depth`. Called with the queue's lock held: reports arrive in order.
  virtual void OnQueueDepth(size_t /*depth*/) {}

  // A write failed; the store now refuses appends with `status`.
  virtual void OnFailed(const absl::Status& /*status*/) {}
};

}  // namespace changeledger::eventstore

#endif  // CHANGELEDGER_EVENTSTORE_OBSERVER_H_
