// portfolio: the enterprise-wide view of change, folded from the event log.
// Settings: --help (flags, CHANGELEDGER_* environment variables, YAML file).
#include <cstdio>

#include "changeledger/config/config.h"
#include "changeledger/portfolio/portfolio_server.h"
#include "changeledger/rpc/process.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using namespace changeledger;
  rpc::BlockShutdownSignals();
  rpc::ConfigureRuntime();
  portfolio::PortfolioServerOptions options;
  options.common.service_name = "portfolio";
  options.common.grpc_listen = "127.0.0.1:50055";
  options.common.metrics_listen = "127.0.0.1:9405";
  options.common.data_dir = "./data/portfolio";
  std::string intake_log_reader, classification_log_reader;
  config::Settings settings("portfolio", "Portfolio: the change baseline, for any date");
  config::AddCommonOptions(settings, options.common);
  settings.AddString("portfolio.source", &options.source,
                     "what feeds the view after start: kafka, log_reader or none",
                     config::OneOfValidator({"kafka", "log_reader", "none"}));
  settings.AddString("portfolio.group_id", &options.group_id,
                     "Kafka consumer group, one per replica (default: from host and data dir)");
  settings.AddString("portfolio.intake_log_reader", &intake_log_reader,
                     "intake's gRPC address host:port, for LOG_READER rebuilds",
                     config::HostPortValidator(/*allow_empty=*/true));
  settings.AddString("portfolio.classification_log_reader", &classification_log_reader,
                     "classification's gRPC address host:port, for LOG_READER rebuilds",
                     config::HostPortValidator(/*allow_empty=*/true));
  settings.AddSecret("portfolio.service_token", &options.service_token,
                     "bearer token presented to the log readers");
  config::AddClientTlsSettings(settings, "portfolio.log_reader", "the log readers",
                               &options.log_reader_tls_root_cert_file,
                               &options.log_reader_tls_client_cert_file,
                               &options.log_reader_tls_client_key_file);
  settings.ParseOrExit(argc, argv);
  if (!intake_log_reader.empty()) options.log_readers["intake"] = intake_log_reader;
  if (!classification_log_reader.empty()) {
    options.log_readers["classification"] = classification_log_reader;
  }
  if (auto status = rpc::ConfigureLogging(options.common.log_level); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 2;
  }
  spdlog::info("msg=\"starting\" service=portfolio config=\"{}\"", settings.Describe());
  auto server = portfolio::PortfolioServer::Start(options);
  if (!server.ok()) {
    spdlog::error("msg=\"cannot start\" error=\"{}\"", server.status().ToString());
    return 1;
  }
  rpc::ServeUntilSignal("portfolio", (*server)->port(), (*server)->metrics_port(),
                        [&] { (*server)->Stop(options.common.shutdown_grace); });
  return 0;
}
