#include "changeledger/portfolio/portfolio_model.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::portfolio {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::SizeIs;

absl::Time Day(int day, int hour = 0) {
  return absl::FromCivil(absl::CivilSecond(2021, 3, 1, 0, 0, 0), absl::UTCTimeZone()) +
         absl::Hours(24 * (day - 1) + hour);
}

int Idx(Tier t) { return static_cast<int>(t); }
int Idx(Complexity c) { return static_cast<int>(c); }

// Builds facts with consistent stream versions per (source, stream).
class FactMaker {
 public:
  Fact Meta(const std::string& source, const std::string& stream, absl::Time at,
            const std::string& type) {
    Fact f;
    f.meta.source = source;
    f.meta.stream = stream;
    f.meta.version = ++versions_[source + "/" + stream];
    f.meta.global_position = ++positions_[source];
    f.meta.recorded_at = at;
    f.meta.occurred_at = at - absl::Minutes(5);
    f.meta.type = type;
    ++ids_;
    f.meta.event_id = absl::StrCat("00000000-0000-4000-8000-",
                                   std::string(12 - std::to_string(ids_).size(), '0'), ids_);
    f.meta.actor = source == "intake" ? "proposer-1" : "officer-1";
    f.meta.correlation_id = absl::StrCat("corr-", ids_);
    f.meta.causation_id = absl::StrCat("cause-", ids_);
    return f;
  }

  Fact Registered(const std::string& change, absl::Time at, const std::string& area,
                  std::vector<std::string> teams = {}, bool dd = false, int64_t cost = 0,
                  const std::string& proposal = "") {
    Fact f = Meta("intake", "change-" + change, at, "changeledger.intake.v1.ChangeRegistered");
    f.kind = FactKind::kChangeRegistered;
    f.change_id = change;
    f.proposal_id = proposal;
    f.attributes.title = "Change " + change;
    f.attributes.business_area = area;
    f.attributes.teams = std::move(teams);
    f.attributes.data_and_digital = dd;
    f.attributes.estimated_cost_minor = cost;
    return f;
  }

  Fact Amended(const std::string& change, absl::Time at, const std::string& area,
               std::vector<std::string> teams = {}, bool dd = false, int64_t cost = 0) {
    Fact f = Registered(change, at, area, std::move(teams), dd, cost);
    f.kind = FactKind::kChangeAmended;
    f.meta.type = "changeledger.intake.v1.ChangeAmended";
    f.attributes.title = "Change " + change + " (amended)";
    return f;
  }

  Fact Status(const std::string& change, absl::Time at, ChangeStatus status) {
    Fact f = Meta("intake", "change-" + change, at, "changeledger.intake.v1.ChangeDeliveryStarted");
    f.kind = FactKind::kChangeStatusChanged;
    f.change_id = change;
    f.status = status;
    return f;
  }

  Fact Classified(FactKind kind, const std::string& change, absl::Time at, Tier tier,
                  Complexity complexity, uint8_t types = 0) {
    Fact f = Meta("classification", "classification-" + change, at,
                  absl::StrCat("changeledger.classification.v1.", FactKindName(kind)));
    f.kind = kind;
    f.change_id = change;
    f.classification = {tier, complexity, types};
    return f;
  }
  Fact Suggested(const std::string& change, absl::Time at, Tier tier, Complexity c,
                 uint8_t types = 0) {
    return Classified(FactKind::kClassificationSuggested, change, at, tier, c, types);
  }
  Fact Confirmed(const std::string& change, absl::Time at) {
    return Classified(FactKind::kClassificationConfirmed, change, at, Tier::kUnspecified,
                      Complexity::kUnspecified);
  }
  Fact Overridden(const std::string& change, absl::Time at, Tier tier, Complexity c,
                  uint8_t types = 0) {
    return Classified(FactKind::kClassificationOverridden, change, at, tier, c, types);
  }

  Fact Submitted(const std::string& proposal, absl::Time at, const std::string& area) {
    Fact f = Meta("intake", "proposal-" + proposal, at, "changeledger.intake.v1.ProposalSubmitted");
    f.kind = FactKind::kProposalSubmitted;
    f.proposal_id = proposal;
    f.proposal_business_area = area;
    f.meta.occurred_at = at;
    return f;
  }
  Fact Decided(const std::string& proposal, absl::Time at, ProposalOutcome outcome) {
    Fact f = Meta("intake", "proposal-" + proposal, at, "changeledger.intake.v1.ProposalDecided");
    f.kind = FactKind::kProposalDecided;
    f.proposal_id = proposal;
    f.outcome = outcome;
    f.meta.occurred_at = at;
    return f;
  }

 private:
  std::map<std::string, uint64_t> versions_;
  std::map<std::string, uint64_t> positions_;
  int ids_ = 0;
};

class PortfolioModelTest : public ::testing::Test {
 protected:
  void Apply(const Fact& f) {
    auto r = model_.Apply(f);
    ASSERT_TRUE(r.ok()) << r.status();
    ASSERT_TRUE(r->applied);
  }
  Baseline Current() {
    auto b = model_.GetBaseline({});
    EXPECT_TRUE(b.ok()) << b.status();
    return *b;
  }
  Baseline AsOf(absl::Time t) {
    BaselineQuery q;
    q.as_of = t;
    auto b = model_.GetBaseline(q);
    EXPECT_TRUE(b.ok()) << b.status();
    return *b;
  }

  FactMaker make_;
  PortfolioModel model_;
};

TEST_F(PortfolioModelTest, BaselineCountsTierComplexityAreaAndDataDigital) {
  Apply(make_.Registered("c1", Day(1), "MO", {"t1"}, true, 500));
  Apply(make_.Suggested("c1", Day(1, 1), Tier::kMandated, Complexity::kMedium, kStructural));
  Apply(make_.Registered("c2", Day(1), "MO", {"t2"}, false, 100));
  Apply(make_.Suggested("c2", Day(1, 1), Tier::kMandated, Complexity::kMedium,
                        kStructural | kSocioPolitical));
  Apply(make_.Confirmed("c2", Day(2)));
  Apply(make_.Registered("c3", Day(1), "DI", {}, true, 900));
  Apply(make_.Overridden("c3", Day(2), Tier::kTransformational, Complexity::kHigh, kStructural));
  Apply(make_.Registered("c4", Day(1), "DI"));  // never classified

  const Baseline b = Current();
  EXPECT_EQ(b.total, 4);
  EXPECT_EQ(b.unclassified, 1);
  EXPECT_EQ(b.unconfirmed, 1);  // c1: a suggestion only
  EXPECT_EQ(b.tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 2);
  EXPECT_EQ(b.tier_complexity_unconfirmed[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 1);
  EXPECT_EQ(b.tier_complexity[Idx(Tier::kTransformational)][Idx(Complexity::kHigh)], 1);
  EXPECT_EQ(b.tier_complexity[0][0], 1);
  EXPECT_EQ(b.by_tier[Idx(Tier::kMandated)], 2);
  EXPECT_EQ(b.data_and_digital_by_tier[Idx(Tier::kMandated)], 1);
  EXPECT_EQ(b.data_and_digital_by_tier[Idx(Tier::kTransformational)], 1);
  EXPECT_EQ(b.complexity_types[Idx(Complexity::kMedium)][0], 2);  // structural
  EXPECT_EQ(b.complexity_types[Idx(Complexity::kMedium)][1], 1);  // socio-political
  EXPECT_EQ(b.complexity_types[Idx(Complexity::kMedium)][2], 0);
  EXPECT_EQ(b.complexity_without_types[0], 1);
  ASSERT_THAT(b.by_area, SizeIs(2));
  EXPECT_EQ(b.by_area[0].business_area, "DI");
  EXPECT_EQ(b.by_area[0].total, 2);
  EXPECT_EQ(b.by_area[0].by_tier[Idx(Tier::kTransformational)], 1);
  EXPECT_EQ(b.by_area[1].business_area, "MO");
  EXPECT_EQ(b.by_area[1].by_tier[Idx(Tier::kMandated)], 2);
  EXPECT_EQ(b.by_area[1].data_and_digital, 1);
  ASSERT_TRUE(b.latest_recorded_at.has_value());
  EXPECT_EQ(*b.latest_recorded_at, Day(2));
  EXPECT_FALSE(b.as_of.has_value());
}

// A figure as of D names its changes as they were named on D: what the
// board was shown then, not a title given later.
TEST_F(PortfolioModelTest, AsOfNamesChangesByTheirTitleThen) {
  Apply(make_.Registered("c1", Day(1), "MO", {}, false, 500));
  Apply(make_.Suggested("c1", Day(1, 1), Tier::kMandated, Complexity::kMedium));
  Apply(make_.Amended("c1", Day(5), "MO", {}, false, 500));

  const Baseline then = AsOf(Day(2));
  ASSERT_THAT(then.top_mandated, SizeIs(1));
  ASSERT_THAT(then.top_mandated[0].changes, SizeIs(1));
  EXPECT_EQ(then.top_mandated[0].changes[0].title, "Change c1");
  EXPECT_EQ(Current().top_mandated[0].changes[0].title, "Change c1 (amended)");
  EXPECT_EQ(AsOf(Day(5)).top_mandated[0].changes[0].title, "Change c1 (amended)");

  CellFilter mandated;
  mandated.tier = Tier::kMandated;
  auto p = model_.GetProvenance(mandated, Day(2));
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_THAT(p->changes, SizeIs(1));
  EXPECT_EQ(p->changes[0].title, "Change c1");
  EXPECT_EQ(model_.GetProvenance(mandated, std::nullopt)->changes[0].title,
            "Change c1 (amended)");
  EXPECT_EQ(model_.GetChangeHistory("c1")->title, "Change c1 (amended)");

  // A later amendment of something else keeps the title in force, as of
  // every date, and so does an earlier one that arrives late.
  Fact cost = make_.Amended("c1", Day(8), "MO", {}, false, 700);
  cost.changed_paths = {"estimated_cost"};
  Apply(cost);
  Fact teams = make_.Amended("c1", Day(3), "MO", {"Fleet"}, false, 500);
  teams.attributes.title = "Change c1";
  teams.changed_paths = {"teams"};
  Apply(teams);
  EXPECT_EQ(AsOf(Day(2)).top_mandated[0].changes[0].title, "Change c1");
  EXPECT_EQ(AsOf(Day(4)).top_mandated[0].changes[0].title, "Change c1");
  EXPECT_EQ(AsOf(Day(6)).top_mandated[0].changes[0].title, "Change c1 (amended)");
  EXPECT_EQ(AsOf(Day(9)).top_mandated[0].changes[0].title, "Change c1 (amended)");
  EXPECT_EQ(Current().top_mandated[0].changes[0].title, "Change c1 (amended)");
}

TEST_F(PortfolioModelTest, ClosedAndStoppedChangesAreNotOngoing) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  Apply(make_.Registered("c2", Day(1), "MO"));
  Apply(make_.Registered("c3", Day(1), "MO"));
  Apply(make_.Status("c1", Day(2), ChangeStatus::kInDelivery));
  Apply(make_.Status("c2", Day(3), ChangeStatus::kClosed));
  Apply(make_.Status("c3", Day(3), ChangeStatus::kStopped));
  EXPECT_EQ(Current().total, 1);
  BaselineQuery all;
  all.statuses = kAllStatuses;
  EXPECT_EQ(model_.GetBaseline(all)->total, 3);
  EXPECT_EQ(AsOf(Day(2, 12)).total, 3);
}

TEST_F(PortfolioModelTest, DecisionOutranksLaterSuggestionAndBareConfirmTakesLatestSuggestion) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  Apply(make_.Suggested("c1", Day(1), Tier::kExperimental, Complexity::kLow));
  Apply(make_.Suggested("c1", Day(2), Tier::kMandated, Complexity::kMedium));
  Apply(make_.Confirmed("c1", Day(3)));
  Apply(make_.Suggested("c1", Day(4), Tier::kIncremental, Complexity::kLow));
  const Baseline b = Current();
  EXPECT_EQ(b.tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 1);
  EXPECT_EQ(b.unconfirmed, 0);
  EXPECT_EQ(AsOf(Day(2)).tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 1);
  EXPECT_EQ(AsOf(Day(2)).unconfirmed, 1);
  EXPECT_EQ(AsOf(Day(1)).by_tier[Idx(Tier::kExperimental)], 1);
}

TEST_F(PortfolioModelTest, AsOfAnswersBeforeAndAfterReclassification) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  Apply(make_.Suggested("c1", Day(1, 1), Tier::kExperimental, Complexity::kLow, kEmergent));
  Apply(make_.Registered("c2", Day(5), "DI"));
  Apply(make_.Overridden("c1", Day(10), Tier::kMandated, Complexity::kMedium, kStructural));

  const Baseline before = AsOf(Day(9));
  EXPECT_EQ(before.total, 2);
  EXPECT_EQ(before.tier_complexity[Idx(Tier::kExperimental)][Idx(Complexity::kLow)], 1);
  EXPECT_EQ(before.tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 0);
  EXPECT_EQ(*before.latest_recorded_at, Day(5));
  EXPECT_EQ(*before.as_of, Day(9));

  const Baseline after = AsOf(Day(10));
  EXPECT_EQ(after.tier_complexity[Idx(Tier::kExperimental)][Idx(Complexity::kLow)], 0);
  EXPECT_EQ(after.tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)], 1);
  EXPECT_EQ(*after.latest_recorded_at, Day(10));

  EXPECT_EQ(AsOf(Day(1, 0)).total, 1);
  EXPECT_EQ(AsOf(Day(1, 0)).unclassified, 1);
  EXPECT_EQ(AsOf(Day(1) - absl::Seconds(1)).total, 0);
  EXPECT_FALSE(AsOf(Day(1) - absl::Seconds(1)).latest_recorded_at.has_value());
}

TEST_F(PortfolioModelTest, ArrivalOrderDoesNotChangeStateOrHash) {
  std::vector<Fact> facts = {
      make_.Registered("c1", Day(1), "MO", {"a", "b"}, true, 10),
      make_.Suggested("c1", Day(2), Tier::kMandated, Complexity::kMedium),
      make_.Amended("c1", Day(3), "DI", {"b"}, false, 20),
      make_.Overridden("c1", Day(4), Tier::kTransformational, Complexity::kHigh),
      make_.Registered("c2", Day(2), "MO"),
      make_.Status("c2", Day(6), ChangeStatus::kClosed),
      make_.Submitted("p1", Day(1), "MO"),
      make_.Decided("p1", Day(3), ProposalOutcome::kApproved),
  };
  for (const Fact& f : facts) Apply(f);
  // Another model gets intake's facts after classification's (as two
  // topics may deliver them), each stream still in order.
  PortfolioModel other;
  std::stable_partition(facts.begin(), facts.end(),
                        [](const Fact& f) { return f.meta.source == "classification"; });
  for (const Fact& f : facts) ASSERT_TRUE(other.Apply(f).ok());
  EXPECT_EQ(model_.StateHash(), other.StateHash());
  for (int day = 1; day <= 7; ++day) {
    BaselineQuery q;
    q.as_of = Day(day);
    auto a = model_.GetBaseline(q);
    auto b = other.GetBaseline(q);
    EXPECT_EQ(a->tier_complexity, b->tier_complexity) << day;
    EXPECT_EQ(a->total, b->total) << day;
  }
  EXPECT_EQ(Current().tier_complexity, other.GetBaseline({})->tier_complexity);
  // A different set of facts gives a different hash.
  ASSERT_TRUE(other.Apply(make_.Status("c1", Day(8), ChangeStatus::kInDelivery)).ok());
  EXPECT_NE(model_.StateHash(), other.StateHash());
}

TEST_F(PortfolioModelTest, RedeliveredFactIsIgnored) {
  const Fact f = make_.Registered("c1", Day(1), "MO");
  Apply(f);
  const std::string hash = model_.StateHash();
  auto again = model_.Apply(f);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->applied);
  EXPECT_EQ(model_.duplicates_ignored(), 1u);
  EXPECT_EQ(model_.StateHash(), hash);
  EXPECT_EQ(Current().total, 1);
}

// Versions are per (source, stream): a stream of the same name written by
// another source has versions of its own, and duplicates are told apart.
TEST_F(PortfolioModelTest, SameStreamNameFromTwoSourcesKeepsVersionsApart) {
  Fact intake = make_.Registered("c1", Day(1), "MO");  // intake, change-c1 v1
  Fact other = make_.Status("c1", Day(2), ChangeStatus::kInDelivery);
  other.meta.source = "legacy";
  other.meta.version = 1;  // v1 of legacy's change-c1
  Apply(intake);
  Apply(other);
  Fact second = make_.Status("c1", Day(3), ChangeStatus::kClosed);  // intake v2
  Apply(second);
  EXPECT_FALSE(model_.Apply(other)->applied);
  EXPECT_FALSE(model_.Apply(intake)->applied);
  Fact legacy_v2 = other;
  legacy_v2.meta.version = 2;
  legacy_v2.meta.recorded_at = Day(4);
  legacy_v2.status = ChangeStatus::kInDelivery;
  Apply(legacy_v2);
  EXPECT_EQ(model_.duplicates_ignored(), 2u);
  EXPECT_EQ(model_.events_applied(), 4u);
  EXPECT_EQ(Current().total, 1);  // in delivery again, from legacy's v2
}

// Found by the benchmark's restart check: a source first seen after many
// streams must still be accepted (sources are counted apart from streams).
TEST_F(PortfolioModelTest, SourceFirstSeenAfterManyStreamsIsAccepted) {
  for (int i = 0; i < 70000; ++i) {
    Fact f = make_.Suggested(absl::StrCat("c", i), Day(1), Tier::kMandated, Complexity::kLow);
    f.meta.correlation_id = absl::StrCat("corr-", i);
    Apply(f);
  }
  Apply(make_.Registered("c1", Day(2), "MO"));
  EXPECT_EQ(Current().total, 1);
  EXPECT_EQ(model_.GetChangeHistory("c1")->events[1].source, "intake");
}

TEST_F(PortfolioModelTest, RejectsFactsWithoutIds) {
  Fact f = make_.Registered("c1", Day(1), "MO");
  f.change_id.clear();
  auto r = model_.Apply(f);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr("change_id"));
  Fact g = make_.Registered("c1", Day(1), "MO");
  g.meta.version = 0;
  EXPECT_EQ(model_.Apply(g).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(model_.events_applied(), 0u);
}

TEST_F(PortfolioModelTest, DiffNamesEnteredLeftReclassifiedAndTheirEvents) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  Apply(make_.Suggested("c1", Day(1), Tier::kExperimental, Complexity::kLow));
  Apply(make_.Registered("c2", Day(1), "MO"));
  Apply(make_.Registered("c3", Day(1), "MO"));
  // Between day 2 and day 5:
  const Fact reclass = make_.Overridden("c1", Day(3), Tier::kMandated, Complexity::kMedium);
  Apply(reclass);
  Apply(make_.Status("c2", Day(3), ChangeStatus::kStopped));
  Apply(make_.Registered("c4", Day(4), "DI"));
  Apply(make_.Amended("c3", Day(4), "DI"));
  // After day 5: not in the diff.
  Apply(make_.Registered("c5", Day(6), "DI"));

  auto d = model_.Diff(Day(2), Day(5));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->entered, 1);
  EXPECT_EQ(d->left, 1);
  EXPECT_EQ(d->reclassified, 1);
  EXPECT_EQ(d->area_changed, 1);
  EXPECT_EQ(d->status_changed, 1);
  ASSERT_THAT(d->changes, SizeIs(4));
  EXPECT_EQ(d->changes[0].change_id, "c1");
  EXPECT_THAT(d->changes[0].kinds, ElementsAre(DiffKind::kReclassified));
  EXPECT_EQ(d->changes[0].before.tier, Tier::kExperimental);
  EXPECT_EQ(d->changes[0].after.tier, Tier::kMandated);
  ASSERT_THAT(d->changes[0].events, SizeIs(1));
  EXPECT_EQ(d->changes[0].events[0].event_id, reclass.meta.event_id);
  EXPECT_EQ(d->changes[0].events[0].actor, "officer-1");
  EXPECT_EQ(d->changes[0].events[0].recorded_at, Day(3));
  EXPECT_EQ(d->changes[1].change_id, "c2");
  EXPECT_THAT(d->changes[1].kinds, ElementsAre(DiffKind::kLeft, DiffKind::kStatusChanged));
  EXPECT_EQ(d->changes[2].change_id, "c3");
  EXPECT_THAT(d->changes[2].kinds, ElementsAre(DiffKind::kAreaChanged));
  EXPECT_EQ(d->changes[2].before.business_area, "MO");
  EXPECT_EQ(d->changes[2].after.business_area, "DI");
  EXPECT_EQ(d->changes[3].change_id, "c4");
  EXPECT_THAT(d->changes[3].kinds, ElementsAre(DiffKind::kEntered));
  EXPECT_FALSE(d->changes[3].before.known);

  EXPECT_EQ(model_.Diff(Day(5), Day(2)).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(model_.Diff(Day(2), Day(2))->changes, SizeIs(0));
}

// A page puts together only its changes; the counts stay the whole
// diff's (and the whole cell's).
TEST_F(PortfolioModelTest, APageOfADiffOrProvenanceKeepsTheWholeCounts) {
  for (const char* id : {"c1", "c2", "c3", "c4", "c5"}) Apply(make_.Registered(id, Day(3), "MO"));
  auto first = model_.Diff(Day(2), Day(5), kOngoingStatuses, {"", 2});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->entered, 5);
  ASSERT_THAT(first->changes, SizeIs(2));
  EXPECT_EQ(first->changes[1].change_id, "c2");
  EXPECT_TRUE(first->more);
  auto last = model_.Diff(Day(2), Day(5), kOngoingStatuses, {"c2", 10});
  EXPECT_EQ(last->entered, 5);
  ASSERT_THAT(last->changes, SizeIs(3));
  EXPECT_EQ(last->changes[0].change_id, "c3");
  EXPECT_FALSE(last->more);
  // Exactly as many as the limit left: no more.
  EXPECT_FALSE(model_.Diff(Day(2), Day(5), kOngoingStatuses, {"c2", 3})->more);

  CellFilter mo;
  mo.business_area = "MO";
  auto p = model_.GetProvenance(mo, std::nullopt, kOngoingStatuses, {"c4", 1});
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->count, 5);
  ASSERT_THAT(p->changes, SizeIs(1));
  EXPECT_EQ(p->changes[0].change_id, "c5");
  EXPECT_FALSE(p->more);
}

TEST_F(PortfolioModelTest, ProvenanceOfCellMatchesFigureAndNamesEvents) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  const Fact suggestion = make_.Suggested("c1", Day(1, 2), Tier::kMandated, Complexity::kMedium);
  Apply(suggestion);
  const Fact confirm = make_.Confirmed("c1", Day(2));
  Apply(confirm);
  Apply(make_.Registered("c2", Day(1), "DI"));
  Apply(make_.Suggested("c2", Day(1, 2), Tier::kExperimental, Complexity::kLow));
  const Fact override_c2 = make_.Overridden("c2", Day(3), Tier::kMandated, Complexity::kMedium);
  Apply(override_c2);
  Apply(make_.Registered("c3", Day(1), "DI"));
  Apply(make_.Suggested("c3", Day(1, 2), Tier::kMandated, Complexity::kHigh));

  CellFilter cell;
  cell.tier = Tier::kMandated;
  cell.complexity = Complexity::kMedium;
  auto p = model_.GetProvenance(cell, std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->count, Current().tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)]);
  ASSERT_THAT(p->changes, SizeIs(2));
  EXPECT_EQ(p->changes[0].change_id, "c1");
  // Registration, the suggestion a bare confirmation confirmed, the confirmation.
  ASSERT_THAT(p->changes[0].events, SizeIs(3));
  EXPECT_EQ(p->changes[0].events[0].kind, FactKind::kChangeRegistered);
  EXPECT_EQ(p->changes[0].events[1].event_id, suggestion.meta.event_id);
  EXPECT_EQ(p->changes[0].events[2].event_id, confirm.meta.event_id);
  EXPECT_EQ(p->changes[1].change_id, "c2");
  ASSERT_THAT(p->changes[1].events, SizeIs(2));  // the overridden suggestion is not behind it
  EXPECT_EQ(p->changes[1].events[1].event_id, override_c2.meta.event_id);
  EXPECT_EQ(p->changes[1].events[1].summary, "tier=MANDATED complexity=MEDIUM types=NONE");

  // As of day 2, c2 was still experimental.
  auto earlier = model_.GetProvenance(cell, Day(2));
  EXPECT_THAT(earlier->changes, ElementsAre(Field(&ProvenanceEntry::change_id, "c1")));
  EXPECT_EQ(earlier->count,
            AsOf(Day(2)).tier_complexity[Idx(Tier::kMandated)][Idx(Complexity::kMedium)]);

  CellFilter by_area;
  by_area.business_area = "DI";
  EXPECT_EQ(model_.GetProvenance(by_area, std::nullopt)->count, 2);
}

// Submissions recorded before ProposalSubmitted named the area have an
// empty summary, not "business_area=" with nothing after it.
TEST_F(PortfolioModelTest, ASubmissionWithoutAnAreaHasNoSummary) {
  Apply(make_.Submitted("p1", Day(1), ""));
  Apply(make_.Decided("p1", Day(2), ProposalOutcome::kApproved));
  Apply(make_.Registered("c1", Day(2, 1), "MO", {}, false, 0, "p1"));
  auto h = model_.GetChangeHistory("c1");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->events[0].kind, FactKind::kProposalSubmitted);
  EXPECT_EQ(h->events[0].summary, "");
}

TEST_F(PortfolioModelTest, ChangeHistoryOrdersEventsAcrossSourcesWithProposal) {
  Apply(make_.Submitted("p1", Day(1), "MO"));
  Apply(make_.Decided("p1", Day(2), ProposalOutcome::kApproved));
  const Fact reg = make_.Registered("c1", Day(2, 1), "MO", {}, false, 0, "p1");
  Apply(make_.Suggested("c1", Day(2, 2), Tier::kMandated, Complexity::kMedium));
  Apply(reg);
  Apply(make_.Status("c1", Day(4), ChangeStatus::kInDelivery));

  auto h = model_.GetChangeHistory("c1");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->proposal_id, "p1");
  ASSERT_THAT(h->events, SizeIs(5));
  EXPECT_EQ(h->events[0].kind, FactKind::kProposalSubmitted);
  EXPECT_EQ(h->events[0].summary, "business_area=MO");
  EXPECT_EQ(h->events[1].kind, FactKind::kProposalDecided);
  EXPECT_EQ(h->events[2].kind, FactKind::kChangeRegistered);
  EXPECT_EQ(h->events[2].event_id, reg.meta.event_id);
  EXPECT_EQ(h->events[2].correlation_id, reg.meta.correlation_id);
  EXPECT_EQ(h->events[2].causation_id, reg.meta.causation_id);
  EXPECT_EQ(h->events[2].occurred_at, reg.meta.occurred_at);
  EXPECT_EQ(h->events[2].source, "intake");
  EXPECT_EQ(h->events[3].source, "classification");
  EXPECT_EQ(h->events[4].summary, "status=IN_DELIVERY");
  EXPECT_EQ(h->current.status, ChangeStatus::kInDelivery);
  EXPECT_EQ(model_.GetChangeHistory("nope").status().code(), absl::StatusCode::kNotFound);
}

// Ids and streams that end in a UUID are interned by their packed form:
// they must still be told apart by prefix and by case, and found again.
TEST_F(PortfolioModelTest, UuidIdsAndStreamsAreKeptApartAndFoundByText) {
  const std::string a = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  const std::string a_upper = "7A8B9C0D-1E2F-4A3B-8C4D-5E6F7A8B9C0D";
  const std::string b = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0e";
  Apply(make_.Registered(a, Day(1), "MO", {}, false, 0, b));  // proposal id b: same UUID space
  Apply(make_.Registered(a_upper, Day(1), "FLP"));
  Apply(make_.Registered(b, Day(2), "SPO"));
  // "x-<a>" is a change id of its own, as is the stream "change-x-<a>".
  Apply(make_.Registered("x-" + a, Day(3), "DI"));
  // A stream that is the same UUID under another prefix is another stream
  // (its version 1 is not a duplicate of change-<a>'s).
  Apply(make_.Suggested(a, Day(4), Tier::kMandated, Complexity::kLow));
  EXPECT_EQ(model_.change_count(), 4u);
  EXPECT_EQ(Current().total, 4);
  for (const auto& [id, area] : std::vector<std::pair<std::string, std::string>>{
           {a, "MO"}, {a_upper, "FLP"}, {b, "SPO"}, {"x-" + a, "DI"}}) {
    auto h = model_.GetChangeHistory(id);
    ASSERT_TRUE(h.ok()) << id << ": " << h.status();
    EXPECT_EQ(h->change_id, id);
    EXPECT_EQ(h->current.business_area, area) << id;
  }
  auto h = model_.GetChangeHistory(a);
  EXPECT_EQ(h->proposal_id, b);
  ASSERT_THAT(h->events, SizeIs(2));
  EXPECT_EQ(h->events[0].stream, "change-" + a);
  EXPECT_EQ(h->events[1].stream, "classification-" + a);
  EXPECT_EQ(h->events[0].event_id.size(), 36u);
  EXPECT_EQ(model_.GetChangeHistory("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0f").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(model_.GetChangeHistory("y-" + a).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(PortfolioModelTest, OverlapsFindSharedTeamsAndAreaInteractions) {
  Apply(make_.Registered("c1", Day(1), "MO", {"digital", "estates"}));
  Apply(make_.Registered("c2", Day(1), "DI", {"digital"}));
  Apply(make_.Registered("c3", Day(1), "DI", {"estates", "hr"}));
  Apply(make_.Registered("c4", Day(1), "PS", {"hr"}));
  Apply(make_.Registered("c5", Day(1), "PS", {"solo"}));
  Apply(make_.Status("c4", Day(3), ChangeStatus::kClosed));

  auto o = model_.GetOverlaps(std::nullopt);
  ASSERT_TRUE(o.ok());
  ASSERT_THAT(o->teams, SizeIs(2));  // hr now has one ongoing change
  EXPECT_EQ(o->teams[0].team, "digital");
  EXPECT_THAT(o->teams[0].change_ids, ElementsAre("c1", "c2"));
  EXPECT_THAT(o->teams[0].business_areas, ElementsAre("DI", "MO"));
  ASSERT_THAT(o->interactions, SizeIs(1));
  EXPECT_EQ(o->interactions[0].area_a, "DI");
  EXPECT_EQ(o->interactions[0].area_b, "MO");
  EXPECT_EQ(o->interactions[0].shared_changes, 3);  // c1, c2, c3
  EXPECT_THAT(o->interactions[0].teams, ElementsAre("digital", "estates"));

  auto earlier = model_.GetOverlaps(Day(2));
  ASSERT_THAT(earlier->interactions, SizeIs(2));
  EXPECT_EQ(earlier->interactions[1].area_a, "DI");
  EXPECT_EQ(earlier->interactions[1].area_b, "PS");
  EXPECT_THAT(earlier->interactions[1].teams, ElementsAre("hr"));
}

TEST_F(PortfolioModelTest, FrontDoorCountsOutcomesPerMonthWithTimeToDecision) {
  Apply(make_.Submitted("p1", Day(1), "MO"));
  Apply(make_.Decided("p1", Day(3), ProposalOutcome::kApproved));
  Apply(make_.Submitted("p2", Day(2), "MO"));
  Apply(make_.Decided("p2", Day(7), ProposalOutcome::kRejected));
  Apply(make_.Submitted("p3", Day(5), "DI"));
  Apply(make_.Decided("p3", Day(6), ProposalOutcome::kReturned));
  Apply(make_.Submitted("p3", Day(8), "DI"));  // resubmitted: pending again
  Apply(make_.Submitted("p4", Day(40), "DI"));  // April

  auto fd = model_.GetFrontDoorActivity({});
  ASSERT_TRUE(fd.ok());
  ASSERT_THAT(fd->periods, SizeIs(2));
  const FrontDoorPeriod& march = fd->periods[0];
  EXPECT_EQ(march.month, (YearMonth{2021, 3}));
  EXPECT_EQ(march.submitted, 3);
  EXPECT_EQ(march.approved, 1);
  EXPECT_EQ(march.rejected, 1);
  EXPECT_EQ(march.pending, 1);
  EXPECT_EQ(march.decided, 2);
  EXPECT_DOUBLE_EQ(march.mean_days_to_decision, 3.5);  // 2 and 5 days
  EXPECT_DOUBLE_EQ(march.median_days_to_decision, 3.5);
  EXPECT_EQ(fd->periods[1].month, (YearMonth{2021, 4}));

  FrontDoorQuery q;
  q.as_of = Day(6, 12);
  auto then = model_.GetFrontDoorActivity(q);
  ASSERT_THAT(then->periods, SizeIs(1));
  EXPECT_EQ(then->periods[0].returned, 1);
  EXPECT_EQ(then->periods[0].pending, 1);  // p2 not decided yet
  FrontDoorQuery bad;
  bad.from = YearMonth{2021, 13};
  EXPECT_EQ(model_.GetFrontDoorActivity(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(PortfolioModelTest, FrontDoorByAreaFollowsTheLatestSubmission) {
  Apply(make_.Submitted("p1", Day(1), "MO"));
  Apply(make_.Decided("p1", Day(3), ProposalOutcome::kApproved));
  Apply(make_.Submitted("p2", Day(2), "DI"));
  Apply(make_.Submitted("p3", Day(2), "MO"));
  Apply(make_.Decided("p3", Day(4), ProposalOutcome::kReturned));
  Apply(make_.Submitted("p3", Day(9), "DI"));  // resubmitted under another area
  Apply(make_.Submitted("p4", Day(5), ""));    // recorded before submissions named the area

  auto count = [&](std::optional<std::string> area, std::optional<absl::Time> as_of) {
    FrontDoorQuery q;
    q.business_area = std::move(area);
    q.as_of = as_of;
    auto fd = model_.GetFrontDoorActivity(q);
    EXPECT_TRUE(fd.ok()) << fd.status();
    int64_t submitted = 0;
    for (const FrontDoorPeriod& p : fd->periods) submitted += p.submitted;
    return submitted;
  };
  EXPECT_EQ(count(std::nullopt, std::nullopt), 4);
  EXPECT_EQ(count("MO", std::nullopt), 1);
  EXPECT_EQ(count("DI", std::nullopt), 2);
  EXPECT_EQ(count("", std::nullopt), 1);
  EXPECT_EQ(count("PS", std::nullopt), 0);
  // Before the resubmission p3 was still MO's.
  EXPECT_EQ(count("MO", Day(8)), 2);
  EXPECT_EQ(count("DI", Day(8)), 1);

  FrontDoorQuery mo;
  mo.business_area = "MO";
  auto fd = model_.GetFrontDoorActivity(mo);
  ASSERT_TRUE(fd.ok());
  ASSERT_THAT(fd->periods, SizeIs(1));
  EXPECT_EQ(fd->periods[0].approved, 1);
  EXPECT_EQ(fd->periods[0].decided, 1);
  EXPECT_DOUBLE_EQ(fd->periods[0].mean_days_to_decision, 2);
}

// Intake used to accept a meeting date before the submission.
TEST_F(PortfolioModelTest, FrontDoorLeavesDecisionsDatedBeforeTheSubmissionOutOfTheDays) {
  Apply(make_.Submitted("p1", Day(10), "MO"));
  Fact early = make_.Decided("p1", Day(12), ProposalOutcome::kApproved);
  early.meta.occurred_at = Day(2);  // the meeting date, before the submission
  Apply(early);
  Apply(make_.Submitted("p2", Day(10), "MO"));
  Apply(make_.Decided("p2", Day(14), ProposalOutcome::kRejected));

  auto fd = model_.GetFrontDoorActivity({});
  ASSERT_TRUE(fd.ok());
  ASSERT_THAT(fd->periods, SizeIs(1));
  EXPECT_EQ(fd->periods[0].decided, 2);
  EXPECT_EQ(fd->periods[0].approved, 1);
  EXPECT_DOUBLE_EQ(fd->periods[0].mean_days_to_decision, 4);  // p2 only
  EXPECT_DOUBLE_EQ(fd->periods[0].median_days_to_decision, 4);
}

TEST_F(PortfolioModelTest, PyramidReportsWhichTiersBreakIt) {
  int n = 0;
  auto add = [&](Tier t, int count) {
    for (int i = 0; i < count; ++i) {
      const std::string id = absl::StrCat("c", ++n);
      Apply(make_.Registered(id, Day(1), "MO"));
      Apply(make_.Suggested(id, Day(1), t, Complexity::kMedium));
    }
  };
  add(Tier::kTransformational, 1);
  add(Tier::kMandated, 5);
  add(Tier::kExperimental, 3);
  add(Tier::kIncremental, 4);
  const PyramidCheck p = Current().pyramid;
  EXPECT_FALSE(p.holds);
  EXPECT_EQ(p.most_common, Tier::kMandated);
  ASSERT_THAT(p.breaks, SizeIs(1));
  EXPECT_EQ(p.breaks[0].tier, Tier::kMandated);
  EXPECT_EQ(p.breaks[0].below, Tier::kExperimental);
  EXPECT_EQ(p.breaks[0].tier_count, 5);
  add(Tier::kExperimental, 3);
  add(Tier::kIncremental, 3);
  EXPECT_TRUE(Current().pyramid.holds);
}

TEST_F(PortfolioModelTest, TopMandatedPerAreaByCost) {
  for (int i = 1; i <= 4; ++i) {
    const std::string id = absl::StrCat("m", i);
    Apply(make_.Registered(id, Day(1), "MO", {}, false, i * 100));
    Apply(make_.Suggested(id, Day(1), Tier::kMandated, Complexity::kMedium));
  }
  Apply(make_.Amended("m1", Day(2), "MO", {}, false, 1000));
  BaselineQuery q;
  q.top_mandated_per_area = 2;
  auto b = model_.GetBaseline(q);
  ASSERT_THAT(b->top_mandated, SizeIs(1));
  EXPECT_THAT(b->top_mandated[0].changes,
              ElementsAre(Field(&MandatedChange::change_id, "m1"),
                          Field(&MandatedChange::change_id, "m4")));
  EXPECT_EQ(b->top_mandated[0].changes[0].estimated_cost_minor, 1000);
  EXPECT_EQ(b->top_mandated[0].changes[0].complexity, Complexity::kMedium);
  q.as_of = Day(1);
  EXPECT_THAT(model_.GetBaseline(q)->top_mandated[0].changes,
              ElementsAre(Field(&MandatedChange::change_id, "m4"),
                          Field(&MandatedChange::change_id, "m3")));
  q.top_mandated_per_area = 101;
  EXPECT_EQ(model_.GetBaseline(q).status().code(), absl::StatusCode::kInvalidArgument);
}

// The incremental current baseline and the as-of scan must agree, whatever
// the facts and their arrival order.
TEST_F(PortfolioModelTest, IncrementalBaselineEqualsScanAfterRandomFacts) {
  std::mt19937 rng(7);
  const std::vector<std::string> areas = {"MO", "DI", "PS", "FS"};
  std::vector<Fact> facts;
  for (int i = 0; i < 300; ++i) {
    const std::string id = absl::StrCat("c", rng() % 60);
    const absl::Time at = Day(1) + absl::Minutes(rng() % 20000);
    switch (rng() % 6) {
      case 0:
      case 1:
        facts.push_back(make_.Registered(id, at, areas[rng() % 4], {areas[rng() % 4]},
                                         rng() % 2, rng() % 1000));
        break;
      case 2:
        facts.push_back(make_.Status(id, at, static_cast<ChangeStatus>(1 + rng() % 4)));
        break;
      case 3:
        facts.push_back(make_.Suggested(id, at, static_cast<Tier>(1 + rng() % 4),
                                        static_cast<Complexity>(1 + rng() % 3), rng() % 8));
        break;
      case 4:
        facts.push_back(make_.Confirmed(id, at));
        break;
      default:
        facts.push_back(make_.Overridden(id, at, static_cast<Tier>(1 + rng() % 4),
                                         static_cast<Complexity>(1 + rng() % 3), rng() % 8));
    }
  }
  // Streams in version order, but recorded_at not monotone: inserts in
  // the middle of a change's steps.
  for (const Fact& f : facts) Apply(f);
  const Baseline inc = Current();
  const Baseline scan = AsOf(absl::InfiniteFuture());
  EXPECT_EQ(inc.total, scan.total);
  EXPECT_EQ(inc.tier_complexity, scan.tier_complexity);
  EXPECT_EQ(inc.tier_complexity_unconfirmed, scan.tier_complexity_unconfirmed);
  EXPECT_EQ(inc.data_and_digital_by_tier, scan.data_and_digital_by_tier);
  EXPECT_EQ(inc.complexity_types, scan.complexity_types);
  ASSERT_EQ(inc.by_area.size(), scan.by_area.size());
  for (size_t i = 0; i < inc.by_area.size(); ++i) {
    EXPECT_EQ(inc.by_area[i].by_tier, scan.by_area[i].by_tier);
  }
  ASSERT_EQ(inc.top_mandated.size(), scan.top_mandated.size());
  for (size_t i = 0; i < inc.top_mandated.size(); ++i) {
    ASSERT_EQ(inc.top_mandated[i].changes.size(), scan.top_mandated[i].changes.size());
    for (size_t j = 0; j < inc.top_mandated[i].changes.size(); ++j) {
      EXPECT_EQ(inc.top_mandated[i].changes[j].change_id, scan.top_mandated[i].changes[j].change_id);
    }
  }
  // And a model fed in reverse stream interleaving agrees.
  PortfolioModel other;
  std::vector<Fact> reordered = facts;
  std::stable_sort(reordered.begin(), reordered.end(), [](const Fact& a, const Fact& b) {
    return a.meta.source > b.meta.source;
  });
  for (const Fact& f : reordered) ASSERT_TRUE(other.Apply(f).ok());
  EXPECT_EQ(other.StateHash(), model_.StateHash());
  EXPECT_EQ(other.GetBaseline({})->tier_complexity, inc.tier_complexity);
}

// Costs keep the currency they were registered in; amounts in different
// currencies are not ranked against each other.
TEST_F(PortfolioModelTest, CostsKeepTheirCurrencyAndGbpRanksFirst) {
  const std::vector<std::tuple<std::string, std::string, int64_t>> changes = {
      {"m1", "GBP", 100}, {"m2", "EUR", 100000}, {"m3", "GBP", 500},
      {"m4", "USD", 900}, {"m5", "", 999999},    {"m6", "EUR", 200000}};
  for (const auto& [id, currency, cost] : changes) {
    Fact f = make_.Registered(id, Day(1), "MO", {}, false, cost);
    f.attributes.currency_code = currency;
    Apply(f);
    Apply(make_.Suggested(id, Day(1, 1), Tier::kMandated, Complexity::kMedium));
  }
  auto ids = [](const Baseline& b) {
    std::vector<std::string> out;
    for (const auto& m : b.top_mandated.at(0).changes) out.push_back(m.change_id + " " + m.currency_code);
    return out;
  };
  BaselineQuery q;
  q.top_mandated_per_area = 10;
  const std::vector<std::string> expected = {"m3 GBP", "m1 GBP", "m6 EUR", "m2 EUR", "m4 USD", "m5 "};
  EXPECT_EQ(ids(*model_.GetBaseline(q)), expected);
  q.as_of = Day(30);  // the scan path ranks the same way
  EXPECT_EQ(ids(*model_.GetBaseline(q)), expected);

  // An amendment into another currency moves the change in the list.
  Fact amended = make_.Amended("m2", Day(2), "MO", {}, false, 700);
  amended.attributes.currency_code = "GBP";
  Apply(amended);
  q.as_of.reset();
  EXPECT_EQ(ids(*model_.GetBaseline(q)),
            (std::vector<std::string>{"m2 GBP", "m3 GBP", "m1 GBP", "m6 EUR", "m4 USD", "m5 "}));
  q.as_of = Day(1, 12);
  EXPECT_EQ(ids(*model_.GetBaseline(q)), expected);

  auto h = model_.GetChangeHistory("m4");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->current.currency_code, "USD");
  EXPECT_EQ(h->current.estimated_cost_minor, 900);
  EXPECT_THAT(h->events[0].summary, ::testing::EndsWith("estimated_cost_minor=900 currency=USD"));
}

// A withdrawn proposal leaves pending for good: intake accepts nothing on
// a withdrawn proposal.
TEST_F(PortfolioModelTest, FrontDoorCountsWithdrawnProposalsNotAsPending) {
  auto withdrawn = [&](const std::string& proposal, absl::Time at) {
    Fact f = make_.Submitted(proposal, at, "MO");
    f.kind = FactKind::kProposalWithdrawn;
    f.meta.type = "changeledger.intake.v1.ProposalWithdrawn";
    f.proposal_business_area.clear();
    f.note = "no longer needed";
    return f;
  };
  Apply(make_.Submitted("p1", Day(1), "MO"));
  Apply(withdrawn("p1", Day(3)));
  Apply(make_.Submitted("p2", Day(2), "MO"));
  Apply(make_.Submitted("p3", Day(2), "MO"));
  Apply(make_.Decided("p3", Day(4), ProposalOutcome::kDeferred));
  Apply(withdrawn("p3", Day(5)));
  Apply(make_.Submitted("p4", Day(2), "MO"));
  Apply(make_.Decided("p4", Day(4), ProposalOutcome::kApproved));

  auto fd = model_.GetFrontDoorActivity({});
  ASSERT_TRUE(fd.ok()) << fd.status();
  ASSERT_THAT(fd->periods, SizeIs(1));
  const FrontDoorPeriod& p = fd->periods[0];
  EXPECT_EQ(p.submitted, 4);
  EXPECT_EQ(p.withdrawn, 2);
  EXPECT_EQ(p.pending, 1);   // p2
  EXPECT_EQ(p.deferred, 0);  // p3 was withdrawn after its deferral
  EXPECT_EQ(p.approved, 1);
  EXPECT_EQ(p.decided, 1);
  EXPECT_EQ(p.submitted, p.approved + p.rejected + p.deferred + p.returned + p.pending + p.withdrawn);

  FrontDoorQuery before;
  before.as_of = Day(2, 12);  // before either withdrawal
  const FrontDoorPeriod then = model_.GetFrontDoorActivity(before)->periods.at(0);
  EXPECT_EQ(then.withdrawn, 0);
  EXPECT_EQ(then.pending, 4);

  // The withdrawal says why, in the proposal's history.
  Apply(make_.Submitted("p5", Day(6), "MO"));
  Apply(make_.Decided("p5", Day(7), ProposalOutcome::kApproved));
  Apply(make_.Registered("c5", Day(7), "MO", {}, false, 0, "p1"));
  auto h = model_.GetChangeHistory("c5");
  ASSERT_TRUE(h.ok());
  ASSERT_EQ(h->events[1].kind, FactKind::kProposalWithdrawn);
  EXPECT_EQ(h->events[1].summary, "reason=\"no longer needed\"");
}

// A confirmation's provenance names the suggestion it confirmed (at its
// suggestion_version), not an earlier or a later one.
TEST_F(PortfolioModelTest, ProvenanceOfAConfirmationNamesTheSuggestionAtItsVersion) {
  Apply(make_.Registered("c1", Day(1), "FP"));
  Apply(make_.Suggested("c1", Day(1, 1), Tier::kExperimental, Complexity::kLow));
  const Fact confirmed_suggestion = make_.Suggested("c1", Day(1, 2), Tier::kMandated, Complexity::kMedium);
  Apply(confirmed_suggestion);
  Fact confirm = make_.Classified(FactKind::kClassificationConfirmed, "c1", Day(2), Tier::kMandated,
                                  Complexity::kMedium);
  confirm.suggestion_version = confirmed_suggestion.meta.version;
  Apply(confirm);
  // Awaits review: replaces nothing.
  Apply(make_.Suggested("c1", Day(3), Tier::kIncremental, Complexity::kLow));
  Apply(make_.Status("c1", Day(4), ChangeStatus::kInDelivery));

  CellFilter cell;
  cell.tier = Tier::kMandated;
  cell.complexity = Complexity::kMedium;
  cell.business_area = "FP";
  auto p = model_.GetProvenance(cell, std::nullopt);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_THAT(p->changes, SizeIs(1));
  std::vector<std::string> ids;
  for (const auto& e : p->changes[0].events) ids.push_back(e.event_id);
  EXPECT_THAT(ids, ElementsAre(p->changes[0].events[0].event_id, confirmed_suggestion.meta.event_id,
                               confirm.meta.event_id, p->changes[0].events[3].event_id));
  EXPECT_EQ(p->changes[0].events[0].kind, FactKind::kChangeRegistered);
  EXPECT_EQ(p->changes[0].events[3].kind, FactKind::kChangeStatusChanged);
}

TEST_F(PortfolioModelTest, ChangeHistoryIsCompleteInLogOrderAndSaysWhy) {
  // Decided and registered in one commit: same recorded_at, the decision
  // first in intake's log, its stream ("proposal-") after "change-".
  Fact submitted = make_.Submitted("p1", Day(1), "MO");
  Apply(submitted);
  Fact decided = make_.Decided("p1", Day(2), ProposalOutcome::kApproved);
  Fact registered = make_.Registered("c1", Day(2), "MO", {}, false, 0, "p1");
  ASSERT_LT(decided.meta.global_position, registered.meta.global_position);
  Apply(registered);
  Apply(decided);
  Fact amended = make_.Amended("c1", Day(3), "MO", {"t1"});
  amended.changed_paths = {"title", "teams"};
  Apply(amended);
  Fact override_c1 = make_.Overridden("c1", Day(4), Tier::kMandated, Complexity::kHigh);
  override_c1.note = std::string(300, 'x') + "\nnever shown";
  Apply(override_c1);
  Fact stopped = make_.Status("c1", Day(5), ChangeStatus::kStopped);
  stopped.note = "funding withdrawn";
  Apply(stopped);
  Fact closed = make_.Classified(FactKind::kClassificationClosed, "c1", Day(5, 1), Tier::kUnspecified,
                                 Complexity::kUnspecified);
  closed.status = ChangeStatus::kStopped;
  Apply(closed);
  // Another change's later event is not this history's.
  Apply(make_.Registered("c2", Day(9), "MO"));

  auto h = model_.GetChangeHistory("c1");
  ASSERT_TRUE(h.ok()) << h.status();
  std::vector<FactKind> kinds;
  for (const auto& e : h->events) kinds.push_back(e.kind);
  EXPECT_THAT(kinds, ElementsAre(FactKind::kProposalSubmitted, FactKind::kProposalDecided,
                                 FactKind::kChangeRegistered, FactKind::kChangeAmended,
                                 FactKind::kClassificationOverridden, FactKind::kChangeStatusChanged,
                                 FactKind::kClassificationClosed));
  EXPECT_EQ(h->events[2].summary,
            "title=\"Change c1\" business_area=MO teams= data_and_digital=false "
            "estimated_cost_minor=0");
  EXPECT_EQ(h->events[3].summary,
            "changed=title,teams title=\"Change c1 (amended)\" business_area=MO teams=t1 "
            "data_and_digital=false estimated_cost_minor=0");
  EXPECT_EQ(h->events[4].summary, "tier=MANDATED complexity=HIGH types=NONE rationale=\"" +
                                      std::string(117, 'x') + "...\"");
  EXPECT_EQ(h->events[5].summary, "status=STOPPED reason=\"funding withdrawn\"");
  EXPECT_EQ(h->events[6].summary, "end=STOPPED");
  EXPECT_EQ(h->latest_recorded_at, Day(5, 1));
  EXPECT_EQ(model_.events_applied(), 8u);
}

TEST_F(PortfolioModelTest, AnAmendmentSaysWhatChangedAndWhy) {
  Apply(make_.Registered("c1", Day(1), "MO"));
  Fact amended = make_.Amended("c1", Day(2), "MO", {"t1"});
  amended.changed_paths = {"teams"};
  amended.note = "Met Operations joined\nat the June board";
  Apply(amended);
  // Recorded before amendments gave a reason: what changed only.
  Fact older = make_.Amended("c1", Day(3), "MO", {"t2"});
  older.changed_paths = {"teams"};
  Apply(older);
  auto h = model_.GetChangeHistory("c1");
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_EQ(h->events.size(), 3u);
  EXPECT_EQ(h->events[1].summary,
            "changed=teams reason=\"Met Operations joined at the June board\" business_area=MO "
            "teams=t1 data_and_digital=false estimated_cost_minor=0");
  EXPECT_EQ(h->events[2].summary,
            "changed=teams business_area=MO teams=t2 data_and_digital=false "
            "estimated_cost_minor=0");
}

// The history's words are cut at kNoteBytes between two characters, and
// the cut shows.
TEST(ShortNoteTest, ShortTextIsKeptWhole) {
  EXPECT_EQ(ShortNote(""), "");
  const std::string exactly(kNoteBytes, 'x');
  EXPECT_EQ(ShortNote(exactly), exactly);
}

TEST(ShortNoteTest, LongTextEndsInAnEllipsisWithinTheLimit) {
  const std::string cut = ShortNote(std::string(kNoteBytes + 1, 'x'));
  EXPECT_EQ(cut, std::string(kNoteBytes - 3, 'x') + "...");
  EXPECT_EQ(cut.size(), kNoteBytes);
}

TEST(ShortNoteTest, TheCutNeverSplitsACharacter) {
  // Every alignment of two-, three- and four-byte characters against the cut.
  for (const std::string character : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x93\x88"}) {
    for (size_t lead = 0; lead < 4; ++lead) {
      std::string text(lead, 'a');
      while (text.size() <= kNoteBytes) text += character;
      const std::string cut = ShortNote(text);
      ASSERT_LE(cut.size(), kNoteBytes);
      ASSERT_TRUE(cut.ends_with("...")) << cut;
      const std::string kept = cut.substr(0, cut.size() - 3);
      // What is kept is whole characters of the text, as many as fit.
      EXPECT_EQ(kept, text.substr(0, kept.size()));
      EXPECT_EQ((kept.size() - lead) % character.size(), 0u) << "lead " << lead;
      EXPECT_GT(kept.size() + character.size(), kNoteBytes - 3) << "lead " << lead;
    }
  }
}

TEST(ShortNoteTest, WordsAreOneLineOfValidUtf8) {
  EXPECT_EQ(ShortNote("line one\nline two\r\n\tthree\x1b[0m\xC2\x85" "four\xE2\x80\xA8" "five"),
            "line one line two   three [0m four five");
  // A byte that is not UTF-8 (not in protobuf strings, but never passed on).
  EXPECT_EQ(ShortNote("caf\xE9"), "caf\xEF\xBF\xBD");
}

TEST_F(PortfolioModelTest, NoPyramidStatementWithoutClassifiedChanges) {
  EXPECT_FALSE(Current().pyramid.any_classified);
  Apply(make_.Registered("c1", Day(2), "MO"));  // unclassified
  for (const Baseline& b : {Current(), AsOf(Day(1)), AsOf(Day(3))}) {
    EXPECT_FALSE(b.pyramid.any_classified);
    EXPECT_FALSE(b.pyramid.holds);
    EXPECT_THAT(b.pyramid.breaks, SizeIs(0));
    EXPECT_EQ(b.pyramid.most_common, Tier::kUnspecified);
  }
  Apply(make_.Suggested("c1", Day(4), Tier::kMandated, Complexity::kMedium));
  EXPECT_TRUE(Current().pyramid.any_classified);
  // Now there is a shape: EXPERIMENTAL (0) >= INCREMENTAL (0), MANDATED (1) >= EXPERIMENTAL (0).
  EXPECT_THAT(Current().pyramid.breaks, SizeIs(2));
}

// An as-of is compared to the nanosecond: an event recorded 412 ns after
// it is not included, and the event's time comes back whole.
TEST_F(PortfolioModelTest, AsOfIsExactToTheNanosecond) {
  const absl::Time at = Day(1) + absl::Microseconds(646734);
  const absl::Time recorded = at + absl::Nanoseconds(412);
  Apply(make_.Registered("c1", recorded, "MO"));
  EXPECT_EQ(AsOf(at).total, 0);
  EXPECT_EQ(AsOf(recorded).total, 1);
  EXPECT_EQ(AsOf(recorded).latest_recorded_at, recorded);
  EXPECT_THAT(model_.GetProvenance({}, at)->changes, SizeIs(0));
  auto diff = model_.Diff(at, recorded);
  ASSERT_TRUE(diff.ok());
  EXPECT_EQ(diff->entered, 1);
  EXPECT_EQ(model_.GetChangeHistory("c1")->events[0].recorded_at, recorded);
  // Before any data, even at the edge of the calendar.
  EXPECT_EQ(AsOf(absl::FromCivil(absl::CivilSecond(1, 1, 1, 23, 59, 59), absl::UTCTimeZone())).total, 0);
}

}  // namespace
}  // namespace changeledger::portfolio
