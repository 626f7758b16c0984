// Input validation shared by every intake command. Each check appends
// "<field>: <problem>" to a FieldErrors list, so one answer names every bad
// field: "title: required; planned_end: before planned_start".
#ifndef CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_
#define CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "changeledger/common/v1/types.pb.h"
#include "changeledger/intake/v1/change.pb.h"
#include "domain/business_areas.h"

namespace changeledger::intake::domain {

// Limits (bytes of UTF-8).
inline constexpr size_t kMaxTitle = 200;
inline constexpr size_t kMaxDescription = 10000;
inline constexpr size_t kMaxName = 200;  // sponsor, team, chair
inline constexpr size_t kMaxTeams = 50;
inline constexpr size_t kMaxText = 2000;  // reasons, rationales, conditions
inline constexpr size_t kMaxConditions = 20;
inline constexpr size_t kMaxReference = 128;  // request ids, return references
inline constexpr uint32_t kMaxCount = 10000;  // work packages, stakeholder groups

class FieldErrors {
 public:
  void Add(absl::string_view field, absl::string_view problem);
  bool empty() const { return errors_.empty(); }
  // "a: x; b: y".
  std::string Join() const;
  // OK when empty, otherwise `code` with Join() as the message.
  absl::Status ToStatus(absl::StatusCode code = absl::StatusCode::kInvalidArgument) const;

 private:
  std::vector<std::string> errors_;
};

void CheckText(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required);
// A real calendar date, 1..9999.
bool IsValidDate(const common::v1::Date& date);
// Days since 1970-01-01 (for ordering); the date must be valid.
int64_t DaysSinceEpoch(const common::v1::Date& date);
absl::Time DateToTime(const common::v1::Date& date);
common::v1::Date TimeToDate(absl::Time time);

// What a caller requires besides well-formed values.
struct AttributeRules {
  // sponsor must be set (registered changes).
  bool require_sponsor = false;
};

// Checks every attribute: title (required, <= 200), description (<= 10000),
// business_area (required, in the catalog), sponsor (<= 200), teams (<= 50,
// each 1..200, no duplicates), estimated_cost (currency ISO 4217, amount not
// negative), planned dates (valid, end not before start), feature enums
// known and counts <= 10000.
void ValidateAttributes(FieldErrors& errors, const v1::ChangeAttributes& attributes,
                        const BusinessAreaCatalog& areas, const AttributeRules& rules);

// What a proposal needs before it can be submitted, as FieldErrors
// ("description: required for submission").
void CheckComplete(FieldErrors& errors, const v1::ChangeAttributes& attributes);

// request_id: empty or 1..128 characters without control characters.
void ValidateRequestId(FieldErrors& errors, absl::string_view request_id);

}  // namespace changeledger::intake::domain

#endif  // CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_
