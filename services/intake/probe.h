// IntakeProbe: the intake service's own metrics. Business code calls these
// methods; only probe.cc touches the metrics library. Per-RPC counts and
// latencies come from the RPC runtime; the event store and the relay have
// probes of their own (bus::EventStoreProbe, bus::RelayProbe).
//
//   changeledger_intake_import_records_total{outcome}      counter
//   changeledger_intake_read_model_lag_events              gauge
//
// A probe built without a registry records nothing. Thread-safe.
#ifndef CHANGELEDGER_SERVICES_INTAKE_PROBE_H_
#define CHANGELEDGER_SERVICES_INTAKE_PROBE_H_

#include <cstdint>

#include "changeledger/intake/v1/intake.pb.h"
#include "changeledger/metrics/metrics.h"

namespace changeledger::intake {

class IntakeProbe {
 public:
  explicit IntakeProbe(metrics::Registry* registry);

  void ImportRecords(v1::ImportOutcome outcome, uint64_t n);
  void ReadModelLag(uint64_t events);

 private:
  metrics::Counter imported_registered_;
  metrics::Counter imported_already_;
  metrics::Counter imported_rejected_;
  metrics::Gauge read_model_lag_;
};

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_PROBE_H_
