// Behaviour of the RocksDB store beyond the shared contract: persistence,
// group commit, back-pressure and corruption handling.
#include "changeledger/eventstore/rocksdb_event_store.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "test_util.h"

namespace changeledger::eventstore {
namespace {

using ::testing::HasSubstr;
using testing::RecordingObserver;
using testing::Request;
using testing::TempDir;
using testing::Write;

class RocksDbEventStoreTest : public ::testing::Test {
 protected:
  RocksDbEventStoreOptions Options() {
    RocksDbEventStoreOptions options;
    options.path = path_;
    // Every queued append is taken at once, so that the pipeline tests
    // below see each one join the open group.
    options.preparer_wake_batch = 1;
    return options;
  }

  std::unique_ptr<EventStore> MustOpen(RocksDbEventStoreOptions options) {
    auto store = OpenRocksDbEventStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
  std::unique_ptr<EventStore> MustOpen() { return MustOpen(Options()); }

  static std::vector<std::filesystem::path> FilesEndingWith(const std::string& dir,
                                                            const std::string& suffix) {
    std::vector<std::filesystem::path> out;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(entry.path());
      }
    }
    return out;
  }

  // The store's database opened directly, with every column family it
  // has (`families[0]` is the default one).
  struct RawDb {
    std::unique_ptr<rocksdb::DB> db;
    std::vector<rocksdb::ColumnFamilyHandle*> families;
    ~RawDb() {
      for (rocksdb::ColumnFamilyHandle* family : families) {
        EXPECT_TRUE(db->DestroyColumnFamilyHandle(family).ok());
      }
    }
  };
  static std::unique_ptr<RawDb> OpenRaw(const std::string& path) {
    std::vector<std::string> names;
    EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names) {
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    auto raw = std::make_unique<RawDb>();
    rocksdb::DB* db = nullptr;
    rocksdb::Status s =
        rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &raw->families, &db);
    EXPECT_TRUE(s.ok()) << s.ToString();
    raw->db.reset(db);
    return s.ok() ? std::move(raw) : nullptr;
  }

  // Turns a current store into a format-2 one: the stream index and the
  // request records go back into the default column family and their
  // families are dropped.
  static void MakeFormat2(const std::string& path) {
    auto raw = OpenRaw(path);
    ASSERT_NE(raw, nullptr);
    ASSERT_EQ(raw->families.size(), 3u);
    rocksdb::WriteBatch batch;
    for (size_t f = 1; f < raw->families.size(); ++f) {
      std::unique_ptr<rocksdb::Iterator> it(
          raw->db->NewIterator(rocksdb::ReadOptions(), raw->families[f]));
      size_t records = 0;
      for (it->SeekToFirst(); it->Valid(); it->Next(), ++records) {
        ASSERT_TRUE(batch.Put(raw->families[0], it->key(), it->value()).ok());
      }
      ASSERT_TRUE(it->status().ok());
      ASSERT_GT(records, 0u) << raw->families[f]->GetName();
    }
    ASSERT_TRUE(batch.Put(raw->families[0], "mformat", "2").ok());
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw->db->Write(wo, &batch).ok());
    for (size_t f = 1; f < raw->families.size(); ++f) {
      ASSERT_TRUE(raw->db->DropColumnFamily(raw->families[f]).ok());
    }
  }

  // Every key of a column family ("default", "streams" or "requests") of
  // the store at `path` that starts with `prefix`.
  static std::vector<std::string> KeysStartingWith(const std::string& path,
                                                   const std::string& family, char prefix) {
    auto raw = OpenRaw(path);
    std::vector<std::string> keys;
    if (raw == nullptr) return keys;
    auto handle = std::find_if(raw->families.begin(), raw->families.end(),
                               [&](auto* h) { return h->GetName() == family; });
    if (handle == raw->families.end()) return keys;
    std::unique_ptr<rocksdb::Iterator> it(
        raw->db->NewIterator(rocksdb::ReadOptions(), *handle));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (it->key()[0] == prefix) keys.push_back(it->key().ToString());
    }
    EXPECT_TRUE(it->status().ok());
    return keys;
  }

  // Flips every bit of `count` bytes at `offset` of `file`.
  static void FlipBytes(const std::filesystem::path& file, size_t offset, size_t count) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    ASSERT_TRUE(f.is_open()) << file;
    std::string bytes(count, '\0');
    f.seekg(static_cast<std::streamoff>(offset));
    f.read(bytes.data(), static_cast<std::streamsize>(count));
    for (char& c : bytes) c = static_cast<char>(~c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.write(bytes.data(), static_cast<std::streamsize>(count));
  }

  // Stalls the write pipeline: one append is committed and its OnCommit
  // blocks the committer; a second is taken by the preparer into the next
  // group, which stays open (and takes later appends) while the committer
  // is busy. Adds two events (positions 1 and 2) and the two threads to
  // `threads`. Every append made after this reports its queue depth twice
  // while it can join the open group (queued, then taken), once if not.
  static void HoldPipeline(EventStore& store, RecordingObserver& observer,
                           std::vector<std::thread>& threads) {
    observer.Block();
    threads.emplace_back([&store] {
      EXPECT_TRUE(store.Append(Request({Write("hold-1", ExpectedVersion::Any(), 1)})).ok());
    });
    ASSERT_TRUE(observer.WaitForCommits(1, absl::Seconds(10)));
    threads.emplace_back([&store] {
      EXPECT_TRUE(store.Append(Request({Write("hold-2", ExpectedVersion::Any(), 1)})).ok());
    });
    // Enqueued and taken, for each of the two appends.
    ASSERT_TRUE(observer.WaitForDepthReports(4, absl::Seconds(10)));
  }

  TempDir dir_;
  std::string path_ = dir_.path() + "/store";
};

TEST_F(RocksDbEventStoreTest, ReopenKeepsEventsHeadsOutboxAndRequestIds) {
  AppendResult first;
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto r = store->Append(Request(
        {Write("a", ExpectedVersion::NoStream(), 2), Write("b", ExpectedVersion::Any(), 1)},
        "req-1"));
    ASSERT_TRUE(r.ok()) << r.status();
    first = *r;
    ASSERT_TRUE(store->Append(Request({Write("a", ExpectedVersion::Exactly(2), 1)})).ok());
    ASSERT_TRUE(store->AckOutbox({1}).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->LastPosition(), 4u);
  EXPECT_EQ(*store->StreamVersion("a"), 3u);
  EXPECT_EQ(*store->StreamVersion("b"), 1u);
  EXPECT_EQ(store->GetOutboxStats().depth, 3u);
  EXPECT_EQ(store->GetOutboxStats().oldest_recorded_at, first.recorded_at);

  // The retry after a restart returns the first result and writes nothing.
  auto retry = store->Append(Request({Write("zzz", ExpectedVersion::Any(), 9)}, "req-1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->first_position, 1u);
  EXPECT_EQ(retry->last_position, 3u);
  EXPECT_EQ(retry->recorded_at, first.recorded_at);
  ASSERT_EQ(retry->streams.size(), 2u);
  EXPECT_EQ(retry->streams[0].stream, "a");
  EXPECT_EQ(retry->streams[0].first_version, 1u);
  EXPECT_EQ(retry->streams[0].last_version, 2u);
  EXPECT_EQ(retry->streams[1].stream, "b");
  EXPECT_EQ(store->LastPosition(), 4u);
  EXPECT_EQ(*store->StreamVersion("zzz"), 0u);

  // Versions and positions continue where they were.
  auto stale = store->Append(Request({Write("a", ExpectedVersion::Exactly(2), 1)}));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("version 3"));
  auto next = store->Append(Request({Write("a", ExpectedVersion::Exactly(3), 1)}));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->first_position, 5u);
  EXPECT_EQ(next->streams[0].first_version, 4u);
  EXPECT_GE(next->recorded_at, first.recorded_at);
  auto all = store->ReadAll(1, 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ((*all)[3].stream(), "a");
  EXPECT_EQ((*all)[3].version(), 3u);
}

TEST_F(RocksDbEventStoreTest, HeadsOfStreamsWithRelatedNamesSurviveReopen) {
  // Heads are rebuilt from the stream index at open; names that are
  // prefixes of one another, or contain low bytes, must not be confused.
  const std::vector<std::pair<std::string, int>> streams = {
      {"a", 3}, {"ab", 1}, {std::string("a\x01b"), 2}, {"a b", 4}, {"b", 1}, {"\xc3\xa9", 2}};
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (const auto& [stream, events] : streams) {
      for (int i = 0; i < events; ++i) {  // one event per append: several index keys
        ASSERT_TRUE(store->Append(Request({Write(stream, ExpectedVersion::Any(), 1)})).ok());
      }
    }
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  for (const auto& [stream, events] : streams) {
    EXPECT_EQ(*store->StreamVersion(stream), static_cast<uint64_t>(events)) << stream;
    auto next = store->Append(
        Request({Write(stream, ExpectedVersion::Exactly(static_cast<uint64_t>(events)), 1)}));
    EXPECT_TRUE(next.ok()) << stream << ": " << next.status();
  }
  EXPECT_EQ(*store->StreamVersion("a\x01"), 0u);
}

TEST_F(RocksDbEventStoreTest, OutboxResumesAfterTheLastContiguousAcknowledgement) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 5)})).ok());
    ASSERT_TRUE(store->AckOutbox({1, 2}).ok());
    // Out of order: 4 is published before 3. Until 3 is, only 1-2 count
    // as published across a restart, so 4 is published again then.
    ASSERT_TRUE(store->AckOutbox({4}).ok());
    EXPECT_EQ(store->GetOutboxStats().depth, 2u);
  }
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto page = store->ReadOutbox(10);
    ASSERT_TRUE(page.ok()) << page.status();
    std::vector<uint64_t> positions;
    for (const OutboxEntry& e : *page) positions.push_back(e.global_position);
    EXPECT_EQ(positions, (std::vector<uint64_t>{3, 4, 5}));
    ASSERT_TRUE(store->AckOutbox({3, 4, 5}).ok());
    ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 1)})).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto page = store->ReadOutbox(10);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].global_position, 6u);
  ASSERT_TRUE(store->AckOutbox({6}).ok());
  EXPECT_EQ(store->GetOutboxStats().depth, 0u);
}

TEST_F(RocksDbEventStoreTest, OpensAndConvertsAFormat1Store) {
  // A format-1 store kept a head key per stream and an outbox key per
  // unpublished event. Make one from a current store: the event records
  // and the index are the same in both formats.
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Request({Write("a", ExpectedVersion::NoStream(), 3)})).ok());
    ASSERT_TRUE(store->Append(Request({Write("b", ExpectedVersion::NoStream(), 2)}, "r-1")).ok());
  }
  MakeFormat2(path_);
  {
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path_, &db).ok());
    std::unique_ptr<rocksdb::DB> raw(db);
    rocksdb::WriteBatch batch;
    ASSERT_TRUE(batch.Put("mformat", "1").ok());
    ASSERT_TRUE(batch.Delete("moutbox_acked").ok());
    ASSERT_TRUE(batch.Put("ha", std::string("\0\0\0\0\0\0\0\x03", 8)).ok());
    ASSERT_TRUE(batch.Put("hb", std::string("\0\0\0\0\0\0\0\x02", 8)).ok());
    for (char p : {'\x04', '\x05'}) {  // 1-3 were published
      ASSERT_TRUE(batch.Put(std::string("o\0\0\0\0\0\0\0", 8) + p, "12345678").ok());
    }
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw->Write(wo, &batch).ok());
  }
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->StreamVersion("a"), 3u);
    EXPECT_EQ(*store->StreamVersion("b"), 2u);
    EXPECT_EQ(store->LastPosition(), 5u);
    auto page = store->ReadOutbox(10);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_EQ(page->size(), 2u);
    EXPECT_EQ((*page)[0].global_position, 4u);
    auto replay = store->Append(Request({Write("zzz", ExpectedVersion::Any(), 1)}, "r-1"));
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_TRUE(replay->replayed);
  }
  for (char prefix : {'h', 'o', 'i', 's'}) {
    EXPECT_THAT(KeysStartingWith(path_, "default", prefix), ::testing::IsEmpty()) << prefix;
  }
  EXPECT_THAT(KeysStartingWith(path_, "requests", 'i'), ::testing::ElementsAre("ir-1"));
  EXPECT_EQ(KeysStartingWith(path_, "streams", 's').size(), 5u);
  auto raw = OpenRaw(path_);
  ASSERT_NE(raw, nullptr);
  std::string value;
  ASSERT_TRUE(raw->db->Get(rocksdb::ReadOptions(), "mformat", &value).ok());
  EXPECT_EQ(value, "3");
}

TEST_F(RocksDbEventStoreTest, OpensAndConvertsAFormat2Store) {
  // Format 2 kept the request records in the default column family.
  AppendResult first;
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    auto r = store->Append(Request({Write("a", ExpectedVersion::NoStream(), 2)}, "req-a"));
    ASSERT_TRUE(r.ok()) << r.status();
    first = *r;
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(store->Append(Request({Write("b", ExpectedVersion::Any(), 1)},
                                        "req-b-" + std::to_string(i)))
                      .ok());
    }
  }
  MakeFormat2(path_);
  ASSERT_EQ(KeysStartingWith(path_, "default", 'i').size(), 31u);
  ASSERT_EQ(KeysStartingWith(path_, "default", 's').size(), 32u);
  for (int pass = 0; pass < 2; ++pass) {  // converted once, then opened as format 3
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->LastPosition(), 32u);
    auto replay = store->Append(Request({Write("a", ExpectedVersion::NoStream(), 2)}, "req-a"));
    ASSERT_TRUE(replay.ok()) << replay.status();
    EXPECT_TRUE(replay->replayed);
    EXPECT_EQ(replay->first_position, first.first_position);
    EXPECT_EQ(replay->streams[0].last_version, 2u);
    auto again = store->Append(Request({Write("b", ExpectedVersion::Any(), 1)}, "req-b-29"));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_TRUE(again->replayed);
    EXPECT_EQ(store->LastPosition(), 32u);
    EXPECT_EQ(*store->StreamVersion("a"), 2u);
    EXPECT_EQ(*store->StreamVersion("b"), 30u);
    auto b = store->ReadStream("b", 29, 10);
    ASSERT_TRUE(b.ok()) << b.status();
    ASSERT_EQ(b->size(), 2u);
    EXPECT_EQ((*b)[1].global_position(), 32u);
  }
  EXPECT_THAT(KeysStartingWith(path_, "default", 'i'), ::testing::IsEmpty());
  EXPECT_THAT(KeysStartingWith(path_, "default", 's'), ::testing::IsEmpty());
  EXPECT_EQ(KeysStartingWith(path_, "requests", 'i').size(), 31u);
  EXPECT_EQ(KeysStartingWith(path_, "streams", 's').size(), 32u);
}

TEST_F(RocksDbEventStoreTest, FullQueueAnswersUnavailable) {
  RecordingObserver observer;
  RocksDbEventStoreOptions options = Options();
  options.max_pending_appends = 2;
  options.max_appends_per_group = 1;  // the held group is full: later appends queue
  options.observer = &observer;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  std::vector<std::thread> appenders;
  HoldPipeline(*store, observer, appenders);
  std::vector<absl::Status> statuses(3);
  for (int i = 1; i <= 2; ++i) {
    appenders.emplace_back([&, i] {
      statuses[i] = store->Append(Request({Write("a", ExpectedVersion::Any(), 1)})).status();
    });
    ASSERT_TRUE(observer.WaitForDepth(i, absl::Seconds(10)));
  }
  auto overflow = store->Append(Request({Write("a", ExpectedVersion::Any(), 1)}));
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(observer.rejected(), ::testing::Contains(absl::StatusCode::kUnavailable));

  observer.Release();
  for (std::thread& t : appenders) t.join();
  for (int i = 1; i <= 2; ++i) EXPECT_TRUE(statuses[i].ok()) << statuses[i];
  EXPECT_EQ(store->LastPosition(), 4u);
  EXPECT_THAT(observer.groups(), ::testing::ElementsAre(1, 1, 1, 1));
}

TEST_F(RocksDbEventStoreTest, OneGroupIsolatesFailuresAndDedupesRequestIds) {
  RecordingObserver observer;
  RocksDbEventStoreOptions options = Options();
  options.observer = &observer;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  std::vector<std::thread> threads;
  HoldPipeline(*store, observer, threads);

  // Four appends join the open group behind the held pipeline, in a known
  // order.
  std::vector<absl::StatusOr<AppendResult>> results(4);
  std::vector<AppendRequest> requests;
  requests.push_back(Request({Write("x", ExpectedVersion::NoStream(), 2)}, "r1"));
  requests.push_back(Request({Write("y", ExpectedVersion::NoStream(), 7)}, "r1"));  // dup
  requests.push_back(Request({Write("x", ExpectedVersion::NoStream(), 1)}));  // stale now
  requests.push_back(Request({Write("x", ExpectedVersion::Exactly(2), 1),
                              Write("y", ExpectedVersion::NoStream(), 1)}));
  for (size_t i = 0; i < requests.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = store->Append(std::move(requests[i])); });
    ASSERT_TRUE(observer.WaitForDepthReports(4 + 2 * (i + 1), absl::Seconds(10)));
  }
  observer.Release();
  for (std::thread& t : threads) t.join();

  ASSERT_TRUE(results[0].ok()) << results[0].status();
  EXPECT_FALSE(results[0]->replayed);
  EXPECT_EQ(results[0]->first_position, 3u);
  EXPECT_EQ(results[0]->last_position, 4u);
  ASSERT_TRUE(results[1].ok()) << results[1].status();
  EXPECT_TRUE(results[1]->replayed);
  EXPECT_EQ(results[1]->first_position, 3u);
  EXPECT_EQ(results[1]->streams[0].stream, "x");
  EXPECT_EQ(results[2].status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(results[2].status().message()), HasSubstr("version 2"));
  ASSERT_TRUE(results[3].ok()) << results[3].status();
  EXPECT_EQ(results[3]->first_position, 5u);
  EXPECT_EQ(results[3]->streams[0].first_version, 3u);
  EXPECT_EQ(results[3]->streams[1].first_version, 1u);
  EXPECT_EQ(results[3]->recorded_at, results[0]->recorded_at);  // one commit, one time

  // hold-2 and the four appends shared one synced write.
  EXPECT_THAT(observer.groups(), ::testing::ElementsAre(1, 5));
  EXPECT_THAT(observer.events(), ::testing::ElementsAre(1, 5));
  EXPECT_EQ(store->LastPosition(), 6u);
  EXPECT_EQ(*store->StreamVersion("x"), 3u);
  EXPECT_EQ(*store->StreamVersion("y"), 1u);
}

TEST_F(RocksDbEventStoreTest, GroupsRespectTheirBounds) {
  RecordingObserver observer;
  RocksDbEventStoreOptions options = Options();
  options.observer = &observer;
  options.max_events_per_group = 5;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  std::vector<std::thread> threads;
  HoldPipeline(*store, observer, threads);
  // 2 and 2 join the open group (1 + 2 + 2 = 5 events: full, handed over);
  // then 2, 7 (alone: larger than the bound) and 1 queue behind it.
  const int sizes[] = {2, 2, 2, 7, 1};
  for (size_t i = 0; i < std::size(sizes); ++i) {
    threads.emplace_back([&, i] {
      auto r = store->Append(
          Request({Write("s" + std::to_string(i), ExpectedVersion::Any(), sizes[i])}));
      EXPECT_TRUE(r.ok()) << r.status();
    });
    if (i < 2) {
      ASSERT_TRUE(observer.WaitForDepthReports(4 + 2 * (i + 1), absl::Seconds(10)));
    } else {
      ASSERT_TRUE(observer.WaitForDepth(i - 1, absl::Seconds(10)));
    }
  }
  observer.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(observer.events(), ::testing::ElementsAre(1, 5, 2, 7, 1));
  EXPECT_EQ(store->LastPosition(), 16u);
}

TEST_F(RocksDbEventStoreTest, WhileTheCommitterIsBusyThePreparerWakesPerBatch) {
  RecordingObserver observer;
  RocksDbEventStoreOptions options = Options();
  options.preparer_wake_batch = 3;
  options.observer = &observer;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  observer.Block();
  std::vector<std::thread> threads;
  auto append = [&](std::string stream) {
    threads.emplace_back([&store, stream] {
      EXPECT_TRUE(store->Append(Request({Write(stream, ExpectedVersion::Any(), 1)})).ok());
    });
  };
  append("hold");
  ASSERT_TRUE(observer.WaitForCommits(1, absl::Seconds(10)));  // its write is in progress
  // Give the preparer time to take a fresh group and go idle: one that is
  // still busy takes s1 without being woken, which is not what this tests.
  absl::SleepFor(absl::Milliseconds(50));
  append("s1");
  ASSERT_TRUE(observer.WaitForDepth(1, absl::Seconds(10)));
  append("s2");
  ASSERT_TRUE(observer.WaitForDepth(2, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_TRUE(observer.WaitForDepth(2, absl::ZeroDuration())) << "taken before the batch was full";
  append("s3");  // the batch is full: all three are taken into the open group
  ASSERT_TRUE(observer.WaitForDepth(0, absl::Seconds(10)));
  observer.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(observer.groups(), ::testing::ElementsAre(1, 3));
  EXPECT_EQ(store->LastPosition(), 4u);
}

TEST_F(RocksDbEventStoreTest, GroupLingerFillsTheGroupAfterAGroupOfTwo) {
  RecordingObserver observer;
  RocksDbEventStoreOptions options = Options();
  options.group_linger = absl::Seconds(30);  // long enough never to expire here
  options.group_linger_below = 3;
  options.observer = &observer;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);

  std::vector<std::thread> threads;
  std::atomic<int> done{0};
  auto append = [&](std::string stream) {
    threads.emplace_back([&store, &done, stream] {
      EXPECT_TRUE(store->Append(Request({Write(stream, ExpectedVersion::Any(), 1)})).ok());
      ++done;
    });
  };
  // A group of one, then a group of two (both joined while the first was
  // being written): no linger yet, since no group of two preceded them.
  observer.Block();
  append("hold");
  ASSERT_TRUE(observer.WaitForCommits(1, absl::Seconds(10)));
  append("s1");
  append("s2");
  ASSERT_TRUE(observer.WaitForDepth(0, absl::Seconds(10)));
  absl::SleepFor(absl::Milliseconds(50));
  observer.Release();
  ASSERT_TRUE(observer.WaitForCommits(2, absl::Seconds(10)));
  for (std::thread& t : threads) t.join();
  threads.clear();
  ASSERT_EQ(done.load(), 3);

  // After the group of two, a lone append waits for company...
  append("s3");
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(done.load(), 3) << "s3 was written alone";
  append("s4");
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(done.load(), 3) << "written before the group reached 3";
  // ...and the third append fills the group, which is written at once.
  append("s5");
  for (std::thread& t : threads) t.join();
  EXPECT_THAT(observer.groups(), ::testing::ElementsAre(1, 2, 3));
  EXPECT_EQ(store->LastPosition(), 6u);
}

TEST_F(RocksDbEventStoreTest, GroupLingerNeverHoldsALoneCaller) {
  RocksDbEventStoreOptions options = Options();
  options.group_linger = absl::Seconds(30);
  options.group_linger_below = 8;
  auto store = MustOpen(options);
  ASSERT_NE(store, nullptr);
  // One caller, one append at a time: every group has one append, so none
  // lingers (each would otherwise take 30 s).
  const absl::Time start = absl::Now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store->Append(Request({Write("solo", ExpectedVersion::Exactly(i), 1)})).ok());
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(RocksDbEventStoreTest, SecondOpenOfTheSameDirectoryIsUnavailable) {
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto second = OpenRocksDbEventStore(Options());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
}

TEST_F(RocksDbEventStoreTest, RejectsBadOptions) {
  RocksDbEventStoreOptions options;
  EXPECT_EQ(OpenRocksDbEventStore(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.max_pending_appends = 0;
  EXPECT_EQ(OpenRocksDbEventStore(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.preparer_wake_batch = 0;
  EXPECT_EQ(OpenRocksDbEventStore(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.group_linger = -absl::Milliseconds(1);
  EXPECT_EQ(OpenRocksDbEventStore(options).status().code(),
            absl::StatusCode::kInvalidArgument);
  options = Options();
  options.group_linger = absl::Milliseconds(1);
  options.group_linger_below = 1;
  EXPECT_EQ(OpenRocksDbEventStore(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RocksDbEventStoreTest, ForeignDatabaseIsDataLoss) {
  {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(o, path_, &db).ok());
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "something", "else").ok());
    delete db;
  }
  auto store = OpenRocksDbEventStore(Options());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(path_));
}

TEST_F(RocksDbEventStoreTest, UnknownColumnFamilyIsDataLoss) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 1)})).ok());
  }
  {
    auto raw = OpenRaw(path_);
    ASSERT_NE(raw, nullptr);
    rocksdb::ColumnFamilyHandle* other = nullptr;
    ASSERT_TRUE(
        raw->db->CreateColumnFamily(rocksdb::ColumnFamilyOptions(), "other", &other).ok());
    raw->families.push_back(other);
  }
  auto store = OpenRocksDbEventStore(Options());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("\"other\""));
}

TEST_F(RocksDbEventStoreTest, CorruptedTableFileIsDataLossAtOpen) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 4)})).ok());
    }
  }  // closing flushes the memtable into a table file
  std::vector<std::filesystem::path> tables = FilesEndingWith(path_, ".sst");
  ASSERT_FALSE(tables.empty());
  auto largest = *std::max_element(tables.begin(), tables.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) < std::filesystem::file_size(b);
  });
  FlipBytes(largest, std::filesystem::file_size(largest) / 3, 16);

  auto store = OpenRocksDbEventStore(Options());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(path_));
}

TEST_F(RocksDbEventStoreTest, CorruptedWalRecordIsDataLossAtOpen) {
  const std::string copy = dir_.path() + "/copy";
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 2)})).ok());
    }
    // What a crash leaves behind: every commit is in the synced WAL only.
    std::filesystem::copy(path_, copy, std::filesystem::copy_options::recursive);
  }
  std::vector<std::filesystem::path> logs = FilesEndingWith(copy, ".log");
  ASSERT_FALSE(logs.empty());
  auto wal = *std::max_element(logs.begin(), logs.end(), [](const auto& a, const auto& b) {
    return std::filesystem::file_size(a) < std::filesystem::file_size(b);
  });
  ASSERT_GT(std::filesystem::file_size(wal), 4000u);
  FlipBytes(wal, std::filesystem::file_size(wal) / 3, 8);  // a record in the middle

  RocksDbEventStoreOptions options = Options();
  options.path = copy;
  auto store = OpenRocksDbEventStore(options);
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(copy));
}

TEST_F(RocksDbEventStoreTest, AlteredEventIsNeverServed) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 1)})).ok());
    }
  }
  // Change one byte of event 2's value behind the store's back; RocksDB's
  // own checksums are recomputed, so only the event checksum can notice.
  {
    auto raw = OpenRaw(path_);
    ASSERT_NE(raw, nullptr);
    std::string key("e\0\0\0\0\0\0\0\x02", 9);
    std::string value;
    ASSERT_TRUE(raw->db->Get(rocksdb::ReadOptions(), key, &value).ok());
    value[value.size() / 2] ^= 0x01;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(raw->db->Put(wo, key, value).ok());
  }
  auto store = MustOpen();
  ASSERT_NE(store, nullptr);
  auto all = store->ReadAll(1, 10);
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss) << all.status();
  EXPECT_THAT(std::string(all.status().message()), HasSubstr("position 2"));
  EXPECT_EQ(store->ReadStream("s", 2, 1).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(store->ReadOutbox(10).status().code(), absl::StatusCode::kDataLoss);
  // Events around it are still served.
  auto first = store->ReadAll(1, 1);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), 1u);
  auto third = store->ReadStream("s", 3, 1);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->size(), 1u);
}

TEST_F(RocksDbEventStoreTest, AlteredLastEventIsDataLossAtOpen) {
  {
    auto store = MustOpen();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Append(Request({Write("s", ExpectedVersion::Any(), 2)})).ok());
  }
  {
    auto raw = OpenRaw(path_);
    ASSERT_NE(raw, nullptr);
    std::string key("e\0\0\0\0\0\0\0\x02", 9);
    std::string value;
    ASSERT_TRUE(raw->db->Get(rocksdb::ReadOptions(), key, &value).ok());
    value.back() ^= 0x40;
    ASSERT_TRUE(raw->db->Put(rocksdb::WriteOptions(), key, value).ok());
  }
  auto store = OpenRocksDbEventStore(Options());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kDataLoss) << store.status();
  EXPECT_THAT(std::string(store.status().message()), HasSubstr(path_));
}

}  // namespace
}  // namespace changeledger::eventstore
