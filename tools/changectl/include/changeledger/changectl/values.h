// Conversions between what people type and the API's values: dates, money,
// yes/no, enum words, resource names. Pure functions, no I/O.
#ifndef CHANGELEDGER_CHANGECTL_VALUES_H_
#define CHANGELEDGER_CHANGECTL_VALUES_H_

#include <cstdint>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include <google/protobuf/timestamp.pb.h>

#include "changeledger/common/v1/types.pb.h"
#include "changeledger/intake/v1/change.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/intake/v1/intake.pb.h"

namespace changeledger::changectl {

// "2021-05-12" -> Date. INVALID_ARGUMENT unless YYYY-MM-DD and a real day.
absl::StatusOr<common::v1::Date> ParseDate(absl::string_view text);
// Date -> "2021-05-12"; "" for an unset (all zero) date.
std::string FormatDate(const common::v1::Date& date);

// An as-of point in time: "2021-05-12" means the end of that day in UTC
// (23:59:59.999999999Z, so everything recorded on that day counts); an RFC
// 3339 timestamp ("2021-05-12T09:30:00Z", "...+01:00") is taken as is;
// "now" is the current time.
absl::StatusOr<google::protobuf::Timestamp> ParseAsOf(absl::string_view text);

// Money in major units: "1250000", "1250000.5", "£1,250,000.00" -> minor
// units (pence) in `currency`. At most two decimals; never negative.
absl::StatusOr<common::v1::Money> ParseMoney(absl::string_view text, absl::string_view currency);
// "GBP 1,250,000.00"; "" when unset.
std::string FormatMoney(const common::v1::Money& money);

// true/false, yes/no, y/n, 1/0, on/off (any case). "" is an error.
absl::StatusOr<bool> ParseBool(absl::string_view text);

// Enum words as people type them, case-insensitive, '-' or '_' or ' ':
//   scope: local, business_area, cross_business_area, organisation_wide
//   interest: none, low, medium, high
//   aims: clear, evolving, unclear
//   change status: registered, in_delivery, closed, stopped
//   proposal state: draft, submitted, under_assessment, approved, rejected,
//                   deferred, returned, withdrawn
//   decision outcome: approved, rejected, deferred, returned
// The full proto name ("CHANGE_STATUS_CLOSED") is accepted as well.
absl::StatusOr<intake::v1::OrganisationalScope> ParseScope(absl::string_view text);
absl::StatusOr<intake::v1::InterestLevel> ParseInterest(absl::string_view text);
absl::StatusOr<intake::v1::AimsClarity> ParseAims(absl::string_view text);
absl::StatusOr<intake::v1::ChangeStatus> ParseChangeStatus(absl::string_view text);
absl::StatusOr<intake::v1::ProposalState> ParseProposalState(absl::string_view text);
absl::StatusOr<intake::v1::DecisionOutcome> ParseDecisionOutcome(absl::string_view text);

// An enum value's short word for tables: CHANGE_STATUS_IN_DELIVERY ->
// "in_delivery" (the proto name without its type prefix, lower case).
std::string EnumWord(const google::protobuf::EnumDescriptor* descriptor, int value);

// The same, generic over the prefix: "PROPOSAL_STATE_UNDER_ASSESSMENT" with
// prefix "PROPOSAL_STATE_" -> "under_assessment".
std::string ShortEnumName(absl::string_view full_name, absl::string_view prefix);

// Accepts "proposals/<uuid>" or a bare "<uuid>" and returns
// "<collection>/<uuid>" with the id in lower case, as the services write
// UUIDs (an id copied from a tool that prints them in upper case is the same
// resource). INVALID_ARGUMENT for another collection or an empty id.
absl::StatusOr<std::string> ResourceName(absl::string_view collection, absl::string_view text);
// "changes/<uuid>" -> "<uuid>"; other text unchanged.
std::string ResourceId(absl::string_view name);

// Protobuf refuses to send a string field that is not UTF-8 (RFC 3629,
// libs/text), so cells are checked before they are sent.
// "" when `text` is UTF-8, else "not valid UTF-8 (byte 0xE9 at character 4)":
// the first bad byte and its 1-based position counted in characters, as a
// person looking at the cell counts.
std::string Utf8Problem(absl::string_view text);
// `text` with each byte that is not UTF-8 replaced by U+FFFD, for showing it.
std::string ValidUtf8(absl::string_view text);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_VALUES_H_
