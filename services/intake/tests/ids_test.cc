#include "ids.h"

#include <gtest/gtest.h>

#include <set>

namespace changeledger::intake {
namespace {

TEST(IdsTest, NewUuidsAreTimeOrderedLowerCaseAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewUuid();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '7') << "version 7";
    EXPECT_TRUE(seen.insert(id).second);
    for (char c : id) EXPECT_FALSE(c >= 'A' && c <= 'Z');
  }
}

TEST(IdsTest, ImportedChangeIdIsDeterministicAndUnambiguous) {
  const std::string id = ImportedChangeId("MO-2021-05-12", "row-1");
  EXPECT_EQ(id, ImportedChangeId("MO-2021-05-12", "row-1"));
  EXPECT_EQ(id[14], '5') << "version 5";
  // Fixed across releases: a return imported again after an upgrade must
  // find the changes it registered before.
  EXPECT_EQ(id, "8a9d3b70-5cf7-58b8-8d4a-30501aea8b3b");
  EXPECT_NE(id, ImportedChangeId("MO-2021-05-12", "row-2"));
  EXPECT_NE(id, ImportedChangeId("FP-2021-05-12", "row-1"));
  EXPECT_NE(ImportedChangeId("a:b", "c"), ImportedChangeId("a", "b:c"));
}

TEST(IdsTest, IdempotencyKeysAreScopedByPrincipalMethodAndResource) {
  const std::string key = IdempotencyKey("alice", "SubmitProposal", "proposal-1", "r1");
  EXPECT_EQ(key, IdempotencyKey("alice", "SubmitProposal", "proposal-1", "r1"));
  EXPECT_NE(key, IdempotencyKey("bob", "SubmitProposal", "proposal-1", "r1"));
  EXPECT_NE(key, IdempotencyKey("alice", "WithdrawProposal", "proposal-1", "r1"));
  EXPECT_NE(key, IdempotencyKey("alice", "SubmitProposal", "proposal-2", "r1"));
  // A principal or resource that ends like another's prefix cannot collide.
  EXPECT_NE(IdempotencyKey("a:b", "M", "", "r"), IdempotencyKey("a", "b:M", "", "r"));
  EXPECT_NE(IdempotencyKey("a", "M", "s:1", "r"), IdempotencyKey("a", "M", "s", "1:r"));
  const std::string long_key = IdempotencyKey(std::string(300, 'p'), "M", "", "r");
  EXPECT_LE(long_key.size(), 256u);
  EXPECT_EQ(long_key, IdempotencyKey(std::string(300, 'p'), "M", "", "r"));
  EXPECT_NE(long_key, IdempotencyKey(std::string(300, 'p'), "M", "", "s"));
}

TEST(IdsTest, CreateKeysKeepTheirFormatSoRetriesAcrossTheUpgradeAreRecognised) {
  // Creates name no resource; their keys were stored in this form before
  // keys named the resource.
  EXPECT_EQ(IdempotencyKey("alice", "CreateProposal", "", "r1"), "intake:5:alice:CreateProposal:r1");
}

}  // namespace
}  // namespace changeledger::intake
