#include "domain/attributes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/domain_test_util.h"

namespace changeledger::intake::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(AttributesTest, EmptyMaskReplacesEverything) {
  const auto current = testing::CompleteAttributes();
  v1::ChangeAttributes patch;
  patch.set_title("Only a title");
  auto result = ApplyUpdate(current, patch, {});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->title(), "Only a title");
  EXPECT_TRUE(result->teams().empty());
  EXPECT_FALSE(result->has_estimated_cost());
}

TEST(AttributesTest, MaskReplacesRepeatedAndMessageFieldsWhole) {
  const auto current = testing::CompleteAttributes();
  v1::ChangeAttributes patch;
  patch.add_teams("Only team");
  patch.mutable_estimated_cost()->set_currency_code("EUR");
  google::protobuf::FieldMask mask;
  mask.add_paths("teams");
  mask.add_paths("estimated_cost");
  mask.add_paths("planned_end");  // unset in the patch: cleared
  auto result = ApplyUpdate(current, patch, mask);
  ASSERT_TRUE(result.ok());
  EXPECT_THAT(result->teams(), ElementsAre("Only team"));
  EXPECT_EQ(result->estimated_cost().currency_code(), "EUR");
  EXPECT_EQ(result->estimated_cost().amount_minor(), 0);
  EXPECT_FALSE(result->has_planned_end());
  EXPECT_EQ(result->title(), current.title());
  EXPECT_THAT(ChangedPaths(current, *result),
              ElementsAre("teams", "estimated_cost", "planned_end"));
}

TEST(AttributesTest, UnknownPathIsInvalidArgument) {
  google::protobuf::FieldMask mask;
  mask.add_paths("features.no_such_feature");
  auto result = ApplyUpdate(testing::CompleteAttributes(), {}, mask);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "update_mask: unknown path \"features.no_such_feature\"");
}

TEST(AttributesTest, ChangedPathsDescendIntoFeaturesOnly) {
  const auto before = testing::CompleteAttributes();
  EXPECT_THAT(ChangedPaths(before, before), IsEmpty());
  auto after = before;
  after.mutable_features()->set_sro_led(true);
  after.mutable_features()->set_work_packages(9);
  after.mutable_planned_start()->set_day(2);
  after.set_data_and_digital(false);
  EXPECT_THAT(ChangedPaths(before, after),
              ElementsAre("data_and_digital", "planned_start", "features.sro_led",
                          "features.work_packages"));
}

}  // namespace
}  // namespace changeledger::intake::domain
