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
//   "broker"   optional ("dependency/broker"): the relay cannot publish;
//   "intake_log_reader" optional ("dependency/intake_log_reader"), only with
//              intake_log_reader set: intake's LogReader cannot be reached
//              (or refuses the token) while catching up.
//
// Catch-up from intake's log: with intake_log_reader set, a background
// thread first reads intake's LogReader from the position stored for the
// source "intake" (1 the first time) up to the head it saw when it began,
// into the same projection and key-value store the Kafka consumer feeds
// (the runner's dedupe by (source, stream, version) is shared, so whatever
// arrives from both is applied once), then starts the Kafka consumer. The
// two never run at the same time. While intake cannot be reached it retries
// with backoff; after catch_up_wait it starts the Kafka consumer anyway and
// keeps retrying: once intake answers it stops the consumer, catches up,
// and starts the consumer again. Start() never waits for intake.
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
  // Intake's gRPC address (host:port) whose LogReader is read at start to
  // catch up on events Kafka no longer has. Default: "" (Kafka only).
  std::string intake_log_reader;
  // Bearer token presented to intake's LogReader (a principal with a role
  // intake allows on ReadLog/GetLogHead: service, auditor, admin,
  // portfolio_office). Default: "" (no authorization header).
  std::string service_token;
  // PEM CA bundle for TLS to intake's LogReader. Default: "" (plaintext).
  std::string log_reader_tls_root_cert_file;
  // PEM client certificate and key presented to intake when it requires
  // one (mutual TLS): both or neither, and only with
  // log_reader_tls_root_cert_file. Default: "" (none).
  std::string log_reader_tls_client_cert_file;
  std::string log_reader_tls_client_key_file;
  // How long the Kafka consumer waits for the first catch-up while intake
  // cannot be reached. Default: 10 s.
  std::chrono::milliseconds catch_up_wait{10000};
  // Backoff between attempts to reach intake's LogReader: doubles from
  // the first value up to the second. Default: 200 ms .. 30 s.
  std::chrono::milliseconds catch_up_backoff_min{200};
  std::chrono::milliseconds catch_up_backoff_max{30000};
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
  // True once a catch-up from intake's LogReader has read up to the head
  // seen when it began (always false without intake_log_reader).
  virtual bool caught_up() const = 0;
  // Stops accepting calls, finishes in-flight ones for up to `grace`, stops
  // the consumer, the worker and the relay, closes the stores. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVER_H_
