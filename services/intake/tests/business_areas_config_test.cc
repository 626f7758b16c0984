#include "business_areas_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

namespace changeledger::intake {
namespace {

using ::testing::HasSubstr;

TEST(BusinessAreasConfigTest, ParsesAList) {
  auto catalog = ParseBusinessAreas(R"(
business_areas:
  - code: MO
    name: Met Operations
  - code: CS
    name: Corporate Services
    description: incl. Digital Policing
)");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->areas().size(), 2u);
  EXPECT_TRUE(catalog->Contains("CS"));
  EXPECT_FALSE(catalog->Contains("FP"));
  EXPECT_EQ(catalog->areas()[1].description(), "incl. Digital Policing");
}

TEST(BusinessAreasConfigTest, RejectsBadEntriesNamingThem) {
  EXPECT_THAT(std::string(ParseBusinessAreas("business_areas: []").status().message()),
              HasSubstr("non-empty list"));
  EXPECT_THAT(std::string(ParseBusinessAreas(
                              "business_areas:\n  - code: mo\n    name: lower case\n")
                              .status()
                              .message()),
              HasSubstr("business_areas[0].code"));
  EXPECT_THAT(std::string(ParseBusinessAreas("business_areas:\n  - {code: A, name: x}\n"
                                             "  - {code: A, name: y}\n")
                              .status()
                              .message()),
              HasSubstr("business_areas[1].code: duplicate"));
  EXPECT_THAT(std::string(ParseBusinessAreas("business_areas:\n  - {code: A}\n").status().message()),
              HasSubstr("business_areas[0].name: required"));
  EXPECT_EQ(ParseBusinessAreas("business_areas: [").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BusinessAreasConfigTest, ShippedFileEqualsTheBuiltInDefault) {
  auto loaded = LoadBusinessAreas(INTAKE_BUSINESS_AREAS_FILE);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto builtin = domain::BusinessAreaCatalog::Default();
  ASSERT_EQ(loaded->areas().size(), builtin.areas().size());
  for (size_t i = 0; i < builtin.areas().size(); ++i) {
    EXPECT_EQ(loaded->areas()[i].SerializeAsString(), builtin.areas()[i].SerializeAsString());
  }
  EXPECT_EQ(LoadBusinessAreas("").value().areas().size(), builtin.areas().size());
  EXPECT_EQ(LoadBusinessAreas("/nonexistent/areas.yaml").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace changeledger::intake
