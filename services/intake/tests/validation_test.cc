#include "domain/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/domain_test_util.h"

namespace changeledger::intake::domain {
namespace {

common::v1::Date MakeDate(int y, int m, int d) {
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
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
  attributes.mutable_estimated_cost()->set_currency_code("GB");
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
  EXPECT_EQ(errors.Join(), "request_id: contains control characters");
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
