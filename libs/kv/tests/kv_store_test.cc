#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/kv/kv_store.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "changeledger/rocksdb_log/info_log.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::kv {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "kv_test_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

using Pairs = std::vector<std::pair<std::string, std::string>>;

Pairs ScanAll(KvStore& store, std::string_view begin, std::string_view end) {
  Pairs out;
  EXPECT_TRUE(store
                  .Scan(begin, end,
                        [&](std::string_view k, std::string_view v) {
                          out.emplace_back(k, v);
                          return true;
                        })
                  .ok());
  return out;
}

enum class Kind { kInMemory, kRocksDb };

class KvStoreTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kInMemory) {
      store_ = NewInMemoryKvStore();
    } else {
      auto opened = OpenRocksDbKvStore({.path = dir_.path() + "/db"});
      ASSERT_TRUE(opened.ok()) << opened.status();
      store_ = std::move(opened).value();
    }
  }

  TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

TEST_P(KvStoreTest, GetReturnsWhatWasWrittenAndNulloptForMissing) {
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put(std::string("b\0x", 3), std::string("\0\1", 2));
  ASSERT_TRUE(store_->Write(batch, /*sync=*/true).ok());
  EXPECT_EQ(store_->Get("a").value(), "1");
  EXPECT_EQ(store_->Get(std::string("b\0x", 3)).value(), std::string("\0\1", 2));
  EXPECT_EQ(store_->Get("missing").value(), std::nullopt);
}

TEST_P(KvStoreTest, LaterOperationsInABatchWin) {
  WriteBatch batch;
  batch.Put("k", "1");
  batch.Delete("k");
  batch.Put("j", "1");
  batch.Put("j", "2");
  ASSERT_TRUE(store_->Write(batch, false).ok());
  EXPECT_EQ(store_->Get("k").value(), std::nullopt);
  EXPECT_EQ(store_->Get("j").value(), "2");
}

TEST_P(KvStoreTest, ScanIsOrderedAndHonoursBoundsAndEarlyStop) {
  WriteBatch batch;
  for (std::string k : {"c", "a", "b", "d", "e"}) batch.Put(k, "v" + k);
  ASSERT_TRUE(store_->Write(batch, false).ok());
  EXPECT_EQ(ScanAll(*store_, "b", "d"), (Pairs{{"b", "vb"}, {"c", "vc"}}));
  EXPECT_EQ(ScanAll(*store_, "c", "").size(), 3u);
  int seen = 0;
  ASSERT_TRUE(store_->Scan("", "", [&](std::string_view, std::string_view) {
                      return ++seen < 2;
                    }).ok());
  EXPECT_EQ(seen, 2);
}

TEST_P(KvStoreTest, DeleteRangeRemovesHalfOpenRange) {
  WriteBatch batch;
  for (std::string k : {"p/1", "p/2", "p/3", "q/1"}) batch.Put(k, "x");
  ASSERT_TRUE(store_->Write(batch, false).ok());
  WriteBatch del;
  del.DeleteRange("p/", "p/3");
  del.DeleteRange("z", "a");  // empty range: nothing
  ASSERT_TRUE(store_->Write(del, false).ok());
  EXPECT_EQ(ScanAll(*store_, "", ""), (Pairs{{"p/3", "x"}, {"q/1", "x"}}));
}

TEST_P(KvStoreTest, ScanPrefixVisitsOnlyThePrefix) {
  WriteBatch batch;
  batch.Put("ab", "1");
  batch.Put("ab\xff", "2");
  batch.Put("ac", "3");
  batch.Put("a", "0");
  ASSERT_TRUE(store_->Write(batch, false).ok());
  Pairs out;
  ASSERT_TRUE(ScanPrefix(*store_, "ab", [&](std::string_view k, std::string_view v) {
                out.emplace_back(k, v);
                return true;
              }).ok());
  EXPECT_EQ(out, (Pairs{{"ab", "1"}, {"ab\xff", "2"}}));
  out.clear();
  ASSERT_TRUE(ScanPrefix(*store_, "ab\xff", [&](std::string_view k, std::string_view v) {
                out.emplace_back(k, v);
                return true;
              }).ok());
  EXPECT_EQ(out, (Pairs{{"ab\xff", "2"}}));
}

TEST_P(KvStoreTest, TransactionReadsItsOwnWritesAndCommitsAtomically) {
  WriteBatch seed;
  seed.Put("a", "old");
  seed.Put("b", "keep");
  seed.Put("c", "gone");
  ASSERT_TRUE(store_->Write(seed, false).ok());

  Transaction txn(*store_);
  txn.Put("a", "new");
  txn.Delete("c");
  txn.Put("bb", "added");
  EXPECT_EQ(txn.Get("a").value(), "new");
  EXPECT_EQ(txn.Get("c").value(), std::nullopt);
  EXPECT_EQ(txn.Get("b").value(), "keep");
  // Nothing reaches the store before Commit.
  EXPECT_EQ(store_->Get("a").value(), "old");
  EXPECT_EQ(store_->Get("bb").value(), std::nullopt);

  Pairs merged;
  ASSERT_TRUE(txn.Scan("", "", [&](std::string_view k, std::string_view v) {
                   merged.emplace_back(k, v);
                   return true;
                 }).ok());
  EXPECT_EQ(merged, (Pairs{{"a", "new"}, {"b", "keep"}, {"bb", "added"}}));

  ASSERT_TRUE(txn.Commit(true).ok());
  EXPECT_TRUE(txn.batch().empty());
  EXPECT_EQ(ScanAll(*store_, "", ""),
            (Pairs{{"a", "new"}, {"b", "keep"}, {"bb", "added"}}));
}

TEST_P(KvStoreTest, TransactionScanHonoursBoundsAndEarlyStop) {
  WriteBatch seed;
  seed.Put("b", "1");
  seed.Put("d", "1");
  ASSERT_TRUE(store_->Write(seed, false).ok());
  Transaction txn(*store_);
  txn.Put("a", "p");
  txn.Put("c", "p");
  txn.Put("e", "p");
  Pairs out;
  ASSERT_TRUE(txn.Scan("b", "e", [&](std::string_view k, std::string_view v) {
                   out.emplace_back(k, v);
                   return true;
                 }).ok());
  EXPECT_EQ(out, (Pairs{{"b", "1"}, {"c", "p"}, {"d", "1"}}));
  int seen = 0;
  ASSERT_TRUE(txn.Scan("", "", [&](std::string_view, std::string_view) {
                   return ++seen < 3;
                 }).ok());
  EXPECT_EQ(seen, 3);
}

TEST_P(KvStoreTest, TransactionSeesWritesInOrderAcrossReadsAndMovedStrings) {
  Transaction txn(*store_);
  std::string key = "k", value = "1";
  txn.Put(std::move(key), std::move(value));  // taken over, not copied
  txn.Put(std::string("k"), std::string("2"));
  EXPECT_EQ(txn.Get("k").value(), "2");  // the later write wins
  // Writes after a read are seen by the next read.
  txn.Delete("k");
  EXPECT_EQ(txn.Get("k").value(), std::nullopt);
  txn.Put(std::string("k"), std::string("3"));
  txn.Put("m", "4");
  EXPECT_EQ(txn.Get("k").value(), "3");
  ASSERT_TRUE(txn.Commit(false).ok());
  EXPECT_EQ(ScanAll(*store_, "", ""), (Pairs{{"k", "3"}, {"m", "4"}}));
  // After a commit the transaction reads the store again.
  txn.Put("m", "5");
  EXPECT_EQ(txn.Get("k").value(), "3");
  EXPECT_EQ(txn.Get("m").value(), "5");
}

TEST_P(KvStoreTest, TransactionWritesListsPendingOpsAndReadsStillSeeThem) {
  Transaction txn(*store_);
  txn.Put("a", "1");
  txn.Delete("b");
  const WriteBatch& writes = txn.writes();
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes.ops()[0].key, "a");
  EXPECT_EQ(writes.ops()[0].value, "1");
  EXPECT_EQ(writes.ops()[1].kind, WriteBatch::Op::Kind::kDelete);
  txn.Put("a", "2");
  EXPECT_EQ(txn.Get("a").value(), "2");
  EXPECT_EQ(txn.writes().size(), 3u);
}

TEST_P(KvStoreTest, TransactionKeepsReadingItsOwnWritesAfterHandingOutTheBatch) {
  Transaction txn(*store_);
  txn.Put("a", "1");
  WriteBatch& batch = txn.batch();
  EXPECT_EQ(batch.size(), 1u);
  // A write made on the batch itself is committed but not read back.
  batch.Put("z", "direct");
  EXPECT_EQ(txn.Get("z").value(), std::nullopt);
  txn.Put(std::string("b"), std::string("2"));
  txn.Put("c", "3");
  txn.Delete("a");
  EXPECT_EQ(txn.Get("a").value(), std::nullopt);
  EXPECT_EQ(txn.Get("b").value(), "2");
  EXPECT_EQ(txn.Get("c").value(), "3");
  ASSERT_TRUE(txn.Commit(false).ok());
  EXPECT_EQ(ScanAll(*store_, "", ""), (Pairs{{"b", "2"}, {"c", "3"}, {"z", "direct"}}));
}

TEST_P(KvStoreTest, LargeBatchWithMovedStringsIsWrittenWhole) {
  WriteBatch batch;
  batch.Reserve(2000);
  for (int i = 0; i < 2000; ++i) {
    std::string key = "key" + std::to_string(10000 + i);
    batch.Put(std::move(key), std::string(static_cast<size_t>(i % 300), 'v'));
  }
  ASSERT_TRUE(store_->Write(batch, false).ok());
  const Pairs all = ScanAll(*store_, "", "");
  ASSERT_EQ(all.size(), 2000u);
  EXPECT_EQ(all[299].first, "key10299");
  EXPECT_EQ(all[299].second, std::string(299, 'v'));
}

INSTANTIATE_TEST_SUITE_P(Stores, KvStoreTest,
                         ::testing::Values(Kind::kInMemory, Kind::kRocksDb),
                         [](const auto& info) {
                           return info.param == Kind::kInMemory ? "InMemory" : "RocksDb";
                         });

TEST(RocksDbKvStoreTest, InsertHintsByKeyDirectoryChangeNothingThatIsStored) {
  TempDir dir;
  auto store = OpenRocksDbKvStore({.path = dir.path() + "/db", .insert_hints_by_key_directory = true});
  ASSERT_TRUE(store.ok()) << store.status();
  // Increasing within a directory, interleaved directories, a decreasing
  // run, keys without '/', overwrites: read back as with any store.
  Pairs expected;
  for (int round = 0; round < 3; ++round) {
    WriteBatch batch;
    for (int i = 0; i < 50; ++i) {
      const int n = round == 1 ? 199 - i : round * 100 + i;
      batch.Put("f/a/" + std::to_string(1000 + n), "a" + std::to_string(round));
      batch.Put("f/b/" + std::to_string(1000 + n), "b");
      batch.Put("plain" + std::to_string(n % 7), std::to_string(n));
    }
    ASSERT_TRUE((*store)->Write(batch, false).ok());
  }
  const Pairs all = ScanAll(**store, "", "");
  // 150 distinct positions per directory, 7 plain keys.
  EXPECT_EQ(all.size(), 2u * 150u + 7u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ((*store)->Get("f/a/1151").value(), "a1");  // written in round 1 only
  EXPECT_EQ((*store)->Get("f/a/1249").value(), "a2");
  EXPECT_EQ((*store)->Get("plain0").value(), "245");  // the last write of n % 7 == 0
}

TEST(RocksDbKvStoreTest, DataSurvivesReopen) {
  TempDir dir;
  RocksDbKvStoreOptions options{.path = dir.path() + "/db"};
  {
    auto store = OpenRocksDbKvStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    WriteBatch batch;
    batch.Put("k", "v");
    ASSERT_TRUE((*store)->Write(batch, true).ok());
  }
  auto store = OpenRocksDbKvStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->Get("k").value(), "v");
}

TEST(RocksDbKvStoreTest, OpenErrors) {
  TempDir dir;
  EXPECT_EQ(OpenRocksDbKvStore({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenRocksDbKvStore({.path = dir.path() + "/none", .create_if_missing = false})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  auto first = OpenRocksDbKvStore({.path = dir.path() + "/db"});
  ASSERT_TRUE(first.ok());
  // The directory is locked by the first handle.
  EXPECT_EQ(OpenRocksDbKvStore({.path = dir.path() + "/db"}).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(RocksDbKvStoreTest, CorruptedDatabaseIsDataLoss) {
  TempDir dir;
  RocksDbKvStoreOptions options{.path = dir.path() + "/db"};
  {
    auto store = OpenRocksDbKvStore(options);
    ASSERT_TRUE(store.ok());
    WriteBatch batch;
    batch.Put("k", "v");
    ASSERT_TRUE((*store)->Write(batch, true).ok());
  }
  // CURRENT names the live MANIFEST; garbage there is corruption.
  std::ofstream(options.path + "/CURRENT", std::ios::trunc) << "garbage";
  EXPECT_EQ(OpenRocksDbKvStore(options).status().code(), absl::StatusCode::kDataLoss);
}

// The store's LOG is written by libs/rocksdb_log (lines start with a UTC
// time ending in Z), not by RocksDB's own writer, which Debian's
// assertions made abort the process on a full disk.
TEST(RocksDbKvStoreTest, LogIsWrittenByTheLoggerThatCannotAbort) {
  TempDir dir;
  RocksDbKvStoreOptions options{.path = dir.path() + "/db"};
  ASSERT_TRUE(OpenRocksDbKvStore(options).ok());
  std::ifstream log(options.path + "/LOG");
  std::string first_line;
  ASSERT_TRUE(std::getline(log, first_line));
  EXPECT_THAT(first_line, ::testing::MatchesRegex(rocksdb_log::kLinePattern));
}

}  // namespace
}  // namespace changeledger::kv
