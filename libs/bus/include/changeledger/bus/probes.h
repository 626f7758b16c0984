// Probes: the bus components' metrics. Business code calls these methods;
// only probes.cc knows the metrics library. A probe built without a
// registry (nullptr) records nothing, which suits unit tests.
#ifndef CHANGELEDGER_BUS_PROBES_H_
#define CHANGELEDGER_BUS_PROBES_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "changeledger/eventstore/observer.h"
#include "changeledger/metrics/metrics.h"

namespace changeledger::bus {

// Metrics of a writing service's event store (its observer).
//   changeledger_eventstore_commits_total                  counter
//   changeledger_eventstore_group_commit_appends           histogram (appends per synced write)
//   changeledger_eventstore_events_appended_total          counter
//   changeledger_eventstore_appended_bytes_total           counter
//   changeledger_eventstore_write_duration_seconds         histogram
//   changeledger_eventstore_appends_rejected_total{code}   counter
//   changeledger_eventstore_pending_appends                gauge
//   changeledger_eventstore_failed                         gauge (0/1: refuses appends)
class EventStoreProbe : public eventstore::EventStoreObserver {
 public:
  explicit EventStoreProbe(metrics::Registry* registry);

  void OnCommit(size_t appends_in_group, size_t events, size_t bytes,
                absl::Duration write_latency) override;
  void OnRejected(absl::StatusCode code) override;
  void OnQueueDepth(size_t depth) override;
  void OnFailed(const absl::Status& status) override;

 private:
  metrics::Registry* registry_;
  metrics::Counter commits_;
  metrics::Histogram group_size_;
  metrics::Counter events_;
  metrics::Counter bytes_;
  metrics::Histogram write_seconds_;
  metrics::Gauge pending_;
  metrics::Gauge failed_;
  std::mutex mu_;
  absl::flat_hash_map<int, metrics::Counter> rejected_;  // by status code
};

// Metrics of one outbox relay, labelled {topic}.
//   changeledger_outbox_depth                      gauge
//   changeledger_outbox_oldest_age_seconds         gauge
//   changeledger_relay_published_total             counter
//   changeledger_relay_publish_errors_total        counter
//   changeledger_relay_producer_recreations_total  counter
//   changeledger_relay_degraded                    gauge (0/1)
class RelayProbe {
 public:
  RelayProbe(metrics::Registry* registry, const std::string& topic);

  void OutboxStats(uint64_t depth, double oldest_age_seconds);
  void Published(uint64_t n);
  void PublishErrors(uint64_t n);
  void ProducerRecreated();
  void Degraded(bool degraded);

 private:
  metrics::Gauge depth_;
  metrics::Gauge oldest_age_;
  metrics::Counter published_;
  metrics::Counter errors_;
  metrics::Counter recreations_;
  metrics::Gauge degraded_;
};

// Metrics of one projection runner, labelled {projection}.
//   changeledger_projection_applied_total             counter (apply rate: rate())
//   changeledger_projection_duplicates_dropped_total  counter
//   changeledger_projection_gaps_dropped_total        counter
//   changeledger_projection_consumer_lag              gauge (messages / log events behind)
//   changeledger_projection_rebuild_progress_ratio    gauge 0..1 (1 when not rebuilding)
//   changeledger_projection_rebuilding                gauge (0/1)
//   changeledger_projection_commit_errors_total       counter
//   changeledger_projection_source_up                 gauge (0/1: the source is reachable)
class RunnerProbe {
 public:
  RunnerProbe(metrics::Registry* registry, const std::string& projection);

  void Applied(uint64_t n);
  void DuplicatesDropped(uint64_t n);
  void GapsDropped(uint64_t n);
  void Lag(int64_t messages);
  void Rebuild(bool rebuilding, double progress);
  void CommitError();
  void SourceUp(bool up);

 private:
  metrics::Counter applied_;
  metrics::Counter duplicates_;
  metrics::Counter gaps_;
  metrics::Gauge lag_;
  metrics::Gauge progress_;
  metrics::Gauge rebuilding_;
  metrics::Counter commit_errors_;
  metrics::Gauge source_up_;
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_PROBES_H_
