// IntakeServer: the whole intake process as an object, for main(), the
// loopback tests and the benchmark. It opens the RocksDB event store,
// rebuilds the list read model from the log, serves IntakeService and the
// LogReader through rpc::Server (authentication, role policies, health,
// reflection, per-RPC metrics), runs the outbox relay to Kafka, serves
// /metrics, and keeps health in step with its dependencies:
//   "store"      required: NOT_SERVING once the store refuses writes;
//   "read_model" required: NOT_SERVING if the list model hits a bad event;
//   "broker"     optional: NOT_SERVING (as "dependency/broker") while the
//                relay cannot publish; commands are still accepted and
//                queue in the outbox.
#ifndef CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVER_H_
#define CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "changeledger/config/config.h"
#include "changeledger/eventstore/event_store.h"

namespace changeledger::intake {

struct IntakeServerOptions {
  // Listen addresses, data dir, tokens file, TLS, Kafka, deadlines.
  // data_dir is required (the store lives in <data_dir>/events).
  // An empty kafka_bootstrap_servers runs without a relay: events stay in
  // the outbox (for tests and local experiments only).
  config::CommonOptions common;
  // Business-area reference data (YAML). Default: "" (the built-in list).
  std::string business_areas_file;
  // Kafka topic. Default: changeledger.intake.v1.
  std::string topic = "changeledger.intake.v1";
  // Sync the store's WAL before answering. Default: true. Only benchmarks
  // of the non-durable path turn it off.
  bool sync = true;
};

class IntakeServer {
 public:
  // Opens, rebuilds and starts serving. Errors: those of the store, the
  // business-area file, the tokens file, the relay options and binding.
  static absl::StatusOr<std::unique_ptr<IntakeServer>> Start(IntakeServerOptions options);

  // Stops (grace 0) if still running.
  virtual ~IntakeServer() = default;

  virtual int port() const = 0;
  // 0 when metrics are disabled.
  virtual int metrics_port() const = 0;
  virtual eventstore::EventStore* store() = 0;

  // Stops accepting calls, lets in-flight calls finish for up to `grace`,
  // stops the relay (flushing what it can), the read model, and closes the
  // store cleanly. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVER_H_
