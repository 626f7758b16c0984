// Helpers for the intake domain tests: build valid commands and fold the
// decided events as if the store had committed them.
#ifndef CHANGELEDGER_SERVICES_INTAKE_TESTS_DOMAIN_TEST_UTIL_H_
#define CHANGELEDGER_SERVICES_INTAKE_TESTS_DOMAIN_TEST_UTIL_H_

#include <map>
#include <string>
#include <vector>

#include "domain/intake_domain.h"
#include "domain/validation.h"
#include "google/protobuf/util/time_util.h"

namespace changeledger::intake::testing {

inline v1::ChangeAttributes CompleteAttributes(const std::string& title = "Forensic terminals") {
  v1::ChangeAttributes a;
  a.set_title(title);
  a.set_description("Procurement of 24 forensic terminals");
  a.set_business_area("MO");
  a.set_sponsor("Commander Forensics");
  a.add_teams("Forensic Services");
  a.add_teams("Digital Policing");
  a.set_data_and_digital(true);
  a.mutable_estimated_cost()->set_currency_code("GBP");
  a.mutable_estimated_cost()->set_amount_minor(120000000);
  a.mutable_planned_start()->set_year(2021);
  a.mutable_planned_start()->set_month(6);
  a.mutable_planned_start()->set_day(1);
  a.mutable_planned_end()->set_year(2022);
  a.mutable_planned_end()->set_month(3);
  a.mutable_planned_end()->set_day(31);
  auto* f = a.mutable_features();
  f->set_has_business_case(true);
  f->set_work_packages(2);
  f->set_third_party_procurement(true);
  f->set_technology_and_data_implications(true);
  f->set_public_or_political_interest(v1::INTEREST_LEVEL_LOW);
  f->set_impacted_stakeholder_groups(3);
  f->set_clarity_of_aims(v1::AIMS_CLARITY_CLEAR);
  f->set_organisational_scope(v1::ORGANISATIONAL_SCOPE_BUSINESS_AREA);
  return a;
}

inline common::v1::Date MakeDate(int year, int month, int day) {
  common::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

// Today (UTC): a meeting date the service accepts for a proposal the test
// submitted moments before (not before the submission, not in the future).
inline common::v1::Date TodayUtc() { return domain::TimeToDate(absl::Now()); }

// Folds decided events into per-stream states, numbering versions and
// global positions as a store would.
class FakeLog {
 public:
  absl::Status Commit(const std::vector<domain::PendingEvent>& events, const std::string& actor,
                      absl::Time recorded_at) {
    for (const auto& pending : events) {
      eventlog::v1::Envelope envelope;
      envelope.set_stream(pending.stream);
      envelope.set_version(++versions_[pending.stream]);
      envelope.set_global_position(++position_);
      envelope.set_type(pending.type);
      envelope.set_actor(actor);
      *envelope.mutable_payload() = pending.payload;
      *envelope.mutable_occurred_at() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(pending.occurred_at));
      *envelope.mutable_recorded_at() =
          google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(recorded_at));
      envelopes_.push_back(envelope);
      absl::Status status;
      if (pending.stream.rfind("proposal-", 0) == 0) {
        status = domain::ApplyProposalEvent(envelope, proposals_[pending.stream]);
      } else {
        status = domain::ApplyChangeEvent(envelope, changes_[pending.stream]);
      }
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }
  const v1::Proposal& proposal(const std::string& stream) { return proposals_[stream]; }
  const v1::Change& change(const std::string& stream) { return changes_[stream]; }
  const std::vector<eventlog::v1::Envelope>& envelopes() const { return envelopes_; }

 private:
  std::map<std::string, uint64_t> versions_;
  uint64_t position_ = 0;
  std::map<std::string, v1::Proposal> proposals_;
  std::map<std::string, v1::Change> changes_;
  std::vector<eventlog::v1::Envelope> envelopes_;
};

}  // namespace changeledger::intake::testing

#endif  // CHANGELEDGER_SERVICES_INTAKE_TESTS_DOMAIN_TEST_UTIL_H_
