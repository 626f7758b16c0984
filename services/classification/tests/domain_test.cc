#include "changeledger/classification/domain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace changeledger::classification {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

class ClassificationDomainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = LoadRulesetFile(std::string(CLASSIFICATION_RULESET_DIR) +
                             "/differentiated-model-v1.yaml");
    ASSERT_TRUE(r.ok()) << r.status();
    ruleset_ = std::move(*r);
  }

  // Appends `events` to `state` as a store would: next versions, a clock
  // that moves one minute per event.
  void Commit(State& state, const std::vector<Event>& events, const std::string& actor = "po") {
    for (const Event& e : events) {
      now_ += absl::Minutes(1);
      Apply(state, RecordedEvent{state.version + 1, now_, actor, e});
    }
  }

  static ChangeFacts Experiment() {
    ChangeFacts f;
    f.tests_hypothesis = true;
    f.technology_and_data_implications = true;
    return f;
  }
  static ChangeFacts Mandated() {
    ChangeFacts f;
    f.has_business_case = true;
    f.third_party_procurement = true;
    f.technology_and_data_implications = true;
    return f;
  }

  IntakeFact Fact(IntakeFact::Kind kind, uint64_t intake_version, ChangeFacts facts = {},
                  const std::string& id = "c1") {
    IntakeFact f;
    f.kind = kind;
    f.change_id = id;
    f.facts = facts;
    f.trigger = TriggerRef{"change-" + id, intake_version, "ev-" + std::to_string(intake_version),
                           "changeledger.intake.v1.ChangeRegistered"};
    return f;
  }

  State Registered(ChangeFacts facts = Mandated(), const std::string& id = "c1") {
    State s;
    auto events = DecideOnIntake(s, Fact(IntakeFact::Kind::kRegistered, 1, facts, id), *ruleset_);
    EXPECT_TRUE(events.ok()) << events.status();
    Commit(s, *events, "service:classification");
    return s;
  }

  std::unique_ptr<Ruleset> ruleset_;
  absl::Time now_ = absl::FromUnixSeconds(1'620'000'000);
};

TEST_F(ClassificationDomainTest, StreamNameCarriesChangeId) {
  EXPECT_EQ(StreamFor("abc"), "classification-abc");
}

TEST_F(ClassificationDomainTest, RegistrationYieldsSuggestionAwaitingConfirmation) {
  State s;
  auto events = DecideOnIntake(s, Fact(IntakeFact::Kind::kRegistered, 1, Mandated()), *ruleset_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_THAT(*events, SizeIs(1));
  const auto& ev = std::get<ClassificationSuggested>((*events)[0]);
  EXPECT_EQ(ev.change_id, "c1");
  EXPECT_EQ(ev.suggestion.classification.tier, Tier::kMandated);
  EXPECT_EQ(ev.suggestion.ruleset_id, "differentiated-model");
  EXPECT_EQ(ev.suggestion.ruleset_version, 1u);
  EXPECT_EQ(ev.trigger.stream, "change-c1");
  EXPECT_EQ(ev.trigger.version, 1u);
  EXPECT_FALSE(ev.review_required);
  Commit(s, *events);
  EXPECT_EQ(s.status, Status::kAwaitingConfirmation);
  EXPECT_TRUE(s.review_pending);
  EXPECT_EQ(s.version, 1u);
  EXPECT_EQ(s.Effective()->tier, Tier::kMandated);
  EXPECT_FALSE(s.in_force.has_value());
}

TEST_F(ClassificationDomainTest, RedeliveredIntakeEventYieldsNothing) {
  State s = Registered();
  auto again = DecideOnIntake(s, Fact(IntakeFact::Kind::kRegistered, 1, Mandated()), *ruleset_);
  ASSERT_TRUE(again.ok());
  EXPECT_THAT(*again, IsEmpty());
}

TEST_F(ClassificationDomainTest, AmendmentThatLeavesFactsAloneYieldsNothing) {
  State s = Registered();
  auto same = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 2, Mandated()), *ruleset_);
  ASSERT_TRUE(same.ok());
  EXPECT_THAT(*same, IsEmpty());
}

TEST_F(ClassificationDomainTest, IntakeFactValidation) {
  State s;
  IntakeFact f = Fact(IntakeFact::Kind::kRegistered, 1);
  f.change_id = "";
  f.trigger.stream = "";
  auto r = DecideOnIntake(s, f, *ruleset_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("change_id: required"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("trigger.stream: required"));
}

TEST_F(ClassificationDomainTest, ConfirmAcceptsLatestSuggestion) {
  State s = Registered();
  auto r = Decide(s, ConfirmClassification{"c1", 1, "agreed at portfolio review"});
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& ev = std::get<ClassificationConfirmed>((*r)[0]);
  EXPECT_EQ(ev.suggestion_version, 1u);
  EXPECT_EQ(ev.classification, s.latest_suggestion->suggestion.classification);
  Commit(s, *r, "alice");
  EXPECT_EQ(s.status, Status::kConfirmed);
  EXPECT_FALSE(s.review_pending);
  EXPECT_EQ(s.in_force->actor, "alice");
  EXPECT_EQ(s.in_force->rationale, "agreed at portfolio review");
}

TEST_F(ClassificationDomainTest, ConfirmRejections) {
  State unknown;
  EXPECT_EQ(Decide(unknown, ConfirmClassification{"c9", 1, ""}).status().code(),
            absl::StatusCode::kFailedPrecondition);

  State s = Registered();
  auto stale = Decide(s, ConfirmClassification{"c1", 2, ""});
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  // Named as the client names it, not by the stream it is stored in.
  EXPECT_EQ(stale.status().message(),
            "classifications/c1 is at version 1, not the expected 2: read it again");

  auto bad = Decide(s, ConfirmClassification{"", 0, std::string(2001, 'x')});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("expected_version: required"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("change_id: required"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("note: longer than 2000"));

  // change_id counts characters, as every other length here does.
  std::string accented_id;
  for (int i = 0; i < 128; ++i) accented_id += "\u00e9";
  EXPECT_THAT(
      std::string(
          Decide(s, ConfirmClassification{accented_id, 0, ""}).status().message()),
      Not(HasSubstr("change_id")));
  EXPECT_THAT(std::string(Decide(s, ConfirmClassification{std::string(129, 'c'), 1, ""})
                              .status()
                              .message()),
              HasSubstr("change_id: longer than 128 characters"));

  Commit(s, *Decide(s, ConfirmClassification{"c1", 1, ""}));
  auto twice = Decide(s, ConfirmClassification{"c1", 2, ""});
  EXPECT_EQ(twice.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(twice.status().message()), HasSubstr("no suggestion awaiting"));
}

TEST_F(ClassificationDomainTest, OverrideRecordsClassificationAndRationale) {
  State s = Registered();
  OverrideClassification cmd{"c1", 1,
                             Classification{Tier::kTransformational, Complexity::kHigh,
                                            {ComplexityType::kSocioPolitical,
                                             ComplexityType::kStructural,
                                             ComplexityType::kStructural}},
                             "  Part of the CONNECT programme.  "};
  auto r = Decide(s, cmd, *ruleset_);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& ev = std::get<ClassificationOverridden>((*r)[0]);
  EXPECT_THAT(ev.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kSocioPolitical));
  EXPECT_EQ(ev.rationale, "Part of the CONNECT programme.");
  EXPECT_EQ(ev.suggestion_version, 1u);
  Commit(s, *r);
  EXPECT_EQ(s.status, Status::kOverridden);
  EXPECT_EQ(s.Effective()->tier, Tier::kTransformational);
  EXPECT_FALSE(s.review_pending);
}

TEST_F(ClassificationDomainTest, OverrideValidationNamesEachField) {
  State s = Registered();
  OverrideClassification cmd{"c1", 1,
                             Classification{Tier::kUnspecified, Complexity::kUnspecified,
                                            {ComplexityType::kUnspecified}},
                             "   "};
  auto r = Decide(s, cmd, *ruleset_);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(r.status().message());
  EXPECT_THAT(msg, HasSubstr("classification.tier: required"));
  EXPECT_THAT(msg, HasSubstr("classification.complexity: required"));
  EXPECT_THAT(msg, HasSubstr("classification.types[0]"));
  EXPECT_THAT(msg, HasSubstr("rationale: required"));

  cmd = OverrideClassification{"c1", 1,
                               Classification{static_cast<Tier>(9), static_cast<Complexity>(7),
                                              {static_cast<ComplexityType>(5)}},
                               std::string(4001, 'r')};
  r = Decide(s, cmd, *ruleset_);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("classification.tier: unknown value"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("classification.complexity: unknown value"));
  EXPECT_THAT(std::string(r.status().message()),
              HasSubstr("rationale: longer than 4000"));
}

TEST_F(ClassificationDomainTest, OverrideNamesTheFirstBadTypeAndCountsTheRest) {
  State s = Registered();
  Classification c{Tier::kMandated, Complexity::kLow, {ComplexityType::kStructural}};
  c.types.insert(c.types.end(), 1'000'000, static_cast<ComplexityType>(99));
  auto r = Decide(s, OverrideClassification{"c1", 1, c, "Because."}, *ruleset_);
  ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            "classification.types[1]: unknown or unspecified value (and 999999 more in "
            "classification.types)");
}

TEST_F(ClassificationDomainTest, NoteAndRationaleLimitsCountCharactersNotBytes) {
  // "é" is two bytes in UTF-8: 2000 and 4000 of them are within the limits.
  std::string e2000;
  for (int i = 0; i < 2000; ++i) e2000 += "\xC3\xA9";
  State s = Registered();
  EXPECT_TRUE(Decide(s, ConfirmClassification{"c1", 1, e2000}).ok());
  auto long_note = Decide(s, ConfirmClassification{"c1", 1, e2000 + "x"});
  EXPECT_THAT(std::string(long_note.status().message()),
              HasSubstr("note: longer than 2000"));

  OverrideClassification cmd{"c1", 1, Classification{Tier::kMandated, Complexity::kLow, {}},
                             e2000 + e2000};
  EXPECT_TRUE(Decide(s, cmd, *ruleset_).ok());
  cmd.rationale += "x";
  auto long_rationale = Decide(s, cmd, *ruleset_);
  EXPECT_THAT(std::string(long_rationale.status().message()),
              HasSubstr("rationale: longer than 4000"));
}

TEST_F(ClassificationDomainTest, OverrideRejectsStaleVersionAndUnknownChange) {
  State s = Registered();
  OverrideClassification cmd{"c1", 5, Classification{Tier::kMandated, Complexity::kLow, {}},
                             "why"};
  EXPECT_EQ(Decide(s, cmd, *ruleset_).status().code(), absl::StatusCode::kAborted);
  State unknown;
  cmd.expected_version = 1;
  EXPECT_EQ(Decide(unknown, cmd, *ruleset_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  cmd.expected_version = 0;
  auto missing = Decide(s, cmd, *ruleset_);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("expected_version: required"));
}

TEST_F(ClassificationDomainTest, OverrideRespectsTheTiersComplexityFloor) {
  // 3.13a: transformational change deals with high levels of complexity;
  // 3.15: the transform tier is exclusively of high and medium complexity.
  State s = Registered();
  OverrideClassification cmd{"c1", 1,
                             Classification{Tier::kTransformational, Complexity::kLow, {}},
                             "SRO appointed"};
  auto low = Decide(s, cmd, *ruleset_);
  ASSERT_EQ(low.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(low.status().message()),
              HasSubstr("classification.complexity: a TRANSFORMATIONAL change is at least MEDIUM"));
  cmd.classification.complexity = Complexity::kMedium;
  EXPECT_TRUE(Decide(s, cmd, *ruleset_).ok());
  // Tiers without a floor take any complexity.
  cmd.classification = Classification{Tier::kIncremental, Complexity::kLow, {}};
  EXPECT_TRUE(Decide(s, cmd, *ruleset_).ok());
}

TEST_F(ClassificationDomainTest, AmendedFeaturesNeverSilentlyReplaceConfirmedClassification) {
  State s = Registered(Mandated());
  Commit(s, *Decide(s, ConfirmClassification{"c1", 1, ""}));
  const Classification confirmed = s.in_force->classification;

  // The change turns out to be an experiment.
  auto r = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 2, Experiment()), *ruleset_);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(*r, SizeIs(1));
  EXPECT_TRUE(std::get<ClassificationSuggested>((*r)[0]).review_required);
  Commit(s, *r);
  EXPECT_EQ(s.status, Status::kConfirmed);
  EXPECT_EQ(s.in_force->classification, confirmed);
  EXPECT_EQ(s.Effective(), confirmed);
  EXPECT_TRUE(s.review_pending);
  EXPECT_EQ(s.latest_suggestion->suggestion.classification.tier, Tier::kExperimental);
  EXPECT_EQ(s.awaiting_since, now_);

  // Confirming now adopts the new suggestion.
  Commit(s, *Decide(s, ConfirmClassification{"c1", 3, ""}));
  EXPECT_EQ(s.in_force->classification.tier, Tier::kExperimental);
  EXPECT_FALSE(s.review_pending);
}

TEST_F(ClassificationDomainTest, SuggestionAgreeingWithClassificationInForceNeedsNoReview) {
  State s = Registered(Mandated());
  Commit(s, *Decide(s, ConfirmClassification{"c1", 1, ""}));
  ChangeFacts amended = Mandated();
  amended.data_and_digital = true;  // read by no rule of the shipped ruleset
  auto r = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 2, amended), *ruleset_);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(*r, SizeIs(1));
  EXPECT_FALSE(std::get<ClassificationSuggested>((*r)[0]).review_required);
  Commit(s, *r);
  EXPECT_FALSE(s.review_pending);
  EXPECT_EQ(s.status, Status::kConfirmed);
}

TEST_F(ClassificationDomainTest, OverriddenClassificationStandsAgainstNewSuggestion) {
  State s = Registered(Mandated());
  Commit(s, *Decide(s, OverrideClassification{
                           "c1", 1, Classification{Tier::kIncremental, Complexity::kLow, {}},
                           "local contract only"},
                    *ruleset_));
  Commit(s, *DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 2, Experiment()), *ruleset_));
  EXPECT_EQ(s.status, Status::kOverridden);
  EXPECT_EQ(s.Effective()->tier, Tier::kIncremental);
  EXPECT_TRUE(s.review_pending);
  // Reclassify later: a new override, history kept in the stream.
  Commit(s, *Decide(s, OverrideClassification{
                           "c1", 3, Classification{Tier::kMandated, Complexity::kMedium,
                                                   {ComplexityType::kStructural}},
                           "scope grew"},
                    *ruleset_));
  EXPECT_EQ(s.version, 4u);
  EXPECT_EQ(s.in_force->classification.tier, Tier::kMandated);
  EXPECT_EQ(s.in_force->rationale, "scope grew");
  EXPECT_FALSE(s.review_pending);
}

TEST_F(ClassificationDomainTest, AmendmentLeavingTheSuggestionDoesNotRequeueAnOverride) {
  State s = Registered(Mandated());
  Commit(s, *Decide(s, OverrideClassification{
                           "c1", 1, Classification{Tier::kIncremental, Complexity::kLow, {}},
                           "local contract only"},
                    *ruleset_));
  // The planned end moves: new facts, the same suggestion the office
  // overrode already.
  ChangeFacts later = Mandated();
  later.planned_duration_months = 18;
  auto r = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 2, later), *ruleset_);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(*r, SizeIs(1));
  EXPECT_FALSE(std::get<ClassificationSuggested>((*r)[0]).review_required);
  Commit(s, *r);
  EXPECT_FALSE(s.review_pending);
  EXPECT_THAT(Queue({s}), IsEmpty());

  // A different suggestion does need review, and stays pending through an
  // amendment that leaves it as it is.
  Commit(s, *DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 3, Experiment()), *ruleset_));
  EXPECT_TRUE(s.review_pending);
  ChangeFacts experiment_later = Experiment();
  experiment_later.planned_duration_months = 6;
  r = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 4, experiment_later), *ruleset_);
  ASSERT_TRUE(r.ok());
  ASSERT_THAT(*r, SizeIs(1));
  EXPECT_TRUE(std::get<ClassificationSuggested>((*r)[0]).review_required);
  Commit(s, *r);
  EXPECT_TRUE(s.review_pending);
}

TEST_F(ClassificationDomainTest, ClosedOrStoppedChangeRejectsCommandsAndFurtherSuggestions) {
  for (auto kind : {IntakeFact::Kind::kClosed, IntakeFact::Kind::kStopped}) {
    State s = Registered();
    auto r = DecideOnIntake(s, Fact(kind, 2), *ruleset_);
    ASSERT_TRUE(r.ok());
    ASSERT_THAT(*r, SizeIs(1));
    const auto& closed = std::get<ClassificationClosed>((*r)[0]);
    EXPECT_EQ(closed.end,
              kind == IntakeFact::Kind::kStopped ? ChangeEnd::kStopped : ChangeEnd::kClosed);
    Commit(s, *r);
    EXPECT_TRUE(s.closed());
    EXPECT_FALSE(s.review_pending);

    auto confirm = Decide(s, ConfirmClassification{"c1", 2, ""});
    EXPECT_EQ(confirm.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(confirm.status().message()),
                HasSubstr(kind == IntakeFact::Kind::kStopped ? "stopped" : "closed"));
    auto override_cmd = Decide(
        s, OverrideClassification{"c1", 2, Classification{Tier::kMandated, Complexity::kLow, {}},
                                  "r"},
        *ruleset_);
    EXPECT_EQ(override_cmd.status().code(), absl::StatusCode::kFailedPrecondition);
    auto later = DecideOnIntake(s, Fact(IntakeFact::Kind::kAmended, 3, Experiment()), *ruleset_);
    ASSERT_TRUE(later.ok());
    EXPECT_THAT(*later, IsEmpty());
  }
}

TEST_F(ClassificationDomainTest, QueueIsOldestFirstAndOnlyAwaitingChanges) {
  std::vector<State> states;
  states.push_back(Registered(Mandated(), "b"));     // t+1
  states.push_back(Registered(Experiment(), "a"));   // t+2
  states.push_back(Registered(Mandated(), "c"));     // t+3
  // c is confirmed: out of the queue.
  Commit(states[2], *Decide(states[2], ConfirmClassification{"c", 1, ""}));
  // b is re-suggested later: still waiting since its first suggestion.
  Commit(states[0],
         *DecideOnIntake(states[0], Fact(IntakeFact::Kind::kAmended, 2, Experiment(), "b"),
                         *ruleset_));
  std::vector<std::string> ids;
  for (const State* s : Queue(states)) ids.push_back(s->change_id);
  EXPECT_THAT(ids, ElementsAre("b", "a"));

  // c's features change: it re-enters the queue, at the back.
  Commit(states[2],
         *DecideOnIntake(states[2], Fact(IntakeFact::Kind::kAmended, 2, Experiment(), "c"),
                         *ruleset_));
  ids.clear();
  for (const State* s : Queue(states)) ids.push_back(s->change_id);
  EXPECT_THAT(ids, ElementsAre("b", "a", "c"));

  // Closing removes a change from the queue.
  Commit(states[1], *DecideOnIntake(states[1], Fact(IntakeFact::Kind::kClosed, 2, {}, "a"),
                                    *ruleset_));
  ids.clear();
  for (const State* s : Queue(states)) ids.push_back(s->change_id);
  EXPECT_THAT(ids, ElementsAre("b", "c"));
}

TEST_F(ClassificationDomainTest, WhatIfReportsOnlyChangedClassificationsAndWritesNothing) {
  std::vector<State> states;
  states.push_back(Registered(Mandated(), "m"));
  states.push_back(Registered(Experiment(), "x"));
  states.push_back(Registered(Mandated(), "closed"));
  Commit(states[2], *DecideOnIntake(states[2], Fact(IntakeFact::Kind::kStopped, 2, {}, "closed"),
                                    *ruleset_));
  // Proposed: procurement alone makes a change HIGH complexity.
  auto proposed = LoadRuleset(R"(
id: differentiated-model
version: 2
tiers:
  TRANSFORMATIONAL: {change_approach: a, governance: g, leadership: l, resourcing_demand: r}
  MANDATED: {change_approach: a, governance: g, leadership: l, resourcing_demand: r}
  EXPERIMENTAL: {change_approach: a, governance: g, leadership: l, resourcing_demand: r}
  INCREMENTAL: {change_approach: a, governance: g, leadership: l, resourcing_demand: r}
tier_rules:
  - {id: X, description: experiments, tier: EXPERIMENTAL,
     when: {feature: tests_hypothesis, op: "==", value: true}}
default_tier: {tier: MANDATED, description: rest}
complexity: {medium_from: 2, high_from: 3, type_present_from: 2}
complexity_rules:
  - {id: P, description: procurement, type: STRUCTURAL, points: 3,
     when: {feature: third_party_procurement, op: "==", value: true}}
  - {id: T, description: technology, type: STRUCTURAL, points: 1,
     when: {feature: technology_and_data_implications, op: "==", value: true}}
)",
                              "what-if request");
  ASSERT_TRUE(proposed.ok()) << proposed.status();
  const std::vector<State> before = states;
  const WhatIfReport report = WhatIf(*ruleset_, **proposed, states);
  EXPECT_EQ(report.ruleset_version, 2u);
  EXPECT_EQ(report.evaluated, 2u);  // the stopped change is not evaluated
  ASSERT_EQ(report.changed, 1u);
  ASSERT_THAT(report.items, SizeIs(1));
  const WhatIfItem& item = report.items[0];
  EXPECT_EQ(item.change_id, "m");
  EXPECT_EQ(item.current.complexity, Complexity::kMedium);
  EXPECT_FALSE(item.in_force.has_value());
  EXPECT_FALSE(item.would_need_review);
  EXPECT_EQ(item.proposed.classification.complexity, Complexity::kHigh);
  EXPECT_TRUE(item.complexity_changed);
  EXPECT_FALSE(item.tier_changed);
  ASSERT_FALSE(item.proposed.fired_rules.empty());
  EXPECT_EQ(item.status, Status::kAwaitingConfirmation);
  // Nothing written: the states are untouched.
  for (size_t i = 0; i < states.size(); ++i) EXPECT_EQ(states[i].version, before[i].version);
}

}  // namespace
}  // namespace changeledger::classification
