// Input validation shared by every intake command. Each check appends
// "<field>: <problem>" to a FieldErrors list, so one answer names every bad
// field: "title: required; planned_end: before planned_start".
//
// Text comes in two kinds:
// - single-line (title, business_area, sponsor, each team, chair,
//   estimated_cost.currency_code): the caller stores it trimmed of white
//   space at both ends (TrimWhitespace), so a blank value is a missing one;
//   it may hold no control character at all (C0, DEL, C1).
// - multi-line (description, rationales, conditions, reasons, summary,
//   note): stored as given; a value of only white space counts as missing
//   where the field is required; newline, carriage return and tab are
//   allowed, no other control character.
// Identifiers are not trimmed: they are compared byte for byte, so the
// caller's exact text is the key. request_id is opaque (no control
// characters); a return or record reference with white space at either end
// is refused (the imported change's id is derived from it).
// Lengths are Unicode code points. String fields of protobuf messages are
// valid UTF-8 (protobuf checks it when it parses them); the checks here
// never read past the end of text that is not.
#ifndef CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_
#define CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "changeledger/common/v1/types.pb.h"
#include "changeledger/intake/v1/change.pb.h"
#include "domain/business_areas.h"

namespace changeledger::intake::domain {

// Limits, in Unicode code points.
inline constexpr size_t kMaxTitle = 200;
inline constexpr size_t kMaxDescription = 10000;
inline constexpr size_t kMaxName = 200;  // sponsor, team, chair
inline constexpr size_t kMaxTeams = 50;
inline constexpr size_t kMaxText = 2000;  // reasons, rationales, conditions, summary, note
inline constexpr size_t kMaxConditions = 20;
// Return and record references; also bounds the codes (business_area,
// currency_code) an error message quotes back. Request ids have the same
// limit, text::kMaxRequestIdChars, shared with classification.
inline constexpr size_t kMaxReference = 128;
inline constexpr uint32_t kMaxCount = 10000;  // work packages, stakeholder groups

// The currency of every figure the portfolio reports (classification's cost
// rules and the portfolio's sums compare amounts without converting them).
inline constexpr absl::string_view kReportingCurrency = "GBP";

// The problems FieldErrors lists; the rest are counted. A request of a few
// MiB can hold a hundred thousand bad teams or conditions: listed, they
// made an error message the client could not receive (gRPC clients accept
// 8 KiB of status metadata) and an import answer of hundreds of MiB.
inline constexpr size_t kMaxListedProblems = 20;

class FieldErrors {
 public:
  void Add(absl::string_view field, absl::string_view problem);
  bool empty() const { return errors_.empty(); }
  // "a: x; b: y", the first kMaxListedProblems of them, then "; and N more
  // problems".
  std::string Join() const;
  // OK when empty, otherwise `code` with Join() as the message.
  absl::Status ToStatus(absl::StatusCode code = absl::StatusCode::kInvalidArgument) const;

 private:
  std::vector<std::string> errors_;
  size_t unlisted_ = 0;  // problems past kMaxListedProblems
};

// `value` without white space (Unicode White_Space: space, tab, line
// breaks, no-break and ideographic spaces...) at either end.
absl::string_view TrimWhitespace(absl::string_view value);
// True when `value` is empty or only white space.
bool IsBlank(absl::string_view value);

// Single-line text, as it will be stored (already trimmed): "required" when
// `required` and blank, at most `max` code points, no control character
// ("title: contains control character U+001B"). Adds at most one problem;
// true when it added none.
bool CheckLine(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required);
// Multi-line text, as given: "required" when `required` and blank, at most
// `max` code points, no control character but newline, carriage return and
// tab. Adds at most one problem; true when it added none.
bool CheckText(FieldErrors& errors, absl::string_view field, absl::string_view value,
               size_t max, bool required);

// A real calendar date, 1..9999.
bool IsValidDate(const common::v1::Date& date);
// Days since 1970-01-01 (for ordering); the date must be valid.
int64_t DaysSinceEpoch(const common::v1::Date& date);
absl::Time DateToTime(const common::v1::Date& date);
common::v1::Date TimeToDate(absl::Time time);
// Year, month and day equal.
bool SameDate(const common::v1::Date& a, const common::v1::Date& b);

// What a caller requires besides well-formed values.
struct AttributeRules {
  // sponsor must be set (registered changes).
  bool require_sponsor = false;
  // For an amendment: the attributes as stored. A business area or a
  // currency equal to the stored one is kept although the catalog or the
  // reporting currency no longer allows it (reference data changes after
  // a record is made: a retired business area still lists what was
  // recorded under it), so that amending one field never fails for
  // another the caller did not change. Not owned.
  const v1::ChangeAttributes* stored = nullptr;
};

// Trims the single-line attributes (title, business_area, sponsor, each
// team, estimated_cost.currency_code); the description is kept as given.
// Commands store attributes only after this.
void TrimAttributes(v1::ChangeAttributes& attributes);

// Checks every attribute, as trimmed by TrimAttributes: title (required,
// <= 200), description (<= 10000), business_area (required, in the
// catalog), sponsor (<= 200), teams (<= 50, each 1..200, no two the same
// once letter case is set aside: "teams[2]: duplicate of teams[0] (letter
// case aside)"), estimated_cost (in GBP, amount not negative), planned dates
// (valid, end not before start), feature enums known and counts <= 10000;
// no control characters (see the kinds of text above). The catalog and
// currency checks spare values kept from rules.stored.
void ValidateAttributes(FieldErrors& errors, const v1::ChangeAttributes& attributes,
                        const BusinessAreaCatalog& areas, const AttributeRules& rules);

// What a proposal needs before it can be submitted, as FieldErrors
// ("description: required for submission"); a blank value is missing.
void CheckComplete(FieldErrors& errors, const v1::ChangeAttributes& attributes);

// request_id: empty or 1..128 code points without control characters;
// otherwise opaque (not trimmed). The rule is text::RequestIdProblem's,
// which classification applies to its commands too.
void ValidateRequestId(FieldErrors& errors, absl::string_view request_id);

// A return or record reference: 1..128 code points, no control character,
// no white space at either end (the reference is part of the imported
// change's identity, so it is refused rather than trimmed).
void CheckReference(FieldErrors& errors, absl::string_view field, absl::string_view reference);

// How many days after today (UTC) a return's as-of date may be: where the
// day has begun ahead of UTC (up to 14 hours), a return made today is
// dated tomorrow in UTC.
inline constexpr int64_t kReturnAsOfDaysAhead = 1;

// A return's as-of date (field "as_of"): a real date ("not a valid date"),
// not more than kReturnAsOfDaysAhead days after `now`'s day in UTC ("in the
// future (after 2021-05-13)").
void CheckReturnAsOf(FieldErrors& errors, const common::v1::Date& as_of, absl::Time now);

}  // namespace changeledger::intake::domain

#endif  // CHANGELEDGER_SERVICES_INTAKE_DOMAIN_VALIDATION_H_
