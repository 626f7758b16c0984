#include "changeledger/rpc/auth.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_service.h"

namespace changeledger::rpc {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RoleTest, NamesRoundTrip) {
  EXPECT_EQ(AllRoles().size(), 7u);
  for (Role role : AllRoles()) {
    auto parsed = ParseRole(RoleName(role));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(RoleName(Role::kPortfolioOffice), "portfolio_office");
  EXPECT_FALSE(ParseRole("superuser").ok());
}

TEST(TokenTableTest, AuthenticatesKnownTokensOnly) {
  auto table = TokenTable::FromYaml(testing::kTokensYaml);
  ASSERT_TRUE(table.ok()) << table.status();
  auto alice = (*table)->Authenticate(testing::kAliceToken);
  ASSERT_TRUE(alice.has_value());
  EXPECT_EQ(alice->name, "alice");
  EXPECT_TRUE(alice->HasRole(Role::kProposer));
  EXPECT_FALSE(alice->HasRole(Role::kAdmin));
  EXPECT_FALSE((*table)->Authenticate("").has_value());
  EXPECT_FALSE((*table)->Authenticate("alice-token-012345678").has_value());   // prefix
  EXPECT_FALSE((*table)->Authenticate("alice-token-0123456789x").has_value()); // longer
  EXPECT_FALSE((*table)->Authenticate("ALICE-TOKEN-0123456789").has_value());
}

TEST(TokenTableTest, RejectsBadEntriesWithoutShowingTokens) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"tokens:\n  - principal: a\n    token: secret-secret-secret-1\n    roles: [wizard]\n",
       "unknown role \"wizard\""},
      {"tokens:\n  - principal: a\n    token: short-secret\n    roles: [admin]\n",
       "shorter than 16"},
      {"tokens:\n  - principal: a\n    token: secret-secret-secret-1\n    roles: []\n",
       "no roles"},
      {"tokens:\n  - token: secret-secret-secret-1\n    roles: [admin]\n", "empty principal"},
      {"tokens:\n  - principal: a\n    token: secret-secret-secret-1\n    roles: [admin]\n"
       "  - principal: b\n    token: secret-secret-secret-1\n    roles: [owner]\n",
       "same token as entry 0"},
      {"tokens:\n  - principal: a\n    token: secret-secret-secret-1\n    role: [admin]\n",
       "unknown field role"},
      {"users: []\n", "list `tokens`"},
  };
  for (const Case& c : cases) {
    auto table = TokenTable::FromYaml(c.yaml);
    ASSERT_FALSE(table.ok()) << c.yaml;
    EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(table.status().message(), HasSubstr(c.message));
    EXPECT_THAT(table.status().message(), Not(HasSubstr("secret-secret")));
  }
}

TEST(TokenTableTest, FromFile) {
  testing::TempDir dir;
  auto table = TokenTable::FromFile(dir.Write("tokens.yaml", testing::kTokensYaml));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ((*table)->size(), 4u);
  auto missing = TokenTable::FromFile((dir.path() / "absent.yaml").string());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(PrincipalTest, HasAnyRole) {
  Principal p{"p", {Role::kOwner, Role::kPanel}};
  EXPECT_TRUE(p.HasAnyRole({Role::kAdmin, Role::kPanel}));
  EXPECT_FALSE(p.HasAnyRole({Role::kAdmin}));
  EXPECT_FALSE(p.HasAnyRole({}));
}

}  // namespace
}  // namespace changeledger::rpc
