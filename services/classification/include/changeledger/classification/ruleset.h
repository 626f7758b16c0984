// Ruleset: the data that turns a change's facts into a suggested
// classification with an explanation. Loaded from a YAML file (format in
// docs/classification.md); the shipped ones are
// services/classification/rulesets/differentiated-model-v*.yaml.
//
// Evaluation:
//   * tier rules are tried in file order; the first whose condition holds
//     decides the tier (no match: the ruleset's default tier). Every rule
//     that holds is reported, the deciding one marked.
//   * every complexity rule that holds adds its points to its complexity
//     type. Overall complexity is HIGH from `high_from` total points,
//     MEDIUM from `medium_from`, otherwise LOW, then raised to the tier's
//     `complexity_floor` if it has one. A type is present when its points
//     reach `type_present_from`; from the optional `types_required_from`
//     level up, when no type reaches it, the types holding the most points
//     are present (so a medium complexity says where it comes from).
//   * change approach, governance, leadership and resourcing demand come
//     from the tier's profile; each present type adds its guidance.
//
// Pure: no I/O except LoadRulesetFile. Thread safety: a loaded Ruleset is
// immutable and may be shared between threads.
#ifndef CHANGELEDGER_CLASSIFICATION_RULESET_H_
#define CHANGELEDGER_CLASSIFICATION_RULESET_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "changeledger/classification/model.h"

namespace changeledger::classification {

// One leaf condition that held when a rule fired, with the actual value.
struct MatchedCondition {
  std::string feature;   // e.g. "organisational_scope"
  std::string condition; // e.g. "organisational_scope >= CROSS_BUSINESS_AREA"
  std::string actual;    // e.g. "ORGANISATION_WIDE"

  friend bool operator==(const MatchedCondition&, const MatchedCondition&) = default;
};

// A rule whose condition held.
struct FiredRule {
  std::string rule_id;
  std::string description;
  // "tier TRANSFORMATIONAL" or "STRUCTURAL +2".
  std::string effect;
  // For tier rules: true for the rule that decided the tier.
  bool decisive = false;
  std::vector<MatchedCondition> matched;

  friend bool operator==(const FiredRule&, const FiredRule&) = default;
};

// How a change of one tier is likely run (the paper's "practical model").
struct TierGuidance {
  std::string change_approach;
  std::string governance;
  std::string leadership;
  std::string resourcing_demand;
};

// What the ruleset suggests for one change, and why.
struct Suggestion {
  Classification classification;
  std::string change_approach;
  std::string governance;
  std::string leadership;
  std::string resourcing_demand;
  // One line per complexity type present, from the ruleset's type guidance.
  std::vector<std::string> type_guidance;
  // Tier rules first (file order), then complexity rules (file order). When
  // no tier rule held, a pseudo rule "default-tier" is listed as decisive,
  // matching every feature the tier rules read ("<feature> not stated"
  // for a level, count or cost left at zero).
  std::vector<FiredRule> fired_rules;
  // Total complexity points and points per type ("STRUCTURAL" -> 3).
  int32_t complexity_points = 0;
  std::map<std::string, int32_t> type_points;
  // Set when the tier's complexity floor raised the complexity.
  bool complexity_raised_to_floor = false;
  // Set when no type reached type_present_from and the types are those
  // holding the most points, the complexity being at least the ruleset's
  // types_required_from.
  bool types_from_most_points = false;
  std::string ruleset_id;
  uint32_t ruleset_version = 0;

  friend bool operator==(const Suggestion&, const Suggestion&) = default;
};

// Names, kinds and allowed values of every feature a rule may name.
struct FeatureInfo {
  enum class Kind { kBool, kNumber, kEnum };
  std::string name;
  Kind kind;
  // kEnum: value names in ascending order (index = ordinal).
  std::vector<std::string> values;
  std::string description;
};
const std::vector<FeatureInfo>& Features();

class Ruleset {
 public:
  ~Ruleset();
  Ruleset(const Ruleset&) = delete;
  Ruleset& operator=(const Ruleset&) = delete;

  const std::string& id() const;
  uint32_t version() const;
  const std::string& title() const;
  // Where it was loaded from (file path or the name given to LoadRuleset).
  const std::string& source() const;
  size_t tier_rule_count() const;
  size_t complexity_rule_count() const;
  // Ids of every rule, tier rules first, in file order.
  std::vector<std::string> rule_ids() const;

  // The suggestion for `facts`. Never fails: the ruleset was validated.
  Suggestion Evaluate(const ChangeFacts& facts) const;
  // The ruleset's profile of `tier`; empty for Tier::kUnspecified.
  TierGuidance GuidanceFor(Tier tier) const;
  // One line of approach guidance per type in `types` that the ruleset
  // gives guidance for, e.g. "EMERGENT: work iteratively ...".
  std::vector<std::string> TypeGuidanceFor(const std::vector<ComplexityType>& types) const;
  // The least complexity a change of `tier` has (the profile's
  // complexity_floor); Complexity::kUnspecified when the tier has none.
  Complexity ComplexityFloor(Tier tier) const;

  struct Impl;

 private:
  friend absl::StatusOr<std::unique_ptr<Ruleset>> LoadRuleset(
      std::string_view yaml_text, std::string_view source_name);
  explicit Ruleset(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Parses and validates a ruleset. `source_name` (a file name, or e.g.
// "what-if request") starts every error message.
// Errors: INVALID_ARGUMENT naming the source, the rule and the field, e.g.
//   rulesets/x.yaml: tier_rules[2] (id "T3-incremental"): when.all[0].feature:
//   unknown feature "sro_lead"
// for YAML syntax errors, missing or unknown keys, missing id or version,
// unknown features, operators, tiers, types or enum values, value types that
// do not fit the feature, duplicate rule ids, bad thresholds.
absl::StatusOr<std::unique_ptr<Ruleset>> LoadRuleset(std::string_view yaml_text,
                                                     std::string_view source_name);

// Reads `path` and calls LoadRuleset with the path as source name.
// Errors: NOT_FOUND / PERMISSION_DENIED if it cannot be read; otherwise as
// LoadRuleset.
absl::StatusOr<std::unique_ptr<Ruleset>> LoadRulesetFile(const std::string& path);

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_RULESET_H_
