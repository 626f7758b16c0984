#include "changeledger/bus/probes.h"

#include <string>
#include <vector>

namespace changeledger::bus {
namespace {

metrics::Counter MakeCounter(metrics::Registry* r, const std::string& name,
                             const std::string& help, const metrics::Labels& labels) {
  return r == nullptr ? metrics::Counter() : r->AddCounter(name, help, labels);
}
metrics::Gauge MakeGauge(metrics::Registry* r, const std::string& name,
                         const std::string& help, const metrics::Labels& labels) {
  return r == nullptr ? metrics::Gauge() : r->AddGauge(name, help, labels);
}
metrics::Histogram MakeHistogram(metrics::Registry* r, const std::string& name,
                                 const std::string& help, const std::vector<double>& buckets) {
  return r == nullptr ? metrics::Histogram() : r->AddHistogram(name, help, buckets);
}

}  // namespace

EventStoreProbe::EventStoreProbe(metrics::Registry* registry) : registry_(registry) {
  commits_ = MakeCounter(registry_, "changeledger_eventstore_commits_total",
                         "Synced group-commit writes of the event store", {});
  group_size_ = MakeHistogram(registry_, "changeledger_eventstore_group_commit_appends",
                              "Appends combined into one synced write", metrics::SizeBuckets());
  events_ = MakeCounter(registry_, "changeledger_eventstore_events_appended_total",
                        "Events made durable", {});
  bytes_ = MakeCounter(registry_, "changeledger_eventstore_appended_bytes_total",
                       "Bytes of synced writes", {});
  write_seconds_ = MakeHistogram(registry_, "changeledger_eventstore_write_duration_seconds",
                                 "Time of one synced write", metrics::LatencyBuckets());
  pending_ = MakeGauge(registry_, "changeledger_eventstore_pending_appends",
                       "Appends waiting for the writer", {});
  failed_ = MakeGauge(registry_, "changeledger_eventstore_failed",
                      "1 when the store refuses appends after a write failure", {});
}

void EventStoreProbe::OnCommit(size_t appends_in_group, size_t events, size_t bytes,
                               absl::Duration write_latency) {
  commits_.Increment();
  group_size_.Observe(static_cast<double>(appends_in_group));
  events_.Increment(static_cast<double>(events));
  bytes_.Increment(static_cast<double>(bytes));
  write_seconds_.Observe(absl::ToDoubleSeconds(write_latency));
}

void EventStoreProbe::OnRejected(absl::StatusCode code) {
  if (registry_ == nullptr) return;
  metrics::Counter counter;
  {
    std::lock_guard lock(mu_);
    auto it = rejected_.find(static_cast<int>(code));
    if (it == rejected_.end()) {
      it = rejected_
               .emplace(static_cast<int>(code),
                        registry_->AddCounter("changeledger_eventstore_appends_rejected_total",
                                              "Appends answered with an error, by code",
                                              {{"code", absl::StatusCodeToString(code)}}))
               .first;
    }
    counter = it->second;
  }
  counter.Increment();
}

void EventStoreProbe::OnQueueDepth(size_t depth) { pending_.Set(static_cast<double>(depth)); }

void EventStoreProbe::OnFailed(const absl::Status& /*status*/) { failed_.Set(1); }

RelayProbe::RelayProbe(metrics::Registry* r, const std::string& topic) {
  const metrics::Labels l = {{"topic", topic}};
  depth_ = MakeGauge(r, "changeledger_outbox_depth",
                     "Outbox entries not yet published (PERSISTED)", l);
  oldest_age_ = MakeGauge(r, "changeledger_outbox_oldest_age_seconds",
                          "Age of the oldest unpublished outbox entry", l);
  published_ = MakeCounter(r, "changeledger_relay_published_total",
                           "Outbox entries published and acknowledged", l);
  errors_ = MakeCounter(r, "changeledger_relay_publish_errors_total",
                        "Delivery reports other than PERSISTED", l);
  recreations_ = MakeCounter(r, "changeledger_relay_producer_recreations_total",
                             "Producers recreated after a fatal error", l);
  degraded_ = MakeGauge(r, "changeledger_relay_degraded",
                        "1 while the relay cannot publish or lags", l);
}

void RelayProbe::OutboxStats(uint64_t depth, double oldest_age_seconds) {
  depth_.Set(static_cast<double>(depth));
  oldest_age_.Set(oldest_age_seconds);
}
void RelayProbe::Published(uint64_t n) { published_.Increment(static_cast<double>(n)); }
void RelayProbe::PublishErrors(uint64_t n) { errors_.Increment(static_cast<double>(n)); }
void RelayProbe::ProducerRecreated() { recreations_.Increment(); }
void RelayProbe::Degraded(bool degraded) { degraded_.Set(degraded ? 1.0 : 0.0); }

RunnerProbe::RunnerProbe(metrics::Registry* r, const std::string& projection) {
  const metrics::Labels l = {{"projection", projection}};
  applied_ = MakeCounter(r, "changeledger_projection_applied_total",
                         "Events applied to the projection", l);
  duplicates_ = MakeCounter(r, "changeledger_projection_duplicates_dropped_total",
                            "Events dropped as already applied", l);
  gaps_ = MakeCounter(r, "changeledger_projection_gaps_dropped_total",
                      "Events dropped because an earlier version is missing", l);
  lag_ = MakeGauge(r, "changeledger_projection_consumer_lag",
                   "Messages (Kafka) or events (log reader) not yet consumed", l);
  progress_ = MakeGauge(r, "changeledger_projection_rebuild_progress_ratio",
                        "Rebuild progress, 0..1 (1 when not rebuilding)", l);
  rebuilding_ = MakeGauge(r, "changeledger_projection_rebuilding",
                          "1 while the projection is being rebuilt", l);
  commit_errors_ = MakeCounter(r, "changeledger_projection_commit_errors_total",
                               "Failed applies or commits that stopped the runner", l);
  source_up_ = MakeGauge(r, "changeledger_projection_source_up",
                         "1 while the source (Kafka brokers, log reader) is reachable", l);
  progress_.Set(1.0);
  source_up_.Set(1.0);
}

void RunnerProbe::Applied(uint64_t n) { applied_.Increment(static_cast<double>(n)); }
void RunnerProbe::DuplicatesDropped(uint64_t n) {
  duplicates_.Increment(static_cast<double>(n));
}
void RunnerProbe::GapsDropped(uint64_t n) { gaps_.Increment(static_cast<double>(n)); }
void RunnerProbe::Lag(int64_t messages) { lag_.Set(static_cast<double>(messages)); }
void RunnerProbe::Rebuild(bool rebuilding, double progress) {
  rebuilding_.Set(rebuilding ? 1.0 : 0.0);
  progress_.Set(progress);
}
void RunnerProbe::CommitError() { commit_errors_.Increment(); }
void RunnerProbe::SourceUp(bool up) { source_up_.Set(up ? 1.0 : 0.0); }

}  // namespace changeledger::bus
