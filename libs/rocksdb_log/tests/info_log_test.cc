#include "changeledger/rocksdb_log/info_log.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"

namespace changeledger::rocksdb_log {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class InfoLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/rocksdb_log_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    ASSERT_NE(mkdtemp(buf.data()), nullptr);
    dir_ = buf.data();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Read(const std::string& name) const {
    std::ifstream in(dir_ + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
};

TEST_F(InfoLogTest, WritesLinesAtTheLevelWithTimeAndThread) {
  auto log = NewInfoLog({.dir = dir_});
  rocksdb::Info(log, "flush of %d files", 3);
  rocksdb::Warn(log, "slow sync");
  rocksdb::Debug(log, "not kept");
  const std::string text = Read("LOG");
  EXPECT_THAT(text, AllOf(HasSubstr("flush of 3 files\n"), HasSubstr("[WARN]"),
                          HasSubstr("slow sync\n"), Not(HasSubstr("not kept"))));
  // "2026-11-26T23:40:01.123456Z <tid> ..."
  EXPECT_THAT(text.substr(0, text.find('\n')), ::testing::MatchesRegex(kLinePattern));
}

TEST_F(InfoLogTest, LongLinesAreWrittenWhole) {
  auto log = NewInfoLog({.dir = dir_});
  const std::string long_text(3000, 'x');
  rocksdb::Info(log, "%s!", long_text.c_str());
  EXPECT_THAT(Read("LOG"), HasSubstr(long_text + "!\n"));
}

TEST_F(InfoLogTest, KeepsThePreviousRunsLogAsOld) {
  {
    auto first = NewInfoLog({.dir = dir_});
    rocksdb::Info(first, "first run");
  }
  auto second = NewInfoLog({.dir = dir_});
  rocksdb::Info(second, "second run");
  EXPECT_THAT(Read("LOG.old"), HasSubstr("first run"));
  EXPECT_THAT(Read("LOG"), AllOf(HasSubstr("second run"), Not(HasSubstr("first run"))));
}

TEST_F(InfoLogTest, StartsANewFileAtTheSizeBound) {
  auto log = NewInfoLog({.dir = dir_, .max_file_bytes = 4096});
  for (int i = 0; i < 200; ++i) rocksdb::Info(log, "line %d of a long run", i);
  EXPECT_LE(std::filesystem::file_size(dir_ + "/LOG"), 4096u);
  EXPECT_LE(std::filesystem::file_size(dir_ + "/LOG.old"), 4096u);
  EXPECT_THAT(Read("LOG"), HasSubstr("line 199 of a long run\n"));
  EXPECT_EQ(log->GetLogFileSize(), std::filesystem::file_size(dir_ + "/LOG"));
}

// A disk that refuses every write (/dev/full answers ENOSPC) costs log
// lines and nothing else: RocksDB's own LOG writer, built with assertions
// as Debian's is, aborted the process on the line after a failed one.
TEST_F(InfoLogTest, AFullDiskDropsLinesAndNeverStopsTheDatabase) {
  std::filesystem::create_symlink("/dev/full", dir_ + "/LOG");
  rocksdb::Options options;
  options.create_if_missing = true;
  options.info_log = NewInfoLog({.dir = dir_});
  for (int i = 0; i < 5; ++i) rocksdb::Error(options.info_log, "line %d", i);
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir_, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions synced;
  synced.sync = true;
  ASSERT_TRUE(db->Put(synced, "k", "v").ok());
  ASSERT_TRUE(db->Flush(rocksdb::FlushOptions()).ok());
  std::string value;
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "k", &value).ok());
  EXPECT_EQ(value, "v");
  EXPECT_EQ(options.info_log->GetLogFileSize(), 0u);
  EXPECT_TRUE(db->Close().ok());
}

TEST_F(InfoLogTest, NothingIsWrittenAfterClose) {
  auto log = NewInfoLog({.dir = dir_});
  rocksdb::Info(log, "before");
  ASSERT_TRUE(log->Close().ok());
  rocksdb::Info(log, "after");
  EXPECT_THAT(Read("LOG"), AllOf(HasSubstr("before\n"), Not(HasSubstr("after"))));
}

TEST_F(InfoLogTest, ADirectoryThatCannotHoldALogDropsLines) {
  auto log = NewInfoLog({.dir = dir_ + "/missing"});
  rocksdb::Info(log, "nowhere to go");
  EXPECT_EQ(log->GetLogFileSize(), 0u);
  std::filesystem::create_directory(dir_ + "/missing");
  rocksdb::Info(log, "now it can");
  EXPECT_THAT(Read("missing/LOG"), HasSubstr("now it can\n"));
}

}  // namespace
}  // namespace changeledger::rocksdb_log
