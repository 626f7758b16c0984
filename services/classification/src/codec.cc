#include "changeledger/classification/codec.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/uuid/uuid_text.h"

namespace changeledger::classification {
namespace {

namespace ipb = ::changeledger::intake::v1;
using ::changeledger::eventlog::v1::Envelope;

constexpr char kTypePrefix[] = "changeledger.classification.v1.";
constexpr char kResourcePrefix[] = "classifications/";

uint32_t MonthsBetween(const ::changeledger::common::v1::Date& start,
                       const ::changeledger::common::v1::Date& end) {
  if (start.year() == 0 || end.year() == 0) return 0;
  int64_t months = (static_cast<int64_t>(end.year()) - start.year()) * 12 +
                   (end.month() - start.month()) - (end.day() < start.day() ? 1 : 0);
  return months > 0 ? static_cast<uint32_t>(months) : 0;
}

}  // namespace

ChangeFacts FactsFromAttributes(const ipb::ChangeAttributes& a) {
  const ipb::ChangeFeatures& in = a.features();
  ChangeFacts f;
  f.interdependent_projects = in.interdependent_projects();
  f.sro_led = in.sro_led();
  f.has_business_case = in.has_business_case();
  f.tests_hypothesis = in.tests_hypothesis();
  f.improves_established_service = in.improves_established_service();
  f.organisational_scope = static_cast<Scope>(in.organisational_scope());
  f.work_packages = in.work_packages();
  f.technology_and_data_implications = in.technology_and_data_implications();
  f.third_party_procurement = in.third_party_procurement();
  f.public_or_political_interest = static_cast<Interest>(in.public_or_political_interest());
  f.impacted_stakeholder_groups = in.impacted_stakeholder_groups();
  f.clarity_of_aims = static_cast<AimsClarity>(in.clarity_of_aims());
  f.data_and_digital = a.data_and_digital();
  f.estimated_cost_gbp = a.estimated_cost().amount_minor() / 100;
  std::set<std::string> teams;
  for (const std::string& t : a.teams()) {
    if (!t.empty()) teams.insert(t);
  }
  f.teams = static_cast<uint32_t>(teams.size());
  f.planned_duration_months = MonthsBetween(a.planned_start(), a.planned_end());
  return f;
}

pb::ChangeFacts ToProto(const ChangeFacts& f) {
  pb::ChangeFacts p;
  ipb::ChangeFeatures* o = p.mutable_features();
  o->set_interdependent_projects(f.interdependent_projects);
  o->set_sro_led(f.sro_led);
  o->set_has_business_case(f.has_business_case);
  o->set_tests_hypothesis(f.tests_hypothesis);
  o->set_improves_established_service(f.improves_established_service);
  o->set_organisational_scope(static_cast<ipb::OrganisationalScope>(f.organisational_scope));
  o->set_work_packages(f.work_packages);
  o->set_technology_and_data_implications(f.technology_and_data_implications);
  o->set_third_party_procurement(f.third_party_procurement);
  o->set_public_or_political_interest(
      static_cast<ipb::InterestLevel>(f.public_or_political_interest));
  o->set_impacted_stakeholder_groups(f.impacted_stakeholder_groups);
  o->set_clarity_of_aims(static_cast<ipb::AimsClarity>(f.clarity_of_aims));
  p.set_data_and_digital(f.data_and_digital);
  p.set_estimated_cost_gbp(f.estimated_cost_gbp);
  p.set_teams(f.teams);
  p.set_planned_duration_months(f.planned_duration_months);
  return p;
}

ChangeFacts FromProto(const pb::ChangeFacts& p) {
  ipb::ChangeAttributes a;
  *a.mutable_features() = p.features();
  ChangeFacts f = FactsFromAttributes(a);
  f.data_and_digital = p.data_and_digital();
  f.estimated_cost_gbp = p.estimated_cost_gbp();
  f.teams = p.teams();
  f.planned_duration_months = p.planned_duration_months();
  return f;
}

pb::Classification ToProto(const Classification& c) {
  pb::Classification p;
  p.set_tier(static_cast<pb::Tier>(c.tier));
  p.set_complexity(static_cast<pb::Complexity>(c.complexity));
  for (ComplexityType t : c.types) p.add_types(static_cast<pb::ComplexityType>(t));
  return p;
}

Classification FromProto(const pb::Classification& p) {
  Classification c;
  c.tier = static_cast<Tier>(p.tier());
  c.complexity = static_cast<Complexity>(p.complexity());
  for (int t : p.types()) c.types.push_back(static_cast<ComplexityType>(t));
  return c;
}

pb::Suggestion ToProto(const Suggestion& s) {
  pb::Suggestion p;
  *p.mutable_classification() = ToProto(s.classification);
  p.set_change_approach(s.change_approach);
  p.set_governance(s.governance);
  p.set_leadership(s.leadership);
  p.set_resourcing_demand(s.resourcing_demand);
  for (const std::string& g : s.type_guidance) p.add_type_guidance(g);
  for (const FiredRule& r : s.fired_rules) {
    pb::FiredRule* o = p.add_fired_rules();
    o->set_rule_id(r.rule_id);
    o->set_description(r.description);
    o->set_effect(r.effect);
    o->set_decisive(r.decisive);
    for (const MatchedCondition& m : r.matched) {
      pb::MatchedCondition* mc = o->add_matched();
      mc->set_feature(m.feature);
      mc->set_condition(m.condition);
      mc->set_actual(m.actual);
    }
  }
  p.set_complexity_points(s.complexity_points);
  for (const auto& [k, v] : s.type_points) (*p.mutable_type_points())[k] = v;
  p.set_complexity_raised_to_floor(s.complexity_raised_to_floor);
  p.set_types_from_most_points(s.types_from_most_points);
  p.set_ruleset_id(s.ruleset_id);
  p.set_ruleset_version(s.ruleset_version);
  return p;
}

Suggestion FromProto(const pb::Suggestion& p) {
  Suggestion s;
  s.classification = FromProto(p.classification());
  s.change_approach = p.change_approach();
  s.governance = p.governance();
  s.leadership = p.leadership();
  s.resourcing_demand = p.resourcing_demand();
  s.type_guidance.assign(p.type_guidance().begin(), p.type_guidance().end());
  for (const pb::FiredRule& r : p.fired_rules()) {
    FiredRule f;
    f.rule_id = r.rule_id();
    f.description = r.description();
    f.effect = r.effect();
    f.decisive = r.decisive();
    for (const pb::MatchedCondition& m : r.matched()) {
      f.matched.push_back({m.feature(), m.condition(), m.actual()});
    }
    s.fired_rules.push_back(std::move(f));
  }
  s.complexity_points = p.complexity_points();
  for (const auto& [k, v] : p.type_points()) s.type_points[k] = v;
  s.complexity_raised_to_floor = p.complexity_raised_to_floor();
  s.types_from_most_points = p.types_from_most_points();
  s.ruleset_id = p.ruleset_id();
  s.ruleset_version = p.ruleset_version();
  return s;
}

pb::Trigger ToProto(const TriggerRef& t) {
  pb::Trigger p;
  p.set_stream(t.stream);
  p.set_version(t.version);
  p.set_event_id(t.event_id);
  p.set_event_type(t.event_type);
  return p;
}

TriggerRef FromProto(const pb::Trigger& p) {
  return TriggerRef{p.stream(), p.version(), p.event_id(), p.event_type()};
}

std::string EventTypeName(const Event& event) {
  return std::visit(
      [](const auto& ev) -> std::string {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, ClassificationSuggested>) {
          return pb::ClassificationSuggested::descriptor()->full_name();
        } else if constexpr (std::is_same_v<T, ClassificationConfirmed>) {
          return pb::ClassificationConfirmed::descriptor()->full_name();
        } else if constexpr (std::is_same_v<T, ClassificationOverridden>) {
          return pb::ClassificationOverridden::descriptor()->full_name();
        } else {
          return pb::ClassificationClosed::descriptor()->full_name();
        }
      },
      event);
}

Envelope ToEnvelope(const Event& event, const std::string& actor) {
  Envelope e;
  e.set_type(EventTypeName(event));
  e.set_schema_version(1);
  e.set_actor(actor);
  e.set_source("classification");
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, ClassificationSuggested>) {
          pb::ClassificationSuggested p;
          p.set_change_id(ev.change_id);
          *p.mutable_facts() = ToProto(ev.facts);
          *p.mutable_suggestion() = ToProto(ev.suggestion);
          *p.mutable_trigger() = ToProto(ev.trigger);
          p.set_review_required(ev.review_required);
          e.mutable_payload()->PackFrom(p);
        } else if constexpr (std::is_same_v<T, ClassificationConfirmed>) {
          pb::ClassificationConfirmed p;
          p.set_change_id(ev.change_id);
          *p.mutable_classification() = ToProto(ev.classification);
          p.set_suggestion_version(ev.suggestion_version);
          p.set_note(ev.note);
          e.mutable_payload()->PackFrom(p);
        } else if constexpr (std::is_same_v<T, ClassificationOverridden>) {
          pb::ClassificationOverridden p;
          p.set_change_id(ev.change_id);
          *p.mutable_classification() = ToProto(ev.classification);
          p.set_rationale(ev.rationale);
          p.set_suggestion_version(ev.suggestion_version);
          e.mutable_payload()->PackFrom(p);
        } else {
          pb::ClassificationClosed p;
          p.set_change_id(ev.change_id);
          p.set_end(static_cast<pb::ChangeEnd>(ev.end));
          *p.mutable_trigger() = ToProto(ev.trigger);
          e.mutable_payload()->PackFrom(p);
        }
      },
      event);
  return e;
}

absl::StatusOr<Event> FromEnvelope(const Envelope& e) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("event ", e.stream(), "@", e.version(), ": cannot read type ", e.type()));
  };
  if (e.type() == pb::ClassificationSuggested::descriptor()->full_name()) {
    pb::ClassificationSuggested p;
    if (!e.payload().UnpackTo(&p)) return bad();
    return Event{ClassificationSuggested{p.change_id(), FromProto(p.facts()),
                                         FromProto(p.suggestion()), FromProto(p.trigger()),
                                         p.review_required()}};
  }
  if (e.type() == pb::ClassificationConfirmed::descriptor()->full_name()) {
    pb::ClassificationConfirmed p;
    if (!e.payload().UnpackTo(&p)) return bad();
    return Event{ClassificationConfirmed{p.change_id(), FromProto(p.classification()),
                                         p.suggestion_version(), p.note()}};
  }
  if (e.type() == pb::ClassificationOverridden::descriptor()->full_name()) {
    pb::ClassificationOverridden p;
    if (!e.payload().UnpackTo(&p)) return bad();
    return Event{ClassificationOverridden{p.change_id(), FromProto(p.classification()),
                                          p.rationale(), p.suggestion_version()}};
  }
  if (e.type() == pb::ClassificationClosed::descriptor()->full_name()) {
    pb::ClassificationClosed p;
    if (!e.payload().UnpackTo(&p)) return bad();
    return Event{ClassificationClosed{p.change_id(), static_cast<ChangeEnd>(p.end()),
                                      FromProto(p.trigger())}};
  }
  return bad();
}

absl::StatusOr<RecordedEvent> ToRecorded(const Envelope& e) {
  absl::StatusOr<Event> ev = FromEnvelope(e);
  if (!ev.ok()) return ev.status();
  RecordedEvent r;
  r.version = e.version();
  r.recorded_at = absl::FromUnixSeconds(e.recorded_at().seconds()) +
                  absl::Nanoseconds(e.recorded_at().nanos());
  r.actor = e.actor();
  r.event = std::move(*ev);
  return r;
}

absl::StatusOr<std::optional<IntakeFact>> IntakeFactFromEnvelope(const Envelope& e) {
  IntakeFact f;
  f.trigger = TriggerRef{e.stream(), e.version(), e.event_id(), e.type()};
  f.correlation_id = e.correlation_id();
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("intake event ", e.stream(), "@", e.version(), ": cannot read ", e.type()));
  };
  if (e.type() == ipb::ChangeRegistered::descriptor()->full_name()) {
    ipb::ChangeRegistered p;
    if (!e.payload().UnpackTo(&p)) return bad();
    f.kind = IntakeFact::Kind::kRegistered;
    f.change_id = p.change_id();
    f.facts = FactsFromAttributes(p.attributes());
  } else if (e.type() == ipb::ChangeAmended::descriptor()->full_name()) {
    ipb::ChangeAmended p;
    if (!e.payload().UnpackTo(&p)) return bad();
    f.kind = IntakeFact::Kind::kAmended;
    f.change_id = p.change_id();
    f.facts = FactsFromAttributes(p.attributes());
  } else if (e.type() == ipb::ChangeClosed::descriptor()->full_name()) {
    ipb::ChangeClosed p;
    if (!e.payload().UnpackTo(&p)) return bad();
    f.kind = IntakeFact::Kind::kClosed;
    f.change_id = p.change_id();
  } else if (e.type() == ipb::ChangeStopped::descriptor()->full_name()) {
    ipb::ChangeStopped p;
    if (!e.payload().UnpackTo(&p)) return bad();
    f.kind = IntakeFact::Kind::kStopped;
    f.change_id = p.change_id();
  } else {
    return std::optional<IntakeFact>();
  }
  return std::optional<IntakeFact>(std::move(f));
}

pb::PendingIntakeFact ToProto(const IntakeFact& f) {
  pb::PendingIntakeFact p;
  p.set_kind(static_cast<pb::PendingIntakeFact::Kind>(static_cast<int>(f.kind) + 1));
  p.set_change_id(f.change_id);
  *p.mutable_facts() = ToProto(f.facts);
  *p.mutable_trigger() = ToProto(f.trigger);
  p.set_correlation_id(f.correlation_id);
  return p;
}

IntakeFact FromProto(const pb::PendingIntakeFact& p) {
  IntakeFact f;
  f.kind = static_cast<IntakeFact::Kind>(std::max(0, static_cast<int>(p.kind()) - 1));
  f.change_id = p.change_id();
  f.facts = FromProto(p.facts());
  f.trigger = FromProto(p.trigger());
  f.correlation_id = p.correlation_id();
  return f;
}

std::string ResourceName(const std::string& change_id) {
  return absl::StrCat(kResourcePrefix, change_id);
}

std::optional<std::string> ChangeIdFromName(const std::string& name) {
  if (!absl::StartsWith(name, kResourcePrefix)) return std::nullopt;
  std::string id = name.substr(sizeof(kResourcePrefix) - 1);
  uuid::PackedUuid unused;
  if (!uuid::ParseUuidText(id, &unused)) return std::nullopt;
  return id;
}

}  // namespace changeledger::classification
