#include "changeledger/classification/ruleset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace changeledger::classification {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// The shipped versions: version 2 has version 1's rules, so every test of
// the shipped rules holds for both.
struct ShippedVersion {
  std::string file;
  uint32_t version;
};
const std::vector<ShippedVersion> kShippedVersions = {
    {"differentiated-model-v1.yaml", 1}, {"differentiated-model-v2.yaml", 2}};

std::vector<std::string> FiredIds(const Suggestion& s) {
  std::vector<std::string> ids;
  for (const FiredRule& r : s.fired_rules) ids.push_back(r.rule_id);
  return ids;
}

const FiredRule* FindFired(const Suggestion& s, const std::string& id) {
  for (const FiredRule& r : s.fired_rules) {
    if (r.rule_id == id) return &r;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------
// Each rule of the shipped ruleset: facts that make it fire, and a near miss
// that does not.
// ---------------------------------------------------------------------------

struct RuleCase {
  std::string rule_id;
  std::function<void(ChangeFacts&)> fires;
  std::function<void(ChangeFacts&)> misses;
};

std::vector<RuleCase> ShippedRuleCases() {
  auto programme = [](ChangeFacts& f) {
    f.interdependent_projects = true;
    f.sro_led = true;
    f.organisational_scope = Scope::kCrossBusinessArea;
  };
  return {
      {"T1-sro-led-programme", programme,
       [&](ChangeFacts& f) {
         programme(f);
         f.organisational_scope = Scope::kBusinessArea;  // neither wide nor >= £10m
         f.estimated_cost_gbp = 9'999'999;
       }},
      {"T2-tests-hypothesis", [](ChangeFacts& f) { f.tests_hypothesis = true; },
       [](ChangeFacts& f) { f.tests_hypothesis = false; }},
      {"T3-local-improvement",
       [](ChangeFacts& f) {
         f.improves_established_service = true;
         f.organisational_scope = Scope::kLocal;
       },
       [](ChangeFacts& f) {
         f.improves_established_service = true;
         f.organisational_scope = Scope::kLocal;
         f.third_party_procurement = true;
       }},
      {"T4-business-case", [](ChangeFacts& f) { f.has_business_case = true; },
       [](ChangeFacts& f) { f.has_business_case = false; }},
      {"T5-business-led-programme", [](ChangeFacts& f) { f.interdependent_projects = true; },
       [](ChangeFacts& f) { f.sro_led = true; }},
      {"S1-cost-1m", [](ChangeFacts& f) { f.estimated_cost_gbp = 1'000'000; },
       [](ChangeFacts& f) { f.estimated_cost_gbp = 999'999; }},
      {"S2-cost-10m", [](ChangeFacts& f) { f.estimated_cost_gbp = 10'000'000; },
       [](ChangeFacts& f) { f.estimated_cost_gbp = 9'999'999; }},
      {"S3-interdependent-projects", [](ChangeFacts& f) { f.interdependent_projects = true; },
       [](ChangeFacts&) {}},
      {"S4-several-work-packages", [](ChangeFacts& f) { f.work_packages = 2; },
       [](ChangeFacts& f) { f.work_packages = 1; }},
      {"S5-many-work-packages", [](ChangeFacts& f) { f.work_packages = 5; },
       [](ChangeFacts& f) { f.work_packages = 4; }},
      {"S6-technology-and-data", [](ChangeFacts& f) { f.technology_and_data_implications = true; },
       [](ChangeFacts& f) { f.data_and_digital = true; }},
      {"S7-procurement", [](ChangeFacts& f) { f.third_party_procurement = true; },
       [](ChangeFacts&) {}},
      {"S8-beyond-one-business-area",
       [](ChangeFacts& f) { f.organisational_scope = Scope::kCrossBusinessArea; },
       [](ChangeFacts& f) { f.organisational_scope = Scope::kBusinessArea; }},
      {"S9-organisation-wide",
       [](ChangeFacts& f) { f.organisational_scope = Scope::kOrganisationWide; },
       [](ChangeFacts& f) { f.organisational_scope = Scope::kCrossBusinessArea; }},
      {"S10-several-teams", [](ChangeFacts& f) { f.teams = 3; },
       [](ChangeFacts& f) { f.teams = 2; }},
      {"P1-high-interest",
       [](ChangeFacts& f) { f.public_or_political_interest = Interest::kHigh; },
       [](ChangeFacts& f) { f.public_or_political_interest = Interest::kMedium; }},
      {"P2-medium-interest",
       [](ChangeFacts& f) { f.public_or_political_interest = Interest::kMedium; },
       [](ChangeFacts& f) { f.public_or_political_interest = Interest::kLow; }},
      {"P3-several-stakeholder-groups", [](ChangeFacts& f) { f.impacted_stakeholder_groups = 3; },
       [](ChangeFacts& f) { f.impacted_stakeholder_groups = 2; }},
      {"P4-many-stakeholder-groups", [](ChangeFacts& f) { f.impacted_stakeholder_groups = 6; },
       [](ChangeFacts& f) { f.impacted_stakeholder_groups = 5; }},
      {"E1-unclear-aims", [](ChangeFacts& f) { f.clarity_of_aims = AimsClarity::kUnclear; },
       [](ChangeFacts& f) { f.clarity_of_aims = AimsClarity::kEvolving; }},
      {"E2-evolving-aims", [](ChangeFacts& f) { f.clarity_of_aims = AimsClarity::kEvolving; },
       [](ChangeFacts& f) { f.clarity_of_aims = AimsClarity::kClear; }},
      {"E3-hypothesis", [](ChangeFacts& f) { f.tests_hypothesis = true; },
       [](ChangeFacts& f) { f.improves_established_service = true; }},
  };
}

class ShippedRulesetTest : public ::testing::TestWithParam<ShippedVersion> {
 protected:
  void SetUp() override {
    auto r = LoadRulesetFile(path());
    ASSERT_TRUE(r.ok()) << r.status();
    ruleset_ = std::move(*r);
  }
  std::string path() const {
    return std::string(CLASSIFICATION_RULESET_DIR) + "/" + GetParam().file;
  }
  std::unique_ptr<Ruleset> ruleset_;
};

INSTANTIATE_TEST_SUITE_P(Versions, ShippedRulesetTest, ::testing::ValuesIn(kShippedVersions),
                         [](const auto& info) { return absl::StrCat("v", info.param.version); });

TEST_P(ShippedRulesetTest, LoadsWithIdVersionAndRules) {
  EXPECT_EQ(ruleset_->id(), "differentiated-model");
  EXPECT_EQ(ruleset_->version(), GetParam().version);
  EXPECT_EQ(ruleset_->source(), path());
  EXPECT_EQ(ruleset_->tier_rule_count(), 5u);
  EXPECT_EQ(ruleset_->complexity_rule_count(), 17u);
}

TEST_P(ShippedRulesetTest, EveryRuleIsCoveredByACase) {
  std::set<std::string> covered;
  for (const RuleCase& c : ShippedRuleCases()) covered.insert(c.rule_id);
  for (const std::string& id : ruleset_->rule_ids()) {
    EXPECT_TRUE(covered.count(id)) << "no test case for rule " << id;
  }
  EXPECT_EQ(covered.size(), ruleset_->rule_ids().size());
}

TEST_P(ShippedRulesetTest, EachRuleFiresOnItsFeaturesAndNotOnANearMiss) {
  for (const RuleCase& c : ShippedRuleCases()) {
    SCOPED_TRACE(c.rule_id);
    ChangeFacts hit;
    c.fires(hit);
    const Suggestion s = ruleset_->Evaluate(hit);
    const FiredRule* fired = FindFired(s, c.rule_id);
    ASSERT_NE(fired, nullptr) << ::testing::PrintToString(FiredIds(s));
    EXPECT_FALSE(fired->matched.empty());
    EXPECT_FALSE(fired->description.empty());
    ChangeFacts miss;
    c.misses(miss);
    EXPECT_EQ(FindFired(ruleset_->Evaluate(miss), c.rule_id), nullptr);
  }
}

TEST_P(ShippedRulesetTest, FirstMatchingTierRuleDecidesAndLaterOnesAreListed) {
  ChangeFacts f;
  f.tests_hypothesis = true;
  f.has_business_case = true;
  const Suggestion s = ruleset_->Evaluate(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental);
  const FiredRule* t2 = FindFired(s, "T2-tests-hypothesis");
  const FiredRule* t4 = FindFired(s, "T4-business-case");
  ASSERT_NE(t2, nullptr);
  ASSERT_NE(t4, nullptr);
  EXPECT_TRUE(t2->decisive);
  EXPECT_FALSE(t4->decisive);
  EXPECT_EQ(t2->effect, "tier EXPERIMENTAL");
}

TEST_P(ShippedRulesetTest, ExplanationNamesTheMatchedFeatureValues) {
  ChangeFacts f;
  f.interdependent_projects = true;
  f.sro_led = true;
  f.organisational_scope = Scope::kOrganisationWide;
  const Suggestion s = ruleset_->Evaluate(f);
  const FiredRule* t1 = FindFired(s, "T1-sro-led-programme");
  ASSERT_NE(t1, nullptr);
  // The any-branch reports only the alternative that held.
  ASSERT_EQ(t1->matched.size(), 3u);
  EXPECT_EQ(t1->matched[0].condition, "interdependent_projects == true");
  EXPECT_EQ(t1->matched[0].actual, "true");
  EXPECT_EQ(t1->matched[2].feature, "organisational_scope");
  EXPECT_EQ(t1->matched[2].condition, "organisational_scope >= CROSS_BUSINESS_AREA");
  EXPECT_EQ(t1->matched[2].actual, "ORGANISATION_WIDE");
  const FiredRule* s3 = FindFired(s, "S3-interdependent-projects");
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->effect, "STRUCTURAL +2");
  EXPECT_EQ(s.type_points.at("STRUCTURAL"), 4);  // S3 + S8 + S9
}

TEST_P(ShippedRulesetTest, DefaultTierExplainsWhatTheTierRulesSawAndWhatWasNotStated) {
  ChangeFacts f;
  f.improves_established_service = true;
  f.third_party_procurement = true;  // keeps T3 from holding
  const Suggestion s = ruleset_->Evaluate(f);
  const FiredRule* d = FindFired(s, "default-tier");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->decisive);
  std::vector<std::string> seen;
  for (const MatchedCondition& m : d->matched) seen.push_back(m.condition + " (" + m.actual + ")");
  EXPECT_THAT(seen, testing::IsSupersetOf({"improves_established_service == true (true)",
                                           "third_party_procurement == true (true)",
                                           "has_business_case == false (false)",
                                           "organisational_scope not stated (UNSPECIFIED)",
                                           "estimated_cost_gbp not stated (0)"}));
  // Each feature once, though several tier rules read it.
  std::set<std::string> features;
  for (const MatchedCondition& m : d->matched) EXPECT_TRUE(features.insert(m.feature).second);
}

TEST_P(ShippedRulesetTest, TypeGuidanceFollowsPresentTypes) {
  ChangeFacts f;
  f.public_or_political_interest = Interest::kHigh;
  f.clarity_of_aims = AimsClarity::kUnclear;
  const Suggestion s = ruleset_->Evaluate(f);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kSocioPolitical, ComplexityType::kEmergent));
  ASSERT_EQ(s.type_guidance.size(), 2u);
  EXPECT_THAT(s.type_guidance[0], HasSubstr("SOCIO_POLITICAL: "));
  EXPECT_THAT(s.type_guidance[1], HasSubstr("EMERGENT: "));
}

TEST_P(ShippedRulesetTest, GuidanceForATierIsItsProfileAsASuggestionCarriesIt) {
  EXPECT_THAT(ruleset_->GuidanceFor(Tier::kMandated).change_approach,
              testing::StartsWith("Project management to an agreed mandate"));
  EXPECT_TRUE(ruleset_->GuidanceFor(Tier::kUnspecified).change_approach.empty());
  ChangeFacts f;
  f.tests_hypothesis = true;
  const Suggestion s = ruleset_->Evaluate(f);
  ASSERT_EQ(s.classification.tier, Tier::kExperimental);
  const TierGuidance g = ruleset_->GuidanceFor(Tier::kExperimental);
  EXPECT_EQ(g.change_approach, s.change_approach);
  EXPECT_EQ(g.governance, s.governance);
  EXPECT_EQ(g.leadership, s.leadership);
  EXPECT_EQ(g.resourcing_demand, s.resourcing_demand);
}

// ---------------------------------------------------------------------------
// The rule language, on small rulesets of our own.
// ---------------------------------------------------------------------------

std::string Profiles(const std::string& transformational_extra = "") {
  std::string p = "tiers:\n";
  for (const char* t : {"TRANSFORMATIONAL", "MANDATED", "EXPERIMENTAL", "INCREMENTAL"}) {
    p += std::string("  ") + t + ":\n" +
         "    change_approach: approach " + t + "\n" +
         "    governance: governance " + t + "\n" +
         "    leadership: leadership " + t + "\n" +
         "    resourcing_demand: resourcing " + t + "\n";
    if (std::string(t) == "TRANSFORMATIONAL") p += transformational_extra;
  }
  return p;
}

std::string MakeRuleset(const std::string& tier_rules, const std::string& complexity_rules,
                        const std::string& header = "id: test\nversion: 3\n",
                        const std::string& transformational_extra = "") {
  return header + Profiles(transformational_extra) + "tier_rules:\n" + tier_rules +
         "default_tier:\n  tier: INCREMENTAL\n  description: nothing matched\n"
         "complexity:\n  medium_from: 2\n  high_from: 4\n  type_present_from: 1\n"
         "complexity_rules:\n" +
         complexity_rules;
}

const char kNoRules[] = "  []\n";

std::unique_ptr<Ruleset> MustLoad(const std::string& text) {
  auto r = LoadRuleset(text, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(*r) : nullptr;
}

TEST(RuleLanguageTest, ComparisonOperatorsOnNumbers) {
  struct Case {
    const char* op;
    int value;
    std::vector<uint32_t> fire_for;  // work_packages values 1, 2, 3
  };
  for (const Case& c : {Case{"==", 2, {2}}, Case{"!=", 2, {1, 3}}, Case{"<", 2, {1}},
                        Case{"<=", 2, {1, 2}}, Case{">", 2, {3}}, Case{">=", 2, {2, 3}}}) {
    SCOPED_TRACE(c.op);
    auto r = MustLoad(MakeRuleset(std::string("  - id: R\n    description: d\n    tier: MANDATED\n"
                                              "    when: {feature: work_packages, op: \"") +
                                      c.op + "\", value: " + std::to_string(c.value) + "}\n",
                                  kNoRules));
    ASSERT_NE(r, nullptr);
    for (uint32_t wp : {1u, 2u, 3u}) {
      ChangeFacts f;
      f.work_packages = wp;
      const bool expect = std::find(c.fire_for.begin(), c.fire_for.end(), wp) != c.fire_for.end();
      EXPECT_EQ(r->Evaluate(f).classification.tier, expect ? Tier::kMandated : Tier::kIncremental)
          << "work_packages=" << wp;
    }
  }
}

TEST(RuleLanguageTest, InAndNotInOverEnumValues) {
  auto r = MustLoad(MakeRuleset(
      "  - id: IN\n    description: d\n    tier: MANDATED\n"
      "    when: {feature: clarity_of_aims, op: in, values: [EVOLVING, UNCLEAR]}\n"
      "  - id: NOTIN\n    description: d\n    tier: EXPERIMENTAL\n"
      "    when: {feature: public_or_political_interest, op: not_in, values: [UNSPECIFIED, NONE]}\n",
      kNoRules));
  ASSERT_NE(r, nullptr);
  ChangeFacts f;
  EXPECT_EQ(r->Evaluate(f).classification.tier, Tier::kIncremental);
  f.clarity_of_aims = AimsClarity::kUnclear;
  EXPECT_EQ(r->Evaluate(f).classification.tier, Tier::kMandated);
  f.clarity_of_aims = AimsClarity::kClear;
  f.public_or_political_interest = Interest::kLow;
  const Suggestion s = r->Evaluate(f);
  EXPECT_EQ(s.classification.tier, Tier::kExperimental);
  EXPECT_EQ(s.fired_rules[0].matched[0].condition,
            "public_or_political_interest not_in [UNSPECIFIED, NONE]");
  EXPECT_EQ(s.fired_rules[0].matched[0].actual, "LOW");
}

TEST(RuleLanguageTest, AllAnyAndNotCombine) {
  auto r = MustLoad(MakeRuleset(
      "  - id: R\n    description: d\n    tier: MANDATED\n    when:\n      all:\n"
      "        - not: {feature: sro_led, op: \"==\", value: true}\n"
      "        - any:\n"
      "            - {feature: teams, op: \">=\", value: 2}\n"
      "            - {feature: data_and_digital, op: \"==\", value: true}\n",
      kNoRules));
  ASSERT_NE(r, nullptr);
  ChangeFacts f;
  EXPECT_EQ(r->Evaluate(f).classification.tier, Tier::kIncremental);
  f.teams = 2;
  f.data_and_digital = true;
  Suggestion s = r->Evaluate(f);
  EXPECT_EQ(s.classification.tier, Tier::kMandated);
  ASSERT_EQ(s.fired_rules[0].matched.size(), 3u);
  EXPECT_EQ(s.fired_rules[0].matched[0].condition, "not (sro_led == true)");
  EXPECT_EQ(s.fired_rules[0].matched[0].actual, "sro_led=false");
  EXPECT_EQ(s.fired_rules[0].matched[1].actual, "2");
  EXPECT_EQ(s.fired_rules[0].matched[2].feature, "data_and_digital");
  f.sro_led = true;
  EXPECT_EQ(r->Evaluate(f).classification.tier, Tier::kIncremental);
}

TEST(RuleLanguageTest, DefaultTierWhenNoRuleHolds) {
  auto r = MustLoad(MakeRuleset("  []\n", kNoRules));
  ASSERT_NE(r, nullptr);
  const Suggestion s = r->Evaluate(ChangeFacts{});
  EXPECT_EQ(s.classification.tier, Tier::kIncremental);
  EXPECT_THAT(FiredIds(s), ElementsAre("default-tier"));
  EXPECT_EQ(s.fired_rules[0].description, "nothing matched");
  EXPECT_EQ(s.change_approach, "approach INCREMENTAL");
  EXPECT_EQ(s.ruleset_id, "test");
  EXPECT_EQ(s.ruleset_version, 3u);
}

TEST(RuleLanguageTest, PointsGiveLevelAndTypes) {
  auto r = MustLoad(MakeRuleset(
      kNoRules,
      "  - {id: A, description: d, type: STRUCTURAL, points: 2,"
      " when: {feature: teams, op: \">=\", value: 1}}\n"
      "  - {id: B, description: d, type: EMERGENT, points: 2,"
      " when: {feature: clarity_of_aims, op: \"==\", value: UNCLEAR}}\n"
      "  - {id: C, description: d, type: EMERGENT, points: -1,"
      " when: {feature: tests_hypothesis, op: \"==\", value: false}}\n"));
  ASSERT_NE(r, nullptr);
  ChangeFacts f;
  f.tests_hypothesis = true;
  EXPECT_EQ(r->Evaluate(f).classification.complexity, Complexity::kLow);
  f.teams = 1;
  Suggestion s = r->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);  // 2 >= medium_from
  EXPECT_THAT(s.classification.types, ElementsAre(ComplexityType::kStructural));
  f.clarity_of_aims = AimsClarity::kUnclear;
  s = r->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kHigh);  // 4 >= high_from
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kEmergent));
  f.tests_hypothesis = false;  // C: -1 on EMERGENT
  s = r->Evaluate(f);
  EXPECT_EQ(s.complexity_points, 3);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);
  EXPECT_EQ(FindFired(s, "C")->effect, "EMERGENT -1");
}

TEST(RuleLanguageTest, TierComplexityFloorRaisesLevel) {
  auto r = MustLoad(MakeRuleset(
      "  - id: T\n    description: d\n    tier: TRANSFORMATIONAL\n"
      "    when: {feature: sro_led, op: \"==\", value: true}\n",
      kNoRules, "id: test\nversion: 1\n", "    complexity_floor: MEDIUM\n"));
  ASSERT_NE(r, nullptr);
  ChangeFacts f;
  f.sro_led = true;
  const Suggestion s = r->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);
  EXPECT_TRUE(s.complexity_raised_to_floor);
  f.sro_led = false;
  EXPECT_EQ(r->Evaluate(f).classification.complexity, Complexity::kLow);
}

// MakeRuleset's complexity section with `lines` in place of its
// type_present_from.
std::string WithTypeSettings(const std::string& ruleset, const std::string& lines) {
  const std::string from = "  type_present_from: 1\n";
  std::string out = ruleset;
  out.replace(out.find(from), from.size(), lines);
  return out;
}

TEST(RuleLanguageTest, TypesRequiredFromNamesTheTypesWithTheMostPoints) {
  const std::string one_point_each =
      MakeRuleset(kNoRules,
                  "  - {id: S, description: d, type: STRUCTURAL, points: 1,"
                  " when: {feature: teams, op: \">=\", value: 1}}\n"
                  "  - {id: E, description: d, type: EMERGENT, points: 1,"
                  " when: {feature: clarity_of_aims, op: \"==\", value: UNCLEAR}}\n"
                  "  - {id: P1, description: d, type: SOCIO_POLITICAL, points: 1,"
                  " when: {feature: impacted_stakeholder_groups, op: \">=\", value: 1}}\n"
                  "  - {id: P2, description: d, type: SOCIO_POLITICAL, points: 1,"
                  " when: {feature: impacted_stakeholder_groups, op: \">=\", value: 2}}\n");
  auto required = MustLoad(WithTypeSettings(
      one_point_each, "  type_present_from: 2\n  types_required_from: MEDIUM\n"));
  auto not_required = MustLoad(WithTypeSettings(one_point_each, "  type_present_from: 2\n"));
  ASSERT_NE(required, nullptr);
  ASSERT_NE(not_required, nullptr);

  ChangeFacts f;
  f.teams = 1;  // 1 point: low, and a low complexity names no type
  Suggestion s = required->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kLow);
  EXPECT_THAT(s.classification.types, IsEmpty());
  EXPECT_FALSE(s.types_from_most_points);

  f.clarity_of_aims = AimsClarity::kUnclear;  // medium on one point of two types
  s = required->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);
  EXPECT_THAT(s.classification.types,
              ElementsAre(ComplexityType::kStructural, ComplexityType::kEmergent));
  EXPECT_TRUE(s.types_from_most_points);
  EXPECT_EQ(s.type_guidance.size(), 0u);  // the test ruleset gives no guidance
  const Suggestion before = not_required->Evaluate(f);
  EXPECT_THAT(before.classification.types, IsEmpty()) << "without the key, as before it existed";
  EXPECT_FALSE(before.types_from_most_points);

  f.impacted_stakeholder_groups = 2;  // SOCIO_POLITICAL reaches 2: no need to look further
  s = required->Evaluate(f);
  EXPECT_THAT(s.classification.types, ElementsAre(ComplexityType::kSocioPolitical));
  EXPECT_FALSE(s.types_from_most_points);

  // None reaches 3: the type holding the most points alone.
  auto higher = MustLoad(WithTypeSettings(
      one_point_each, "  type_present_from: 3\n  types_required_from: MEDIUM\n"));
  ASSERT_NE(higher, nullptr);
  s = higher->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kHigh);
  EXPECT_THAT(s.classification.types, ElementsAre(ComplexityType::kSocioPolitical));
  EXPECT_TRUE(s.types_from_most_points);

  // Required from HIGH only: a medium complexity may still name none.
  auto from_high = MustLoad(WithTypeSettings(
      one_point_each, "  type_present_from: 2\n  types_required_from: HIGH\n"));
  ASSERT_NE(from_high, nullptr);
  f.impacted_stakeholder_groups = 0;
  s = from_high->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);
  EXPECT_THAT(s.classification.types, IsEmpty());
}

TEST(RuleLanguageTest, TypesRequiredFromNamesNothingWithoutPoints) {
  // A complexity raised by the tier's floor, with no points behind it,
  // has no type to name.
  auto r = MustLoad(WithTypeSettings(
      MakeRuleset("  - id: T\n    description: d\n    tier: TRANSFORMATIONAL\n"
                  "    when: {feature: sro_led, op: \"==\", value: true}\n",
                  kNoRules, "id: test\nversion: 1\n", "    complexity_floor: MEDIUM\n"),
      "  type_present_from: 1\n  types_required_from: MEDIUM\n"));
  ASSERT_NE(r, nullptr);
  ChangeFacts f;
  f.sro_led = true;
  const Suggestion s = r->Evaluate(f);
  EXPECT_EQ(s.classification.complexity, Complexity::kMedium);
  EXPECT_THAT(s.classification.types, IsEmpty());
  EXPECT_FALSE(s.types_from_most_points);
}

// ---------------------------------------------------------------------------
// Invalid rulesets are rejected with the file, rule and field named.
// ---------------------------------------------------------------------------

void ExpectRejected(const std::string& text, const std::vector<std::string>& parts) {
  auto r = LoadRuleset(text, "rulesets/bad.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("rulesets/bad.yaml: "));
  for (const std::string& p : parts) {
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(p));
  }
}

const char kGoodRule[] =
    "  - id: R1\n    description: d\n    tier: MANDATED\n"
    "    when: {feature: sro_led, op: \"==\", value: true}\n";

TEST(InvalidRulesetTest, MissingVersion) {
  ExpectRejected(MakeRuleset(kGoodRule, kNoRules, "id: test\n"), {"version: required"});
}

TEST(InvalidRulesetTest, VersionNotAPositiveInteger) {
  ExpectRejected(MakeRuleset(kGoodRule, kNoRules, "id: test\nversion: one\n"),
                 {"version: must be an integer"});
  ExpectRejected(MakeRuleset(kGoodRule, kNoRules, "id: test\nversion: 0\n"),
                 {"version: must be in 1.."});
}

TEST(InvalidRulesetTest, MissingId) {
  ExpectRejected(MakeRuleset(kGoodRule, kNoRules, "version: 1\n"), {"id: required"});
}

TEST(InvalidRulesetTest, UnknownFeatureNamesRuleAndField) {
  ExpectRejected(MakeRuleset(kGoodRule +
                                 std::string("  - id: R2\n    description: d\n    tier: MANDATED\n"
                                             "    when:\n      all:\n"
                                             "        - {feature: sro_led, op: \"==\", value: true}\n"
                                             "        - {feature: sro_lead, op: \"==\", value: true}\n"),
                             kNoRules),
                 {"tier_rules[1] (id \"R2\").when.all[1].feature", "unknown feature \"sro_lead\"",
                  "known: interdependent_projects"});
}

TEST(InvalidRulesetTest, BadOperator) {
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: teams, op: \"=>\", value: 2}\n",
                             kNoRules),
                 {"tier_rules[0] (id \"R1\").when.op", "unknown operator \"=>\""});
}

TEST(InvalidRulesetTest, OrderedOperatorOnBooleanFeature) {
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: sro_led, op: \">=\", value: true}\n",
                             kNoRules),
                 {"when.op", "does not apply to true/false feature \"sro_led\""});
  // Nor do in and not_in: true/false take == and != only.
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: sro_led, op: in, values: [true]}\n",
                             kNoRules),
                 {"when.op", "operator \"in\" does not apply to true/false feature \"sro_led\""});
}

TEST(InvalidRulesetTest, ValueOfTheWrongKind) {
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: teams, op: \">=\", value: many}\n",
                             kNoRules),
                 {"when.value", "is a number, got \"many\""});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: organisational_scope, op: \">=\", value: GLOBAL}\n",
                             kNoRules),
                 {"\"GLOBAL\" is not a value of feature \"organisational_scope\"",
                  "ORGANISATION_WIDE"});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: sro_led, op: \"==\", value: maybe}\n",
                             kNoRules),
                 {"is true/false, got \"maybe\""});
}

TEST(InvalidRulesetTest, DuplicateRuleIdsAcrossLists) {
  ExpectRejected(MakeRuleset(kGoodRule,
                             "  - {id: R1, description: d, type: STRUCTURAL, points: 1,"
                             " when: {feature: teams, op: \">=\", value: 1}}\n"),
                 {"complexity_rules[0] (id \"R1\").id", "duplicate rule id \"R1\""});
}

TEST(InvalidRulesetTest, UnknownTierTypeAndComplexity) {
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: HUGE\n"
                             "    when: {feature: sro_led, op: \"==\", value: true}\n",
                             kNoRules),
                 {"tier_rules[0] (id \"R1\").tier", "unknown tier \"HUGE\""});
  ExpectRejected(MakeRuleset(kGoodRule,
                             "  - {id: C1, description: d, type: POLITICAL, points: 1,"
                             " when: {feature: teams, op: \">=\", value: 1}}\n"),
                 {"complexity_rules[0] (id \"C1\").type", "unknown complexity type \"POLITICAL\""});
  ExpectRejected(MakeRuleset(kGoodRule, kNoRules, "id: t\nversion: 1\n",
                             "    complexity_floor: EXTREME\n"),
                 {"tiers.TRANSFORMATIONAL.complexity_floor", "unknown complexity \"EXTREME\""});
}

TEST(InvalidRulesetTest, MissingAndUnknownKeys) {
  ExpectRejected(MakeRuleset("  - id: R1\n    tier: MANDATED\n"
                             "    when: {feature: sro_led, op: \"==\", value: true}\n",
                             kNoRules),
                 {"tier_rules[0] (id \"R1\").description: required"});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n    wehn: {}\n",
                             kNoRules),
                 {"tier_rules[0] (id \"R1\")", "unknown key \"wehn\""});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: sro_led, value: true}\n",
                             kNoRules),
                 {"when.op: required"});
}

TEST(InvalidRulesetTest, ConditionShapes) {
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {all: []}\n",
                             kNoRules),
                 {"when.all", "non-empty list"});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {any: [], feature: teams}\n",
                             kNoRules),
                 {"when", "exactly one of: all, any, not, feature"});
  ExpectRejected(MakeRuleset("  - id: R1\n    description: d\n    tier: MANDATED\n"
                             "    when: {feature: teams, op: in, value: 1}\n",
                             kNoRules),
                 {"use \"values\" (a list) with in/not_in"});
}

// `any: [*a, *a, *a, *a]` nested `depth` deep, with `a` the level below:
// a few hundred bytes naming 4^depth conditions (16 deep: billions).
std::string AliasBomb(int depth) {
  std::string node = "&l0 {feature: sro_led, op: \"==\", value: true}";
  for (int d = 1; d <= depth; ++d) {
    const std::string below = absl::StrCat("*l", d - 1);
    node = absl::StrCat("&l", d, " {any: [", node, ", ", below, ", ", below, ", ", below, "]}");
  }
  return absl::StrCat("  - id: R1\n    description: d\n    tier: MANDATED\n    when: ", node,
                      "\n");
}

TEST(InvalidRulesetTest, AliasesCannotMultiplyConditionsWithoutBound) {
  // 4^8 leaves: past every bound, yet quick to expand were they not there.
  ExpectRejected(MakeRuleset(AliasBomb(8), kNoRules), {"counting each use of an alias"});
  // Few YAML nodes per condition (15 nots above a comparison), many uses:
  // 16 * 700 conditions.
  std::string chain = "{feature: sro_led, op: \"==\", value: true}";
  for (int i = 0; i < 15; ++i) chain = absl::StrCat("{not: ", chain, "}");
  std::string uses;
  for (int i = 1; i < 700; ++i) uses += ", *x";
  ExpectRejected(MakeRuleset(absl::StrCat("  - id: R1\n    description: d\n    tier: MANDATED\n"
                                          "    when: {any: [&x ",
                                          chain, uses, "]}\n"),
                             kNoRules),
                 {"tier_rules[0] (id \"R1\").when", "more than 10000 conditions"});
  // Aliases within the bounds are still fine: 4^5 leaves.
  auto small = LoadRuleset(MakeRuleset(AliasBomb(5), kNoRules), "rulesets/aliases.yaml");
  EXPECT_TRUE(small.ok()) << small.status();
}

// One long description aliased by every rule: 100 KB written once, read
// 50 times over.
TEST(InvalidRulesetTest, AliasesCannotMultiplyTextWithoutBound) {
  std::string rules = absl::StrCat("  - id: R0\n    description: &d ", std::string(100000, 'd'),
                                   "\n    tier: MANDATED\n",
                                   "    when: {feature: sro_led, op: \"==\", value: true}\n");
  for (int i = 1; i < 50; ++i) {
    absl::StrAppend(&rules, "  - id: R", i, "\n    description: *d\n    tier: MANDATED\n",
                    "    when: {feature: sro_led, op: \"==\", value: true}\n");
  }
  ExpectRejected(MakeRuleset(rules, kNoRules), {"bytes of text, counting each use of an alias"});
}

TEST(InvalidRulesetTest, MissingTierProfileAndBadThresholds) {
  std::string text = MakeRuleset(kGoodRule, kNoRules);
  const std::string drop = "  INCREMENTAL:\n";
  text.replace(text.find(drop), drop.size(), "  INCREMENTALX:\n");
  ExpectRejected(text, {"tiers", "unknown key \"INCREMENTALX\""});
  text = MakeRuleset(kGoodRule, kNoRules);
  const std::string high = "high_from: 4";
  text.replace(text.find(high), high.size(), "high_from: 2");
  ExpectRejected(text, {"complexity.high_from", "greater than medium_from"});
  text = MakeRuleset(kGoodRule, kNoRules);
  const std::string gov = "    governance: governance MANDATED\n";
  text.replace(text.find(gov), gov.size(), "");
  ExpectRejected(text, {"tiers.MANDATED.governance: required"});
}

TEST(InvalidRulesetTest, UnknownComplexityInTypesRequiredFrom) {
  ExpectRejected(WithTypeSettings(MakeRuleset(kGoodRule, kNoRules),
                                  "  type_present_from: 1\n  types_required_from: SEVERE\n"),
                 {"complexity.types_required_from: unknown complexity \"SEVERE\""});
}

TEST(InvalidRulesetTest, YamlSyntaxErrorGivesLine) {
  ExpectRejected("id: x\nversion: [1\n", {"YAML error at line"});
  ExpectRejected("- a\n- b\n", {"must be a YAML mapping"});
}

TEST(InvalidRulesetTest, FileErrorsNameTheFile) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("classification_ruleset_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "broken.yaml").string();
  {
    std::ofstream out(path);
    out << MakeRuleset(kGoodRule, kNoRules, "id: test\n");
  }
  auto r = LoadRulesetFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(path + ": version: required"));
  auto missing = LoadRulesetFile((dir / "absent.yaml").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("absent.yaml"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace changeledger::classification
