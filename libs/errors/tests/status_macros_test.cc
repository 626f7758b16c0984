#include "changeledger/errors/status_macros.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

namespace changeledger {
namespace {

int g_calls = 0;

absl::Status Fails() {
  ++g_calls;
  return absl::NotFoundError("no such proposal");
}
absl::Status Succeeds() {
  ++g_calls;
  return absl::OkStatus();
}
absl::StatusOr<std::unique_ptr<std::string>> MakeText(bool ok) {
  ++g_calls;
  if (!ok) return absl::InvalidArgumentError("title: required");
  return std::make_unique<std::string>("text");
}

absl::Status ReturnIfError(bool fail, bool* reached_end) {
  CL_RETURN_IF_ERROR(fail ? Fails() : Succeeds());
  *reached_end = true;
  return absl::OkStatus();
}

absl::StatusOr<size_t> AssignOrReturn(bool ok) {
  CL_ASSIGN_OR_RETURN(auto text, MakeText(ok));  // move-only value
  std::string copy;
  CL_ASSIGN_OR_RETURN(copy, absl::StatusOr<std::string>(*text + "!"));
  return copy.size();
}

TEST(StatusMacrosTest, ReturnIfErrorPropagatesTheFirstError) {
  g_calls = 0;
  bool reached_end = false;
  absl::Status status = ReturnIfError(true, &reached_end);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "no such proposal");
  EXPECT_FALSE(reached_end);
  EXPECT_EQ(g_calls, 1) << "the expression is evaluated exactly once";
}

TEST(StatusMacrosTest, ReturnIfErrorContinuesOnOk) {
  bool reached_end = false;
  EXPECT_TRUE(ReturnIfError(false, &reached_end).ok());
  EXPECT_TRUE(reached_end);
}

TEST(StatusMacrosTest, AssignOrReturnMovesValueOrReturnsError) {
  g_calls = 0;
  auto ok = AssignOrReturn(true);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 5u);
  EXPECT_EQ(g_calls, 1);

  auto bad = AssignOrReturn(false);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "title: required");
}

}  // namespace
}  // namespace changeledger
