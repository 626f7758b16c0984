// Behaviour every EventStore must show, run against the RocksDB store and
// the in-memory fake alike so that the fake stays honest.
#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace changeledger::eventstore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Event;
using testing::FakeClock;
using testing::Request;
using testing::TempDir;
using testing::Write;

const absl::Time kT0 = absl::FromUnixSeconds(1760000000) + absl::Nanoseconds(123456789);

class RocksDbFactory {
 public:
  std::unique_ptr<EventStore> Open(FakeClock* clock) {
    RocksDbEventStoreOptions options;
    options.path = dir_.path() + "/store";
    if (clock != nullptr) options.clock = [clock] { return clock->Now(); };
    auto store = OpenRocksDbEventStore(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

 private:
  TempDir dir_;
};

class InMemoryFactory {
 public:
  std::unique_ptr<EventStore> Open(FakeClock* clock) {
    InMemoryEventStoreOptions options;
    if (clock != nullptr) options.clock = [clock] { return clock->Now(); };
    return NewInMemoryEventStore(options);
  }
};

template <typename Factory>
class EventStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = factory_.Open(&clock_);
    ASSERT_NE(store_, nullptr);
  }

  AppendResult MustAppend(AppendRequest request) {
    auto result = store_->Append(std::move(request));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AppendResult{};
  }

  std::vector<Envelope> MustReadAll(uint64_t from, size_t limit) {
    auto events = store_->ReadAll(from, limit);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<Envelope>{};
  }

  std::vector<Envelope> MustReadStream(const std::string& stream, uint64_t from,
                                       size_t limit) {
    auto events = store_->ReadStream(stream, from, limit);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<Envelope>{};
  }

  uint64_t Version(const std::string& stream) {
    auto v = store_->StreamVersion(stream);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : 0;
  }

  FakeClock clock_{kT0};
  Factory factory_;
  std::unique_ptr<EventStore> store_;
};

struct FactoryNames {
  template <typename T>
  static std::string GetName(int) {
    if (std::is_same_v<T, RocksDbFactory>) return "RocksDb";
    return "InMemory";
  }
};

using Factories = ::testing::Types<RocksDbFactory, InMemoryFactory>;
TYPED_TEST_SUITE(EventStoreContractTest, Factories, FactoryNames);

std::vector<uint64_t> Positions(const std::vector<Envelope>& events) {
  std::vector<uint64_t> out;
  for (const Envelope& e : events) out.push_back(e.global_position());
  return out;
}

std::vector<uint64_t> Versions(const std::vector<Envelope>& events) {
  std::vector<uint64_t> out;
  for (const Envelope& e : events) out.push_back(e.version());
  return out;
}

absl::Time RecordedAt(const Envelope& e) {
  return absl::FromUnixSeconds(e.recorded_at().seconds()) +
         absl::Nanoseconds(e.recorded_at().nanos());
}

TYPED_TEST(EventStoreContractTest, AppendAssignsVersionsPositionsAndRecordedAt) {
  Envelope first = Event("test.v1.Opened", "payload-1");
  first.set_event_id("given-id");
  first.set_stream("ignored");         // the store sets these four
  first.set_version(77);
  first.set_global_position(99);
  StreamAppend w;
  w.stream = "order-1";
  w.expected = ExpectedVersion::NoStream();
  w.events = {first, Event("test.v1.Shipped", "payload-2")};
  AppendResult r = this->MustAppend(Request({w}));

  ASSERT_EQ(r.streams.size(), 1u);
  EXPECT_EQ(r.streams[0].stream, "order-1");
  EXPECT_EQ(r.streams[0].first_version, 1u);
  EXPECT_EQ(r.streams[0].last_version, 2u);
  EXPECT_EQ(r.first_position, 1u);
  EXPECT_EQ(r.last_position, 2u);
  EXPECT_EQ(r.recorded_at, kT0);
  EXPECT_FALSE(r.replayed);
  EXPECT_EQ(this->store_->LastPosition(), 2u);
  EXPECT_EQ(this->Version("order-1"), 2u);

  std::vector<Envelope> events = this->MustReadStream("order-1", 1, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].event_id(), "given-id");
  // A generated random UUID: lowercase, version 4, RFC 4122 variant.
  EXPECT_THAT(events[1].event_id(),
              ::testing::MatchesRegex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                      "[0-9a-f]{12}"));
  EXPECT_NE(events[1].event_id(), events[0].event_id());
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(events[i].stream(), "order-1");
    EXPECT_EQ(events[i].version(), i + 1);
    EXPECT_EQ(events[i].global_position(), i + 1);
    EXPECT_EQ(RecordedAt(events[i]), kT0);
    EXPECT_EQ(events[i].actor(), "alice");
    EXPECT_EQ(events[i].occurred_at().seconds(), 1700000000);
    EXPECT_EQ(events[i].payload().value(), "payload-" + std::to_string(i + 1));
  }
  EXPECT_EQ(events[0].type(), "test.v1.Opened");
  EXPECT_EQ(events[1].type(), "test.v1.Shipped");
}

TYPED_TEST(EventStoreContractTest, AppendRejectsStaleVersion) {
  this->MustAppend(Request({Write("s", ExpectedVersion::NoStream(), 2)}));
  auto stale = this->store_->Append(Request({Write("s", ExpectedVersion::Exactly(1), 1)}));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("version 2"));
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("\"s\""));
  EXPECT_EQ(this->store_->LastPosition(), 2u);

  auto ahead = this->store_->Append(Request({Write("s", ExpectedVersion::Exactly(5), 1)}));
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kAborted);

  AppendResult ok = this->MustAppend(Request({Write("s", ExpectedVersion::Exactly(2), 1)}));
  EXPECT_EQ(ok.streams[0].first_version, 3u);
  EXPECT_EQ(ok.first_position, 3u);
  // A rejected append is the caller's problem, not the store's: health
  // checks still see a store that can write.
  EXPECT_TRUE(this->store_->WriteStatus().ok());
}

TYPED_TEST(EventStoreContractTest, NoStreamRejectsAnExistingStream) {
  this->MustAppend(Request({Write("s", ExpectedVersion::NoStream(), 1)}));
  auto again = this->store_->Append(Request({Write("s", ExpectedVersion::NoStream(), 1)}));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(again.status().message()), HasSubstr("version 1"));
  EXPECT_EQ(this->Version("s"), 1u);
}

TYPED_TEST(EventStoreContractTest, AnyAppendsAtTheEnd) {
  AppendResult a = this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 2)}));
  AppendResult b = this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  EXPECT_EQ(a.streams[0].first_version, 1u);
  EXPECT_EQ(b.streams[0].first_version, 3u);
  EXPECT_EQ(b.streams[0].last_version, 3u);
  EXPECT_THAT(Versions(this->MustReadStream("s", 1, 10)), ElementsAre(1, 2, 3));
}

TYPED_TEST(EventStoreContractTest, MultiStreamAppendIsAllOrNothing) {
  this->MustAppend(Request({Write("a", ExpectedVersion::NoStream(), 1)}));
  auto stale = this->store_->Append(Request(
      {Write("b", ExpectedVersion::NoStream(), 2), Write("a", ExpectedVersion::NoStream(), 1)}));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("\"a\""));
  EXPECT_EQ(this->Version("b"), 0u);
  EXPECT_EQ(this->store_->LastPosition(), 1u);
  EXPECT_TRUE(this->MustReadStream("b", 1, 10).empty());

  AppendResult r = this->MustAppend(Request(
      {Write("b", ExpectedVersion::NoStream(), 2), Write("a", ExpectedVersion::Exactly(1), 1)}));
  ASSERT_EQ(r.streams.size(), 2u);
  EXPECT_EQ(r.streams[0].stream, "b");
  EXPECT_EQ(r.streams[0].first_version, 1u);
  EXPECT_EQ(r.streams[0].last_version, 2u);
  EXPECT_EQ(r.streams[1].stream, "a");
  EXPECT_EQ(r.streams[1].first_version, 2u);
  EXPECT_EQ(r.first_position, 2u);
  EXPECT_EQ(r.last_position, 4u);
  std::vector<Envelope> all = this->MustReadAll(1, 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].stream(), "b");
  EXPECT_EQ(all[2].stream(), "b");
  EXPECT_EQ(all[3].stream(), "a");
  EXPECT_EQ(RecordedAt(all[1]), RecordedAt(all[3]));
}

TYPED_TEST(EventStoreContractTest, InvalidRequestsNameTheFieldAndWriteNothing) {
  auto expect_invalid = [&](AppendRequest request, const std::string& field) {
    auto r = this->store_->Append(std::move(request));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(field));
  };
  expect_invalid(Request({}), "writes");
  expect_invalid(Request({Write("", ExpectedVersion::Any(), 1)}), "writes[0].stream");
  expect_invalid(Request({Write("a", ExpectedVersion::Any(), 1),
                          Write("a", ExpectedVersion::Any(), 1)}),
                 "writes[1].stream");
  expect_invalid(Request({Write("a", ExpectedVersion::Any(), 0)}), "writes[0].events");
  // Not UTF-8: the stream could not be read back from the stored envelope.
  expect_invalid(Request({Write("a\xff", ExpectedVersion::Any(), 1)}), "writes[0].stream");
  expect_invalid(Request({Write(std::string(257, 'x'), ExpectedVersion::Any(), 1)}),
                 "writes[0].stream");
  expect_invalid(Request({Write(std::string("a\0b", 3), ExpectedVersion::Any(), 1)}),
                 "writes[0].stream");
  expect_invalid(Request({Write("a", ExpectedVersion::Any(), 1)}, std::string(257, 'r')),
                 "request_id");
  EXPECT_EQ(this->store_->LastPosition(), 0u);
  // The longest allowed names are fine.
  this->MustAppend(
      Request({Write(std::string(256, 'x'), ExpectedVersion::Any(), 1)}, std::string(256, 'r')));
}

TYPED_TEST(EventStoreContractTest, RetryWithSameRequestIdReturnsFirstResult) {
  AppendResult first = this->MustAppend(Request(
      {Write("a", ExpectedVersion::NoStream(), 2), Write("b", ExpectedVersion::Any(), 1)},
      "req-1"));
  this->clock_.Set(kT0 + absl::Seconds(5));
  // Whatever the retry holds (here even a stale version), nothing is written.
  auto retry = this->store_->Append(
      Request({Write("a", ExpectedVersion::NoStream(), 5)}, "req-1"));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->first_position, first.first_position);
  EXPECT_EQ(retry->last_position, first.last_position);
  EXPECT_EQ(retry->recorded_at, first.recorded_at);
  ASSERT_EQ(retry->streams.size(), 2u);
  EXPECT_EQ(retry->streams[0].stream, "a");
  EXPECT_EQ(retry->streams[0].last_version, 2u);
  EXPECT_EQ(retry->streams[1].stream, "b");
  EXPECT_EQ(this->store_->LastPosition(), 3u);
  EXPECT_EQ(this->Version("a"), 2u);

  // A different id is a different command.
  AppendResult other =
      this->MustAppend(Request({Write("a", ExpectedVersion::Exactly(2), 1)}, "req-2"));
  EXPECT_FALSE(other.replayed);
  EXPECT_EQ(other.first_position, 4u);
}

TYPED_TEST(EventStoreContractTest, RejectedRequestIdCanBeRetried) {
  this->MustAppend(Request({Write("a", ExpectedVersion::NoStream(), 1)}));
  auto stale = this->store_->Append(
      Request({Write("a", ExpectedVersion::NoStream(), 1)}, "req-x"));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  AppendResult ok =
      this->MustAppend(Request({Write("a", ExpectedVersion::Exactly(1), 1)}, "req-x"));
  EXPECT_FALSE(ok.replayed);
  EXPECT_EQ(ok.first_position, 2u);
}

TYPED_TEST(EventStoreContractTest, ReadAllIsInGlobalOrderAcrossStreams) {
  const std::vector<std::string> order = {"a", "b", "a", "c", "b", "a"};
  for (const std::string& s : order) {
    this->MustAppend(Request({Write(s, ExpectedVersion::Any(), 1, "test.v1." + s)}));
  }
  std::vector<Envelope> all = this->MustReadAll(1, 100);
  ASSERT_EQ(all.size(), order.size());
  std::map<std::string, uint64_t> next_version;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].global_position(), i + 1);
    EXPECT_EQ(all[i].stream(), order[i]);
    EXPECT_EQ(all[i].type(), "test.v1." + order[i]);
    EXPECT_EQ(all[i].version(), ++next_version[order[i]]);
  }
}

TYPED_TEST(EventStoreContractTest, ReadAllPages) {
  for (int i = 0; i < 5; ++i) {
    this->MustAppend(Request({Write("s" + std::to_string(i % 2), ExpectedVersion::Any(), 5)}));
  }
  std::vector<uint64_t> seen;
  uint64_t from = 1;
  std::vector<size_t> page_sizes;
  while (true) {
    std::vector<Envelope> page = this->MustReadAll(from, 10);
    if (page.empty()) break;
    page_sizes.push_back(page.size());
    for (uint64_t p : Positions(page)) seen.push_back(p);
    from = page.back().global_position() + 1;
  }
  EXPECT_THAT(page_sizes, ElementsAre(10, 10, 5));
  ASSERT_EQ(seen.size(), 25u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_THAT(Positions(this->MustReadAll(0, 2)), ElementsAre(1, 2));
  EXPECT_THAT(Positions(this->MustReadAll(24, 100)), ElementsAre(24, 25));
  EXPECT_TRUE(this->MustReadAll(26, 10).empty());
  EXPECT_TRUE(this->MustReadAll(1, 0).empty());
}

TYPED_TEST(EventStoreContractTest, ReadStreamPages) {
  this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 4)}));
  this->MustAppend(Request({Write("other", ExpectedVersion::Any(), 2)}));
  this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 3)}));
  EXPECT_THAT(Versions(this->MustReadStream("s", 3, 2)), ElementsAre(3, 4));
  EXPECT_THAT(Positions(this->MustReadStream("s", 4, 2)), ElementsAre(4, 7));
  EXPECT_THAT(Versions(this->MustReadStream("s", 6, 100)), ElementsAre(6, 7));
  EXPECT_THAT(Versions(this->MustReadStream("s", 0, 100)), ElementsAre(1, 2, 3, 4, 5, 6, 7));
  EXPECT_TRUE(this->MustReadStream("s", 8, 10).empty());
  EXPECT_TRUE(this->MustReadStream("nope", 1, 10).empty());
  EXPECT_TRUE(this->MustReadStream("s", 1, 0).empty());
  // A stream whose name is a prefix of another's stays separate.
  this->MustAppend(Request({Write("s2", ExpectedVersion::Any(), 1)}));
  EXPECT_EQ(this->MustReadStream("s", 1, 100).size(), 7u);
}

TYPED_TEST(EventStoreContractTest, WaitForPositionWakesOnAppendFromAnotherThread) {
  std::atomic<bool> woke{false};
  absl::Time woke_at;
  std::thread waiter([&] {
    woke = this->store_->WaitForPosition(1, absl::Now() + absl::Seconds(20));
    woke_at = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(woke.load());
  const absl::Time appended = absl::Now();
  this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  waiter.join();
  EXPECT_TRUE(woke.load());
  EXPECT_LT(woke_at - appended, absl::Seconds(5));
  // Already reached: returns at once.
  EXPECT_TRUE(this->store_->WaitForPosition(1, absl::InfinitePast()));
}

TYPED_TEST(EventStoreContractTest, WaitForPositionTimesOut) {
  this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  const absl::Time start = absl::Now();
  EXPECT_FALSE(this->store_->WaitForPosition(2, start + absl::Milliseconds(100)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));
}

TYPED_TEST(EventStoreContractTest, CloseWakesWaitersAndRejectsAppends) {
  std::atomic<int> returned{0};
  std::thread tail([&] {
    EXPECT_FALSE(this->store_->WaitForPosition(100, absl::Now() + absl::Seconds(30)));
    ++returned;
  });
  std::thread outbox([&] {
    EXPECT_FALSE(this->store_->WaitForOutbox(absl::Now() + absl::Seconds(30)));
    ++returned;
  });
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time start = absl::Now();
  this->store_->Close();
  tail.join();
  outbox.join();
  EXPECT_EQ(returned.load(), 2);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  auto r = this->store_->Append(Request({Write("s", ExpectedVersion::Any(), 1)}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  this->store_->Close();  // idempotent
}

TYPED_TEST(EventStoreContractTest, OutboxHoldsEveryEventUntilAcknowledged) {
  OutboxStats empty = this->store_->GetOutboxStats();
  EXPECT_EQ(empty.depth, 0u);
  EXPECT_EQ(empty.oldest_recorded_at, absl::InfinitePast());
  EXPECT_FALSE(this->store_->WaitForOutbox(absl::Now() + absl::Milliseconds(20)));

  this->MustAppend(Request({Write("a", ExpectedVersion::Any(), 2)}));
  this->clock_.Set(kT0 + absl::Seconds(10));
  this->MustAppend(Request({Write("b", ExpectedVersion::Any(), 1)}));
  EXPECT_TRUE(this->store_->WaitForOutbox(absl::InfinitePast()));

  OutboxStats stats = this->store_->GetOutboxStats();
  EXPECT_EQ(stats.depth, 3u);
  EXPECT_EQ(stats.oldest_recorded_at, kT0);

  auto page = this->store_->ReadOutbox(2);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].global_position, 1u);
  EXPECT_EQ((*page)[0].event.stream(), "a");
  EXPECT_EQ((*page)[0].event.version(), 1u);
  EXPECT_EQ((*page)[0].event.global_position(), 1u);
  EXPECT_EQ((*page)[1].global_position, 2u);

  ASSERT_TRUE(this->store_->AckOutbox({1, 99}).ok());
  EXPECT_EQ(this->store_->GetOutboxStats().depth, 2u);
  ASSERT_TRUE(this->store_->AckOutbox({1}).ok());  // twice is harmless
  page = this->store_->ReadOutbox(10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].global_position, 2u);
  EXPECT_EQ((*page)[1].global_position, 3u);
  EXPECT_EQ((*page)[1].event.stream(), "b");

  // Acknowledging out of order keeps the oldest entry's age.
  ASSERT_TRUE(this->store_->AckOutbox({3}).ok());
  stats = this->store_->GetOutboxStats();
  EXPECT_EQ(stats.depth, 1u);
  EXPECT_EQ(stats.oldest_recorded_at, kT0);
  ASSERT_TRUE(this->store_->AckOutbox({2}).ok());
  stats = this->store_->GetOutboxStats();
  EXPECT_EQ(stats.depth, 0u);
  EXPECT_EQ(stats.oldest_recorded_at, absl::InfinitePast());
  // The log itself keeps every event.
  EXPECT_EQ(this->MustReadAll(1, 10).size(), 3u);
}

TYPED_TEST(EventStoreContractTest, WaitForOutboxWakesOnAppend) {
  std::atomic<bool> woke{false};
  std::thread relay(
      [&] { woke = this->store_->WaitForOutbox(absl::Now() + absl::Seconds(20)); });
  absl::SleepFor(absl::Milliseconds(30));
  this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  relay.join();
  EXPECT_TRUE(woke.load());
}

TYPED_TEST(EventStoreContractTest, RecordedAtNeverGoesBackwards) {
  this->clock_.Set(kT0 + absl::Seconds(100));
  AppendResult a = this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  this->clock_.Set(kT0);  // the clock steps back
  AppendResult b = this->MustAppend(Request({Write("s", ExpectedVersion::Any(), 1)}));
  EXPECT_EQ(a.recorded_at, kT0 + absl::Seconds(100));
  EXPECT_EQ(b.recorded_at, a.recorded_at);
  std::vector<Envelope> all = this->MustReadAll(1, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(RecordedAt(all[1]), kT0 + absl::Seconds(100));
}

// 64 threads: each appends to its own stream with Any and, with the usual
// read-version/append/retry-on-ABORTED loop, to one shared stream.
TYPED_TEST(EventStoreContractTest, SixtyFourConcurrentAppendersLoseAndDuplicateNothing) {
  constexpr int kThreads = 64;
  constexpr int kPerThread = 6;
  std::atomic<int> aborted{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string tag = std::to_string(t) + "/" + std::to_string(i);
        auto own = this->store_->Append(
            Request({Write("own-" + std::to_string(t), ExpectedVersion::Any(), 1, tag)}));
        if (!own.ok()) ++failures;
        while (true) {
          auto v = this->store_->StreamVersion("shared");
          if (!v.ok()) {
            ++failures;
            break;
          }
          auto r = this->store_->Append(
              Request({Write("shared", ExpectedVersion::Exactly(*v), 1, tag)}));
          if (r.ok()) break;
          if (r.status().code() != absl::StatusCode::kAborted) {
            ++failures;
            break;
          }
          ++aborted;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);

  constexpr uint64_t kTotal = 2 * kThreads * kPerThread;
  EXPECT_EQ(this->store_->LastPosition(), kTotal);
  EXPECT_EQ(this->Version("shared"), uint64_t{kThreads * kPerThread});
  std::vector<Envelope> shared = this->MustReadStream("shared", 1, 10000);
  ASSERT_EQ(shared.size(), uint64_t{kThreads * kPerThread});
  std::set<std::string> tags;
  for (size_t i = 0; i < shared.size(); ++i) {
    EXPECT_EQ(shared[i].version(), i + 1);
    tags.insert(shared[i].type());
  }
  EXPECT_EQ(tags.size(), shared.size());  // every command exactly once
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(this->Version("own-" + std::to_string(t)), uint64_t{kPerThread});
  }
  std::vector<Envelope> all = this->MustReadAll(1, 10000);
  ASSERT_EQ(all.size(), kTotal);
  std::set<std::string> ids;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].global_position(), i + 1);
    ids.insert(all[i].event_id());
  }
  EXPECT_EQ(ids.size(), kTotal);
}

TYPED_TEST(EventStoreContractTest, ConcurrentRetriesOfOneRequestCommitOnce) {
  constexpr int kRequests = 10;
  constexpr int kThreads = 16;
  for (int round = 0; round < kRequests; ++round) {
    const std::string stream = "s" + std::to_string(round);
    std::vector<absl::StatusOr<AppendResult>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        results[t] = this->store_->Append(Request({Write(stream, ExpectedVersion::NoStream(), 2)},
                                                  "request-" + std::to_string(round)));
      });
    }
    for (std::thread& t : threads) t.join();
    int originals = 0;
    for (const auto& r : results) {
      ASSERT_TRUE(r.ok()) << r.status();
      if (!r->replayed) ++originals;
      EXPECT_EQ(r->first_position, 2u * round + 1);
      EXPECT_EQ(r->last_position, 2u * round + 2);
    }
    EXPECT_EQ(originals, 1);
    EXPECT_EQ(this->store_->LastPosition(), 2u * round + 2);
  }
}

}  // namespace
}  // namespace changeledger::eventstore
