#include "changeledger/uuid/uuid_text.h"

#include <string>

#include "changeledger/uuid/random_uuid.h"
#include "gtest/gtest.h"

namespace changeledger::uuid {
namespace {

TEST(UuidTextTest, CanonicalTextPacksAndFormatsBackExactly) {
  PackedUuid id;
  ASSERT_TRUE(ParseUuidText("0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f5", &id));
  EXPECT_EQ(id.hi, 0x0f6c2d3e4b5a4c7dULL);
  EXPECT_EQ(id.lo, 0x8e9fa0b1c2d3e4f5ULL);
  EXPECT_EQ(FormatUuidText(id), "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f5");
  for (int i = 0; i < 100; ++i) {
    const std::string random = RandomUuid();
    ASSERT_TRUE(ParseUuidText(random, &id)) << random;
    EXPECT_EQ(FormatUuidText(id), random);
  }
}

TEST(UuidTextTest, AnythingButCanonicalLowerCaseDoesNotParse) {
  PackedUuid id;
  for (const char* text : {
           "0F6C2D3E-4B5A-4C7D-8E9F-A0B1C2D3E4F5",   // upper case
           "0f6c2d3e4b5a-4c7d-8e9f-a0b1c2d3e4f5-",   // dashes elsewhere
           "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f",    // too short
           "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f50",  // too long
           "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4fg",   // not hex
           "",
       }) {
    EXPECT_FALSE(ParseUuidText(text, &id)) << text;
  }
}

}  // namespace
}  // namespace changeledger::uuid
