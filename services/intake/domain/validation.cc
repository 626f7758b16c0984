#include "domain/validation.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace changeledger::intake::domain {
namespace {

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

bool IsCurrencyCode(absl::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

bool HasControlCharacters(absl::string_view value) {
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

void FieldErrors::Add(absl::string_view field, absl::string_view problem) {
  errors_.push_back(absl::StrCat(field, ": ", problem));
}

std::string FieldErrors::Join() const { return absl::StrJoin(errors_, "; "); }

absl::Status FieldErrors::ToStatus(absl::StatusCode code) const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::Status(code, Join());
}

void CheckText(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required) {
  if (value.empty()) {
    if (required) errors.Add(field, "required");
    return;
  }
  if (value.size() > max) {
    errors.Add(field, absl::StrCat("longer than ", max, " characters"));
  }
}

bool IsValidDate(const common::v1::Date& date) {
  if (date.year() < 1 || date.year() > 9999) return false;
  if (date.month() < 1 || date.month() > 12) return false;
  return date.day() >= 1 && date.day() <= DaysInMonth(date.year(), date.month());
}

int64_t DaysSinceEpoch(const common::v1::Date& date) {
  // Howard Hinnant's days_from_civil.
  int64_t y = date.year();
  const int64_t m = date.month();
  const int64_t d = date.day();
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

absl::Time DateToTime(const common::v1::Date& date) {
  return absl::UnixEpoch() + absl::Hours(24) * DaysSinceEpoch(date);
}

common::v1::Date TimeToDate(absl::Time time) {
  const absl::CivilDay day = absl::ToCivilDay(time, absl::UTCTimeZone());
  common::v1::Date date;
  date.set_year(static_cast<int32_t>(day.year()));
  date.set_month(day.month());
  date.set_day(day.day());
  return date;
}

void ValidateAttributes(FieldErrors& errors, const v1::ChangeAttributes& attributes,
                        const BusinessAreaCatalog& areas, const AttributeRules& rules) {
  CheckText(errors, "title", attributes.title(), kMaxTitle, /*required=*/true);
  CheckText(errors, "description", attributes.description(), kMaxDescription, false);
  if (attributes.business_area().empty()) {
    errors.Add("business_area", "required");
  } else if (!areas.Contains(attributes.business_area())) {
    errors.Add("business_area",
               absl::StrCat("unknown business area \"", attributes.business_area(), "\""));
  }
  CheckText(errors, "sponsor", attributes.sponsor(), kMaxName, rules.require_sponsor);

  if (attributes.teams_size() > static_cast<int>(kMaxTeams)) {
    errors.Add("teams", absl::StrCat("more than ", kMaxTeams, " entries"));
  }
  std::set<std::string> seen;
  for (int i = 0; i < attributes.teams_size(); ++i) {
    const std::string& team = attributes.teams(i);
    const std::string field = absl::StrCat("teams[", i, "]");
    CheckText(errors, field, team, kMaxName, /*required=*/true);
    if (!team.empty() && !seen.insert(team).second) errors.Add(field, "duplicate");
  }

  if (attributes.has_estimated_cost()) {
    const auto& cost = attributes.estimated_cost();
    if (!IsCurrencyCode(cost.currency_code())) {
      errors.Add("estimated_cost.currency_code", "must be an ISO 4217 code such as GBP");
    }
    if (cost.amount_minor() < 0) errors.Add("estimated_cost.amount_minor", "negative");
  }

  const bool start_ok = attributes.has_planned_start() && IsValidDate(attributes.planned_start());
  const bool end_ok = attributes.has_planned_end() && IsValidDate(attributes.planned_end());
  if (attributes.has_planned_start() && !start_ok) errors.Add("planned_start", "not a valid date");
  if (attributes.has_planned_end() && !end_ok) errors.Add("planned_end", "not a valid date");
  if (start_ok && end_ok &&
      DaysSinceEpoch(attributes.planned_end()) < DaysSinceEpoch(attributes.planned_start())) {
    errors.Add("planned_end", "before planned_start");
  }

  const auto& features = attributes.features();
  if (!v1::OrganisationalScope_IsValid(features.organisational_scope())) {
    errors.Add("features.organisational_scope", "unknown value");
  }
  if (!v1::InterestLevel_IsValid(features.public_or_political_interest())) {
    errors.Add("features.public_or_political_interest", "unknown value");
  }
  if (!v1::AimsClarity_IsValid(features.clarity_of_aims())) {
    errors.Add("features.clarity_of_aims", "unknown value");
  }
  if (features.work_packages() > kMaxCount) {
    errors.Add("features.work_packages", absl::StrCat("more than ", kMaxCount));
  }
  if (features.impacted_stakeholder_groups() > kMaxCount) {
    errors.Add("features.impacted_stakeholder_groups", absl::StrCat("more than ", kMaxCount));
  }
}

void CheckComplete(FieldErrors& errors, const v1::ChangeAttributes& attributes) {
  constexpr absl::string_view kNeeded = "required for submission";
  if (attributes.description().empty()) errors.Add("description", kNeeded);
  if (attributes.sponsor().empty()) errors.Add("sponsor", kNeeded);
  if (!attributes.has_estimated_cost()) errors.Add("estimated_cost", kNeeded);
  if (!attributes.has_planned_start()) errors.Add("planned_start", kNeeded);
  if (!attributes.has_planned_end()) errors.Add("planned_end", kNeeded);
}

void ValidateRequestId(FieldErrors& errors, absl::string_view request_id) {
  if (request_id.size() > kMaxReference) {
    errors.Add("request_id", absl::StrCat("longer than ", kMaxReference, " characters"));
  } else if (HasControlCharacters(request_id)) {
    errors.Add("request_id", "contains control characters");
  }
}

}  // namespace changeledger::intake::domain
