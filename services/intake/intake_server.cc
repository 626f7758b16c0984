#include "intake_server.h"

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "business_areas_config.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/probes.h"
#include "changeledger/errors/status_macros.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/server.h"
#include "intake_service.h"
#include "policy.h"
#include "probe.h"
#include "read_model.h"

namespace changeledger::intake {
namespace {

constexpr char kStore[] = "store";
constexpr char kReadModel[] = "read_model";
constexpr char kBroker[] = "broker";

absl::StatusOr<std::string> PrincipalOf(const grpc::ServerContext* context) {
  const rpc::Principal* principal = rpc::GetPrincipal(context);
  if (principal == nullptr) return absl::UnauthenticatedError("no authenticated principal");
  return principal->name;
}

class IntakeServerImpl final : public IntakeServer {
 public:
  ~IntakeServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  absl::Status Init(IntakeServerOptions options) {
    if (options.common.data_dir.empty()) {
      return absl::InvalidArgumentError("data.dir: required (the intake event store lives there)");
    }
    CL_RETURN_IF_ERROR(config::ClaimDataDir(options.common.data_dir, "intake", {"events"}));
    registry_ = std::make_unique<metrics::Registry>();
    metrics::RegisterProcessMetrics(*registry_);
    CL_ASSIGN_OR_RETURN(areas_, LoadBusinessAreas(options.business_areas_file));
    probe_ = std::make_unique<IntakeProbe>(registry_.get());
    store_probe_ = std::make_unique<bus::EventStoreProbe>(registry_.get());

    eventstore::RocksDbEventStoreOptions store_options;
    store_options.path = options.common.data_dir + "/events";
    store_options.sync = options.sync;
    store_options.observer = store_probe_.get();
    // Under load, callers come back within a synced write's time: holding
    // a small group open for up to 1 ms lets one sync serve about ten
    // commands instead of two or three (measured: about 10% less CPU per
    // command at 32 clients). A lone caller never waits (see the option).
    store_options.group_linger = absl::Milliseconds(1);
    store_options.group_linger_below = 8;
    CL_ASSIGN_OR_RETURN(store_, eventstore::OpenRocksDbEventStore(store_options));

    // Until the read model has folded the log as it stood at the start,
    // lists could only answer UNAVAILABLE: the service is not ready.
    rebuilt_through_ = store_->LastPosition();
    read_model_ = std::make_unique<ReadModel>(store_.get());
    read_model_->Start();

    IntakeServiceOptions service_options;
    service_options.principal_of = &PrincipalOf;
    service_ = std::make_unique<IntakeServiceImpl>(store_.get(), read_model_.get(), &areas_,
                                                   probe_.get(), std::move(service_options));
    log_reader_ = std::make_unique<bus::LogReaderService>(
        store_.get(), bus::LogReaderServiceOptions{.source = "intake"});

    CL_ASSIGN_OR_RETURN(rpc::ServerOptions server_options,
                        rpc::ServerOptionsFrom(options.common, registry_.get()));
    server_options.service_name = "intake";
    CL_ASSIGN_OR_RETURN(server_, rpc::Server::Create(std::move(server_options)));
    CL_RETURN_IF_ERROR(server_->AddService(service_.get(), IntakeServicePolicy()));
    CL_RETURN_IF_ERROR(server_->AddService(log_reader_.get(), LogReaderPolicy()));
    server_->DeclareDependency(kStore, rpc::DependencyKind::kRequired, true);
    server_->DeclareDependency(kReadModel, rpc::DependencyKind::kRequired,
                               ReadModelReady());

    if (!options.common.kafka_bootstrap_servers.empty()) {
      relay_probe_ = std::make_unique<bus::RelayProbe>(registry_.get(), options.topic);
      bus::OutboxRelayOptions relay_options;
      relay_options.bootstrap_servers = options.common.kafka_bootstrap_servers;
      relay_options.kafka_config = config::KafkaClientConfig(options.common);
      relay_options.topic = options.topic;
      // Intake's events feed classification and the baseline, where tens of
      // milliseconds do not matter; a longer gather than the default makes
      // rounds fuller, with fewer and larger batches per partition
      // (measured against 20 ms: about 8 us less CPU per command on the
      // relay path, for up to 30 ms more publish latency).
      relay_options.gather = absl::Milliseconds(50);
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
  eventstore::EventStore* store() override { return store_.get(); }

  void Stop(std::chrono::milliseconds grace) override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    wake_.notify_all();
    if (monitor_.joinable()) monitor_.join();
    // NOT_SERVING before the log reader ends its followers' streams, so that
    // they look for another instance rather than reconnect to this one.
    if (server_) server_->StopServing();
    if (log_reader_) log_reader_->Shutdown();
    if (server_) server_->Shutdown(grace);
    if (relay_) relay_->Stop();
    if (read_model_) read_model_->Stop();
    if (store_) store_->Close();
    exposer_.reset();
  }

 private:
  // Healthy, and done rebuilding from the log the service started with
  // (later lag only makes lists wait for it).
  bool ReadModelReady() {
    if (!read_model_->health().ok()) return false;
    if (!rebuilt_) rebuilt_ = read_model_->position() >= rebuilt_through_;
    return rebuilt_;
  }

  // Keeps health and gauges in step with the dependencies.
  void Monitor() {
    std::unique_lock lock(mu_);
    while (!stopped_) {
      lock.unlock();
      server_->SetDependencyHealthy(kStore, store_->WriteStatus().ok());
      server_->SetDependencyHealthy(kReadModel, ReadModelReady());
      if (relay_) server_->SetDependencyHealthy(kBroker, relay_->healthy());
      const uint64_t head = store_->LastPosition();
      const uint64_t applied = read_model_->position();
      probe_->ReadModelLag(head > applied ? head - applied : 0);
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stopped_; });
    }
  }

  std::unique_ptr<metrics::Registry> registry_;
  domain::BusinessAreaCatalog areas_;
  std::unique_ptr<IntakeProbe> probe_;
  std::unique_ptr<bus::EventStoreProbe> store_probe_;  // outlives the store
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<ReadModel> read_model_;
  std::unique_ptr<IntakeServiceImpl> service_;
  std::unique_ptr<bus::LogReaderService> log_reader_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<bus::RelayProbe> relay_probe_;
  std::unique_ptr<bus::OutboxRelay> relay_;
  std::unique_ptr<metrics::Exposer> exposer_;
  uint64_t rebuilt_through_ = 0;      // the log's last position at start
  std::atomic<bool> rebuilt_{false};  // the read model got there
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopped_ = false;
  std::thread monitor_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<IntakeServer>> IntakeServer::Start(IntakeServerOptions options) {
  auto server = std::make_unique<IntakeServerImpl>();
  absl::Status status = server->Init(std::move(options));
  if (!status.ok()) {
    server->Stop(std::chrono::milliseconds(0));
    return status;
  }
  return server;
}

}  // namespace changeledger::intake
