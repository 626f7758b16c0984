// IntakeProbe: the intake service's own metrics. Business code calls these
// methods; only probe.cc touches the metrics library. Per-RPC counts and
// latencies come from the RPC runtime; the relay has its own probe.
//
//   changeledger_eventstore_commits_total                  counter
//   changeledger_eventstore_group_commit_appends           histogram (appends per synced write)
//   changeledger_eventstore_events_appended_total          counter
//   changeledger_eventstore_appended_bytes_total           counter
//   changeledger_eventstore_write_duration_seconds         histogram
//   changeledger_eventstore_appends_rejected_total{code}   counter
//   changeledger_eventstore_pending_appends                gauge
//   changeledger_eventstore_failed                         gauge (0/1)
//   changeledger_intake_import_records_total{outcome}      counter
//   changeledger_intake_read_model_lag_events              gauge
//
// A probe built without a registry records nothing. Thread-safe.
#ifndef CHANGELEDGER_SERVICES_INTAKE_PROBE_H_
#define CHANGELEDGER_SERVICES_INTAKE_PROBE_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "changeledger/eventstore/observer.h"
#include "changeledger/intake/v1/intake.pb.h"
#include "changeledger/metrics/metrics.h"

namespace changeledger::intake {

class IntakeProbe : public eventstore::EventStoreObserver {
 public:
  explicit IntakeProbe(metrics::Registry* registry);

  // EventStoreObserver.
  void OnCommit(size_t appends_in_group, size_t events, size_t bytes,
                absl::Duration write_latency) override;
  void OnRejected(absl::StatusCode code) override;
  void OnQueueDepth(size_t depth) override;
  void OnFailed(const absl::Status& status) override;

  void ImportRecords(v1::ImportOutcome outcome, uint64_t n);
  void ReadModelLag(uint64_t events);
  // True once the store reported a failed write (it refuses appends then).
  bool store_failed() const { return store_failed_.load(); }

 private:
  metrics::Registry* registry_;
  metrics::Counter commits_;
  metrics::Histogram group_size_;
  metrics::Counter events_;
  metrics::Counter bytes_;
  metrics::Histogram write_seconds_;
  metrics::Gauge pending_;
  metrics::Gauge failed_;
  metrics::Counter imported_registered_;
  metrics::Counter imported_already_;
  metrics::Counter imported_rejected_;
  metrics::Gauge read_model_lag_;
  std::atomic<bool> store_failed_{false};
  std::mutex mu_;
  absl::flat_hash_map<int, metrics::Counter> rejected_;  // by status code
};

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_PROBE_H_
