#include "changeledger/changectl/returns_file.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "changeledger/changectl/values.h"
#include "changeledger/text/utf8.h"

namespace changeledger::changectl {
namespace {

using ::changeledger::text::FirstInvalidUtf8;

using intake::v1::ReturnRecord;

// One CSV column: how a cell fills the record. Returns an error message
// (without the column name) or "".
using Setter = std::function<std::string(const std::string& cell, ReturnRecord* record)>;

template <typename T>
std::string Apply(const absl::StatusOr<T>& value, const std::function<void(const T&)>& set) {
  if (!value.ok()) return std::string(value.status().message());
  set(*value);
  return "";
}

std::string SetBool(const std::string& cell, const std::function<void(bool)>& set) {
  return Apply<bool>(ParseBool(cell), [&](const bool& v) { set(v); });
}

std::string SetCount(const std::string& cell, const std::function<void(uint32_t)>& set) {
  uint32_t n = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(cell), &n)) {
    return absl::StrCat("\"", cell, "\" is not a whole number");
  }
  set(n);
  return "";
}

intake::v1::ChangeFeatures* F(ReturnRecord* r) { return r->mutable_attributes()->mutable_features(); }

const std::map<std::string, Setter>& Columns() {
  static const auto* columns = new std::map<std::string, Setter>{
      {"record_reference",
       [](const std::string& c, ReturnRecord* r) {
         r->set_record_reference(std::string(absl::StripAsciiWhitespace(c)));
         return std::string();
       }},
      {"title", [](const std::string& c, ReturnRecord* r) {
         r->mutable_attributes()->set_title(c);
         return std::string();
       }},
      {"description", [](const std::string& c, ReturnRecord* r) {
         r->mutable_attributes()->set_description(c);
         return std::string();
       }},
      {"business_area", [](const std::string& c, ReturnRecord* r) {
         r->mutable_attributes()->set_business_area(std::string(absl::StripAsciiWhitespace(c)));
         return std::string();
       }},
      {"sponsor", [](const std::string& c, ReturnRecord* r) {
         r->mutable_attributes()->set_sponsor(c);
         return std::string();
       }},
      {"teams", [](const std::string& c, ReturnRecord* r) {
         for (absl::string_view team : absl::StrSplit(c, ';')) {
           team = absl::StripAsciiWhitespace(team);
           if (!team.empty()) r->mutable_attributes()->add_teams(std::string(team));
         }
         return std::string();
       }},
      {"data_and_digital", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { r->mutable_attributes()->set_data_and_digital(v); });
       }},
      // estimated_cost is applied after currency (see ParseRow).
      {"estimated_cost", nullptr},
      {"currency", nullptr},
      {"planned_start", [](const std::string& c, ReturnRecord* r) {
         return Apply<common::v1::Date>(ParseDate(c), [r](const common::v1::Date& d) {
           *r->mutable_attributes()->mutable_planned_start() = d;
         });
       }},
      {"planned_end", [](const std::string& c, ReturnRecord* r) {
         return Apply<common::v1::Date>(ParseDate(c), [r](const common::v1::Date& d) {
           *r->mutable_attributes()->mutable_planned_end() = d;
         });
       }},
      {"status", [](const std::string& c, ReturnRecord* r) {
         return Apply<intake::v1::ChangeStatus>(
             ParseChangeStatus(c), [r](const intake::v1::ChangeStatus& s) { r->set_status(s); });
       }},
      {"interdependent_projects", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_interdependent_projects(v); });
       }},
      {"sro_led", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_sro_led(v); });
       }},
      {"has_business_case", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_has_business_case(v); });
       }},
      {"tests_hypothesis", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_tests_hypothesis(v); });
       }},
      {"improves_established_service", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_improves_established_service(v); });
       }},
      {"organisational_scope", [](const std::string& c, ReturnRecord* r) {
         return Apply<intake::v1::OrganisationalScope>(
             ParseScope(c),
             [r](const intake::v1::OrganisationalScope& v) { F(r)->set_organisational_scope(v); });
       }},
      {"work_packages", [](const std::string& c, ReturnRecord* r) {
         return SetCount(c, [r](uint32_t v) { F(r)->set_work_packages(v); });
       }},
      {"technology_and_data_implications", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_technology_and_data_implications(v); });
       }},
      {"third_party_procurement", [](const std::string& c, ReturnRecord* r) {
         return SetBool(c, [r](bool v) { F(r)->set_third_party_procurement(v); });
       }},
      {"public_or_political_interest", [](const std::string& c, ReturnRecord* r) {
         return Apply<intake::v1::InterestLevel>(
             ParseInterest(c),
             [r](const intake::v1::InterestLevel& v) { F(r)->set_public_or_political_interest(v); });
       }},
      {"impacted_stakeholder_groups", [](const std::string& c, ReturnRecord* r) {
         return SetCount(c, [r](uint32_t v) { F(r)->set_impacted_stakeholder_groups(v); });
       }},
      {"clarity_of_aims", [](const std::string& c, ReturnRecord* r) {
         return Apply<intake::v1::AimsClarity>(
             ParseAims(c), [r](const intake::v1::AimsClarity& v) { F(r)->set_clarity_of_aims(v); });
       }},
  };
  return *columns;
}

std::string ColumnList() {
  std::vector<std::string> names;
  for (const auto& [name, setter] : Columns()) names.push_back(name);
  return absl::StrJoin(names, ", ");
}

// Adds an error for a repeated record_reference; true if the row is a repeat.
bool CheckRepeat(const std::string& where, const std::string& reference,
                 std::map<std::string, std::string>* seen, ParsedReturn* out) {
  if (reference.empty()) return false;
  auto [it, inserted] = seen->emplace(reference, where);
  if (inserted) return false;
  out->errors.push_back(
      {where, reference, absl::StrCat("record_reference repeats the one at ", it->second)});
  return true;
}

// nlohmann::json refuses a whole document for one byte that is not UTF-8.
// So that only the record holding it is refused, each such byte is first
// replaced by a private-use character that encodes it (bytes 0x80..0xFF
// become U+10FF80..U+10FFFF, "\xF4\x8F\xBE.." and "\xF4\x8F\xBF.."), and
// strings holding one are reported with the original bytes put back.
bool IsMarkerAt(absl::string_view text, size_t i) {
  return i + 4 <= text.size() && text[i] == '\xF4' && text[i + 1] == '\x8F' &&
         (text[i + 2] == '\xBE' || text[i + 2] == '\xBF');
}

bool HasMarker(absl::string_view text) {
  for (size_t i = text.find('\xF4'); i != absl::string_view::npos; i = text.find('\xF4', i + 1)) {
    if (IsMarkerAt(text, i)) return true;
  }
  return false;
}

std::string MarkInvalidBytes(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t bad = FirstInvalidUtf8(text); bad != absl::string_view::npos;
       bad = FirstInvalidUtf8(text)) {
    const auto byte = static_cast<unsigned char>(text[bad]);
    out.append(text.data(), bad);
    out += '\xF4';
    out += '\x8F';
    out += static_cast<char>(0xBC | (byte >> 6));
    out += static_cast<char>(0x80 | (byte & 0x3F));
    text.remove_prefix(bad + 1);
  }
  out.append(text.data(), text.size());
  return out;
}

std::string UnmarkInvalidBytes(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (IsMarkerAt(text, i)) {
      out += static_cast<char>(((text[i + 2] & 0x03) << 6) | (text[i + 3] & 0x3F));
      i += 4;
    } else {
      out += text[i++];
    }
  }
  return out;
}

// Adds "path: not valid UTF-8 (...)" for each marked string (or key) in `j`.
void FindInvalidText(const nlohmann::json& j, const std::string& path,
                     std::vector<std::string>* problems) {
  if (j.is_string()) {
    const auto& text = j.get_ref<const std::string&>();
    if (HasMarker(text)) {
      problems->push_back(absl::StrCat(path, ": ", Utf8Problem(UnmarkInvalidBytes(text))));
    }
  } else if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      const std::string original = UnmarkInvalidBytes(key);
      const std::string child = absl::StrCat(path, path.empty() ? "" : ".", ValidUtf8(original));
      if (HasMarker(key)) {
        problems->push_back(absl::StrCat(child, ": the field name is ", Utf8Problem(original)));
      }
      FindInvalidText(value, child, problems);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      FindInvalidText(j[i], absl::StrCat(path, "[", i, "]"), problems);
    }
  }
}

}  // namespace

absl::StatusOr<std::vector<std::vector<std::string>>> SplitCsv(absl::string_view text,
                                                              std::vector<int>* lines) {
  std::vector<std::vector<std::string>> rows;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // byte-order mark
  size_t i = 0;
  int line = 1;
  while (i < text.size()) {
    // At the start of a row: skip blank and comment lines.
    if (text[i] == '\n' || text[i] == '\r') {
      if (text[i] == '\n') ++line;
      ++i;
      continue;
    }
    if (text[i] == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      continue;
    }
    const int start_line = line;
    std::vector<std::string> fields;
    std::string field;
    bool quoted = false, was_quoted = false;
    for (;;) {
      if (i >= text.size()) {
        if (quoted) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", start_line, ": a quoted field is not closed"));
        }
        fields.push_back(std::move(field));
        break;
      }
      const char c = text[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          ++i;
          continue;
        }
        if (c == '\n') ++line;
        field += c;
        ++i;
        continue;
      }
      if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
        ++i;
        continue;
      }
      if (c == ',') {
        fields.push_back(std::move(field));
        field.clear();
        was_quoted = false;
        ++i;
        continue;
      }
      if (c == '\r' || c == '\n') {
        fields.push_back(std::move(field));
        if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
        ++i;
        ++line;
        break;
      }
      field += c;
      ++i;
    }
    // Spreadsheets export rows below the data as ",,,": blank lines too.
    if (std::all_of(fields.begin(), fields.end(),
                    [](const std::string& f) { return absl::StripAsciiWhitespace(f).empty(); })) {
      continue;
    }
    rows.push_back(std::move(fields));
    if (lines != nullptr) lines->push_back(start_line);
  }
  return rows;
}

absl::StatusOr<ParsedReturn> ParseReturnsCsv(absl::string_view text) {
  std::vector<int> lines;
  auto rows = SplitCsv(text, &lines);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return absl::InvalidArgumentError("the file has no header row");
  const auto& columns = Columns();
  std::vector<std::string> header;
  std::set<std::string> seen_columns;
  for (const std::string& raw : (*rows)[0]) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(raw));
    if (!columns.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", lines[0], ": unknown column \"", raw,
                                                     "\"; known columns: ", ColumnList()));
    }
    if (!seen_columns.insert(name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", lines[0], ": column \"", name, "\" appears twice"));
    }
    header.push_back(std::move(name));
  }
  for (const char* required : {"record_reference", "title"}) {
    if (!seen_columns.contains(required)) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", lines[0], ": the header has no \"", required, "\" column"));
    }
  }

  ParsedReturn out;
  std::map<std::string, std::string> seen;
  for (size_t r = 1; r < rows->size(); ++r) {
    const auto& fields = (*rows)[r];
    const std::string where = absl::StrCat("line ", lines[r]);
    ReturnRecord record;
    std::vector<std::string> problems;
    if (fields.size() != header.size()) {
      problems.push_back(absl::StrCat("has ", fields.size(), " fields, the header has ",
                                      header.size()));
    }
    std::string cost, currency;
    for (size_t c = 0; c < fields.size() && c < header.size(); ++c) {
      const std::string& cell = fields[c];
      if (header[c] == "record_reference") {
        record.set_record_reference(ValidUtf8(absl::StripAsciiWhitespace(cell)));
      }
      // Protobuf does not send a string that is not UTF-8 (a file saved as
      // Latin-1, say): the row is unreadable, not the whole import.
      if (std::string bad = Utf8Problem(cell); !bad.empty()) {
        problems.push_back(absl::StrCat(header[c], ": ", bad));
        continue;
      }
      if (absl::StripAsciiWhitespace(cell).empty()) continue;
      if (header[c] == "estimated_cost") {
        cost = cell;
      } else if (header[c] == "currency") {
        currency = cell;
      } else if (std::string err = columns.at(header[c])(cell, &record); !err.empty()) {
        problems.push_back(absl::StrCat(header[c], ": ", err));
      }
    }
    if (!cost.empty()) {
      auto money = ParseMoney(cost, currency);
      if (money.ok()) {
        *record.mutable_attributes()->mutable_estimated_cost() = *money;
      } else {
        problems.push_back(absl::StrCat("estimated_cost: ", money.status().message()));
      }
    }
    if (record.record_reference().empty()) problems.push_back("record_reference: required");
    if (!problems.empty()) {
      out.errors.push_back({where, record.record_reference(), absl::StrJoin(problems, "; ")});
      CheckRepeat(where, record.record_reference(), &seen, &out);
      continue;
    }
    if (CheckRepeat(where, record.record_reference(), &seen, &out)) continue;
    out.rows.push_back({where, std::move(record)});
  }
  return out;
}

namespace {

// A JSON document's as_of: "2021-05-12", or a Date in protobuf's JSON
// mapping ({"year": 2021, "month": 5, "day": 12}); a real day either way.
absl::StatusOr<common::v1::Date> ParseAsOfDate(const nlohmann::json& value) {
  std::string text;
  common::v1::Date date;
  if (value.is_string()) {
    text = value.get<std::string>();
  } else if (value.is_object() &&
             google::protobuf::util::JsonStringToMessage(value.dump(), &date).ok()) {
    text = FormatDate(date);
  } else {
    return absl::InvalidArgumentError(
        "as_of: expected a date, \"YYYY-MM-DD\" or {\"year\": Y, \"month\": M, \"day\": D}");
  }
  auto parsed = ParseDate(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("as_of: ", parsed.status().message()));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<ParsedReturn> ParseReturnsJson(absl::string_view text) {
  // A file that already holds the marker characters is parsed as it is: its
  // bytes that are not UTF-8, if any, make it invalid JSON as a whole.
  const std::string marked = HasMarker(text) ? std::string(text) : MarkInvalidBytes(text);
  nlohmann::json doc = nlohmann::json::parse(marked, nullptr, /*allow_exceptions=*/false,
                                             /*ignore_comments=*/true);
  if (doc.is_discarded()) return absl::InvalidArgumentError("the file is not valid JSON");
  ParsedReturn out;
  const nlohmann::json* records = &doc;
  if (doc.is_object()) {
    for (const auto& [key, value] : doc.items()) {
      if (key == "return_reference" || key == "returnReference") {
        if (!value.is_string()) {
          return absl::InvalidArgumentError("return_reference: must be a string");
        }
        out.return_reference = value.get<std::string>();
        if (HasMarker(out.return_reference)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "return_reference: ", Utf8Problem(UnmarkInvalidBytes(out.return_reference))));
        }
      } else if (key == "as_of" || key == "asOf") {
        auto as_of = ParseAsOfDate(value);
        if (!as_of.ok()) return as_of.status();
        out.as_of = *as_of;
      } else if (key != "records" && key != "comment" && key != "_comment") {
        return absl::InvalidArgumentError(absl::StrCat(
            "unknown key \"", key, "\" (expected return_reference, as_of, records, comment)"));
      }
    }
    if (!doc.contains("records")) return absl::InvalidArgumentError("no \"records\" array");
    records = &doc["records"];
  }
  if (!records->is_array()) {
    return absl::InvalidArgumentError("records: expected an array of records");
  }
  std::map<std::string, std::string> seen;
  int n = 0;
  for (const nlohmann::json& item : *records) {
    ++n;
    const std::string where = absl::StrCat("record ", n);
    std::string reference;
    if (item.is_object()) {
      for (const char* key : {"record_reference", "recordReference"}) {
        if (item.contains(key) && item[key].is_string()) {
          reference = ValidUtf8(UnmarkInvalidBytes(item[key].get<std::string>()));
        }
      }
    }
    std::vector<std::string> invalid_text;
    FindInvalidText(item, "", &invalid_text);
    if (!invalid_text.empty()) {
      out.errors.push_back({where, reference, absl::StrJoin(invalid_text, "; ")});
      CheckRepeat(where, reference, &seen, &out);
      continue;
    }
    ReturnRecord record;
    google::protobuf::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    auto status = google::protobuf::util::JsonStringToMessage(item.dump(), &record, options);
    if (!status.ok()) {
      out.errors.push_back({where, reference, std::string(status.message())});
      CheckRepeat(where, reference, &seen, &out);
      continue;
    }
    if (record.record_reference().empty()) {
      out.errors.push_back({where, "", "record_reference: required"});
      continue;
    }
    if (CheckRepeat(where, record.record_reference(), &seen, &out)) continue;
    out.rows.push_back({where, std::move(record)});
  }
  return out;
}

absl::StatusOr<ParsedReturn> ParseReturns(absl::string_view text, ReturnsFormat format) {
  return format == ReturnsFormat::kCsv ? ParseReturnsCsv(text) : ParseReturnsJson(text);
}

std::vector<size_t> PlanBatches(const std::vector<ReturnRow>& rows,
                                const intake::v1::ImportReturnRequest& header,
                                size_t max_records, size_t max_bytes) {
  using google::protobuf::io::CodedOutputStream;
  // Each field costs its one-byte tag, its length as a varint and its bytes.
  const auto field_bytes = [](size_t size) {
    return 1 + CodedOutputStream::VarintSize64(size) + size;
  };
  const size_t empty_message = header.ByteSizeLong();
  std::vector<size_t> ends;
  size_t bytes = empty_message, records = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t record_bytes = field_bytes(rows[i].record.ByteSizeLong());
    if (records > 0 && (records == max_records || bytes + record_bytes > max_bytes)) {
      ends.push_back(i);
      bytes = empty_message;
      records = 0;
    }
    bytes += record_bytes;
    ++records;
  }
  if (records > 0) ends.push_back(rows.size());
  return ends;
}

}  // namespace changeledger::changectl
