// ProjectionRunner: feeds a Projection from Kafka or from a writing
// service's LogReader, exactly once in effect.
//
// For each group of events it (1) drops duplicates: an event whose version
// is not above the stream's last applied version (kept in the KvStore per
// (source, stream)); (2) drops gaps: a version beyond last + 1 (the relay
// sends that stream again from the missing event, see outbox_relay.h);
// (3) applies the rest; (4) writes the projection's changes, the new last
// versions and the consumed positions (Kafka: topic/partition -> next
// offset; log reader: source -> next global position) in ONE KvStore batch.
// A crash at any point therefore leaves state and positions consistent,
// and a restart resumes right after the last committed group.
//
// Kafka source: a consumer group with enable.auto.commit=false and
// enable.auto.offset.store=false; on each assignment the runner seeks every
// partition to the offset stored in the KvStore (earliest when none).
// Nothing is committed to Kafka: the KvStore is the truth. Use a group id
// per replica (each replica consumes every partition into its own store).
//
// Thread safety: all methods may be called from any thread.
#ifndef CHANGELEDGER_BUS_PROJECTION_RUNNER_H_
#define CHANGELEDGER_BUS_PROJECTION_RUNNER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/bus/probes.h"
#include "changeledger/bus/projection.h"
#include "changeledger/kv/kv_store.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace changeledger::bus {

struct KafkaSourceOptions {
  // Kafka bootstrap.servers. Required.
  std::string bootstrap_servers;
  // Consumer group id. Required; one per replica.
  std::string group_id;
  // Topics to consume. Required.
  std::vector<std::string> topics;
  // Extra librdkafka consumer properties (override the defaults below,
  // except enable.auto.commit / enable.auto.offset.store, which stay false).
  // Defaults set by the runner: session.timeout.ms=10000,
  // fetch.wait.max.ms=10, auto.offset.reset=earliest.
  std::map<std::string, std::string> kafka_config;
};

struct LogReaderSourceOptions {
  // Channel to the writing service. Required.
  std::shared_ptr<grpc::ChannelInterface> channel;
  // Name under which the position is stored, e.g. "intake". Required.
  std::string source_name;
  // Call metadata, e.g. {"authorization", "Bearer <token>"}. Default: none.
  std::map<std::string, std::string> metadata;
  // Events per response page (1..1000). Default: 500.
  uint32_t page_size = 500;
  // Pause before reconnecting after a stream error. Default: 200 ms.
  absl::Duration reconnect_backoff = absl::Milliseconds(200);
};

struct ProjectionRunnerOptions {
  // Messages applied per committed group at most. Default: 500.
  size_t max_batch = 500;
  // Consumer poll timeout when idle. Default: 50 ms.
  absl::Duration poll_timeout = absl::Milliseconds(50);
  // Sync the KvStore WAL on each group commit. Projections are disposable
  // and their positions live in the same batch, so the default is false: a
  // machine crash loses a suffix, which is consumed again. Default: false.
  bool sync_commits = false;
  // Kafka: an idle runner asks the brokers for metadata this often, since
  // a broker that stops answering (hung, not down) closes no connection
  // and librdkafka reports nothing. Default: 5 s.
  absl::Duration idle_probe_interval = absl::Seconds(5);
  // Kafka: how long such a request may take. Two unanswered in a row mark
  // the source down; while down, one is asked every second. Default: 2 s.
  absl::Duration probe_timeout = absl::Seconds(2);
};

struct RunnerStats {
  uint64_t applied = 0;             // events applied since start
  uint64_t duplicates_dropped = 0;  // versions <= last applied
  uint64_t gaps_dropped = 0;        // versions > last applied + 1
  uint64_t commits = 0;             // groups committed
  int64_t lag = 0;                  // Kafka: messages behind; log: events behind
};

class ProjectionRunner {
 public:
  // A runner fed from Kafka. `projection`, `store` and `probe` are not owned
  // and must outlive the runner; `probe` may be null.
  // Errors: INVALID_ARGUMENT (missing bootstrap servers, group id, topics,
  // or a projection name that is empty or contains '/').
  static absl::StatusOr<std::unique_ptr<ProjectionRunner>> CreateKafka(
      Projection* projection, kv::KvStore* store, KafkaSourceOptions source,
      ProjectionRunnerOptions options = {}, RunnerProbe* probe = nullptr);

  // A runner fed from a LogReader.ReadLog stream in follow mode, storing
  // its position per source. Errors as CreateKafka (missing channel or
  // source name).
  static absl::StatusOr<std::unique_ptr<ProjectionRunner>> CreateLogReader(
      Projection* projection, kv::KvStore* store, LogReaderSourceOptions source,
      ProjectionRunnerOptions options = {}, RunnerProbe* probe = nullptr);

  virtual ~ProjectionRunner() = default;

  // Starts the consuming thread. Calling it twice is harmless.
  virtual void Start() = 0;
  // Stops consuming and joins the thread; a group being applied is either
  // committed or dropped whole. Idempotent.
  virtual void Stop() = 0;

  // Wipes the projection, its stored positions and dedupe records, and
  // consumes again from the beginning (Kafka: earliest offsets; log
  // reader: position 1). Works running or stopped; when running, the
  // runner thread does it between two groups. rebuilding() is true until
  // the runner has caught up with the source.
  virtual absl::Status Rebuild() = 0;
  virtual bool rebuilding() const = 0;

  // Last error that stopped the runner (an Apply or commit failure), or OK.
  virtual absl::Status status() const = 0;
  // False while the source cannot be reached. Kafka: from librdkafka's
  // report that every broker is down, or from the second idle probe in a
  // row that got no answer (see ProjectionRunnerOptions), until a metadata
  // request succeeds again (asked once a second meanwhile); log reader:
  // from a failed read until the next one connects. A consumer needs its source: services
  // report it through health (NOT_SERVING) and metrics.
  virtual bool source_up() const = 0;
  virtual RunnerStats stats() const = 0;

  // ProjectionStateHash of this runner's projection.
  virtual absl::StatusOr<uint64_t> StateHash() = 0;
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_PROJECTION_RUNNER_H_
