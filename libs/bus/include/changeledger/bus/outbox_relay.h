// OutboxRelay: publishes an event store's outbox to one Kafka topic.
//
// It reads the oldest unacknowledged outbox entries, produces them with the
// idempotent producer (enable.idempotence=true, acks=all), key = the
// event's stream (so order holds per stream), value = the serialized
// Envelope, and acknowledges (removes) an entry only when its delivery
// report says PERSISTED. A timed-out, POSSIBLY_PERSISTED or NOT_PERSISTED
// message stays in the outbox; so does every later entry of the same
// stream in that round, and the next round starts again from the oldest
// unacknowledged entry. A stream's events therefore reach Kafka in order,
// possibly more than once: consumers dedupe by (stream, version) and drop
// versions beyond the next expected one (see projection_runner.h).
//
// Rounds: read up to batch_size entries, produce them all, flush (send at
// once and wait for every delivery report), acknowledge. While the outbox
// holds fewer than batch_size entries, a round waits until its oldest entry
// is `gather` old, so that a trickle of appends travels in fuller rounds:
// the CPU a round costs (produce requests per broker, a wake-up per
// partition, delivery reports, the acknowledgement write) is shared by more
// events, for at most `gather` more time in the outbox.
//
// A fatal producer error destroys and recreates the producer; publishing
// resumes from the outbox. While the broker is unreachable the store keeps
// accepting appends (the relay never touches the append path), state()
// turns kDegraded, and the metrics show the outbox growing.
//
// Thread safety: all methods may be called from any thread.
#ifndef CHANGELEDGER_BUS_OUTBOX_RELAY_H_
#define CHANGELEDGER_BUS_OUTBOX_RELAY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/bus/probes.h"
#include "changeledger/eventstore/event_store.h"

namespace changeledger::bus {

struct OutboxRelayOptions {
  // Kafka bootstrap.servers. Required.
  std::string bootstrap_servers;
  // Topic to publish to. Required.
  std::string topic;
  // Extra librdkafka producer properties; they override the relay's
  // defaults except enable.idempotence and acks, which are fixed.
  // Default: none.
  std::map<std::string, std::string> kafka_config;
  // Outbox entries produced per round at most. Default: 10000.
  size_t batch_size = 10000;
  // How long to wait for new outbox entries before refreshing state.
  // Default: 100 ms.
  absl::Duration poll_interval = absl::Milliseconds(100);
  // librdkafka message.timeout.ms: how long a message may wait for a
  // PERSISTED report before it is failed (and produced again in a later
  // round). Default: 10 s.
  absl::Duration message_timeout = absl::Seconds(10);
  // librdkafka linger.ms: how long the producer may hold messages while a
  // round is still being produced. Every round ends with rd_kafka_flush,
  // which sends what is held at once, so a round never waits for it.
  // Default: 2 ms.
  absl::Duration linger = absl::Milliseconds(2);
  // While the outbox holds fewer than batch_size entries, a round starts
  // only once its oldest entry is this old, so that a trickle of appends
  // travels in fuller rounds (fewer produce requests, delivery reports and
  // acknowledgements per event). Adds at most this much to an event's
  // time in the outbox; Stop() does not wait it out; zero starts rounds at
  // once. Default: 10 ms.
  absl::Duration gather = absl::Milliseconds(10);
  // The relay reports kDegraded when the oldest outbox entry is older than
  // this. Default: 30 s.
  absl::Duration degraded_age = absl::Seconds(30);
  // Pause after a failed round before producing again. Default: 200 ms.
  absl::Duration retry_backoff = absl::Milliseconds(200);
  // How long Stop() waits for in-flight deliveries. Default: 5 s.
  absl::Duration flush_timeout = absl::Seconds(5);
};

enum class RelayState {
  kStopped,   // not started, or stopped
  kHealthy,   // deliveries succeed and the outbox is fresh
  kDegraded,  // deliveries fail, the producer cannot be created, or the
              // oldest outbox entry is older than degraded_age
};

struct RelayStats {
  uint64_t published = 0;             // entries acknowledged after PERSISTED
  uint64_t publish_errors = 0;        // delivery reports other than PERSISTED
  uint64_t producer_recreations = 0;  // after fatal errors
  uint64_t rounds = 0;                // produce rounds completed
};

class OutboxRelay {
 public:
  // Validates `options`; starts nothing. `store` and `probe` are not owned
  // and must outlive the relay; `probe` may be null.
  // Errors: INVALID_ARGUMENT (empty bootstrap servers or topic, zero
  // batch size, a librdkafka property it rejects).
  static absl::StatusOr<std::unique_ptr<OutboxRelay>> Create(
      eventstore::EventStore* store, OutboxRelayOptions options,
      RelayProbe* probe = nullptr);

  // Stops (see Stop).
  virtual ~OutboxRelay() = default;

  // Starts the relay thread. Calling it twice is harmless.
  virtual void Start() = 0;
  // Finishes the current round (waiting up to flush_timeout for delivery
  // reports, acknowledging what was PERSISTED); a round still in its gather
  // window starts at once. Then flushes and destroys the producer and joins
  // the thread. Unpublished entries stay in the outbox. Idempotent.
  virtual void Stop() = 0;

  virtual RelayState state() const = 0;
  bool healthy() const { return state() == RelayState::kHealthy; }
  virtual RelayStats stats() const = 0;
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_OUTBOX_RELAY_H_
