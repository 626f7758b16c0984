// The shipped ruleset's versions over a grid of changes: version 2 names a
// complexity type for every medium or high complexity, and differs from
// version 1 in nothing else; version 1 suggests what it always did, so the
// suggestions it made (kept in every change's history) stay reproducible.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/classification/ruleset.h"

namespace changeledger::classification {
namespace {

std::unique_ptr<Ruleset> LoadShipped(const std::string& file) {
  auto r = LoadRulesetFile(std::string(CLASSIFICATION_RULESET_DIR) + "/" + file);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? std::move(*r) : nullptr;
}

// One feature's values: each sets the feature on a change.
using Dimension = std::vector<std::function<void(ChangeFacts&)>>;

template <typename T>
Dimension Values(T ChangeFacts::*field, std::vector<T> values) {
  Dimension d;
  for (T v : values) d.push_back([field, v](ChangeFacts& f) { f.*field = v; });
  return d;
}

// Every combination of values on each side of every threshold the shipped
// rules test (values between two thresholds behave alike): 248,832 changes.
// Features no rule reads (data_and_digital, the planned duration) stay
// unset.
void ForEachChangeOfTheGrid(const std::function<void(const ChangeFacts&)>& visit) {
  const std::vector<Dimension> grid = {
      Values(&ChangeFacts::interdependent_projects, {false, true}),
      Values(&ChangeFacts::sro_led, {false, true}),
      Values(&ChangeFacts::has_business_case, {false, true}),
      Values(&ChangeFacts::tests_hypothesis, {false, true}),
      Values(&ChangeFacts::improves_established_service, {false, true}),
      Values(&ChangeFacts::technology_and_data_implications, {false, true}),
      Values(&ChangeFacts::third_party_procurement, {false, true}),
      Values(&ChangeFacts::organisational_scope,
             {Scope::kLocal, Scope::kBusinessArea, Scope::kCrossBusinessArea,
              Scope::kOrganisationWide}),
      Values(&ChangeFacts::work_packages, {1u, 2u, 5u}),
      Values(&ChangeFacts::public_or_political_interest,
             {Interest::kLow, Interest::kMedium, Interest::kHigh}),
      Values(&ChangeFacts::impacted_stakeholder_groups, {2u, 3u, 6u}),
      Values(&ChangeFacts::clarity_of_aims,
             {AimsClarity::kClear, AimsClarity::kEvolving, AimsClarity::kUnclear}),
      Values(&ChangeFacts::estimated_cost_gbp, {int64_t{999'999}, int64_t{1'000'000},
                                                int64_t{10'000'000}}),
      Values(&ChangeFacts::teams, {2u, 3u}),
  };
  std::vector<size_t> at(grid.size(), 0);
  while (true) {
    ChangeFacts f;
    for (size_t d = 0; d < grid.size(); ++d) grid[d][at[d]](f);
    visit(f);
    size_t d = 0;
    while (d < grid.size() && ++at[d] == grid[d].size()) at[d++] = 0;
    if (d == grid.size()) return;
  }
}

// FNV-1a 64 of everything a suggestion says, but the ruleset's version.
class SuggestionDigest {
 public:
  void Add(const Suggestion& s) {
    Add(absl::StrCat(Describe(s.classification), "|", s.complexity_points, "|",
                     s.complexity_raised_to_floor, "|"));
    for (const auto& [type, points] : s.type_points) Add(absl::StrCat(type, "=", points, ","));
    for (const FiredRule& r : s.fired_rules) {
      Add(absl::StrCat(r.rule_id, ":", r.effect, ":", r.decisive, ":"));
      for (const MatchedCondition& m : r.matched) Add(absl::StrCat(m.condition, "=", m.actual, ";"));
    }
    for (const std::string& line : s.type_guidance) Add(line);
    Add(absl::StrCat(s.change_approach, s.governance, s.leadership, s.resourcing_demand, "\n"));
  }
  uint64_t value() const { return hash_; }

 private:
  void Add(const std::string& text) {
    for (unsigned char c : text) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
  }
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

TEST(RulesetVersionsTest, VersionOneSuggestsWhatItAlwaysDid) {
  auto v1 = LoadShipped("differentiated-model-v1.yaml");
  ASSERT_NE(v1, nullptr);
  ASSERT_EQ(v1->version(), 1u);
  SuggestionDigest digest;
  size_t changes = 0;
  ForEachChangeOfTheGrid([&](const ChangeFacts& f) {
    digest.Add(v1->Evaluate(f));
    ++changes;
  });
  EXPECT_EQ(changes, 248'832u);
  // Computed with version 1 as it was shipped, before version 2 existed.
  EXPECT_EQ(digest.value(), 0x292baa2c6935e147ULL) << std::hex << digest.value();
}

TEST(RulesetVersionsTest, VersionTwoNamesATypeForEveryMediumOrHighComplexity) {
  auto v2 = LoadShipped("differentiated-model-v2.yaml");
  ASSERT_NE(v2, nullptr);
  ASSERT_EQ(v2->version(), 2u);
  size_t medium_or_high = 0;
  ForEachChangeOfTheGrid([&](const ChangeFacts& f) {
    const Suggestion s = v2->Evaluate(f);
    if (s.classification.complexity == Complexity::kLow) return;
    ++medium_or_high;
    if (s.classification.types.empty()) {
      ADD_FAILURE() << Describe(s.classification) << " with no type, points "
                    << s.complexity_points;
    }
  });
  EXPECT_GT(medium_or_high, 0u);
}

std::vector<ComplexityType> TypesWithMostPoints(const Suggestion& s) {
  int32_t most = 0;
  for (const auto& [type, points] : s.type_points) most = std::max(most, points);
  std::vector<ComplexityType> types;
  for (const auto& [type, points] : s.type_points) {
    if (points == most) types.push_back(*ParseComplexityType(type));
  }
  NormalizeTypes(types);
  return types;
}

// Version 2 moves no tier, no complexity, no rule and no type that
// version 1 named; where version 1 named no type for a medium or high
// complexity, version 2 names the types holding the most points.
TEST(RulesetVersionsTest, VersionTwoChangesOnlyTheTypesVersionOneLeftOut) {
  auto v1 = LoadShipped("differentiated-model-v1.yaml");
  auto v2 = LoadShipped("differentiated-model-v2.yaml");
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(v2, nullptr);
  size_t moved = 0;
  ForEachChangeOfTheGrid([&](const ChangeFacts& f) {
    const Suggestion old_s = v1->Evaluate(f);
    const Suggestion new_s = v2->Evaluate(f);
    const Classification& was = old_s.classification;
    const Classification& is = new_s.classification;
    ASSERT_EQ(is.tier, was.tier);
    ASSERT_EQ(is.complexity, was.complexity);
    ASSERT_EQ(new_s.fired_rules, old_s.fired_rules);
    ASSERT_EQ(new_s.type_points, old_s.type_points);
    EXPECT_FALSE(old_s.types_from_most_points);
    const bool left_out = was.types.empty() && was.complexity != Complexity::kLow;
    if (!left_out) {
      ASSERT_EQ(is.types, was.types) << Describe(was);
      ASSERT_FALSE(new_s.types_from_most_points);
      return;
    }
    ++moved;
    ASSERT_EQ(is.types, TypesWithMostPoints(old_s)) << Describe(was);
    ASSERT_TRUE(new_s.types_from_most_points);
    ASSERT_EQ(new_s.type_guidance.size(), is.types.size());
  });
  // Version 1 did leave some out: one point each of three types.
  EXPECT_GT(moved, 0u);
}

}  // namespace
}  // namespace changeledger::classification
