// Loads the business-area reference data from YAML:
//
//   business_areas:
//     - code: MO                 # 1..16 of A-Z 0-9 _ -; unique
//       name: Met Operations     # required
//       description: ...         # optional
//
// services/intake/business_areas.yaml holds the default list (the same as
// BusinessAreaCatalog::Default()).
#ifndef CHANGELEDGER_SERVICES_INTAKE_BUSINESS_AREAS_CONFIG_H_
#define CHANGELEDGER_SERVICES_INTAKE_BUSINESS_AREAS_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "domain/business_areas.h"

namespace changeledger::intake {

// Errors: INVALID_ARGUMENT naming the entry (bad YAML, missing or malformed
// code, duplicate code, missing name, an empty list).
absl::StatusOr<domain::BusinessAreaCatalog> ParseBusinessAreas(const std::string& yaml);
// An empty path gives BusinessAreaCatalog::Default(). NOT_FOUND when the
// file cannot be read.
absl::StatusOr<domain::BusinessAreaCatalog> LoadBusinessAreas(const std::string& path);

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_BUSINESS_AREAS_CONFIG_H_
