// Reading a business area's returns file (CSV or JSON) into ImportReturn
// records, with one error per bad row instead of failing the whole file.
//
// CSV (RFC 4180: quoted fields may hold commas, quotes and newlines; lines
// starting with '#' outside a quoted field are comments): a header row, then
// one record per row. Column names (any order; only record_reference and
// title are required columns, the rest may be left out):
//   record_reference, title, description, business_area, sponsor,
//   teams (separated by ';'), data_and_digital (yes/no), estimated_cost
//   (major units, e.g. 1250000.00), currency (default GBP), planned_start,
//   planned_end (YYYY-MM-DD), status (registered | in_delivery),
//   interdependent_projects, sro_led, has_business_case, tests_hypothesis,
//   improves_established_service (yes/no), organisational_scope
//   (local | business_area | cross_business_area | organisation_wide),
//   work_packages (count), technology_and_data_implications,
//   third_party_procurement (yes/no), public_or_political_interest
//   (none | low | medium | high), impacted_stakeholder_groups (count),
//   clarity_of_aims (clear | evolving | unclear).
// Empty cells leave the field unset; rows of empty cells are skipped like
// blank lines. A cell that is not UTF-8 makes its row unreadable. An unknown
// column is a file error.
//
// JSON: protobuf's JSON mapping of ImportReturnRequest, i.e.
//   {"return_reference": "MO-2021-05-12", "as_of": "2021-05-12",
//    "records": [{"record_reference": "1", "status": "CHANGE_STATUS_IN_DELIVERY",
//                 "attributes": {"title": "...", "business_area": "MO", ...}}]}
// or a bare array of records. as_of (the date the return's data stands at)
// may also be written as the mapping writes a Date, {"year": 2021,
// "month": 5, "day": 12}. Each record is parsed on its own; a string in it
// that is not UTF-8 makes it unreadable.
#ifndef CHANGELEDGER_CHANGECTL_RETURNS_FILE_H_
#define CHANGELEDGER_CHANGECTL_RETURNS_FILE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "changeledger/intake/v1/intake.pb.h"

namespace changeledger::changectl {

// A row that could not be read (or, after import, that the server rejected).
struct RowError {
  // "line 7" (CSV: the line the row starts on) or "record 3" (JSON, 1-based).
  std::string where;
  // Empty when the row has none.
  std::string record_reference;
  std::string error;
};

struct ReturnRow {
  std::string where;
  intake::v1::ReturnRecord record;
};

struct ParsedReturn {
  // From the JSON document; empty for CSV and bare arrays.
  std::string return_reference;
  // The date the return's data stands at, from the JSON document; unset for
  // CSV, bare arrays and documents without one.
  std::optional<common::v1::Date> as_of;
  // Rows that parsed, in file order.
  std::vector<ReturnRow> rows;
  // Rows that did not, in file order. A repeated record_reference is an
  // error on its second and later rows.
  std::vector<RowError> errors;
};

enum class ReturnsFormat { kCsv, kJson };

// Errors: INVALID_ARGUMENT for a file-level problem (no header, unknown or
// repeated column, missing record_reference/title column, malformed JSON,
// an as_of that is not a date, an unterminated quoted field), naming it.
absl::StatusOr<ParsedReturn> ParseReturnsCsv(absl::string_view text);
absl::StatusOr<ParsedReturn> ParseReturnsJson(absl::string_view text);
absl::StatusOr<ParsedReturn> ParseReturns(absl::string_view text, ReturnsFormat format);

// The largest ImportReturnRequest to send, in serialized bytes. The services
// refuse a larger message than grpc.max_receive_message_bytes (default
// 4 MiB, libs/config) with RESOURCE_EXHAUSTED; a quarter below it leaves
// room for a server configured a little lower.
inline constexpr size_t kMaxImportMessageBytes = 3 * 1024 * 1024;

// Groups `rows` into consecutive batches, one ImportReturnRequest each
// (`header`, the request without records, plus the batch's records), of at
// most `max_records` records and at most `max_bytes` serialized bytes.
// Returns the end (exclusive) of each batch, in order. A row too large for
// `max_bytes` on its own is a batch by itself.
std::vector<size_t> PlanBatches(const std::vector<ReturnRow>& rows,
                                const intake::v1::ImportReturnRequest& header,
                                size_t max_records, size_t max_bytes);

// Splits CSV text into rows of fields (RFC 4180), skipping '#' comment
// lines, blank lines and rows whose fields are all empty or spaces. `lines`
// receives each row's starting line number.
absl::StatusOr<std::vector<std::vector<std::string>>> SplitCsv(absl::string_view text,
                                                              std::vector<int>* lines);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_RETURNS_FILE_H_
