#include "probe.h"

namespace changeledger::intake {
namespace {

constexpr char kImportName[] = "changeledger_intake_import_records_total";
constexpr char kImportHelp[] = "Records of imported returns, by outcome";

}  // namespace

IntakeProbe::IntakeProbe(metrics::Registry* registry) {
  if (registry == nullptr) return;
  imported_registered_ = registry->AddCounter(kImportName, kImportHelp, {{"outcome", "registered"}});
  imported_already_ =
      registry->AddCounter(kImportName, kImportHelp, {{"outcome", "already_imported"}});
  imported_rejected_ = registry->AddCounter(kImportName, kImportHelp, {{"outcome", "rejected"}});
  read_model_lag_ = registry->AddGauge("changeledger_intake_read_model_lag_events",
                                       "Events committed but not yet in the list read model");
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
