// intake: the front door for change proposals and the register of change.
// Settings: --help (flags, CHANGELEDGER_* environment variables, YAML file).
#include <cstdio>

#include "changeledger/config/config.h"
#include "changeledger/rpc/process.h"
#include "intake_server.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using namespace changeledger;
  rpc::BlockShutdownSignals();
  rpc::ConfigureRuntime();
  intake::IntakeServerOptions options;
  options.common.service_name = "intake";
  options.common.grpc_listen = "127.0.0.1:50051";
  options.common.metrics_listen = "127.0.0.1:9401";
  options.common.data_dir = "./data/intake";
  config::Settings settings("intake", "Change intake: front door and register of change");
  config::AddCommonOptions(settings, options.common);
  settings.AddString("intake.business_areas_file", &options.business_areas_file,
                     "YAML list of business areas (default: the built-in list)",
                     config::ReadableFileValidator());
  settings.AddString("intake.topic", &options.topic, "Kafka topic of intake events");
  settings.ParseOrExit(argc, argv);
  if (auto status = rpc::ConfigureLogging(options.common.log_level); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 2;
  }
  spdlog::info("msg=\"starting\" service=intake config=\"{}\"", settings.Describe());
  if (options.common.kafka_bootstrap_servers.empty()) {
    spdlog::warn(
        "msg=\"no Kafka brokers set (kafka.bootstrap_servers): events stay in the outbox, "
        "unpublished, until the service is restarted with them\" service=intake");
  }
  auto server = intake::IntakeServer::Start(options);
  if (!server.ok()) {
    spdlog::error("msg=\"cannot start\" error=\"{}\"", server.status().ToString());
    return 1;
  }
  rpc::ServeUntilSignal("intake", (*server)->port(), (*server)->metrics_port(),
                        [&] { (*server)->Stop(options.common.shutdown_grace); });
  return 0;
}
