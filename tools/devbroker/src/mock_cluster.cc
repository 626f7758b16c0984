#include "changeledger/devbroker/mock_cluster.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <set>
#include <utility>

namespace changeledger::devbroker {
namespace {

constexpr int16_t kProduceApiKey = 0;

absl::Status FromErr(rd_kafka_resp_err_t err, const std::string& what) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::InternalError(what + ": " + rd_kafka_err2str(err));
}

class MockClusterImpl final : public MockCluster {
 public:
  MockClusterImpl(rd_kafka_t* handle, rd_kafka_mock_cluster_t* cluster)
      : handle_(handle), cluster_(cluster) {}

  ~MockClusterImpl() override {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }

  std::string bootstrap_servers() const override {
    return rd_kafka_mock_cluster_bootstraps(cluster_);
  }

  absl::Status CreateTopic(const std::string& topic, int partitions,
                           int replication_factor) override {
    if (topic.empty() || partitions < 1 || replication_factor < 1) {
      return absl::InvalidArgumentError("topic needs a name, partitions and replicas >= 1");
    }
    return FromErr(
        rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, replication_factor),
        "create topic " + topic);
  }

  absl::Status SetBrokerDown(int32_t broker_id) override {
    return FromErr(rd_kafka_mock_broker_set_down(cluster_, broker_id), "broker down");
  }
  absl::Status SetBrokerUp(int32_t broker_id) override {
    return FromErr(rd_kafka_mock_broker_set_up(cluster_, broker_id), "broker up");
  }
  absl::Status SetBrokerRtt(int32_t broker_id, int rtt_ms) override {
    return FromErr(rd_kafka_mock_broker_set_rtt(cluster_, broker_id, rtt_ms), "broker rtt");
  }
  void PushProduceErrors(const std::vector<int>& errors) override {
    std::vector<rd_kafka_resp_err_t> errs;
    errs.reserve(errors.size());
    for (int e : errors) errs.push_back(static_cast<rd_kafka_resp_err_t>(e));
    rd_kafka_mock_push_request_errors_array(cluster_, kProduceApiKey, errs.size(),
                                            errs.data());
  }

 private:
  rd_kafka_t* handle_;
  rd_kafka_mock_cluster_t* cluster_;
};

// The mock brokers write responses in several pieces; with Nagle's
// algorithm on their sockets a multi-partition response then waits for the
// client's delayed ACK (about 40 ms). Linux copies TCP_NODELAY from a
// listening socket to the connections it accepts, so setting it on the
// brokers' listeners (found among this process's sockets by port) removes
// that delay for every later connection.
void DisableNagleOnListeners(const std::string& bootstraps) {
  std::set<int> ports;
  size_t start = 0;
  while (start < bootstraps.size()) {
    size_t comma = bootstraps.find(',', start);
    if (comma == std::string::npos) comma = bootstraps.size();
    const std::string hostport = bootstraps.substr(start, comma - start);
    const size_t colon = hostport.rfind(':');
    if (colon != std::string::npos) ports.insert(std::atoi(hostport.c_str() + colon + 1));
    start = comma + 1;
  }
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  while (dirent* entry = readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2) continue;
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        addr.sin_family != AF_INET || !ports.contains(ntohs(addr.sin_port))) {
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  closedir(dir);
}

}  // namespace

std::vector<std::string> DefaultTopics() {
  return {"changeledger.intake.v1", "changeledger.classification.v1",
          "changeledger.recommendations.v1", "changeledger.benefits.v1"};
}

absl::StatusOr<std::unique_ptr<MockCluster>> MockCluster::Start(
    const MockClusterOptions& options) {
  if (options.brokers < 1) return absl::InvalidArgumentError("brokers must be >= 1");
  if (options.partitions < 1) return absl::InvalidArgumentError("partitions must be >= 1");
  if (options.replication_factor < 1 || options.replication_factor > options.brokers) {
    return absl::InvalidArgumentError("replication factor must be in 1..brokers");
  }
  // The mock cluster hangs off a librdkafka handle; a producer that never
  // produces is the cheapest one.
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return absl::InternalError(errstr);
  }
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (handle == nullptr) {
    return absl::InternalError(std::string("mock cluster handle: ") + errstr);
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(handle, options.brokers);
  if (cluster == nullptr) {
    rd_kafka_destroy(handle);
    return absl::InternalError("rd_kafka_mock_cluster_new failed");
  }
  auto impl = std::make_unique<MockClusterImpl>(handle, cluster);
  DisableNagleOnListeners(impl->bootstrap_servers());
  for (const std::string& topic : options.topics) {
    absl::Status s = impl->CreateTopic(topic, options.partitions, options.replication_factor);
    if (!s.ok()) return s;
  }
  return std::unique_ptr<MockCluster>(std::move(impl));
}

}  // namespace changeledger::devbroker
