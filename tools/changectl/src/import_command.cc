// changectl import FILE: a business area's return through ImportReturn,
// in batches, with a progress bar and a per-row error report.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "app.h"
#include "changeledger/changectl/progress.h"
#include "changeledger/changectl/returns_file.h"
#include "changeledger/changectl/table.h"
#include "changeledger/changectl/values.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"

namespace changeledger::changectl {
namespace {

namespace iv1 = ::changeledger::intake::v1;

// ImportReturnRequest.return_reference: 1..128 characters (intake.proto).
constexpr size_t kMaxReturnReference = 128;

struct ImportFlags {
  std::string file;
  std::string reference;
  std::string as_of;
  std::string format;
  int batch_size = 250;
  bool dry_run = false;
  std::string errors_csv;
};

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The date the return's data stands at: --as-of (`flag`), else the JSON
// file's as_of; when both are given they must agree. Unset when neither is.
absl::StatusOr<std::optional<common::v1::Date>> ReturnAsOf(
    const std::string& flag, const std::optional<common::v1::Date>& from_file) {
  if (flag.empty()) return from_file;
  auto given = ParseDate(flag);
  if (!given.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--as-of: ", given.status().message()));
  }
  if (from_file.has_value() && FormatDate(*from_file) != FormatDate(*given)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--as-of ", FormatDate(*given), " differs from the file's ", FormatDate(*from_file)));
  }
  return std::optional<common::v1::Date>(*given);
}

int RunImport(App& app, const ImportFlags& f) {
  // A directory opens as an empty stream, which would read as "no header row".
  std::error_code ec;
  if (std::filesystem::is_directory(f.file, ec)) {
    return app.Usage(absl::StrCat(f.file, " is a directory, not a returns file"));
  }
  std::ifstream in(f.file, std::ios::binary);
  if (!in) return app.Usage(absl::StrCat("cannot read ", f.file));
  std::stringstream text;
  text << in.rdbuf();

  ReturnsFormat format;
  std::string fmt = absl::AsciiStrToLower(f.format);
  if (fmt.empty()) fmt = absl::EndsWithIgnoreCase(f.file, ".json") ? "json" : "csv";
  if (fmt == "csv") {
    format = ReturnsFormat::kCsv;
  } else if (fmt == "json") {
    format = ReturnsFormat::kJson;
  } else {
    return app.Usage(absl::StrCat("--format: \"", f.format, "\" is not csv or json"));
  }
  auto parsed = ParseReturns(text.str(), format);
  if (!parsed.ok()) return app.Usage(absl::StrCat(f.file, ": ", parsed.status().message()));

  std::string reference = f.reference;
  std::string reference_from = "--reference";
  if (reference.empty()) {
    reference = parsed->return_reference;
    reference_from = "the file's return_reference";
  }
  if (!parsed->return_reference.empty() && parsed->return_reference != reference) {
    return app.Usage(absl::StrCat("--reference ", reference, " differs from the file's ",
                                  parsed->return_reference));
  }
  if (reference.empty()) {
    reference = std::filesystem::path(f.file).stem().string();
    // The file name is a default people do not see, so its problems say
    // where the reference came from and how to give one.
    std::string problem = Utf8Problem(reference);
    if (!problem.empty()) {
      problem = absl::StrCat("is ", problem);
    } else if (reference.size() > kMaxReturnReference) {
      problem = absl::StrCat("is longer than ", kMaxReturnReference, " characters");
    }
    if (!problem.empty()) {
      return app.Usage(absl::StrCat("the return reference \"", ValidUtf8(reference),
                                    "\" comes from the file name and ", problem,
                                    "; give one with --reference"));
    }
  }
  if (std::string bad = Utf8Problem(reference); !bad.empty()) {
    return app.Usage(absl::StrCat(reference_from, ": ", bad));
  }
  if (reference.size() > kMaxReturnReference) {
    return app.Usage(
        absl::StrCat(reference_from, ": longer than ", kMaxReturnReference, " characters"));
  }
  if (f.batch_size < 1 || f.batch_size > 1000) return app.Usage("--batch-size: 1..1000");
  auto as_of = ReturnAsOf(f.as_of, parsed->as_of);
  if (!as_of.ok()) return app.Usage(std::string(as_of.status().message()));
  // What every message of the import repeats.
  iv1::ImportReturnRequest header;
  header.set_return_reference(reference);
  if (as_of->has_value()) {
    *header.mutable_as_of() = **as_of;
  } else {
    // Not an error: a return may come without one. But an auditor reading
    // the history later cannot tell when its figures were true.
    std::cerr << "changectl: note: the return states no date its data stands at; give "
                 "--as-of DATE (or as_of in a JSON file), or its changes will say only when "
                 "they were imported\n";
  }
  const std::string as_of_text = as_of->has_value() ? FormatDate(**as_of) : "";
  // "return MO-2021-05-12 (as of 2021-05-12)" in the report.
  const std::string return_words =
      as_of_text.empty() ? reference : absl::StrCat(reference, " (as of ", as_of_text, ")");

  std::map<std::string, std::string> where_of;
  for (const auto& row : parsed->rows) where_of[row.record.record_reference()] = row.where;

  std::vector<RowError> errors = parsed->errors;
  size_t unreadable = parsed->errors.size();
  iv1::ImportReturnResponse total;
  total.set_return_reference(reference);
  const size_t rows = parsed->rows.size();
  if (!f.dry_run && rows > 0) {
    int code = 0;
    auto conn = app.Connect("intake", "portfolio_office", &code);
    if (!conn) return code;
    auto stub = iv1::IntakeService::NewStub(conn->channel);
    ProgressBar bar(absl::StrCat("importing ", reference), "rows", StderrIsTerminal() && !app.json());
    bar.Update(0, rows);
    size_t start = 0;
    for (size_t end : PlanBatches(parsed->rows, header, f.batch_size, kMaxImportMessageBytes)) {
      iv1::ImportReturnRequest request = header;
      for (size_t i = start; i < end; ++i) *request.add_records() = parsed->rows[i].record;
      if (request.ByteSizeLong() > kMaxImportMessageBytes) {  // one row, too large to send
        const ReturnRow& row = parsed->rows[start];
        errors.push_back({row.where, row.record.record_reference(),
                          absl::StrCat("too large to send (", request.ByteSizeLong(),
                                       " bytes; at most ", kMaxImportMessageBytes,
                                       " in one message)")});
        ++unreadable;
        start = end;
        bar.Update(end, rows);
        continue;
      }
      auto context = conn->NewCall();
      iv1::ImportReturnResponse response;
      auto writer = stub->ImportReturn(context.get(), &response);
      writer->Write(request);
      writer->WritesDone();
      grpc::Status status = writer->Finish();
      if (!status.ok()) {
        bar.Finish();
        if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          std::cerr << "changectl: the server refused a message of " << request.ByteSizeLong()
                    << " bytes (" << request.records_size()
                    << " rows); its grpc.max_receive_message_bytes may be set below "
                    << kMaxImportMessageBytes << ": try a smaller --batch-size\n";
        }
        if (start > 0) {
          std::cerr << "changectl: " << start << " of " << rows
                    << " rows were imported before the failure; import the file again to "
                       "finish (rows already imported are skipped)\n";
        }
        return app.Fail(*conn, status);
      }
      for (const auto& r : response.results()) {
        *total.add_results() = r;
        if (r.outcome() == iv1::IMPORT_OUTCOME_REJECTED) {
          errors.push_back({where_of[r.record_reference()], r.record_reference(), r.error()});
        }
      }
      total.set_registered_count(total.registered_count() + response.registered_count());
      total.set_already_imported_count(total.already_imported_count() +
                                       response.already_imported_count());
      total.set_rejected_count(total.rejected_count() + response.rejected_count());
      bar.Update(end, rows);
      start = end;
    }
    bar.Finish();
  }
  // File order for the report: CSV lines / JSON records.
  auto ordinal = [](const std::string& where) {
    const size_t space = where.rfind(' ');
    return space == std::string::npos ? 0L : std::strtol(where.c_str() + space + 1, nullptr, 10);
  };
  std::stable_sort(errors.begin(), errors.end(), [&](const RowError& a, const RowError& b) {
    return ordinal(a.where) < ordinal(b.where);
  });

  if (!f.errors_csv.empty()) {
    std::ofstream out(f.errors_csv);
    if (!out) return app.Usage(absl::StrCat("cannot write ", f.errors_csv));
    out << "where,record_reference,error\n";
    for (const auto& e : errors) {
      out << CsvCell(e.where) << "," << CsvCell(e.record_reference) << "," << CsvCell(e.error)
          << "\n";
    }
  }

  if (app.json()) {
    nlohmann::ordered_json j;
    j["return_reference"] = reference;
    j["as_of"] = as_of_text;
    j["file"] = f.file;
    j["dry_run"] = f.dry_run;
    j["rows"] = rows + unreadable;
    j["registered"] = total.registered_count();
    j["already_imported"] = total.already_imported_count();
    j["rejected"] = total.rejected_count();
    j["unreadable"] = unreadable;
    j["results"] = nlohmann::json::array();
    for (const auto& r : total.results()) {
      j["results"].push_back({{"record_reference", r.record_reference()},
                              {"where", where_of[r.record_reference()]},
                              {"outcome", EnumWord(iv1::ImportOutcome_descriptor(), r.outcome())},
                              {"change", r.change()},
                              {"error", r.error()},
                              {"differs", r.differs()}});
    }
    j["errors"] = nlohmann::json::array();
    for (const auto& e : errors) {
      j["errors"].push_back(
          {{"where", e.where}, {"record_reference", e.record_reference}, {"error", e.error}});
    }
    // replace: a file name need not be UTF-8.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (app.names()) {
    for (const auto& r : total.results()) {
      if (!r.change().empty()) std::cout << r.change() << "\n";
    }
  } else {
    if (f.dry_run) {
      std::cout << "return " << return_words << " (dry run): " << rows << " rows readable, "
                << unreadable << " unreadable\n";
    } else {
      std::cout << "return " << return_words << ": " << total.registered_count() << " registered, "
                << total.already_imported_count() << " already imported, "
                << total.rejected_count() << " rejected, " << unreadable << " unreadable (of "
                << rows + unreadable << " rows)\n";
    }
    if (!errors.empty()) {
      std::cout << "\nrows not imported:\n";
      Table t({"WHERE", "RECORD", "ERROR"});
      for (const auto& e : errors) t.AddRow({e.where, e.record_reference, e.error});
      std::cout << t.Render();
    }
    Table differing({"WHERE", "RECORD", "CHANGE", "DIFFERS IN"});
    for (const auto& r : total.results()) {
      if (r.differs_size() == 0) continue;
      differing.AddRow({where_of[r.record_reference()], r.record_reference(),
                        ResourceId(r.change()), absl::StrJoin(r.differs(), ", ")});
    }
    if (differing.rows() > 0) {
      std::cout << "\nrows already imported that differ from the first import (not applied; "
                   "`changectl changes amend` corrects a change):\n"
                << differing.Render();
    }
  }
  return errors.empty() ? kExitOk : kExitPartial;
}

}  // namespace

void AddImportCommand(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "import", "Import a business area's return of ongoing change from CSV or JSON "
                "(ImportReturn; role portfolio_office)");
  auto f = std::make_shared<ImportFlags>();
  sub->add_option("FILE", f->file, "The returns file (.csv or .json)")->required();
  sub->add_option("--reference", f->reference,
                  "The return's reference, e.g. MO-2021-05-12 (default: the JSON file's "
                  "return_reference, else the file name without extension)");
  sub->add_option("--as-of", f->as_of,
                  "The date the return's data stands at, YYYY-MM-DD (default: the JSON file's "
                  "as_of); kept with every change it registers and shown in their history");
  sub->add_option("--format", f->format, "csv | json (default: from the file name)");
  sub->add_option("--batch-size", f->batch_size,
                  absl::StrCat("Rows per ImportReturn call, 1..1000; a batch is split further so "
                               "that no call sends more than ",
                               kMaxImportMessageBytes / (1024 * 1024),
                               " MiB, under the services' default limit of 4 MiB per message"))
      ->capture_default_str();
  sub->add_flag("--dry-run", f->dry_run, "Only read the file and report unreadable rows");
  sub->add_option("--errors-csv", f->errors_csv, "Also write the per-row error report to this CSV file");
  sub->footer(
      "\nEach row is checked on its own: unreadable rows (bad date, unknown word, repeated\n"
      "record_reference, text that is not UTF-8) and rows the server rejects are listed\n"
      "with their line and reason, the rest are registered; rows of empty cells are\n"
      "skipped like blank lines. A change's id comes from (return, record), so\n"
      "importing the same return again registers nothing new; rows that differ from\n"
      "what was first imported (an --as-of among them) are listed, not applied.\n"
      "Give the date the return's data stands at with --as-of (or as_of in a JSON\n"
      "file): every change registered keeps it, and its history shows it. A progress\n"
      "bar is drawn on stderr when it is a terminal. Exit code 6 when some rows were\n"
      "not imported.\n"
      "Formats: see tools/changectl/README.md (CSV columns; JSON = ImportReturnRequest).\n" +
      ExampleFooter({"changectl import examples/returns/example-baseline-2021-05-12.csv "
                     "--as-of 2021-05-12",
                     "changectl import mo-return.csv --reference MO-2021-05-12 --as-of 2021-05-12 "
                     "--errors-csv bad.csv"}));
  app.Define(sub, [&app, f] { return RunImport(app, *f); });
}

}  // namespace changeledger::changectl
