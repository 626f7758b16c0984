// OutboxRelay against librdkafka's mock cluster (in-process, with faults)
// and against the devbroker binary as a separate process.
#include "changeledger/bus/outbox_relay.h"

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/devbroker/mock_cluster.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/wait_for.h"
#include "gtest/gtest.h"
#include "kafka_test_util.h"
#include "test_projection.h"

namespace changeledger::bus {
namespace {

constexpr char kTopic[] = "changeledger.intake.v1";

using rpc::testing::WaitFor;

class OutboxRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = devbroker::MockCluster::Start({.topics = {kTopic}, .partitions = 8});
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(cluster).value();
    store_ = eventstore::NewInMemoryEventStore();
  }

  // Appends `events` events to each of `streams` streams, one append per
  // event, round-robin, and records the expected last versions.
  void AppendRoundRobin(int streams, int events, const std::string& prefix = "s") {
    for (int v = 0; v < events; ++v) {
      for (int s = 0; s < streams; ++s) {
        const std::string stream = prefix + std::to_string(s);
        auto r = store_->Append(testing::MakeAppend(stream, 1));
        ASSERT_TRUE(r.ok()) << r.status();
        expected_[stream] = r->streams[0].last_version;
      }
    }
  }

  std::unique_ptr<OutboxRelay> MakeRelay(OutboxRelayOptions options = {}) {
    options.bootstrap_servers = cluster_ != nullptr ? cluster_->bootstrap_servers()
                                                    : options.bootstrap_servers;
    options.topic = kTopic;
    auto relay = OutboxRelay::Create(store_.get(), options, &probe_);
    EXPECT_TRUE(relay.ok()) << relay.status();
    return relay.ok() ? std::move(relay).value() : nullptr;
  }

  bool OutboxEmpty() { return store_->GetOutboxStats().depth == 0; }

  metrics::Registry registry_;
  RelayProbe probe_{&registry_, kTopic};
  std::unique_ptr<devbroker::MockCluster> cluster_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::map<std::string, uint64_t> expected_;
};

TEST_F(OutboxRelayTest, CreateValidatesOptions) {
  EXPECT_EQ(OutboxRelay::Create(store_.get(), {.topic = "t"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(OutboxRelay::Create(store_.get(), {.bootstrap_servers = "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto bad = OutboxRelay::Create(
      store_.get(),
      {.bootstrap_servers = "x", .topic = "t", .kafka_config = {{"no.such.property", "1"}}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("no.such.property"), std::string::npos);
}

TEST_F(OutboxRelayTest, EveryEventArrivesOncePerVersionInOrderPerStream) {
  AppendRoundRobin(20, 10);
  auto relay = MakeRelay();
  ASSERT_NE(relay, nullptr);
  EXPECT_EQ(relay->state(), RelayState::kStopped);
  relay->Start();
  AppendRoundRobin(20, 5);  // while running
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  // A round counts what it published after acknowledging it.
  ASSERT_TRUE(WaitFor([&] { return relay->stats().published >= 300; }));
  EXPECT_EQ(relay->stats().published, 300u);
  testing::Received got = testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_);
  testing::ExpectDelivered(got, expected_);
  // Without faults nothing is sent twice and everything is in order.
  for (const auto& [stream, versions] : got) {
    ASSERT_EQ(versions.size(), 15u) << stream;
    for (size_t i = 0; i < versions.size(); ++i) EXPECT_EQ(versions[i], i + 1);
  }
  ASSERT_TRUE(WaitFor([&] { return relay->healthy(); }, absl::Seconds(2)));
  const std::string text = registry_.Serialize();
  EXPECT_NE(text.find("changeledger_relay_published_total{topic=\"changeledger.intake.v1\"} 300"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("changeledger_outbox_depth{topic=\"changeledger.intake.v1\"} 0"),
            std::string::npos);
  relay->Stop();
  EXPECT_EQ(relay->state(), RelayState::kStopped);
}

TEST_F(OutboxRelayTest, ProduceErrorsLoseNothingAndKeepOrder) {
  auto relay = MakeRelay({.message_timeout = absl::Seconds(3),
                          .retry_backoff = absl::Milliseconds(50)});
  relay->Start();
  for (int round = 0; round < 5; ++round) {
    cluster_->PushProduceErrors({RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                 RD_KAFKA_RESP_ERR__TRANSPORT,
                                 RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                 RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                 RD_KAFKA_RESP_ERR_INVALID_MSG});
    AppendRoundRobin(10, 4);
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  testing::Received got = testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_);
  testing::ExpectDelivered(got, expected_);
  // MSG_SIZE_TOO_LARGE is not retriable: some deliveries failed and were
  // produced again by the relay.
  EXPECT_GT(relay->stats().publish_errors, 0u);
}

TEST_F(OutboxRelayTest, FatalProducerErrorRecreatesProducerAndResumes) {
  auto relay = MakeRelay({.retry_backoff = absl::Milliseconds(50)});
  relay->Start();
  AppendRoundRobin(5, 2);
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  // The idempotent producer treats an out-of-order sequence reported by the
  // broker as fatal.
  cluster_->PushProduceErrors({RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                               RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER});
  AppendRoundRobin(5, 6);
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  // Two errors were pushed: the second may reach the recreated producer too.
  const uint64_t recreations = relay->stats().producer_recreations;
  EXPECT_GE(recreations, 1u);
  EXPECT_NE(registry_.Serialize().find(absl::StrCat(
                "changeledger_relay_producer_recreations_total{topic=\"changeledger.intake.v1\"} ",
                recreations, "\n")),
            std::string::npos);
  testing::ExpectDelivered(
      testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_), expected_);
}

TEST_F(OutboxRelayTest, BrokersDownQueuesInOutboxDegradesAndResumes) {
  auto relay = MakeRelay({.message_timeout = absl::Seconds(2),
                          .degraded_age = absl::Seconds(1),
                          .retry_backoff = absl::Milliseconds(100)});
  relay->Start();
  AppendRoundRobin(5, 2);
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerDown(b).ok());
  // Appends are still accepted and wait in the outbox.
  AppendRoundRobin(5, 6);
  ASSERT_TRUE(WaitFor([&] { return relay->state() == RelayState::kDegraded; }));
  EXPECT_GT(store_->GetOutboxStats().depth, 0u);
  EXPECT_NE(registry_.Serialize().find("changeledger_relay_degraded{topic=\"changeledger.intake.v1\"} 1"),
            std::string::npos);
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerUp(b).ok());
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  testing::ExpectDelivered(
      testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_), expected_);
  ASSERT_TRUE(WaitFor([&] { return relay->healthy(); }));
}

// With nothing to publish, brokers that go away still show: the relay
// degrades (and so does the service's dependency/broker) and recovers
// when they come back, without waiting for an event.
TEST_F(OutboxRelayTest, BrokersDownWhileIdleDegradeAndRecover) {
  auto relay = MakeRelay({.retry_backoff = absl::Milliseconds(100)});
  relay->Start();
  AppendRoundRobin(2, 1);
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty() && relay->healthy(); }));
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerDown(b).ok());
  ASSERT_TRUE(WaitFor([&] { return relay->state() == RelayState::kDegraded; }));
  EXPECT_TRUE(OutboxEmpty());
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerUp(b).ok());
  ASSERT_TRUE(WaitFor([&] { return relay->healthy(); }));
}

// A relay whose bootstrap servers never answer degrades while its outbox is
// still empty.
TEST_F(OutboxRelayTest, UnreachableBootstrapServersDegradeWithAnEmptyOutbox) {
  cluster_.reset();
  auto relay = MakeRelay({.bootstrap_servers = "127.0.0.1:1"});
  relay->Start();
  EXPECT_TRUE(WaitFor([&] { return relay->state() == RelayState::kDegraded; }));
  EXPECT_TRUE(OutboxEmpty());
}

TEST_F(OutboxRelayTest, RoundTripAboveMessageTimeoutRetriesInOrder) {
  auto relay = MakeRelay({.message_timeout = absl::Milliseconds(800),
                          .retry_backoff = absl::Milliseconds(100)});
  relay->Start();
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerRtt(b, 1500).ok());
  AppendRoundRobin(8, 5);
  ASSERT_TRUE(WaitFor([&] { return relay->stats().publish_errors > 0; }));
  EXPECT_GT(store_->GetOutboxStats().depth, 0u);
  for (int b = 1; b <= 3; ++b) ASSERT_TRUE(cluster_->SetBrokerRtt(b, 0).ok());
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  testing::ExpectDelivered(
      testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_), expected_);
}

TEST_F(OutboxRelayTest, RestartedRelayPublishesPendingOutbox) {
  AppendRoundRobin(10, 30);
  {
    auto relay = MakeRelay({.batch_size = 50});
    relay->Start();
    ASSERT_TRUE(WaitFor([&] { return relay->stats().published > 0; }));
    relay->Stop();  // part of the outbox is still pending
  }
  AppendRoundRobin(10, 5);
  EXPECT_GT(store_->GetOutboxStats().depth, 0u);
  auto relay = MakeRelay();
  relay->Start();
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  testing::ExpectDelivered(
      testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_), expected_);
}

TEST_F(OutboxRelayTest, TrickleOfAppendsWaitsForTheGatherWindowAndTravelsInOneRound) {
  auto relay = MakeRelay({.gather = absl::Seconds(1)});
  ASSERT_NE(relay, nullptr);
  relay->Start();
  const absl::Time first = absl::Now();
  for (int i = 0; i < 10; ++i) {
    AppendRoundRobin(1, 1, "trickle");
    absl::SleepFor(absl::Milliseconds(5));
  }
  ASSERT_TRUE(WaitFor([&] { return OutboxEmpty(); }));
  // A round counts itself after acknowledging its entries.
  ASSERT_TRUE(WaitFor([&] { return relay->stats().rounds >= 1; }));
  // No round starts before the oldest entry is `gather` old; then all ten
  // go in one round.
  EXPECT_GE(absl::Now() - first, absl::Milliseconds(950));
  EXPECT_EQ(relay->stats().rounds, 1u);
  EXPECT_EQ(relay->stats().published, 10u);
  testing::Received got = testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_);
  testing::ExpectDelivered(got, expected_);
  relay->Stop();
}

TEST_F(OutboxRelayTest, FullBatchDoesNotWaitForTheGatherWindow) {
  auto relay = MakeRelay({.batch_size = 5, .gather = absl::Seconds(60)});
  ASSERT_NE(relay, nullptr);
  AppendRoundRobin(5, 2);  // two full batches
  relay->Start();
  // Both batches are full, so neither waits for the 60 s window.
  ASSERT_TRUE(WaitFor([&] { return relay->stats().published >= 10; }, absl::Seconds(20)));
  relay->Stop();
}

TEST_F(OutboxRelayTest, StopPublishesWhatWasGatheredWithoutWaitingOutTheWindow) {
  auto relay = MakeRelay({.gather = absl::Seconds(60)});
  ASSERT_NE(relay, nullptr);
  relay->Start();
  AppendRoundRobin(3, 2);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(relay->stats().published, 0u);  // still gathering
  const absl::Time stopping = absl::Now();
  relay->Stop();
  EXPECT_LT(absl::Now() - stopping, absl::Seconds(20));
  EXPECT_EQ(relay->stats().published, 6u);
  EXPECT_TRUE(OutboxEmpty());
  testing::ExpectDelivered(
      testing::ReadTopic(cluster_->bootstrap_servers(), kTopic, expected_), expected_);
}

TEST(OutboxRelayDevBrokerTest, PublishesToDevBrokerProcess) {
  auto broker = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "8"});
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto store = eventstore::NewInMemoryEventStore();
  std::map<std::string, uint64_t> expected;
  for (int i = 0; i < 200; ++i) {
    const std::string stream = "d" + std::to_string(i % 17);
    auto r = store->Append(testing::MakeAppend(stream, 1 + i % 2));
    ASSERT_TRUE(r.ok());
    expected[stream] = r->streams[0].last_version;
  }
  auto relay = OutboxRelay::Create(
      store.get(), {.bootstrap_servers = (*broker)->bootstrap_servers(), .topic = kTopic});
  ASSERT_TRUE(relay.ok());
  (*relay)->Start();
  ASSERT_TRUE(WaitFor([&] { return store->GetOutboxStats().depth == 0; }));
  (*relay)->Stop();
  testing::ExpectDelivered(
      testing::ReadTopic((*broker)->bootstrap_servers(), kTopic, expected), expected);
  int status = (*broker)->Terminate();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace changeledger::bus
