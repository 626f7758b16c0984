// ClassificationServer: the whole classification process as an object, for
// main() and the loopback tests. It loads and validates the ruleset (an
// invalid ruleset stops it from starting), opens its RocksDB event store and
// key-value store, consumes `changeledger.intake.v1` with a ProjectionRunner
// into its view of each change (plus the inbox), runs the Classifier that
// turns intake facts into suggestions, serves ClassificationService and the
// LogReader through rpc::Server, relays its outbox to
// `changeledger.classification.v1`, serves /metrics, and keeps health in
// step with its dependencies:
//   "store"    required: NOT_SERVING once the store refuses writes;
//   "intake"   required: NOT_SERVING while the intake consumer has stopped
//              on an error or the inbox worker fails;
//   "broker"   optional ("dependency/broker"): the relay cannot publish.
#ifndef CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVER_H_
#define CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVER_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "changeledger/config/config.h"

namespace changeledger::classification {

class Classifier;

struct ClassificationServerOptions {
  // Listen addresses, data dir (required: <data_dir>/events holds the event
  // store, <data_dir>/view the intake view), tokens, TLS, Kafka. An empty
  // kafka_bootstrap_servers runs without consumer and relay (tests only).
  config::CommonOptions common;
  // The ruleset file. Required.
  std::string ruleset_file;
  // Topic consumed. Default: changeledger.intake.v1.
  std::string intake_topic = "changeledger.intake.v1";
  // Topic published. Default: changeledger.classification.v1.
  std::string topic = "changeledger.classification.v1";
  // Consumer group of the intake consumer (one per writer).
  // Default: "classification".
  std::string consumer_group = "classification";
  // Extra librdkafka consumer properties (tests lower session timeouts).
  // Default: none.
  std::map<std::string, std::string> consumer_config;
};

class ClassificationServer {
 public:
  // Errors: INVALID_ARGUMENT naming the ruleset file, rule and field for an
  // invalid ruleset; those of the stores, the tokens file, Kafka options
  // and binding.
  static absl::StatusOr<std::unique_ptr<ClassificationServer>> Start(
      ClassificationServerOptions options);
  virtual ~ClassificationServer() = default;
  virtual int port() const = 0;
  virtual int metrics_port() const = 0;
  virtual Classifier* classifier() = 0;
  // Stops accepting calls, finishes in-flight ones for up to `grace`, stops
  // the consumer, the worker and the relay, closes the stores. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVER_H_
