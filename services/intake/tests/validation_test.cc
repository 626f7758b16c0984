#include "domain/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/domain_test_util.h"

namespace changeledger::intake::domain {
namespace {

using testing::MakeDate;

std::string Repeat(absl::string_view text, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) absl::StrAppend(&out, text);
  return out;
}

TEST(ValidationTest, RecognisesRealCalendarDates) {
  EXPECT_TRUE(IsValidDate(MakeDate(2024, 2, 29)));
  EXPECT_FALSE(IsValidDate(MakeDate(2023, 2, 29)));
  EXPECT_FALSE(IsValidDate(MakeDate(1900, 2, 29)));
  EXPECT_TRUE(IsValidDate(MakeDate(2000, 2, 29)));
  EXPECT_FALSE(IsValidDate(MakeDate(2021, 4, 31)));
  EXPECT_FALSE(IsValidDate(MakeDate(2021, 13, 1)));
  EXPECT_FALSE(IsValidDate(MakeDate(0, 1, 1)));
  EXPECT_FALSE(IsValidDate(common::v1::Date()));
}

TEST(ValidationTest, DateArithmeticMatchesTheCivilCalendar) {
  EXPECT_EQ(DaysSinceEpoch(MakeDate(1970, 1, 1)), 0);
  EXPECT_EQ(DaysSinceEpoch(MakeDate(2021, 5, 12)), 18759);
  const auto date = MakeDate(2021, 5, 12);
  const auto back = TimeToDate(DateToTime(date) + absl::Hours(23));
  EXPECT_EQ(back.year(), 2021);
  EXPECT_EQ(back.month(), 5);
  EXPECT_EQ(back.day(), 12);
}

TEST(ValidationTest, FieldErrorsJoinEveryProblem) {
  FieldErrors errors;
  EXPECT_TRUE(errors.ToStatus().ok());
  errors.Add("title", "required");
  errors.Add("planned_end", "before planned_start");
  EXPECT_EQ(errors.ToStatus().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(errors.ToStatus().message(), "title: required; planned_end: before planned_start");
  EXPECT_EQ(errors.ToStatus(absl::StatusCode::kFailedPrecondition).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ValidationTest, FieldErrorsListTheFirstProblemsAndCountTheRest) {
  FieldErrors errors;
  for (size_t i = 0; i <= kMaxListedProblems; ++i) {
    errors.Add("teams[" + std::to_string(i) + "]", "required");
  }
  EXPECT_THAT(std::string(errors.ToStatus().message()),
              ::testing::HasSubstr("teams[19]: required; and 1 more problem"));
  errors.Add("title", "required");
  EXPECT_THAT(std::string(errors.ToStatus().message()),
              ::testing::EndsWith("teams[19]: required; and 2 more problems"));
}

TEST(ValidationTest, CompleteAttributesPass) {
  FieldErrors errors;
  ValidateAttributes(errors, testing::CompleteAttributes(), BusinessAreaCatalog::Default(),
                     {.require_sponsor = true});
  EXPECT_TRUE(errors.empty()) << errors.Join();
  CheckComplete(errors, testing::CompleteAttributes());
  EXPECT_TRUE(errors.empty()) << errors.Join();
}

TEST(ValidationTest, CostMayBeZeroButNeedsACurrency) {
  auto attributes = testing::CompleteAttributes();
  attributes.mutable_estimated_cost()->set_amount_minor(0);
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_TRUE(errors.empty()) << errors.Join();
  attributes.mutable_estimated_cost()->clear_currency_code();
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_THAT(errors.Join(), ::testing::HasSubstr("estimated_cost.currency_code"));
}

TEST(ValidationTest, SameStartAndEndDateIsAllowed) {
  auto attributes = testing::CompleteAttributes();
  *attributes.mutable_planned_end() = attributes.planned_start();
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_TRUE(errors.empty()) << errors.Join();
}

TEST(ValidationTest, CountsAndTeamsAreBounded) {
  auto attributes = testing::CompleteAttributes();
  attributes.mutable_features()->set_work_packages(10001);
  attributes.mutable_features()->set_impacted_stakeholder_groups(10001);
  attributes.mutable_features()->set_organisational_scope(
      static_cast<v1::OrganisationalScope>(77));
  attributes.mutable_features()->set_public_or_political_interest(
      static_cast<v1::InterestLevel>(-3));
  attributes.clear_teams();
  for (int i = 0; i < 51; ++i) attributes.add_teams("team " + std::to_string(i));
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_EQ(errors.Join(),
            "teams: more than 50 entries; features.organisational_scope: unknown value; "
            "features.public_or_political_interest: unknown value; features.work_packages: "
            "more than 10000; features.impacted_stakeholder_groups: more than 10000");
}

TEST(ValidationTest, RequestIdIsBoundedAndPrintable) {
  FieldErrors errors;
  ValidateRequestId(errors, "");
  ValidateRequestId(errors, std::string(128, 'a'));
  EXPECT_TRUE(errors.empty());
  ValidateRequestId(errors, std::string("a\nb"));
  EXPECT_EQ(errors.Join(), "request_id: contains control character U+000A");
}

TEST(ValidationTest, RequestIdCountsCodePointsAndRefusesC1Controls) {
  FieldErrors errors;
  ValidateRequestId(errors, Repeat("\u00e9", 128));  // 256 bytes
  ValidateRequestId(errors, " padded ");             // opaque: not trimmed, not refused
  EXPECT_TRUE(errors.empty()) << errors.Join();
  ValidateRequestId(errors, Repeat("\u00e9", 129));
  ValidateRequestId(errors, "a\u009bb");
  EXPECT_EQ(errors.Join(),
            "request_id: longer than 128 characters; "
            "request_id: contains control character U+009B");
}

// ---- text ------------------------------------------------------------------

TEST(ValidationTest, TrimRemovesUnicodeWhiteSpaceAtBothEndsOnly) {
  EXPECT_EQ(TrimWhitespace("  Digital Policing \t\r\n"), "Digital Policing");
  // No-break space, ideographic space, em space, next line (U+0085).
  EXPECT_EQ(TrimWhitespace("\u00a0\u3000Caf\u00e9\u2003\u0085"), "Caf\u00e9");
  EXPECT_EQ(TrimWhitespace("a  b"), "a  b");
  EXPECT_EQ(TrimWhitespace(" \t\u00a0 "), "");
  EXPECT_EQ(TrimWhitespace(""), "");
  // A zero-width space is not white space: it stays (and is not blank).
  EXPECT_EQ(TrimWhitespace("\u200b"), "\u200b");
  EXPECT_TRUE(IsBlank(" \n\t\u3000"));
  EXPECT_FALSE(IsBlank(" x "));
}

TEST(ValidationTest, SingleLineTextRefusesEveryControlCharacter) {
  struct Case {
    std::string value;
    std::string problem;
  };
  const Case cases[] = {
      {"tab\there", "title: contains control character U+0009"},
      {"a\nb", "title: contains control character U+000A"},
      {"a\rb", "title: contains control character U+000D"},
      {"\x1b[31mred", "title: contains control character U+001B"},
      {std::string("nul\0byte", 8), "title: contains control character U+0000"},
      {"del\x7f", "title: contains control character U+007F"},
      {"csi\u009b31m", "title: contains control character U+009B"},
      {"nel\u0085inside", "title: contains control character U+0085"},
  };
  for (const Case& c : cases) {
    FieldErrors errors;
    EXPECT_FALSE(CheckLine(errors, "title", c.value, kMaxTitle, true));
    EXPECT_EQ(errors.Join(), c.problem);
  }
  FieldErrors errors;
  EXPECT_TRUE(CheckLine(errors, "title", "Caf\u00e9 \u2014 \u00a3 \U0001F600", kMaxTitle, true));
  EXPECT_TRUE(errors.empty()) << errors.Join();
}

TEST(ValidationTest, MultiLineTextAllowsLineBreaksAndTabsOnly) {
  FieldErrors errors;
  EXPECT_TRUE(CheckText(errors, "description", "Line one\r\n\tLine two\n", kMaxText, true));
  EXPECT_TRUE(errors.empty()) << errors.Join();
  CheckText(errors, "description", "bell\a", kMaxText, false);
  CheckText(errors, "description", "\x1b]0;title\x07", kMaxText, false);
  CheckText(errors, "description", "form\ffeed", kMaxText, false);
  CheckText(errors, "description", "c1\u0090", kMaxText, false);
  EXPECT_EQ(errors.Join(),
            "description: contains control character U+0007; "
            "description: contains control character U+001B; "
            "description: contains control character U+000C; "
            "description: contains control character U+0090");
}

TEST(ValidationTest, BlankTextIsMissingWhereRequiredAndKeptWhereOptional) {
  FieldErrors errors;
  CheckLine(errors, "title", "   ", kMaxTitle, /*required=*/true);
  CheckText(errors, "reason", " \n\t ", kMaxText, /*required=*/true);
  EXPECT_EQ(errors.Join(), "title: required; reason: required");
  FieldErrors none;
  EXPECT_TRUE(CheckText(none, "summary", "   ", kMaxText, /*required=*/false));
  EXPECT_TRUE(CheckLine(none, "sponsor", "", kMaxName, /*required=*/false));
  EXPECT_TRUE(none.empty()) << none.Join();
}

TEST(ValidationTest, LimitsCountCodePointsNotBytes) {
  FieldErrors errors;
  // 101 x U+00E9 is 202 bytes; 200 of them are 400 bytes; 200 emoji 800.
  EXPECT_TRUE(CheckLine(errors, "title", Repeat("\u00e9", 101), kMaxTitle, true));
  EXPECT_TRUE(CheckLine(errors, "title", Repeat("\u00e9", 200), kMaxTitle, true));
  EXPECT_TRUE(CheckLine(errors, "title", Repeat("\U0001F600", 200), kMaxTitle, true));
  EXPECT_TRUE(CheckText(errors, "reason", Repeat("\u20ac", 2000), kMaxText, true));
  EXPECT_TRUE(errors.empty()) << errors.Join();
  CheckLine(errors, "title", Repeat("\u00e9", 201), kMaxTitle, true);
  CheckText(errors, "reason", Repeat("\u20ac", 2001), kMaxText, true);
  EXPECT_EQ(errors.Join(),
            "title: longer than 200 characters; reason: longer than 2000 characters");
}

// Protobuf refuses invalid UTF-8 before a request reaches the domain; the
// checks still stay inside the text when they get some.
TEST(ValidationTest, InvalidUtf8NeitherCrashesNorHidesControls) {
  FieldErrors errors;
  EXPECT_TRUE(CheckLine(errors, "title", "\xff\xfe", kMaxTitle, true));
  EXPECT_TRUE(CheckLine(errors, "title", "cut \xe2\x82", kMaxTitle, true));
  EXPECT_TRUE(errors.empty()) << errors.Join();
  EXPECT_EQ(TrimWhitespace(" \xe2\x80 "), "\xe2\x80");
  EXPECT_FALSE(CheckLine(errors, "title", "\xc3\x1b", kMaxTitle, true));
  EXPECT_EQ(errors.Join(), "title: contains control character U+001B");
}

// ---- attributes --------------------------------------------------------------

TEST(ValidationTest, TrimAttributesTrimsSingleLineFieldsOnly) {
  auto attributes = testing::CompleteAttributes();
  attributes.set_title("  Forensic terminals\t");
  attributes.set_business_area(" MO ");
  attributes.set_sponsor("\u00a0Commander Forensics ");
  attributes.set_teams(0, " Forensic Services ");
  attributes.mutable_estimated_cost()->set_currency_code(" GBP\n");
  attributes.set_description("  indented\n");
  TrimAttributes(attributes);
  EXPECT_EQ(attributes.title(), "Forensic terminals");
  EXPECT_EQ(attributes.business_area(), "MO");
  EXPECT_EQ(attributes.sponsor(), "Commander Forensics");
  EXPECT_EQ(attributes.teams(0), "Forensic Services");
  EXPECT_EQ(attributes.estimated_cost().currency_code(), "GBP");
  EXPECT_EQ(attributes.description(), "  indented\n");
  v1::ChangeAttributes no_cost;
  TrimAttributes(no_cost);
  EXPECT_FALSE(no_cost.has_estimated_cost());
}

TEST(ValidationTest, TeamsDifferingOnlyInLetterCaseOrSpacingAreDuplicates) {
  auto attributes = testing::CompleteAttributes();
  attributes.clear_teams();
  for (const char* team : {"Digital Policing", "digital policing", "Digital Policing",
                           "\u00c9quipe Num\u00e9rique", "\u00c9QUIPE NUM\u00c9RIQUE",
                           "\u0421\u0423\u0414", "\u0441\u0443\u0434",
                           "Digital Policing Unit", "Digital\u00a0 Policing  Unit"}) {
    attributes.add_teams(team);
  }
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_EQ(errors.Join(),
            "teams[1]: duplicate of teams[0] (letter case and spacing aside); "
            "teams[2]: duplicate of teams[0]; "
            "teams[4]: duplicate of teams[3] (letter case and spacing aside); "
            "teams[6]: duplicate of teams[5] (letter case and spacing aside); "
            "teams[8]: duplicate of teams[7] (letter case and spacing aside)");
}

TEST(ValidationTest, EstimatedCostMustBeInPoundsSterling) {
  auto attributes = testing::CompleteAttributes();
  for (const char* code : {"EUR", "gbp", "", "XYZ"}) {
    attributes.mutable_estimated_cost()->set_currency_code(code);
    FieldErrors errors;
    ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
    EXPECT_EQ(errors.Join(), absl::StrCat("estimated_cost.currency_code: must be GBP, the "
                                          "currency the portfolio reports in (got \"",
                                          code, "\")"));
  }
  // Quoted back only when printable.
  attributes.mutable_estimated_cost()->set_currency_code("\x1b[2J");
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_EQ(errors.Join(), "estimated_cost.currency_code: contains control character U+001B");
  // No estimated cost at all is fine (until submission).
  attributes.clear_estimated_cost();
  FieldErrors none;
  ValidateAttributes(none, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_TRUE(none.empty()) << none.Join();
}

TEST(ValidationTest, UnknownBusinessAreaIsQuotedOnlyWhenPrintable) {
  auto attributes = testing::CompleteAttributes();
  attributes.set_business_area("M\x1bO");
  FieldErrors errors;
  ValidateAttributes(errors, attributes, BusinessAreaCatalog::Default(), {});
  EXPECT_EQ(errors.Join(), "business_area: contains control character U+001B");
}

TEST(ValidationTest, BlankValuesAreIncompleteForSubmission) {
  auto attributes = testing::CompleteAttributes();
  attributes.set_title(" ");
  attributes.set_description(" \n ");
  attributes.set_sponsor("\t");
  FieldErrors errors;
  CheckComplete(errors, attributes);
  EXPECT_EQ(errors.Join(),
            "title: required for submission; description: required for submission; "
            "sponsor: required for submission");
}

TEST(ValidationTest, ReferencesAreNeitherTrimmedNorPadded) {
  FieldErrors errors;
  CheckReference(errors, "record_reference", "row-7");
  CheckReference(errors, "record_reference", Repeat("\u00e9", 128));
  EXPECT_TRUE(errors.empty()) << errors.Join();
  CheckReference(errors, "record_reference", " row-7");
  CheckReference(errors, "record_reference", "row-7\u00a0");
  CheckReference(errors, "record_reference", "   ");
  CheckReference(errors, "return_reference", "MO\x1b");
  CheckReference(errors, "return_reference", Repeat("x", 129));
  EXPECT_EQ(errors.Join(),
            "record_reference: begins or ends with white space; "
            "record_reference: begins or ends with white space; "
            "record_reference: required; "
            "return_reference: contains control character U+001B; "
            "return_reference: longer than 128 characters");
}

TEST(ValidationTest, DefaultCatalogHoldsThePapersBusinessGroups) {
  const auto catalog = BusinessAreaCatalog::Default();
  for (const char* code : {"MO", "FP", "SO", "PS", "CS"}) {
    EXPECT_TRUE(catalog.Contains(code)) << code;
  }
  EXPECT_FALSE(catalog.Contains("mo"));
  EXPECT_FALSE(catalog.Contains(""));
}

}  // namespace
}  // namespace changeledger::intake::domain
