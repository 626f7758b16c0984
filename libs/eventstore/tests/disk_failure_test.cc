// A full or failing disk under the RocksDB event store: appends fail with
// RESOURCE_EXHAUSTED (full) or INTERNAL (an I/O error) and a message that
// says so, the store refuses every later append, it closes, and what it
// acknowledged is all there when it is opened again. RocksDB's own LOG
// writer, as Debian builds it (with assertions), aborted the process on a
// real full disk; the store's LOG is libs/rocksdb_log's, which the last
// test pins.
#include <errno.h>
#include <string.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "changeledger/eventstore/rocksdb_event_store.h"
#include "changeledger/rocksdb_log/info_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"
#include "rocksdb_event_store_internal.h"
#include "test_util.h"

namespace changeledger::eventstore {
namespace {

using ::testing::HasSubstr;
using testing::Request;
using testing::TempDir;
using testing::Write;

rocksdb::IOStatus NoSpace(const std::string& file) {
  rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("While appending to file: " + file,
                                                   strerror(ENOSPC));
  s.SetRetryable(true);  // as RocksDB's own POSIX files report ENOSPC
  return s;
}

// The kinds of failure the test file system can be switched to.
enum class Fault {
  kNone,
  kFull,       // writes, syncs and new files fail with ENOSPC
  kSyncFails,  // syncs fail with EIO (a failing disk); writes still work
};

rocksdb::IOStatus SyncFailed(const std::string& file) {
  return rocksdb::IOStatus::IOError("While fdatasync: " + file, strerror(EIO));
}

// A file whose writes and syncs fail while the disk is "full", and whose
// syncs fail while the disk is failing.
class FailingFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FailingFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name,
              const std::atomic<Fault>* fault)
      : FSWritableFileOwnerWrapper(std::move(file)), name_(std::move(name)), fault_(fault) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    return full() ? NoSpace(name_) : target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    return full() ? NoSpace(name_) : target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    return full() ? NoSpace(name_) : target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kSyncFails) return SyncFailed(name_);
    return full() ? NoSpace(name_) : target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options,
                          rocksdb::IODebugContext* dbg) override {
    if (*fault_ == Fault::kSyncFails) return SyncFailed(name_);
    return full() ? NoSpace(name_) : target()->Fsync(options, dbg);
  }

 private:
  bool full() const { return *fault_ == Fault::kFull; }

  const std::string name_;
  const std::atomic<Fault>* fault_;
};

// The machine's file system, with a switch that fills the disk or makes
// it fail.
class FailingFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FailingFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  static const char* kClassName() { return "FailingFileSystem"; }
  const char* Name() const override { return kClassName(); }

  void SetFault(Fault fault) { fault_ = fault; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kFull) return NoSpace(name);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->NewWritableFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<FailingFile>(std::move(file), name, &fault_);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override {
    if (fault_ == Fault::kFull) return NoSpace(name);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    rocksdb::IOStatus s = target()->ReopenWritableFile(name, options, &file, dbg);
    if (s.ok()) *result = std::make_unique<FailingFile>(std::move(file), name, &fault_);
    return s;
  }

 private:
  std::atomic<Fault> fault_{Fault::kNone};
};

class FailureRecorder : public EventStoreObserver {
 public:
  void OnFailed(const absl::Status& status) override {
    absl::MutexLock lock(&mu_);
    failures_.push_back(status);
  }
  std::vector<absl::Status> failures() {
    absl::MutexLock lock(&mu_);
    return failures_;
  }

 private:
  absl::Mutex mu_;
  std::vector<absl::Status> failures_;
};

struct FaultCase {
  const char* name;
  Fault fault;
  absl::StatusCode code;   // what the failed append and every later one get
  const char* error_text;  // the system error the message carries
  // A full disk fails the WAL append itself, so nothing of the failed
  // write is stored. A failing sync may leave it in the file: after the
  // reopen it may be there or not.
  bool failed_write_is_lost;
};

// Test names and failure messages show the case's name, not its bytes.
void PrintTo(const FaultCase& fault, std::ostream* os) { *os << fault.name; }

class FailedWriteTest : public ::testing::TestWithParam<FaultCase> {};

// The failed append gets the fault's code and a message that names the
// store, the error and that its outcome is unknown; later appends are
// refused, on every stream, even once the disk is well again (the store's
// state after a failed write is only known after reopening); the process
// lives on. After the reopen, the acknowledged events are all there and
// the retry of the failed append, with its request id, goes in once.
TEST_P(FailedWriteTest, AppendsFailAndARetryAfterReopeningGoesInOnce) {
  const FaultCase& fault = GetParam();
  TempDir dir;
  auto fs = std::make_shared<FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  FailureRecorder observer;
  RocksDbEventStoreOptions options;
  options.path = dir.path();
  options.observer = &observer;
  {
    auto opened = internal::OpenRocksDbEventStoreOnEnv(options, env.get());
    ASSERT_TRUE(opened.ok()) << opened.status();
    EventStore& store = **opened;
    for (int i = 0; i < 10; ++i) {
      auto r = store.Append(
          Request({Write("s-1", ExpectedVersion::Exactly(i), 1)}, "before-" + std::to_string(i)));
      ASSERT_TRUE(r.ok()) << r.status();
    }
    EXPECT_TRUE(store.WriteStatus().ok());

    fs->SetFault(fault.fault);
    auto failed = store.Append(Request({Write("s-1", ExpectedVersion::Exactly(10), 1)}, "failed"));
    ASSERT_EQ(failed.status().code(), fault.code) << failed.status();
    EXPECT_THAT(failed.status().message(), HasSubstr(fault.error_text));
    EXPECT_THAT(failed.status().message(), HasSubstr("may or may not be stored"));
    EXPECT_THAT(failed.status().message(), HasSubstr(dir.path()));

    fs->SetFault(Fault::kNone);
    auto later = store.Append(Request({Write("s-2", ExpectedVersion::NoStream(), 1)}));
    EXPECT_EQ(later.status().code(), fault.code) << later.status();
    EXPECT_THAT(later.status().message(), HasSubstr("refusing appends"));
    EXPECT_EQ(store.WriteStatus().code(), fault.code);
    ASSERT_EQ(observer.failures().size(), 1u);
    EXPECT_EQ(observer.failures()[0].code(), fault.code);
    store.Close();
  }

  auto reopened = OpenRocksDbEventStore(RocksDbEventStoreOptions{.path = dir.path()});
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EventStore& store = **reopened;
  if (fault.failed_write_is_lost) {
    EXPECT_EQ(*store.StreamVersion("s-1"), 10u);
  }
  auto retry = store.Append(Request({Write("s-1", ExpectedVersion::Exactly(10), 1)}, "failed"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  if (fault.failed_write_is_lost) {
    EXPECT_FALSE(retry->replayed);
  }
  EXPECT_EQ(retry->streams[0].last_version, 11u);
  EXPECT_EQ(*store.StreamVersion("s-1"), 11u);
  EXPECT_EQ(*store.StreamVersion("s-2"), 0u);
  auto all = store.ReadAll(1, 100);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 11u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].global_position(), i + 1);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, FailedWriteTest,
    ::testing::Values(FaultCase{"FullDisk", Fault::kFull, absl::StatusCode::kResourceExhausted,
                                "No space left on device", true},
                      FaultCase{"FailingSync", Fault::kSyncFails, absl::StatusCode::kInternal,
                                "Input/output error", false}),
    [](const ::testing::TestParamInfo<FaultCase>& info) { return info.param.name; });

TEST(DiskFailureTest, OpeningWithoutSpaceIsResourceExhaustedNotDataLoss) {
  TempDir dir;
  auto fs = std::make_shared<FailingFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  RocksDbEventStoreOptions options;
  options.path = dir.path();
  fs->SetFault(Fault::kFull);
  auto opened = internal::OpenRocksDbEventStoreOnEnv(options, env.get());
  ASSERT_EQ(opened.status().code(), absl::StatusCode::kResourceExhausted) << opened.status();
  EXPECT_THAT(opened.status().message(), HasSubstr(dir.path()));
}

// The file a failing disk would abort RocksDB's own writer on is written by
// libs/rocksdb_log: its lines start with a UTC time ending in Z.
TEST(DiskFailureTest, TheStoresLogIsWrittenByTheLoggerThatCannotAbort) {
  TempDir dir;
  {
    auto opened = OpenRocksDbEventStore(RocksDbEventStoreOptions{.path = dir.path()});
    ASSERT_TRUE(opened.ok()) << opened.status();
    (*opened)->Close();
  }
  std::ifstream log(dir.path() + "/LOG");
  std::string first_line;
  ASSERT_TRUE(std::getline(log, first_line));
  EXPECT_THAT(first_line, ::testing::MatchesRegex(rocksdb_log::kLinePattern));
}

}  // namespace
}  // namespace changeledger::eventstore
