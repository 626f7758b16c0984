// PortfolioServer: the whole portfolio process as an object, for main(),
// the loopback tests and the end-to-end test. It opens the view's RocksDB
// store (<data_dir>/view), folds the stored facts into memory, feeds the
// view from Kafka (or from the services' log readers), serves
// PortfolioService through rpc::Server (authentication, role policy,
// health, reflection, per-RPC metrics), serves /metrics, and rebuilds on
// request. Health: "view_store" and "source" are required dependencies;
// "source" goes down when a runner stops on an error.
#ifndef CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVER_H_
#define CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVER_H_

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "changeledger/config/config.h"
#include "changeledger/portfolio/portfolio_service.h"

namespace changeledger::portfolio {

struct PortfolioServerOptions {
  // Listen addresses, data dir (required), tokens file, TLS, Kafka.
  config::CommonOptions common;
  // How the view is fed after start: "kafka" (the topics of every
  // registered adapter, from the stored offsets) or "log_reader" (each
  // service in log_readers, from the stored positions), or "none" (serve
  // the stored view only). Default: "kafka".
  std::string source = "kafka";
  // Kafka consumer group; one per replica, since each replica consumes
  // every partition. Default: "" (portfolio-<hostname>-<data dir hash>).
  std::string group_id;
  // Extra librdkafka consumer settings (tests lower session.timeout.ms).
  std::map<std::string, std::string> kafka_config;
  // Log readers for rebuilds (and for source "log_reader"): service name
  // ("intake", "classification") -> "host:port". Default: none.
  std::map<std::string, std::string> log_readers;
  // Bearer token the portfolio presents to the log readers (a principal
  // with the service or auditor role). Default: "".
  std::string service_token;
  // PEM CA bundle to verify the log readers' TLS. Default: "" (plaintext).
  std::string log_reader_tls_root_cert_file;
  // PEM client certificate and key the portfolio presents to log readers
  // that require one (mutual TLS): both or neither, and only with
  // log_reader_tls_root_cert_file. Default: "" (none).
  std::string log_reader_tls_client_cert_file;
  std::string log_reader_tls_client_key_file;
  // Events per committed group. Default: 500.
  size_t max_batch = 500;
  // RocksDB memtable size of the view's store. Default: 64 MiB.
  size_t write_buffer_size = 64u << 20;
};

class PortfolioServer {
 public:
  // Opens, loads and starts serving. When the store holds nothing yet, the
  // first consumption counts as a rebuild (queries answer UNAVAILABLE until
  // caught up). Errors: those of the store, the tokens file, the source
  // options and binding.
  static absl::StatusOr<std::unique_ptr<PortfolioServer>> Start(PortfolioServerOptions options);
  virtual ~PortfolioServer() = default;

  virtual int port() const = 0;
  // 0 when metrics are disabled.
  virtual int metrics_port() const = 0;
  virtual ViewControl& control() = 0;
  virtual ModelHolder& holder() = 0;

  // Stops accepting calls, lets in-flight calls finish for up to `grace`,
  // stops the runners (committing or dropping whole groups) and closes the
  // store. Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_PORTFOLIO_SERVER_H_
