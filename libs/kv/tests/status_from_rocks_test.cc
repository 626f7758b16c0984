// The kv store's mapping of RocksDB's statuses: the codes the projection
// runner, health checks and operators act on.
#include "status_from_rocks.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::kv::internal {
namespace {

using ::testing::HasSubstr;

TEST(StatusFromRocksTest, AFullDiskIsResourceExhaustedNotUnavailable) {
  absl::Status s = FromRocks(rocksdb::Status::NoSpace("While appending to file: 000012.log",
                                                      "No space left on device"),
                             "write");
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("write: "));
  EXPECT_THAT(s.message(), HasSubstr("No space left on device"));
}

TEST(StatusFromRocksTest, OtherIoErrorsAndALockedDirectoryAreUnavailable) {
  EXPECT_EQ(FromRocks(rocksdb::Status::IOError("fdatasync", "Input/output error"), "write").code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromRocks(rocksdb::Status::Busy("lock held"), "open").code(),
            absl::StatusCode::kUnavailable);
}

TEST(StatusFromRocksTest, CorruptionIsDataLoss) {
  EXPECT_EQ(FromRocks(rocksdb::Status::Corruption("block checksum mismatch"), "get").code(),
            absl::StatusCode::kDataLoss);
}

TEST(StatusFromRocksTest, OpenModesAreAlreadyExistsAndNotFound) {
  EXPECT_EQ(FromRocks(rocksdb::Status::InvalidArgument("/d", "exists (error_if_exists is true)"),
                      "open")
                .code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(FromRocks(rocksdb::Status::InvalidArgument(
                          "/d/CURRENT", "does not exist (create_if_missing is false)"),
                      "open")
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(FromRocks(rocksdb::Status::InvalidArgument("bad option"), "open").code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(StatusFromRocksTest, OkStaysOkAndTheRestIsInternal) {
  EXPECT_TRUE(FromRocks(rocksdb::Status::OK(), "write").ok());
  EXPECT_EQ(FromRocks(rocksdb::Status::NotSupported("x"), "write").code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace changeledger::kv::internal
