#include "probe.h"

#include "absl/status/status.h"

namespace changeledger::intake {
namespace {

constexpr char kImportName[] = "changeledger_intake_import_records_total";
constexpr char kImportHelp[] = "Records of imported returns, by outcome";

}  // namespace

IntakeProbe::IntakeProbe(metrics::Registry* registry) : registry_(registry) {
  if (registry_ == nullptr) return;
  commits_ = registry_->AddCounter("changeledger_eventstore_commits_total",
                                   "Synced group-commit writes of the event store");
  group_size_ = registry_->AddHistogram("changeledger_eventstore_group_commit_appends",
                                        "Appends combined into one synced write",
                                        metrics::SizeBuckets());
  events_ = registry_->AddCounter("changeledger_eventstore_events_appended_total",
                                  "Events made durable");
  bytes_ = registry_->AddCounter("changeledger_eventstore_appended_bytes_total",
                                 "Bytes of synced writes");
  write_seconds_ = registry_->AddHistogram("changeledger_eventstore_write_duration_seconds",
                                           "Time of one synced write",
                                           metrics::LatencyBuckets());
  pending_ = registry_->AddGauge("changeledger_eventstore_pending_appends",
                                 "Appends waiting for the writer");
  failed_ = registry_->AddGauge("changeledger_eventstore_failed",
                                "1 when the store refuses appends after a write failure");
  imported_registered_ = registry_->AddCounter(kImportName, kImportHelp, {{"outcome", "registered"}});
  imported_already_ =
      registry_->AddCounter(kImportName, kImportHelp, {{"outcome", "already_imported"}});
  imported_rejected_ = registry_->AddCounter(kImportName, kImportHelp, {{"outcome", "rejected"}});
  read_model_lag_ = registry_->AddGauge("changeledger_intake_read_model_lag_events",
                                        "Events committed but not yet in the list read model");
}

void IntakeProbe::OnCommit(size_t appends_in_group, size_t events, size_t bytes,
                           absl::Duration write_latency) {
  commits_.Increment();
  group_size_.Observe(static_cast<double>(appends_in_group));
  events_.Increment(static_cast<double>(events));
  bytes_.Increment(static_cast<double>(bytes));
  write_seconds_.Observe(absl::ToDoubleSeconds(write_latency));
}

void IntakeProbe::OnRejected(absl::StatusCode code) {
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

void IntakeProbe::OnQueueDepth(size_t depth) { pending_.Set(static_cast<double>(depth)); }

void IntakeProbe::OnFailed(const absl::Status& /*status*/) {
  store_failed_ = true;
  failed_.Set(1);
}

void IntakeProbe::ImportRecords(v1::ImportOutcome outcome, uint64_t n) {
  switch (outcome) {
    case v1::IMPORT_OUTCOME_REGISTERED:
      imported_registered_.Increment(static_cast<double>(n));
      break;
    case v1::IMPORT_OUTCOME_ALREADY_IMPORTED:
      imported_already_.Increment(static_cast<double>(n));
      break;
    default:
      imported_rejected_.Increment(static_cast<double>(n));
      break;
  }
}

void IntakeProbe::ReadModelLag(uint64_t events) { read_model_lag_.Set(static_cast<double>(events)); }

}  // namespace changeledger::intake
