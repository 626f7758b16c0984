// A Kafka-fed projection runner says whether its brokers answer, also
// while it is idle: brokers that hang (connections open, no answers) mark
// the source down until they answer again.
#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/devbroker/mock_cluster.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/rpc/wait_for.h"
#include "gtest/gtest.h"
#include "test_projection.h"

namespace changeledger::bus {
namespace {

constexpr char kTopic[] = "changeledger.intake.v1";

using rpc::testing::WaitFor;

TEST(ProjectionSourceTest, HungBrokersMarkAnIdleRunnerDownUntilTheyAnswerAgain) {
  auto cluster = devbroker::MockCluster::Start({.topics = {kTopic}, .partitions = 2});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  auto store = eventstore::NewInMemoryEventStore();
  auto relay = OutboxRelay::Create(store.get(), {.bootstrap_servers = bootstrap,
                                                 .topic = kTopic,
                                                 .retry_backoff = absl::Milliseconds(50)});
  ASSERT_TRUE(relay.ok()) << relay.status();
  (*relay)->Start();

  auto kv = kv::NewInMemoryKvStore();
  testing::TallyProjection projection;
  auto runner = ProjectionRunner::CreateKafka(
      &projection, kv.get(),
      {.bootstrap_servers = bootstrap, .group_id = "hung", .topics = {kTopic},
       .kafka_config = {{"session.timeout.ms", "6000"}}},
      {.idle_probe_interval = absl::Milliseconds(200), .probe_timeout = absl::Milliseconds(300)});
  ASSERT_TRUE(runner.ok()) << runner.status();
  (*runner)->Start();

  ASSERT_TRUE(store->Append(testing::MakeAppend("before", 1)).ok());
  ASSERT_TRUE(WaitFor([&] { return (*runner)->stats().applied >= 1; }, absl::Seconds(30)));
  // Idle with brokers that answer: the probes keep the source up.
  absl::SleepFor(absl::Seconds(1));
  EXPECT_TRUE((*runner)->source_up());

  // Every response now comes 5 s late: far beyond the probes' 300 ms.
  for (int32_t broker = 1; broker <= 3; ++broker) {
    ASSERT_TRUE((*cluster)->SetBrokerRtt(broker, 5000).ok());
  }
  EXPECT_TRUE(WaitFor([&] { return !(*runner)->source_up(); }, absl::Seconds(10)))
      << "hung brokers went unnoticed";

  for (int32_t broker = 1; broker <= 3; ++broker) {
    ASSERT_TRUE((*cluster)->SetBrokerRtt(broker, 0).ok());
  }
  EXPECT_TRUE(WaitFor([&] { return (*runner)->source_up(); }, absl::Seconds(30)))
      << "brokers that answer again were not noticed";
  ASSERT_TRUE(store->Append(testing::MakeAppend("after", 1)).ok());
  EXPECT_TRUE(WaitFor([&] { return (*runner)->stats().applied >= 2; }, absl::Seconds(30)));
  (*runner)->Stop();
  (*relay)->Stop();
}

}  // namespace
}  // namespace changeledger::bus
