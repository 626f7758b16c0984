// LogReaderService, LogReaderClient and the log-reader-fed ProjectionRunner
// over an in-memory event store and a loopback gRPC server.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/projection.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/wait_for.h"
#include "gtest/gtest.h"
#include "test_projection.h"

namespace changeledger::bus {
namespace {

using eventlog::v1::ReadLogResponse;

using rpc::testing::WaitFor;

class LogReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = eventstore::NewInMemoryEventStore();
    service_ = std::make_unique<LogReaderService>(
        store_.get(), LogReaderServiceOptions{.source = "testsvc",
                                              .wait_slice = absl::Milliseconds(50)});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
  }

  void TearDown() override {
    service_->Shutdown();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    store_->Close();
  }

  void Append(const std::string& stream, int n) {
    ASSERT_TRUE(store_->Append(testing::MakeAppend(stream, n)).ok());
  }

  // The hash a clean fold of the whole log gives.
  uint64_t ExpectedHash() {
    auto kv = kv::NewInMemoryKvStore();
    testing::TallyProjection projection;
    kv::Transaction txn(*kv);
    auto all = store_->ReadAll(1, 1000000);
    EXPECT_TRUE(all.ok());
    for (const auto& e : *all) EXPECT_TRUE(projection.Apply(e, txn).ok());
    kv::WriteBatch prefixed;
    for (const auto& op : txn.batch().ops()) {
      if (op.kind == kv::WriteBatch::Op::Kind::kPut) {
        prefixed.Put(ProjectionKeyPrefix("tally") + op.key, op.value);
      }
    }
    EXPECT_TRUE(kv->Write(prefixed, false).ok());
    return ProjectionStateHash(*kv, "tally").value();
  }

  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<LogReaderService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(LogReaderTest, ReadsWholeLogInGlobalOrderInPages) {
  Append("a", 5);
  Append("b", 4);
  Append("a", 3);
  LogReaderClient client(channel_);
  std::vector<uint64_t> positions;
  int pages = 0;
  absl::Status s = client.Read({.from_position = 0, .page_size = 5},
                               [&](const ReadLogResponse& page) {
                                 ++pages;
                                 EXPECT_LE(page.events_size(), 5);
                                 EXPECT_EQ(page.log_head(), 12u);
                                 for (const auto& e : page.events())
                                   positions.push_back(e.global_position());
                                 return absl::OkStatus();
                               });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(positions.size(), 12u);
  for (size_t i = 0; i < positions.size(); ++i) EXPECT_EQ(positions[i], i + 1);

  positions.clear();
  ASSERT_TRUE(client
                  .Read({.from_position = 10},
                        [&](const ReadLogResponse& page) {
                          for (const auto& e : page.events())
                            positions.push_back(e.global_position());
                          return absl::OkStatus();
                        })
                  .ok());
  EXPECT_EQ(positions, (std::vector<uint64_t>{10, 11, 12}));

  auto head = client.GetLogHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->log_head(), 12u);
  EXPECT_EQ(head->source(), "testsvc");
}

// Events of 100 KB each: a page of 100 would be 10 MB, more than the 4 MiB
// a gRPC client receives by default (this test's channel). Pages end
// early instead, and every event still arrives, in order.
TEST_F(LogReaderTest, PagesStayWithinWhatAClientReceivesByDefault) {
  constexpr int kEvents = 100;
  ASSERT_TRUE(
      store_->Append(testing::MakeAppend("big", kEvents, std::string(100000, 'x'))).ok());
  LogReaderClient client(channel_);
  std::vector<uint64_t> positions;
  int pages = 0;
  const absl::Status s =
      client.Read({.page_size = 100}, [&](const ReadLogResponse& page) {
        ++pages;
        EXPECT_LE(page.ByteSizeLong(), 4u << 20);
        for (const auto& e : page.events()) positions.push_back(e.global_position());
        return absl::OkStatus();
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_GE(pages, 3);
  ASSERT_EQ(positions.size(), static_cast<size_t>(kEvents));
  for (size_t i = 0; i < positions.size(); ++i) EXPECT_EQ(positions[i], i + 1);
}

// AIP-158: a page size above the maximum (1000) is lowered to it.
TEST_F(LogReaderTest, LowersAPageSizeAboveTheLimitToIt) {
  Append("a", 1500);
  LogReaderClient client(channel_);
  std::vector<int> pages;
  absl::Status s = client.Read({.page_size = 5000}, [&](const ReadLogResponse& page) {
    pages.push_back(page.events_size());
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(pages, (std::vector<int>{1000, 500}));
}

TEST_F(LogReaderTest, FollowDeliversNewEventsAndEndsOnCancelAndShutdown) {
  Append("a", 2);
  LogReaderClient client(channel_);
  std::atomic<uint64_t> last{0};
  absl::Status result;
  std::thread reader([&] {
    result = client.Read({.follow = true}, [&](const ReadLogResponse& page) {
      for (const auto& e : page.events()) last = e.global_position();
      return absl::OkStatus();
    });
  });
  ASSERT_TRUE(WaitFor([&] { return last.load() == 2; }));
  Append("b", 3);
  ASSERT_TRUE(WaitFor([&] { return last.load() == 5; }));
  client.Cancel();
  reader.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kCancelled);

  // A follower is ended by Shutdown with UNAVAILABLE.
  LogReaderClient second(channel_);
  std::thread follower([&] {
    result = second.Read({.from_position = 6, .follow = true},
                         [](const ReadLogResponse&) { return absl::OkStatus(); });
  });
  absl::SleepFor(absl::Milliseconds(100));
  service_->Shutdown();
  follower.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
}

TEST_F(LogReaderTest, RunnerBuildsProjectionResumesAfterRestartAndRebuilds) {
  for (int i = 0; i < 20; ++i) Append("s" + std::to_string(i % 7), 1 + i % 3);
  auto kv = kv::NewInMemoryKvStore();
  testing::TallyProjection projection;
  LogReaderSourceOptions source{.channel = channel_, .source_name = "testsvc", .page_size = 7};
  auto runner = ProjectionRunner::CreateLogReader(&projection, kv.get(), source);
  ASSERT_TRUE(runner.ok()) << runner.status();
  (*runner)->Start();
  const uint64_t total = store_->LastPosition();
  ASSERT_TRUE(WaitFor([&] { return (*runner)->stats().applied == total; }));
  EXPECT_EQ((*runner)->StateHash().value(), ExpectedHash());
  EXPECT_EQ((*runner)->stats().lag, 0);

  // Stop, append more, restart: only the new events are applied.
  (*runner)->Stop();
  Append("s1", 4);
  Append("new", 2);
  metrics::Registry registry;
  RunnerProbe probe(&registry, "tally");
  auto again =
      ProjectionRunner::CreateLogReader(&projection, kv.get(), source, {}, &probe);
  ASSERT_TRUE(again.ok());
  (*again)->Start();
  ASSERT_TRUE(WaitFor([&] { return (*again)->stats().applied == 6; }));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ((*again)->stats().applied, 6u);
  EXPECT_EQ((*again)->StateHash().value(), ExpectedHash());

  // Rebuild while running: wiped, read again from position 1, same hash.
  // (A rebuild of a few dozen events may already be over when Rebuild
  // returns, so only its end is waited for.)
  ASSERT_TRUE((*again)->Rebuild().ok());
  ASSERT_TRUE(WaitFor([&] { return !(*again)->rebuilding(); }));
  EXPECT_EQ((*again)->stats().applied, 6u + store_->LastPosition());
  EXPECT_EQ((*again)->StateHash().value(), ExpectedHash());
  EXPECT_TRUE((*again)->status().ok());
  const std::string text = registry.Serialize();
  EXPECT_NE(text.find(absl::StrCat("changeledger_projection_applied_total{projection=\"tally\"} ",
                                   6 + store_->LastPosition())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("changeledger_projection_rebuilding{projection=\"tally\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("changeledger_projection_rebuild_progress_ratio{projection=\"tally\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("changeledger_projection_consumer_lag{projection=\"tally\"} 0"),
            std::string::npos);
}

TEST_F(LogReaderTest, ApplyErrorStopsRunnerWithoutCommittingTheGroup) {
  Append("a", 3);
  eventstore::AppendRequest poison = testing::MakeAppend("p", 1);
  poison.writes[0].events[0].set_type("test.Poison");
  ASSERT_TRUE(store_->Append(poison).ok());
  auto kv = kv::NewInMemoryKvStore();
  testing::TallyProjection projection;
  auto runner = ProjectionRunner::CreateLogReader(
      &projection, kv.get(), {.channel = channel_, .source_name = "testsvc"});
  ASSERT_TRUE(runner.ok());
  (*runner)->Start();
  ASSERT_TRUE(WaitFor([&] { return !(*runner)->status().ok(); }));
  EXPECT_EQ((*runner)->status().code(), absl::StatusCode::kInvalidArgument);
  // The page held all four events: nothing of it was committed.
  EXPECT_EQ((*runner)->StateHash().value(), ProjectionStateHash(*kv::NewInMemoryKvStore(), "tally").value());
}

TEST(ProjectionStateHashTest, CoversProjectionKeysOnlyAndIsStable) {
  auto kv = kv::NewInMemoryKvStore();
  // FNV-1a 64 offset basis: the hash of nothing.
  EXPECT_EQ(ProjectionStateHash(*kv, "x").value(), 0xcbf29ce484222325ull);
  kv::WriteBatch batch;
  batch.Put("p/x/k", "v");
  ASSERT_TRUE(kv->Write(batch, false).ok());
  const uint64_t with_key = ProjectionStateHash(*kv, "x").value();
  EXPECT_NE(with_key, 0xcbf29ce484222325ull);
  kv::WriteBatch bookkeeping;
  bookkeeping.Put("r/x/o/topic/0", "17");
  bookkeeping.Put("p/other/k", "v");
  ASSERT_TRUE(kv->Write(bookkeeping, false).ok());
  EXPECT_EQ(ProjectionStateHash(*kv, "x").value(), with_key);
  // Key/value boundaries matter.
  auto other = kv::NewInMemoryKvStore();
  kv::WriteBatch shifted;
  shifted.Put("p/x/kv", "");
  ASSERT_TRUE(other->Write(shifted, false).ok());
  EXPECT_NE(ProjectionStateHash(*other, "x").value(), with_key);

  ASSERT_TRUE(WipeProjection(*kv, "x").ok());
  EXPECT_EQ(ProjectionStateHash(*kv, "x").value(), 0xcbf29ce484222325ull);
  EXPECT_EQ(kv->Get("r/x/o/topic/0").value(), std::nullopt);
  EXPECT_EQ(kv->Get("p/other/k").value(), "v");
}

}  // namespace
}  // namespace changeledger::bus
