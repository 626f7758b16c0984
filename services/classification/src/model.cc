#include "changeledger/classification/model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace changeledger::classification {

void NormalizeTypes(std::vector<ComplexityType>& types) {
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
}

std::string TierName(Tier tier) {
  switch (tier) {
    case Tier::kTransformational: return "TRANSFORMATIONAL";
    case Tier::kMandated: return "MANDATED";
    case Tier::kExperimental: return "EXPERIMENTAL";
    case Tier::kIncremental: return "INCREMENTAL";
    case Tier::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

std::string ComplexityName(Complexity complexity) {
  switch (complexity) {
    case Complexity::kHigh: return "HIGH";
    case Complexity::kMedium: return "MEDIUM";
    case Complexity::kLow: return "LOW";
    case Complexity::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

std::string ComplexityTypeName(ComplexityType type) {
  switch (type) {
    case ComplexityType::kStructural: return "STRUCTURAL";
    case ComplexityType::kSocioPolitical: return "SOCIO_POLITICAL";
    case ComplexityType::kEmergent: return "EMERGENT";
    case ComplexityType::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

std::optional<Tier> ParseTier(std::string_view name) {
  for (Tier t : {Tier::kTransformational, Tier::kMandated, Tier::kExperimental,
                 Tier::kIncremental}) {
    if (TierName(t) == name) return t;
  }
  return std::nullopt;
}

std::optional<Complexity> ParseComplexity(std::string_view name) {
  for (Complexity c : {Complexity::kLow, Complexity::kMedium, Complexity::kHigh}) {
    if (ComplexityName(c) == name) return c;
  }
  return std::nullopt;
}

std::optional<ComplexityType> ParseComplexityType(std::string_view name) {
  for (ComplexityType t : {ComplexityType::kStructural, ComplexityType::kSocioPolitical,
                           ComplexityType::kEmergent}) {
    if (ComplexityTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string Describe(const Classification& c) {
  std::vector<std::string> names;
  for (ComplexityType t : c.types) names.push_back(ComplexityTypeName(t));
  return absl::StrCat(TierName(c.tier), " / ", ComplexityName(c.complexity), " / ",
                      names.empty() ? "-" : absl::StrJoin(names, "+"));
}

}  // namespace changeledger::classification
