#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/kv/kv_store.h"
#include "changeledger/kv/rocksdb_kv_store.h"
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

INSTANTIATE_TEST_SUITE_P(Stores, KvStoreTest,
                         ::testing::Values(Kind::kInMemory, Kind::kRocksDb),
                         [](const auto& info) {
                           return info.param == Kind::kInMemory ? "InMemory" : "RocksDb";
                         });

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

}  // namespace
}  // namespace changeledger::kv
