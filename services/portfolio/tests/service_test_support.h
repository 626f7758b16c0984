// What the portfolio's service tests share: envelopes as the writing
// services record them, and a ViewControl that only remembers.
#ifndef CHANGELEDGER_PORTFOLIO_TESTS_SERVICE_TEST_SUPPORT_H_
#define CHANGELEDGER_PORTFOLIO_TESTS_SERVICE_TEST_SUPPORT_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "changeledger/bus/projection.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/portfolio/portfolio_service.h"

namespace changeledger::portfolio {

namespace cls = ::changeledger::classification::v1;
namespace intake = ::changeledger::intake::v1;

inline absl::Time Day(int day) {
  return absl::FromCivil(absl::CivilDay(2021, 3, day), absl::UTCTimeZone());
}

inline void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

class EnvelopeMaker {
 public:
  template <typename Msg>
  bus::Envelope Make(const std::string& source, const std::string& stream, absl::Time at,
                     const Msg& m) {
    bus::Envelope e;
    e.set_event_id(absl::StrCat("evt-", ++ids_));
    e.set_stream(stream);
    e.set_version(++versions_[source + stream]);
    e.set_global_position(++positions_[source]);
    e.set_type(std::string(Msg::descriptor()->full_name()));
    e.set_schema_version(1);
    SetTime(at, e.mutable_recorded_at());
    SetTime(at - absl::Hours(1), e.mutable_occurred_at());
    e.set_actor(source == "intake" ? "alice" : "officer");
    e.set_correlation_id(absl::StrCat("corr-", ids_));
    e.set_causation_id(absl::StrCat("cause-", ids_));
    e.set_source(source);
    e.mutable_payload()->PackFrom(m);
    return e;
  }

  bus::Envelope Registered(const std::string& id, absl::Time at, const std::string& area,
                           int64_t cost = 0) {
    intake::ChangeRegistered m;
    m.set_change_id(id);
    m.mutable_attributes()->set_title("Title " + id);
    m.mutable_attributes()->set_business_area(area);
    m.mutable_attributes()->add_teams("digital");
    m.mutable_attributes()->set_data_and_digital(true);
    m.mutable_attributes()->mutable_estimated_cost()->set_amount_minor(cost);
    return Make("intake", "change-" + id, at, m);
  }
  // A registration with the attributes given (title, area, teams...).
  bus::Envelope RegisteredWith(const std::string& id, absl::Time at,
                               const intake::ChangeAttributes& a) {
    intake::ChangeRegistered m;
    m.set_change_id(id);
    *m.mutable_attributes() = a;
    return Make("intake", "change-" + id, at, m);
  }
  bus::Envelope Amended(const std::string& id, absl::Time at,
                        const intake::ChangeAttributes& a,
                        std::initializer_list<const char*> changed_paths) {
    intake::ChangeAmended m;
    m.set_change_id(id);
    *m.mutable_attributes() = a;
    for (const char* path : changed_paths) m.add_changed_paths(path);
    return Make("intake", "change-" + id, at, m);
  }
  bus::Envelope Submitted(const std::string& proposal, absl::Time at,
                          const std::string& area) {
    intake::ProposalSubmitted m;
    m.set_proposal_id(proposal);
    m.set_business_area(area);
    return Make("intake", "proposal-" + proposal, at, m);
  }
  bus::Envelope Closed(const std::string& id, absl::Time at) {
    intake::ChangeClosed m;
    m.set_change_id(id);
    return Make("intake", "change-" + id, at, m);
  }
  bus::Envelope Suggested(const std::string& id, absl::Time at, cls::Tier tier,
                          cls::Complexity c) {
    cls::ClassificationSuggested m;
    m.set_change_id(id);
    m.mutable_suggestion()->mutable_classification()->set_tier(tier);
    m.mutable_suggestion()->mutable_classification()->set_complexity(c);
    m.mutable_suggestion()->mutable_classification()->add_types(
        cls::COMPLEXITY_TYPE_STRUCTURAL);
    return Make("classification", "classification-" + id, at, m);
  }
  bus::Envelope Withdrawn(const std::string& proposal, absl::Time at) {
    intake::ProposalWithdrawn m;
    m.set_proposal_id(proposal);
    m.set_reason("superseded");
    return Make("intake", "proposal-" + proposal, at, m);
  }
  bus::Envelope Confirmed(const std::string& id, absl::Time at, cls::Tier tier,
                          cls::Complexity c, uint64_t suggestion_version) {
    cls::ClassificationConfirmed m;
    m.set_change_id(id);
    m.mutable_classification()->set_tier(tier);
    m.mutable_classification()->set_complexity(c);
    m.set_suggestion_version(suggestion_version);
    return Make("classification", "classification-" + id, at, m);
  }
  bus::Envelope ClassificationClosed(const std::string& id, absl::Time at) {
    cls::ClassificationClosed m;
    m.set_change_id(id);
    m.set_end(cls::CHANGE_END_CLOSED);
    return Make("classification", "classification-" + id, at, m);
  }
  bus::Envelope Overridden(const std::string& id, absl::Time at, cls::Tier tier,
                           cls::Complexity c) {
    cls::ClassificationOverridden m;
    m.set_change_id(id);
    m.mutable_classification()->set_tier(tier);
    m.mutable_classification()->set_complexity(c);
    m.set_rationale("review");
    return Make("classification", "classification-" + id, at, m);
  }

 private:
  std::map<std::string, uint64_t> versions_, positions_;
  int ids_ = 0;
};

class FakeControl : public ViewControl {
 public:
  absl::Status Rebuild(pb::RebuildSource source) override {
    ++rebuilds;
    info.rebuilding = true;
    info.source = source;
    return absl::OkStatus();
  }
  RebuildInfo GetRebuildInfo() const override { return info; }
  absl::StatusOr<uint64_t> StoreHash() override { return 42; }
  RebuildInfo info;
  int rebuilds = 0;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_TESTS_SERVICE_TEST_SUPPORT_H_
