#include "changeledger/changectl/values.h"

#include <gtest/gtest.h>
#include <google/protobuf/util/time_util.h>

namespace changeledger::changectl {
namespace {

TEST(ValuesTest, ParsesRealDatesOnly) {
  auto d = ParseDate("2021-05-12");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(FormatDate(*d), "2021-05-12");
  EXPECT_TRUE(ParseDate("2024-02-29").ok());
  EXPECT_FALSE(ParseDate("2021-02-29").ok());
  EXPECT_FALSE(ParseDate("12/05/2021").ok());
  EXPECT_FALSE(ParseDate("2021-5-12").ok());
  EXPECT_FALSE(ParseDate("2021-13-01").ok());
}

TEST(ValuesTest, ParsesMoneyInMajorUnitsToPence) {
  auto m = ParseMoney("£1,250,000.5", "");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->currency_code(), "GBP");
  EXPECT_EQ(m->amount_minor(), 125000050);
  EXPECT_EQ(FormatMoney(*m), "GBP 1,250,000.50");
  EXPECT_EQ(ParseMoney("3000000", "eur")->currency_code(), "EUR");
  EXPECT_FALSE(ParseMoney("-5", "GBP").ok());
  EXPECT_FALSE(ParseMoney("1.234", "GBP").ok());
  EXPECT_FALSE(ParseMoney("1m", "GBP").ok());
  EXPECT_FALSE(ParseMoney("10", "POUNDS").ok());
}

TEST(ValuesTest, ParsesEnumWordsInAnyCase) {
  EXPECT_EQ(*ParseChangeStatus("in-delivery"), intake::v1::CHANGE_STATUS_IN_DELIVERY);
  EXPECT_EQ(*ParseChangeStatus("CHANGE_STATUS_CLOSED"), intake::v1::CHANGE_STATUS_CLOSED);
  EXPECT_EQ(*ParseScope("Cross business area"),
            intake::v1::ORGANISATIONAL_SCOPE_CROSS_BUSINESS_AREA);
  EXPECT_EQ(*ParseDecisionOutcome("returned"), intake::v1::DECISION_OUTCOME_RETURNED);
  auto bad = ParseAims("fuzzy");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"fuzzy\" is not one of clear, evolving, unclear");
  EXPECT_FALSE(ParseChangeStatus("unspecified").ok());
}

TEST(ValuesTest, EnumWordDropsTheTypePrefix) {
  EXPECT_EQ(EnumWord(intake::v1::ProposalState_descriptor(),
                     intake::v1::PROPOSAL_STATE_UNDER_ASSESSMENT),
            "under_assessment");
  EXPECT_EQ(EnumWord(intake::v1::OrganisationalScope_descriptor(),
                     intake::v1::ORGANISATIONAL_SCOPE_LOCAL),
            "local");
}

TEST(ValuesTest, ResourceNamesAcceptBareIds) {
  EXPECT_EQ(*ResourceName("changes", "abc"), "changes/abc");
  EXPECT_EQ(*ResourceName("changes", "changes/abc"), "changes/abc");
  EXPECT_FALSE(ResourceName("changes", "proposals/abc").ok());
  EXPECT_FALSE(ResourceName("changes", "").ok());
  EXPECT_EQ(ResourceId("changes/abc"), "abc");
}

TEST(ValuesTest, ResourceNamesLowerCaseTheId) {
  EXPECT_EQ(*ResourceName("changes", "65FB0B30-2B43-4C7A-9D1E-0A1B2C3D4E5F"),
            "changes/65fb0b30-2b43-4c7a-9d1e-0a1b2c3d4e5f");
  EXPECT_EQ(*ResourceName("proposals", "proposals/5F0C"), "proposals/5f0c");
}

TEST(ValuesTest, Utf8ProblemNamesTheFirstBadByteAndItsCharacter) {
  EXPECT_EQ(Utf8Problem("Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "");
  // Latin-1 "Caf\xE9 latin1": 0xE9 would start a three-byte sequence.
  EXPECT_EQ(Utf8Problem("Caf\xE9 latin1"), "not valid UTF-8 (byte 0xE9 at character 4)");
  EXPECT_EQ(Utf8Problem("\xC3\xA9t\xE9"), "not valid UTF-8 (byte 0xE9 at character 3)");
  EXPECT_EQ(Utf8Problem("ab\xC3"), "not valid UTF-8 (byte 0xC3 at character 3)");  // cut short
  EXPECT_EQ(Utf8Problem("\xED\xA0\x80"), "not valid UTF-8 (byte 0xED at character 1)");
  EXPECT_EQ(ValidUtf8("R\xE9" "f-\xC3\xA9"), "R\xEF\xBF\xBD" "f-\xC3\xA9");
}

TEST(ValuesTest, AsOfDateMeansTheEndOfThatDayInUtc) {
  using google::protobuf::util::TimeUtil;
  auto day = ParseAsOf("2021-05-12");
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(TimeUtil::ToString(*day), "2021-05-12T23:59:59.999999999Z");
  auto exact = ParseAsOf("2021-05-12T09:30:00+01:00");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(TimeUtil::ToString(*exact), "2021-05-12T08:30:00Z");
  EXPECT_GT(ParseAsOf("now")->seconds(), day->seconds());
  EXPECT_FALSE(ParseAsOf("2021-02-30").ok());
  EXPECT_FALSE(ParseAsOf("yesterday").ok());
}

TEST(ValuesTest, ParsesYesNo) {
  EXPECT_TRUE(*ParseBool("Yes"));
  EXPECT_FALSE(*ParseBool("0"));
  EXPECT_FALSE(ParseBool("maybe").ok());
  EXPECT_FALSE(ParseBool("").ok());
}

}  // namespace
}  // namespace changeledger::changectl
