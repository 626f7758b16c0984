// classification: the differentiated model of change for every registered change.
// Settings: --help (flags, CHANGELEDGER_* environment variables, YAML file).
#include <cstdio>

#include "changeledger/classification/classification_server.h"
#include "changeledger/config/config.h"
#include "changeledger/rpc/process.h"
#include "spdlog/spdlog.h"

int main(int argc, char** argv) {
  using namespace changeledger;
  rpc::BlockShutdownSignals();
  rpc::ConfigureRuntime();
  classification::ClassificationServerOptions options;
  options.common.service_name = "classification";
  options.common.grpc_listen = "127.0.0.1:50052";
  options.common.metrics_listen = "127.0.0.1:9402";
  options.common.data_dir = "./data/classification";
  options.ruleset_file = "services/classification/rulesets/differentiated-model-v2.yaml";
  config::Settings settings("classification",
                            "Classification of change in the differentiated model");
  config::AddCommonOptions(settings, options.common);
  settings.AddString("classification.ruleset_file", &options.ruleset_file,
                     "YAML ruleset (docs/classification.md)", config::ReadableFileValidator());
  settings.AddString("classification.intake_topic", &options.intake_topic,
                     "Kafka topic of intake events (consumed)");
  settings.AddString("classification.topic", &options.topic,
                     "Kafka topic of classification events (published)");
  settings.AddString("classification.consumer_group", &options.consumer_group,
                     "Kafka consumer group of the intake consumer");
  settings.AddString("classification.intake_log_reader", &options.intake_log_reader,
                     "intake's gRPC address host:port, read at start to catch up on intake "
                     "events Kafka no longer has (empty: Kafka only)",
                     config::HostPortValidator(/*allow_empty=*/true));
  settings.AddSecret("classification.service_token", &options.service_token,
                     "bearer token presented to intake's LogReader (role service)");
  config::AddClientTlsSettings(
      settings, "classification.log_reader", "intake's LogReader",
      &options.log_reader_tls_root_cert_file, &options.log_reader_tls_client_cert_file,
      &options.log_reader_tls_client_key_file);
  settings.ParseOrExit(argc, argv);
  if (auto status = rpc::ConfigureLogging(options.common.log_level); !status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 2;
  }
  spdlog::info("msg=\"starting\" service=classification config=\"{}\"", settings.Describe());
  auto server = classification::ClassificationServer::Start(options);
  if (!server.ok()) {
    // An invalid ruleset ends here, with the file, rule and field named.
    spdlog::error("msg=\"cannot start\" error=\"{}\"", server.status().ToString());
    return 1;
  }
  rpc::ServeUntilSignal("classification", (*server)->port(), (*server)->metrics_port(),
                        [&] { (*server)->Stop(options.common.shutdown_grace); });
  return 0;
}
