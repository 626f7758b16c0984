// MockCluster: librdkafka's in-memory mock Kafka cluster on loopback, with
// the fault-injection calls tests need. It is the development and test
// broker only (in memory, partitions capped at about 5 MiB or 100,000
// batches, no transaction markers); production uses a real Kafka cluster.
//
// librdkafka types stay in src/. Thread-safe: the cluster runs on its own
// thread; fault-injection calls may come from any thread.
#ifndef CHANGELEDGER_DEVBROKER_MOCK_CLUSTER_H_
#define CHANGELEDGER_DEVBROKER_MOCK_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace changeledger::devbroker {

// The four topics of the system.
std::vector<std::string> DefaultTopics();

struct MockClusterOptions {
  // Number of brokers (ids 1..brokers). Default: 3.
  int brokers = 3;
  // Topics created at start. Default: DefaultTopics().
  std::vector<std::string> topics = DefaultTopics();
  // Partitions per topic, >= 1. Default: 32.
  int partitions = 32;
  // Replication factor of each topic, 1..brokers. Default: 3.
  int replication_factor = 3;
};

class MockCluster {
 public:
  // Starts the cluster and creates the topics.
  // Errors: INVALID_ARGUMENT (bad counts, empty topic name), INTERNAL
  // (librdkafka could not start the cluster or create a topic).
  static absl::StatusOr<std::unique_ptr<MockCluster>> Start(
      const MockClusterOptions& options);

  virtual ~MockCluster() = default;

  // Comma-separated host:port list for `bootstrap.servers`.
  virtual std::string bootstrap_servers() const = 0;

  // Creates one more topic.
  virtual absl::Status CreateTopic(const std::string& topic, int partitions,
                                   int replication_factor) = 0;

  // Fault injection (ids 1..brokers).
  virtual absl::Status SetBrokerDown(int32_t broker_id) = 0;
  virtual absl::Status SetBrokerUp(int32_t broker_id) = 0;
  // Adds `rtt_ms` of delay to every response of the broker (0: none).
  virtual absl::Status SetBrokerRtt(int32_t broker_id, int rtt_ms) = 0;
  // The next errors.size() Produce requests (on any broker) fail with the
  // given Kafka error codes (librdkafka's rd_kafka_resp_err_t values).
  virtual void PushProduceErrors(const std::vector<int>& errors) = 0;
};

}  // namespace changeledger::devbroker

#endif  // CHANGELEDGER_DEVBROKER_MOCK_CLUSTER_H_
