#include <librdkafka/rdkafka.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <string>

#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/devbroker/mock_cluster.h"
#include "gtest/gtest.h"

namespace changeledger::devbroker {
namespace {

// Topic name -> partition count, as the cluster's metadata says.
std::map<std::string, int> TopicPartitions(const std::string& bootstrap) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  EXPECT_NE(rk, nullptr) << errstr;
  std::map<std::string, int> out;
  if (rk == nullptr) return out;
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, 10000);
  EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    EXPECT_EQ(md->broker_cnt, 3);
    for (int i = 0; i < md->topic_cnt; ++i) {
      out[md->topics[i].topic] = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_destroy(rk);
  return out;
}

TEST(DevBrokerTest, BinaryCreatesTopicsWritesBootstrapAndStopsOnSigterm) {
  auto broker = DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "5"});
  ASSERT_TRUE(broker.ok()) << broker.status();
  std::map<std::string, int> topics = TopicPartitions((*broker)->bootstrap_servers());
  for (const std::string& topic : DefaultTopics()) {
    EXPECT_EQ(topics[topic], 5) << topic;
  }
  int status = (*broker)->Terminate();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(DevBrokerTest, TopicsFlagOverridesTheTopicList) {
  auto broker =
      DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--topics", "a.v1,b.v1", "--partitions", "2"});
  ASSERT_TRUE(broker.ok()) << broker.status();
  std::map<std::string, int> topics = TopicPartitions((*broker)->bootstrap_servers());
  EXPECT_EQ(topics["a.v1"], 2);
  EXPECT_EQ(topics["b.v1"], 2);
  EXPECT_EQ(topics.count("changeledger.intake.v1"), 0u);
}

TEST(DevBrokerTest, BadFlagExitsNonZero) {
  auto broker = DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "0"},
                                        absl::Seconds(5));
  EXPECT_EQ(broker.status().code(), absl::StatusCode::kUnavailable);
}

TEST(MockClusterTest, DefaultsAreThirtyTwoPartitionsOfTheFourTopics) {
  auto cluster = MockCluster::Start({});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::map<std::string, int> topics = TopicPartitions((*cluster)->bootstrap_servers());
  for (const std::string& topic : DefaultTopics()) EXPECT_EQ(topics[topic], 32) << topic;
  EXPECT_EQ(MockCluster::Start({.replication_factor = 4}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace changeledger::devbroker
