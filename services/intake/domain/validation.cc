#include "domain/validation.h"

#include <map>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "changeledger/text/checks.h"
#include "changeledger/text/utf8.h"

namespace changeledger::intake::domain {
namespace {

using ::changeledger::text::CodePoint;
using ::changeledger::text::CountCodePoints;
using ::changeledger::text::DecodeUtf8;
using ::changeledger::text::IsWhiteSpace;

bool IsLeapYear(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

// Unicode's simple case folding (CaseFolding.txt, status C and S) of
// ASCII, Latin-1, Latin Extended-A, the paired letters of Latin Extended-B
// (Romanian, Vietnamese, pinyin), the Greek alphabet and Cyrillic up to
// U+052F; every other code point folds to itself. Enough for team names in
// European languages without a Unicode library.
char32_t FoldCase(char32_t c) {
  // Ranges of upper/lower-case pairs, capitals at the even code point
  // (or the odd one where `odd` says so).
  struct Pairs {
    char32_t first, last;
    bool odd;
  };
  static constexpr Pairs kPairs[] = {
      {0x100, 0x12F, false}, {0x132, 0x137, false}, {0x139, 0x148, true},
      {0x14A, 0x177, false}, {0x179, 0x17E, true},  {0x1A0, 0x1A5, false},
      {0x1CD, 0x1DC, true},  {0x1DE, 0x1EF, false}, {0x1F8, 0x21F, false},
      {0x222, 0x233, false}, {0x460, 0x481, false}, {0x48A, 0x4BF, false},
      {0x4C1, 0x4CE, true},  {0x4D0, 0x52F, false},
  };
  if (c >= 'A' && c <= 'Z') return c + 0x20;
  if (c < 0xB5) return c;
  if (c == 0xB5) return 0x3BC;  // micro sign -> mu
  if ((c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xDE)) return c + 0x20;
  for (const Pairs& p : kPairs) {
    if (c >= p.first && c <= p.last) return (c % 2 == 1) == p.odd ? c + 1 : c;
  }
  switch (c) {
    case 0x178: return 0xFF;    // Y with diaeresis
    case 0x17F: return 's';     // long s
    case 0x1AF: return 0x1B0;   // U with horn
    case 0x386: return 0x3AC;   // Greek capitals with tonos
    case 0x38C: return 0x3CC;
    case 0x3C2: return 0x3C3;   // final sigma
    case 0x4C0: return 0x4CF;   // palochka
    default: break;
  }
  if (c >= 0x388 && c <= 0x38A) return c + 0x25;
  if (c == 0x38E || c == 0x38F) return c + 0x3F;
  if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB)) return c + 0x20;
  if (c >= 0x400 && c <= 0x40F) return c + 0x50;
  if (c >= 0x410 && c <= 0x42F) return c + 0x20;
  return c;
}

// The form in which two team names are the same team: case folded, and
// each run of white space one space (text is trimmed before it is checked).
std::u32string ComparableName(absl::string_view text) {
  std::u32string comparable;
  for (size_t i = 0; i < text.size();) {
    const CodePoint c = DecodeUtf8(text, i);
    i += c.length;
    if (IsWhiteSpace(c.value)) {
      if (!comparable.empty() && comparable.back() == U' ') continue;
      comparable.push_back(U' ');
    } else {
      comparable.push_back(FoldCase(c.value));
    }
  }
  return comparable;
}

// The common part of CheckLine and CheckText.
bool CheckString(FieldErrors& errors, absl::string_view field, absl::string_view value,
                 size_t max, bool required, text::AllowedControls allowed_controls) {
  if (IsBlank(value)) {
    if (required) {
      errors.Add(field, "required");
      return false;
    }
    if (value.empty()) return true;
  }
  if (CountCodePoints(value) > max) {
    errors.Add(field, absl::StrCat("longer than ", max, " characters"));
    return false;
  }
  if (std::optional<std::string> problem =
          text::ControlCharacterProblem(value, allowed_controls)) {
    errors.Add(field, *problem);
    return false;
  }
  return true;
}

}  // namespace

void FieldErrors::Add(absl::string_view field, absl::string_view problem) {
  if (errors_.size() == kMaxListedProblems) {
    ++unlisted_;
    return;
  }
  errors_.push_back(absl::StrCat(field, ": ", problem));
}

std::string FieldErrors::Join() const {
  std::string joined = absl::StrJoin(errors_, "; ");
  if (unlisted_ > 0) {
    absl::StrAppend(&joined, "; and ", unlisted_,
                    unlisted_ == 1 ? " more problem" : " more problems");
  }
  return joined;
}

absl::Status FieldErrors::ToStatus(absl::StatusCode code) const {
  if (errors_.empty()) return absl::OkStatus();
  return absl::Status(code, Join());
}

absl::string_view TrimWhitespace(absl::string_view value) {
  size_t begin = 0;
  while (begin < value.size()) {
    const CodePoint c = DecodeUtf8(value, begin);
    if (!IsWhiteSpace(c.value)) break;
    begin += c.length;
  }
  size_t end = value.size();
  while (end > begin) {
    size_t start = end - 1;  // back to the lead byte of the last code point
    while (start > begin && (static_cast<unsigned char>(value[start]) & 0xC0) == 0x80) --start;
    const CodePoint c = DecodeUtf8(value, start);
    if (start + c.length != end || !IsWhiteSpace(c.value)) break;
    end = start;
  }
  return value.substr(begin, end - begin);
}

bool IsBlank(absl::string_view value) { return TrimWhitespace(value).empty(); }

bool CheckLine(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required) {
  return CheckString(errors, field, value, max, required, text::AllowedControls::kNone);
}

bool CheckText(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required) {
  return CheckString(errors, field, value, max, required,
                     text::AllowedControls::kLineBreaksAndTabs);
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

bool SameDate(const common::v1::Date& a, const common::v1::Date& b) {
  return a.year() == b.year() && a.month() == b.month() && a.day() == b.day();
}

void TrimAttributes(v1::ChangeAttributes& attributes) {
  auto trim = [](std::string* value) { *value = std::string(TrimWhitespace(*value)); };
  trim(attributes.mutable_title());
  trim(attributes.mutable_business_area());
  trim(attributes.mutable_sponsor());
  for (std::string& team : *attributes.mutable_teams()) trim(&team);
  if (attributes.has_estimated_cost()) {
    trim(attributes.mutable_estimated_cost()->mutable_currency_code());
  }
}

void ValidateAttributes(FieldErrors& errors, const v1::ChangeAttributes& attributes,
                        const BusinessAreaCatalog& areas, const AttributeRules& rules) {
  CheckLine(errors, "title", attributes.title(), kMaxTitle, /*required=*/true);
  CheckText(errors, "description", attributes.description(), kMaxDescription, false);
  // Quoted back only once it is short and printable.
  const bool kept_area = rules.stored != nullptr &&
                         rules.stored->business_area() == attributes.business_area();
  if (CheckLine(errors, "business_area", attributes.business_area(), kMaxReference,
                /*required=*/true) &&
      !kept_area && !areas.Contains(attributes.business_area())) {
    errors.Add("business_area",
               absl::StrCat("unknown business area \"", attributes.business_area(), "\""));
  }
  CheckLine(errors, "sponsor", attributes.sponsor(), kMaxName, rules.require_sponsor);

  if (attributes.teams_size() > static_cast<int>(kMaxTeams)) {
    errors.Add("teams", absl::StrCat("more than ", kMaxTeams, " entries"));
  }
  // Comparable name -> index of its first team.
  std::map<std::u32string, int> seen;
  for (int i = 0; i < attributes.teams_size(); ++i) {
    const std::string& team = attributes.teams(i);
    const std::string field = absl::StrCat("teams[", i, "]");
    if (!CheckLine(errors, field, team, kMaxName, /*required=*/true)) continue;
    const auto [first, inserted] = seen.emplace(ComparableName(team), i);
    if (inserted) continue;
    const std::string& earlier = attributes.teams(first->second);
    errors.Add(field, absl::StrCat("duplicate of teams[", first->second, "]",
                                   earlier == team ? "" : " (letter case and spacing aside)"));
  }

  if (attributes.has_estimated_cost()) {
    const auto& cost = attributes.estimated_cost();
    constexpr absl::string_view kField = "estimated_cost.currency_code";
    const bool kept_currency =
        rules.stored != nullptr && rules.stored->has_estimated_cost() &&
        rules.stored->estimated_cost().currency_code() == cost.currency_code();
    if (CheckLine(errors, kField, cost.currency_code(), kMaxReference,
                  /*required=*/false) &&
        !kept_currency && cost.currency_code() != kReportingCurrency) {
      errors.Add(kField, absl::StrCat("must be ", kReportingCurrency,
                                      ", the currency the portfolio reports in (got \"",
                                      cost.currency_code(), "\")"));
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
  // Attributes stored before they were trimmed may be blank rather than empty.
  if (IsBlank(attributes.title())) errors.Add("title", kNeeded);
  if (IsBlank(attributes.description())) errors.Add("description", kNeeded);
  if (IsBlank(attributes.sponsor())) errors.Add("sponsor", kNeeded);
  if (!attributes.has_estimated_cost()) errors.Add("estimated_cost", kNeeded);
  if (!attributes.has_planned_start()) errors.Add("planned_start", kNeeded);
  if (!attributes.has_planned_end()) errors.Add("planned_end", kNeeded);
}

void ValidateRequestId(FieldErrors& errors, absl::string_view request_id) {
  // The rule classification applies too (libs/text).
  if (std::optional<std::string> problem = text::RequestIdProblem(request_id)) {
    errors.Add("request_id", *problem);
  }
}

void CheckReference(FieldErrors& errors, absl::string_view field, absl::string_view reference) {
  if (CheckLine(errors, field, reference, kMaxReference, /*required=*/true) &&
      TrimWhitespace(reference).size() != reference.size()) {
    errors.Add(field, "begins or ends with white space");
  }
}

void CheckReturnAsOf(FieldErrors& errors, const common::v1::Date& as_of, absl::Time now) {
  if (!IsValidDate(as_of)) {
    errors.Add("as_of", "not a valid date");
    return;
  }
  const absl::CivilDay latest =
      absl::ToCivilDay(now, absl::UTCTimeZone()) + kReturnAsOfDaysAhead;
  if (DateToTime(as_of) > absl::FromCivil(latest, absl::UTCTimeZone())) {
    errors.Add("as_of", absl::StrCat("in the future (after ", absl::FormatCivilTime(latest), ")"));
  }
}

}  // namespace changeledger::intake::domain
