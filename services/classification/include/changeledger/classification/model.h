// The differentiated model of change: the vocabulary that classification
// speaks (tiers, complexity, complexity types) and the facts about a change
// that the ruleset reads.
//
// Pure values, no I/O. The service maps intake's ChangeAttributes into
// ChangeFacts, so the domain does not depend on intake's protos.
#ifndef CHANGELEDGER_CLASSIFICATION_MODEL_H_
#define CHANGELEDGER_CLASSIFICATION_MODEL_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace changeledger::classification {

// The four tiers of the differentiated model. Numbers match the proto enum.
enum class Tier {
  kUnspecified = 0,
  kTransformational = 1,
  kMandated = 2,
  kExperimental = 3,
  kIncremental = 4,
};

// Overall complexity, ordered LOW < MEDIUM < HIGH. Numbers match the proto.
enum class Complexity {
  kUnspecified = 0,
  kLow = 1,
  kMedium = 2,
  kHigh = 3,
};

// Kinds of complexity. Numbers match the proto.
enum class ComplexityType {
  kUnspecified = 0,
  // Cost, scope, work packages, technology and data, procurement.
  kStructural = 1,
  // Political or public interest, impacted stakeholders.
  kSocioPolitical = 2,
  // Unclear aims, shifting perspectives and goals.
  kEmergent = 3,
};

// How far a change reaches. Same order and numbers as
// changeledger.intake.v1.OrganisationalScope.
enum class Scope {
  kUnspecified = 0,
  kLocal = 1,
  kBusinessArea = 2,
  kCrossBusinessArea = 3,
  kOrganisationWide = 4,
};

// Same order and numbers as changeledger.intake.v1.InterestLevel.
enum class Interest {
  kUnspecified = 0,
  kNone = 1,
  kLow = 2,
  kMedium = 3,
  kHigh = 4,
};

// Same order and numbers as changeledger.intake.v1.AimsClarity.
enum class AimsClarity {
  kUnspecified = 0,
  kClear = 1,
  kEvolving = 2,
  kUnclear = 3,
};

// Everything the ruleset may read about one change. Zero means "not
// stated" for the counts, the cost and the duration.
struct ChangeFacts {
  // --- intake ChangeFeatures ---
  bool interdependent_projects = false;
  bool sro_led = false;
  bool has_business_case = false;
  bool tests_hypothesis = false;
  bool improves_established_service = false;
  Scope organisational_scope = Scope::kUnspecified;
  uint32_t work_packages = 0;
  bool technology_and_data_implications = false;
  bool third_party_procurement = false;
  Interest public_or_political_interest = Interest::kUnspecified;
  uint32_t impacted_stakeholder_groups = 0;
  AimsClarity clarity_of_aims = AimsClarity::kUnspecified;
  // --- other ChangeAttributes ---
  // Data and digital / technology change.
  bool data_and_digital = false;
  // Estimated cost in whole pounds (minor units / 100, rounded down).
  int64_t estimated_cost_gbp = 0;
  // Number of distinct teams or departments involved.
  uint32_t teams = 0;
  // Whole months from planned start to planned end (0: not stated).
  uint32_t planned_duration_months = 0;

  friend bool operator==(const ChangeFacts&, const ChangeFacts&) = default;
};

// A tier, a complexity and the complexity types present (sorted, unique).
struct Classification {
  Tier tier = Tier::kUnspecified;
  Complexity complexity = Complexity::kUnspecified;
  std::vector<ComplexityType> types;

  friend bool operator==(const Classification&, const Classification&) = default;
};

// Sorts and removes duplicates from `types`.
void NormalizeTypes(std::vector<ComplexityType>& types);

// Upper-case names as used in rulesets and protos' short names:
// "TRANSFORMATIONAL", "HIGH", "SOCIO_POLITICAL", ... ("UNSPECIFIED" for 0).
std::string TierName(Tier tier);
std::string ComplexityName(Complexity complexity);
std::string ComplexityTypeName(ComplexityType type);
// The inverse; nullopt for unknown names and for "UNSPECIFIED".
std::optional<Tier> ParseTier(std::string_view name);
std::optional<Complexity> ParseComplexity(std::string_view name);
std::optional<ComplexityType> ParseComplexityType(std::string_view name);

// "MANDATED / MEDIUM / STRUCTURAL+SOCIO_POLITICAL" (types "-" when none).
std::string Describe(const Classification& classification);

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_MODEL_H_
