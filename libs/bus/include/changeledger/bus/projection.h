// Projection: a read model built by folding events into a KvStore.
#ifndef CHANGELEDGER_BUS_PROJECTION_H_
#define CHANGELEDGER_BUS_PROJECTION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "changeledger/eventlog/v1/envelope.pb.h"
#include "changeledger/kv/kv_store.h"

namespace changeledger::bus {

using Envelope = ::changeledger::eventlog::v1::Envelope;

class Projection {
 public:
  virtual ~Projection() = default;

  // Stable name; it namespaces the projection's keys and the runner's
  // bookkeeping in the KvStore. Non-empty, no '/'.
  virtual std::string name() const = 0;

  // Folds one event into the state seen through `txn`: a pure function of
  // the event and the current state (no clocks, no I/O). The runner calls
  // it once per (source, stream, version), each stream's versions in
  // order 1, 2, 3, ... Events of different streams may arrive in any
  // interleaving (Kafka orders per partition, the log reader globally), so
  // the state must not depend on the order across streams; then a rebuild
  // from Kafka and one from the log reader give identical state.
  //
  // `txn` reads and writes the projection's own key space (keys are
  // relative; the runner prefixes them). Do not Commit it: the runner
  // commits the writes of a group of events together with its consumed
  // offsets in one batch. A non-OK status stops the runner without
  // committing the group (the events are read again after a restart).
  virtual absl::Status Apply(const Envelope& event, kv::Transaction& txn) = 0;
};

// Key prefix of projection `name`'s own keys in the store: "p/<name>/".
std::string ProjectionKeyPrefix(std::string_view name);
// Key prefix of the runner's bookkeeping for `name` (offsets, log
// positions, last applied versions): "r/<name>/".
std::string RunnerKeyPrefix(std::string_view name);

// A stable 64-bit hash (FNV-1a 64 over length-prefixed key/value pairs in
// key order) of projection `name`'s keys and values, excluding the runner's
// bookkeeping. Equal state gives equal hashes across processes, builds and
// machines (unlike absl::Hash, which is seeded per process), so a rebuild
// from Kafka and one from the log reader can be compared.
absl::StatusOr<uint64_t> ProjectionStateHash(kv::KvStore& store, std::string_view name);

// Deletes projection `name`'s keys and its runner bookkeeping in one batch.
absl::Status WipeProjection(kv::KvStore& store, std::string_view name);

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_PROJECTION_H_
