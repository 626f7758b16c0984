#include "changeledger/errors/grpc_status.h"

#include <gtest/gtest.h>

namespace changeledger::errors {
namespace {

TEST(GrpcStatusTest, EveryCanonicalCodeMapsToTheSameGrpcCode) {
  for (int code = 0; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "why");
    grpc::Status converted = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    if (code != 0) {
      EXPECT_EQ(converted.error_message(), "why");
    }
    EXPECT_EQ(FromGrpcStatus(converted), status);
  }
}

TEST(GrpcStatusTest, AbortedKeepsItsMessage) {
  grpc::Status converted =
      ToGrpcStatus(absl::AbortedError("stream proposal-1 is at version 3"));
  EXPECT_EQ(converted.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(converted.error_message(), "stream proposal-1 is at version 3");
}

}  // namespace
}  // namespace changeledger::errors
