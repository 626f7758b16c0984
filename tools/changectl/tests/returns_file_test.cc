#include "changeledger/changectl/returns_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "changeledger/changectl/values.h"

namespace changeledger::changectl {
namespace {

TEST(ReturnsFileTest, SplitCsvHandlesQuotesNewlinesCommentsAndCrlf) {
  std::vector<int> lines;
  auto rows = SplitCsv(
      "# example data\r\na,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\r\n# note\nlast,\n", &lines);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_EQ((*rows)[1][0], "x, \"y\"");
  EXPECT_EQ((*rows)[1][1], "two\nlines");
  EXPECT_EQ((*rows)[2], (std::vector<std::string>{"last", ""}));
  EXPECT_EQ(lines, (std::vector<int>{2, 3, 7}));
}

TEST(ReturnsFileTest, SplitCsvRejectsUnclosedQuote) {
  auto rows = SplitCsv("a,b\n\"open,x\n", nullptr);
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().message(), "line 2: a quoted field is not closed");
}

TEST(ReturnsFileTest, CsvRowsBecomeRecordsAndBadRowsAreReportedByLine) {
  const char* csv =
      "record_reference,title,business_area,sponsor,teams,data_and_digital,estimated_cost,"
      "planned_start,status,organisational_scope,work_packages,clarity_of_aims\n"
      "MO-1,CONNECT,MO,AC Jones,Digital Policing; MetCC ,yes,\"45,000,000\",2021-04-01,"
      "in_delivery,organisation_wide,8,clear\n"
      "MO-2,Bad date,MO,X,,no,,2021-02-30,,,,\n"
      "MO-3,Bad words,MO,X,,maybe,,,finished,,many,\n"
      "MO-1,Repeat,MO,X,,,,,,,,\n"
      ",No reference,MO,X,,,,,,,,\n";
  auto parsed = ParseReturnsCsv(csv);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->rows.size(), 1u);
  const auto& r = parsed->rows[0].record;
  EXPECT_EQ(parsed->rows[0].where, "line 2");
  EXPECT_EQ(r.record_reference(), "MO-1");
  EXPECT_EQ(r.attributes().title(), "CONNECT");
  ASSERT_EQ(r.attributes().teams_size(), 2);
  EXPECT_EQ(r.attributes().teams(1), "MetCC");
  EXPECT_TRUE(r.attributes().data_and_digital());
  EXPECT_EQ(r.attributes().estimated_cost().amount_minor(), 4500000000);
  EXPECT_EQ(r.status(), intake::v1::CHANGE_STATUS_IN_DELIVERY);
  EXPECT_EQ(r.attributes().features().work_packages(), 8u);
  EXPECT_EQ(r.attributes().features().organisational_scope(),
            intake::v1::ORGANISATIONAL_SCOPE_ORGANISATION_WIDE);

  ASSERT_EQ(parsed->errors.size(), 4u);
  EXPECT_EQ(parsed->errors[0].where, "line 3");
  EXPECT_EQ(parsed->errors[0].error,
            "planned_start: \"2021-02-30\" is not a date (expected YYYY-MM-DD)");
  EXPECT_EQ(parsed->errors[1].where, "line 4");
  EXPECT_EQ(parsed->errors[1].error,
            "data_and_digital: \"maybe\" is not yes/no; status: \"finished\" is not one of "
            "registered, in_delivery, closed, stopped; work_packages: \"many\" is not a whole "
            "number");
  EXPECT_EQ(parsed->errors[2].error, "record_reference repeats the one at line 2");
  EXPECT_EQ(parsed->errors[3].error, "record_reference: required");
}

TEST(ReturnsFileTest, CsvHeaderProblemsFailTheFile) {
  EXPECT_FALSE(ParseReturnsCsv("").ok());
  auto unknown = ParseReturnsCsv("record_reference,title,colour\n");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown column \"colour\""), std::string::npos);
  EXPECT_FALSE(ParseReturnsCsv("title\nx\n").ok());
  EXPECT_FALSE(ParseReturnsCsv("record_reference,title,title\n").ok());
}

TEST(ReturnsFileTest, CsvRowWithWrongFieldCountIsAnError) {
  auto parsed = ParseReturnsCsv("record_reference,title\nA,x,extra\nB,y\n");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->errors.size(), 1u);
  EXPECT_EQ(parsed->errors[0].error, "has 3 fields, the header has 2");
  EXPECT_EQ(parsed->rows.size(), 1u);
}

TEST(ReturnsFileTest, JsonUsesTheProtobufMappingPerRecord) {
  const char* json = R"({
    "return_reference": "MO-2021-05-12",
    "comment": "EXAMPLE DATA",
    "records": [
      {"record_reference": "1", "status": "CHANGE_STATUS_IN_DELIVERY",
       "attributes": {"title": "PIB", "businessArea": "MO", "features": {"sro_led": true}}},
      {"record_reference": "2", "attributes": {"title": "x", "colour": "red"}},
      {"record_reference": "1", "attributes": {"title": "again"}},
      {"attributes": {"title": "no reference"}}
    ]})";
  auto parsed = ParseReturnsJson(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->return_reference, "MO-2021-05-12");
  ASSERT_EQ(parsed->rows.size(), 1u);
  EXPECT_EQ(parsed->rows[0].record.attributes().business_area(), "MO");
  EXPECT_TRUE(parsed->rows[0].record.attributes().features().sro_led());
  ASSERT_EQ(parsed->errors.size(), 3u);
  EXPECT_EQ(parsed->errors[0].where, "record 2");
  EXPECT_EQ(parsed->errors[0].record_reference, "2");
  EXPECT_NE(parsed->errors[0].error.find("colour"), std::string::npos);
  EXPECT_EQ(parsed->errors[1].error, "record_reference repeats the one at record 1");
  EXPECT_EQ(parsed->errors[2].error, "record_reference: required");
}

TEST(ReturnsFileTest, JsonStatesTheDateTheReturnStandsAt) {
  auto text =
      ParseReturnsJson(R"({"return_reference": "MO", "as_of": "2021-05-12", "records": []})");
  ASSERT_TRUE(text.ok()) << text.status();
  ASSERT_TRUE(text->as_of.has_value());
  EXPECT_EQ(FormatDate(*text->as_of), "2021-05-12");
  // As protobuf's JSON mapping writes a Date.
  auto mapped =
      ParseReturnsJson(R"({"asOf": {"year": 2021, "month": 5, "day": 12}, "records": []})");
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  ASSERT_TRUE(mapped->as_of.has_value());
  EXPECT_EQ(FormatDate(*mapped->as_of), "2021-05-12");
  EXPECT_FALSE(ParseReturnsJson(R"({"records": []})")->as_of.has_value());

  EXPECT_EQ(ParseReturnsJson(R"({"as_of": "2021-02-30", "records": []})").status().message(),
            "as_of: \"2021-02-30\" is not a date (expected YYYY-MM-DD)");
  EXPECT_EQ(ParseReturnsJson(R"({"as_of": {"year": 2021, "month": 13, "day": 1}, "records": []})")
                .status()
                .message(),
            "as_of: \"2021-13-01\" is not a date (expected YYYY-MM-DD)");
  const auto number = ParseReturnsJson(R"({"as_of": 20210512, "records": []})");
  EXPECT_THAT(std::string(number.status().message()),
              ::testing::StartsWith("as_of: expected a date"));
}

TEST(ReturnsFileTest, JsonFileLevelErrors) {
  EXPECT_FALSE(ParseReturnsJson("{not json").ok());
  EXPECT_FALSE(ParseReturnsJson(R"({"records": 5})").ok());
  EXPECT_FALSE(ParseReturnsJson(R"({"rows": []})").ok());
  auto bare = ParseReturnsJson(R"([{"record_reference": "a", "attributes": {"title": "t"}}])");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->rows.size(), 1u);
  EXPECT_TRUE(bare->return_reference.empty());
}

TEST(ReturnsFileTest, CsvCellNotUtf8MakesOnlyItsRowUnreadable) {
  // Line 3 was saved as Latin-1: "Café" with é as the single byte 0xE9.
  auto parsed = ParseReturnsCsv(
      "record_reference,title,business_area,sponsor\n"
      "R1,Good one,MO,S\n"
      "R2,Caf\xE9 latin1,MO,S\n"
      "R3,Good three,MO,Caf\xC3\xA9\n"
      "R\xE9" "4,x,MO,\xFF\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[0].record.record_reference(), "R1");
  EXPECT_EQ(parsed->rows[1].record.record_reference(), "R3");
  ASSERT_EQ(parsed->errors.size(), 2u);
  EXPECT_EQ(parsed->errors[0].where, "line 3");
  EXPECT_EQ(parsed->errors[0].record_reference, "R2");
  EXPECT_EQ(parsed->errors[0].error, "title: not valid UTF-8 (byte 0xE9 at character 4)");
  // The reference is shown with U+FFFD so that the report itself is UTF-8.
  EXPECT_EQ(parsed->errors[1].record_reference, "R\xEF\xBF\xBD" "4");
  EXPECT_EQ(parsed->errors[1].error,
            "record_reference: not valid UTF-8 (byte 0xE9 at character 2); "
            "sponsor: not valid UTF-8 (byte 0xFF at character 1)");
}

TEST(ReturnsFileTest, JsonStringNotUtf8MakesOnlyItsRecordUnreadable) {
  auto parsed = ParseReturnsJson(
      "[{\"record_reference\": \"1\", \"attributes\": {\"title\": \"Caf\xC3\xA9\"}},\n"
      " {\"record_reference\": \"2\", \"attributes\": {\"title\": \"Caf\xE9\", "
      "\"teams\": [\"ok\", \"\xA3" "5\"]}},\n"
      " {\"record_reference\": \"3\", \"attributes\": {\"title\": \"fine\"}}]");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[0].record.attributes().title(), "Caf\xC3\xA9");
  EXPECT_EQ(parsed->rows[1].record.record_reference(), "3");
  ASSERT_EQ(parsed->errors.size(), 1u);
  EXPECT_EQ(parsed->errors[0].where, "record 2");
  EXPECT_EQ(parsed->errors[0].record_reference, "2");
  EXPECT_EQ(parsed->errors[0].error,
            "attributes.teams[1]: not valid UTF-8 (byte 0xA3 at character 1); "
            "attributes.title: not valid UTF-8 (byte 0xE9 at character 4)");

  auto reference = ParseReturnsJson("{\"return_reference\": \"MO-\xE9\", \"records\": []}");
  ASSERT_FALSE(reference.ok());
  EXPECT_EQ(reference.status().message(),
            "return_reference: not valid UTF-8 (byte 0xE9 at character 4)");
}

TEST(ReturnsFileTest, RowsOfEmptyCellsAreBlankLines) {
  auto parsed = ParseReturnsCsv(
      "record_reference,title,business_area\n"
      "A,x,MO\n"
      ",,\n"
      " , ,\"\"\n"
      "B,y,MO\n"
      ",,\n,,\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->errors.empty()) << parsed->errors[0].where << ": " << parsed->errors[0].error;
  ASSERT_EQ(parsed->rows.size(), 2u);
  EXPECT_EQ(parsed->rows[1].where, "line 5");
}

TEST(ReturnsFileTest, BatchesStayUnderTheByteLimitAsWellAsTheRecordLimit) {
  std::vector<ReturnRow> rows;
  for (int i = 0; i < 1000; ++i) {
    ReturnRow row;
    row.record.set_record_reference(std::to_string(i));
    row.record.mutable_attributes()->set_title("A change");
    row.record.mutable_attributes()->set_description(std::string(5000 + i % 7, 'd'));
    rows.push_back(row);
  }
  // Every message repeats the header, its as-of date included.
  intake::v1::ImportReturnRequest header;
  header.set_return_reference("MO-2021-05-12");
  header.mutable_as_of()->set_year(2021);
  header.mutable_as_of()->set_month(5);
  header.mutable_as_of()->set_day(12);
  auto request_bytes = [&](size_t begin, size_t end) {
    intake::v1::ImportReturnRequest request = header;
    for (size_t i = begin; i < end; ++i) *request.add_records() = rows[i].record;
    return request.ByteSizeLong();
  };
  // 1000 rows of ~5 KB: over 4 MiB in one message of --batch-size 1000.
  ASSERT_GT(request_bytes(0, rows.size()), 4u * 1024 * 1024);
  for (size_t max_bytes : {kMaxImportMessageBytes, size_t{100'000}, size_t{5'100}}) {
    const std::vector<size_t> ends = PlanBatches(rows, header, 1000, max_bytes);
    ASSERT_FALSE(ends.empty());
    EXPECT_EQ(ends.back(), rows.size());
    size_t begin = 0;
    for (size_t end : ends) {
      ASSERT_GT(end, begin);
      EXPECT_LE(request_bytes(begin, end), max_bytes) << "rows " << begin << ".." << end;
      if (end < rows.size()) {  // full: one more row would not have fitted
        EXPECT_GT(request_bytes(begin, end + 1), max_bytes);
      }
      begin = end;
    }
  }
  // The record limit still holds when the bytes allow more.
  EXPECT_EQ(PlanBatches(rows, header, 250, 1u << 30),
            (std::vector<size_t>{250, 500, 750, 1000}));
  // A row larger than the limit on its own goes by itself.
  EXPECT_EQ(PlanBatches(rows, header, 1000, 100).size(), rows.size());
  EXPECT_TRUE(PlanBatches({}, header, 1000, kMaxImportMessageBytes).empty());
}

}  // namespace
}  // namespace changeledger::changectl
