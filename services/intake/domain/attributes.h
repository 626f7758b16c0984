// Partial updates of ChangeAttributes with a FieldMask, and the list of
// paths an update actually changed.
#ifndef CHANGELEDGER_SERVICES_INTAKE_DOMAIN_ATTRIBUTES_H_
#define CHANGELEDGER_SERVICES_INTAKE_DOMAIN_ATTRIBUTES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "changeledger/intake/v1/change.pb.h"
#include "google/protobuf/field_mask.pb.h"

namespace changeledger::intake::domain {

// `current` with the fields named in `mask` replaced by those of `patch`
// (repeated and message fields are replaced, not merged). An empty mask
// replaces everything. INVALID_ARGUMENT "update_mask: unknown path ..." for
// a path that is not a ChangeAttributes field.
absl::StatusOr<v1::ChangeAttributes> ApplyUpdate(const v1::ChangeAttributes& current,
                                                  const v1::ChangeAttributes& patch,
                                                  const google::protobuf::FieldMask& mask);

// Paths whose values differ, in field order: top-level names ("title",
// "teams", "estimated_cost") and, for features, "features.<field>".
std::vector<std::string> ChangedPaths(const v1::ChangeAttributes& before,
                                      const v1::ChangeAttributes& after);

}  // namespace changeledger::intake::domain

#endif  // CHANGELEDGER_SERVICES_INTAKE_DOMAIN_ATTRIBUTES_H_
