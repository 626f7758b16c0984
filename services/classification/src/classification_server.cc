#include "changeledger/classification/classification_server.h"

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/probes.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/classification/classification_service.h"
#include "changeledger/classification/classifier.h"
#include "changeledger/errors/status_macros.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/server.h"

namespace changeledger::classification {
namespace {

constexpr char kStore[] = "store";
constexpr char kIntake[] = "intake";
constexpr char kBroker[] = "broker";

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open ruleset file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class ClassificationServerImpl final : public ClassificationServer {
 public:
  ~ClassificationServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  absl::Status Init(ClassificationServerOptions options) {
    if (options.ruleset_file.empty()) {
      return absl::InvalidArgumentError("classification.ruleset_file: required");
    }
    if (options.common.data_dir.empty()) {
      return absl::InvalidArgumentError("data.dir: required (the classification store lives there)");
    }
    CL_ASSIGN_OR_RETURN(std::string yaml, ReadFile(options.ruleset_file));
    std::error_code ec;
    std::filesystem::create_directories(options.common.data_dir, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("data.dir: cannot create ", options.common.data_dir, ": ", ec.message()));
    }
    CL_ASSIGN_OR_RETURN(std::unique_ptr<Ruleset> ruleset,
                        LoadRuleset(yaml, options.ruleset_file));

    registry_ = std::make_unique<metrics::Registry>();
    metrics::RegisterProcessMetrics(*registry_);
    inbox_depth_ = registry_->AddGauge("changeledger_classification_inbox_depth",
                                       "Intake facts waiting to be classified");
    queue_depth_ = registry_->AddGauge("changeledger_classification_queue_depth",
                                       "Changes awaiting a confirmed classification");

    eventstore::RocksDbEventStoreOptions store_options;
    store_options.path = options.common.data_dir + "/events";
    CL_ASSIGN_OR_RETURN(store_, eventstore::OpenRocksDbEventStore(store_options));
    kv::RocksDbKvStoreOptions kv_options;
    kv_options.path = options.common.data_dir + "/view";
    CL_ASSIGN_OR_RETURN(kv_, kv::OpenRocksDbKvStore(kv_options));

    CL_ASSIGN_OR_RETURN(classifier_,
                        Classifier::Create(store_.get(), kv_.get(),
                                           std::shared_ptr<const Ruleset>(std::move(ruleset))));
    projection_ = std::make_unique<IntakeProjection>([this] { classifier_->Notify(); });

    service_ = std::make_unique<ClassificationServiceImpl>(
        classifier_.get(), ClassificationServiceOptions{.ruleset_yaml = yaml});
    log_reader_ = std::make_unique<bus::LogReaderService>(
        store_.get(), bus::LogReaderServiceOptions{.source = "classification"});

    CL_ASSIGN_OR_RETURN(rpc::ServerOptions server_options,
                        rpc::ServerOptionsFrom(options.common, registry_.get()));
    server_options.service_name = "classification";
    CL_ASSIGN_OR_RETURN(server_, rpc::Server::Create(std::move(server_options)));
    CL_RETURN_IF_ERROR(server_->AddService(service_.get(), ClassificationServicePolicy()));
    CL_RETURN_IF_ERROR(server_->AddService(log_reader_.get(), LogReaderPolicy()));
    server_->DeclareDependency(kStore, rpc::DependencyKind::kRequired, true);
    server_->DeclareDependency(kIntake, rpc::DependencyKind::kRequired, true);

    classifier_->Start();
    if (!options.common.kafka_bootstrap_servers.empty()) {
      runner_probe_ = std::make_unique<bus::RunnerProbe>(registry_.get(), kIntakeProjectionName);
      bus::KafkaSourceOptions source;
      source.bootstrap_servers = options.common.kafka_bootstrap_servers;
      source.group_id = options.consumer_group;
      source.topics = {options.intake_topic};
      source.kafka_config = options.consumer_config;
      CL_ASSIGN_OR_RETURN(runner_, bus::ProjectionRunner::CreateKafka(
                                       projection_.get(), kv_.get(), std::move(source), {},
                                       runner_probe_.get()));
      runner_->Start();

      relay_probe_ = std::make_unique<bus::RelayProbe>(registry_.get(), options.topic);
      bus::OutboxRelayOptions relay_options;
      relay_options.bootstrap_servers = options.common.kafka_bootstrap_servers;
      relay_options.topic = options.topic;
      CL_ASSIGN_OR_RETURN(relay_, bus::OutboxRelay::Create(store_.get(), std::move(relay_options),
                                                           relay_probe_.get()));
      server_->DeclareDependency(kBroker, rpc::DependencyKind::kOptional, false);
      relay_->Start();
    }

    CL_RETURN_IF_ERROR(server_->Start());
    if (!options.common.metrics_listen.empty()) {
      CL_ASSIGN_OR_RETURN(exposer_,
                          metrics::Exposer::Start(options.common.metrics_listen, *registry_));
    }
    monitor_ = std::thread([this] { Monitor(); });
    return absl::OkStatus();
  }

  int port() const override { return server_->port(); }
  int metrics_port() const override { return exposer_ ? exposer_->port() : 0; }
  Classifier* classifier() override { return classifier_.get(); }

  void Stop(std::chrono::milliseconds grace) override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    if (log_reader_) log_reader_->Shutdown();
    if (server_) server_->Shutdown(grace);
    if (runner_) runner_->Stop();
    if (classifier_) classifier_->Stop();
    if (relay_) relay_->Stop();
    if (store_) store_->Close();
    exposer_.reset();
  }

 private:
  void Monitor() {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      lock.unlock();
      const bool store_ok = store_->StreamVersion("health-probe").ok();
      server_->SetDependencyHealthy(kStore, store_ok);
      const bool intake_ok =
          (!runner_ || runner_->status().ok()) && classifier_->worker_status().ok();
      server_->SetDependencyHealthy(kIntake, intake_ok);
      if (relay_) server_->SetDependencyHealthy(kBroker, relay_->healthy());
      if (auto depth = classifier_->InboxDepth(); depth.ok()) {
        inbox_depth_.Set(static_cast<double>(*depth));
      }
      queue_depth_.Set(static_cast<double>(classifier_->QueueSnapshot().size()));
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopped_; });
    }
  }

  std::unique_ptr<metrics::Registry> registry_;
  metrics::Gauge inbox_depth_;
  metrics::Gauge queue_depth_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<kv::KvStore> kv_;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<IntakeProjection> projection_;
  std::unique_ptr<ClassificationServiceImpl> service_;
  std::unique_ptr<bus::LogReaderService> log_reader_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<bus::RunnerProbe> runner_probe_;
  std::unique_ptr<bus::ProjectionRunner> runner_;
  std::unique_ptr<bus::RelayProbe> relay_probe_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  std::unique_ptr<metrics::Exposer> exposer_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread monitor_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ClassificationServer>> ClassificationServer::Start(
    ClassificationServerOptions options) {
  auto server = std::make_unique<ClassificationServerImpl>();
  absl::Status status = server->Init(std::move(options));
  if (!status.ok()) {
    server->Stop(std::chrono::milliseconds(0));
    return status;
  }
  return server;
}

}  // namespace changeledger::classification
