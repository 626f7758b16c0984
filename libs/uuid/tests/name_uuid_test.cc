#include "changeledger/uuid/name_uuid.h"

#include "gtest/gtest.h"

namespace changeledger::uuid {
namespace {

constexpr char kDnsNamespace[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

TEST(NameUuidTest, MatchesTheVersion5UuidOfRfc4122) {
  // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com").
  EXPECT_EQ(NameUuid(kDnsNamespace, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(NameUuidTest, DependsOnNamespaceAndEveryByteOfTheName) {
  constexpr char kOther[] = "5b0f5c3e-3d2a-4a8e-9d61-0c6f5e1b7a42";
  EXPECT_EQ(NameUuid(kOther, "a"), NameUuid(kOther, "a"));
  EXPECT_NE(NameUuid(kOther, "a"), NameUuid(kDnsNamespace, "a"));
  EXPECT_NE(NameUuid(kOther, std::string_view("a\0b", 3)), NameUuid(kOther, "a"));
}

}  // namespace
}  // namespace changeledger::uuid
