#include "changeledger/classification/classification_server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
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
#include "changeledger/rpc/client.h"
#include "changeledger/rpc/server.h"
#include "grpcpp/channel.h"
#include "spdlog/spdlog.h"

namespace changeledger::classification {
namespace {

constexpr char kStore[] = "store";
constexpr char kIntake[] = "intake";
constexpr char kBroker[] = "broker";
constexpr char kIntakeLogReader[] = "intake_log_reader";
// Name under which the runner stores its position in intake's log.
constexpr char kLogSource[] = "intake";

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
    CL_RETURN_IF_ERROR(
        config::ClaimDataDir(options.common.data_dir, "classification", {"events", "view"}));
    CL_ASSIGN_OR_RETURN(std::unique_ptr<Ruleset> ruleset,
                        LoadRuleset(yaml, options.ruleset_file));

    registry_ = std::make_unique<metrics::Registry>();
    metrics::RegisterProcessMetrics(*registry_);
    inbox_depth_ = registry_->AddGauge("changeledger_classification_inbox_depth",
                                       "Intake facts waiting to be classified");
    queue_depth_ = registry_->AddGauge("changeledger_classification_queue_depth",
                                       "Changes awaiting a confirmed classification");

    store_probe_ = std::make_unique<bus::EventStoreProbe>(registry_.get());
    eventstore::RocksDbEventStoreOptions store_options;
    store_options.path = options.common.data_dir + "/events";
    store_options.observer = store_probe_.get();
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
      kafka_source_.bootstrap_servers = options.common.kafka_bootstrap_servers;
      kafka_source_.group_id = options.consumer_group;
      kafka_source_.topics = {options.intake_topic};
      kafka_source_.kafka_config = config::KafkaClientConfig(options.common);
      for (const auto& [key, value] : options.consumer_config) {
        kafka_source_.kafka_config[key] = value;
      }
      // Created now so that bad Kafka options stop the start; started here
      // or, with a log reader, by the catch-up thread.
      CL_ASSIGN_OR_RETURN(runner_, bus::ProjectionRunner::CreateKafka(
                                       projection_.get(), kv_.get(), kafka_source_, {},
                                       runner_probe_.get()));
      if (options.intake_log_reader.empty()) {
        runner_->Start();
        kafka_running_ = true;
      }

      relay_probe_ = std::make_unique<bus::RelayProbe>(registry_.get(), options.topic);
      bus::OutboxRelayOptions relay_options;
      relay_options.bootstrap_servers = options.common.kafka_bootstrap_servers;
      relay_options.kafka_config = config::KafkaClientConfig(options.common);
      relay_options.topic = options.topic;
      CL_ASSIGN_OR_RETURN(relay_, bus::OutboxRelay::Create(store_.get(), std::move(relay_options),
                                                           relay_probe_.get()));
      server_->DeclareDependency(kBroker, rpc::DependencyKind::kOptional, false);
      relay_->Start();
    }

    if (!options.intake_log_reader.empty()) {
      rpc::ClientOptions client;
      client.target = options.intake_log_reader;
      client.tls_root_cert_file = options.log_reader_tls_root_cert_file;
      client.tls_client_cert_file = options.log_reader_tls_client_cert_file;
      client.tls_client_key_file = options.log_reader_tls_client_key_file;
      CL_ASSIGN_OR_RETURN(log_channel_, rpc::MakeChannel(client));
      log_source_.channel = log_channel_;
      log_source_.source_name = kLogSource;
      if (!options.service_token.empty()) {
        log_source_.metadata["authorization"] = "Bearer " + options.service_token;
      }
      log_probe_ = std::make_unique<bus::RunnerProbe>(
          registry_.get(), absl::StrCat(kIntakeProjectionName, "-log"));
      server_->DeclareDependency(kIntakeLogReader, rpc::DependencyKind::kOptional, false);
      catch_up_options_ = options;
    }

    CL_RETURN_IF_ERROR(server_->Start());
    if (!options.common.metrics_listen.empty()) {
      CL_ASSIGN_OR_RETURN(exposer_,
                          metrics::Exposer::Start(options.common.metrics_listen, *registry_));
    }
    monitor_ = std::thread([this] { Monitor(); });
    if (!options.intake_log_reader.empty()) {
      spdlog::info("msg=\"catching up from intake's log reader\" address={}",
                   options.intake_log_reader);
      catch_up_ = std::thread([this] { CatchUpLoop(); });
    }
    return absl::OkStatus();
  }

  bool caught_up() const override { return caught_up_.load(); }

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
    if (catch_up_.joinable()) catch_up_.join();
    // NOT_SERVING before the log reader ends its followers' streams, so that
    // they look for another instance rather than reconnect to this one.
    if (server_) server_->StopServing();
    if (log_reader_) log_reader_->Shutdown();
    if (server_) server_->Shutdown(grace);
    {
      std::lock_guard lock(runner_mu_);
      if (runner_) runner_->Stop();
    }
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
      // A store whose write failed (a full disk, say) refuses appends until
      // it is reopened.
      const bool store_ok = store_->WriteStatus().ok();
      server_->SetDependencyHealthy(kStore, store_ok);
      bool runner_ok = true;
      {
        std::lock_guard runner_lock(runner_mu_);
        // The Kafka consumer of intake's events needs its brokers.
        if (runner_) runner_ok = runner_->status().ok() && runner_->source_up();
      }
      const bool intake_ok = runner_ok && classifier_->worker_status().ok();
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

  // Waits up to `d`; false when stopping.
  bool WaitUnlessStopped(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return !wake_.wait_for(lock, d, [this] { return stopped_; });
  }

  bool Stopping() {
    std::lock_guard lock(mu_);
    return stopped_;
  }

  // Starts (true) or stops (false) the Kafka consumer, if there is one. A
  // stopped runner cannot be reused safely across sources, so a restart
  // builds a new one over the same store.
  void SetKafkaRunning(bool running) {
    std::lock_guard lock(runner_mu_);
    if (kafka_source_.bootstrap_servers.empty()) return;
    if (running == kafka_running_) return;
    if (running) {
      if (!runner_) {
        absl::StatusOr<std::unique_ptr<bus::ProjectionRunner>> runner =
            bus::ProjectionRunner::CreateKafka(projection_.get(), kv_.get(), kafka_source_, {},
                                               runner_probe_.get());
        if (!runner.ok()) {
          spdlog::error("msg=\"cannot create the intake consumer\" error=\"{}\"",
                        runner.status().ToString());
          return;
        }
        runner_ = std::move(*runner);
      }
      runner_->Start();
    } else {
      runner_->Stop();
      runner_.reset();
    }
    kafka_running_ = running;
  }

  // The stored next position in intake's log (1 when none).
  absl::StatusOr<uint64_t> StoredLogPosition() {
    CL_ASSIGN_OR_RETURN(std::optional<std::string> v,
                        kv_->Get(bus::RunnerKeyPrefix(kIntakeProjectionName) + "l/" + kLogSource));
    if (!v) return 1;
    uint64_t position = 0;
    if (!absl::SimpleAtoi(*v, &position)) {
      return absl::DataLossError(absl::StrCat("bad stored log position ", *v));
    }
    return std::max<uint64_t>(position, 1);
  }

  // One catch-up: with the Kafka consumer stopped, a log-reader runner
  // reads intake's log up to `head`. OK once the stored position has
  // passed `head`; an error when intake stops answering (the runner keeps
  // what it committed) or the runner stops on an error.
  absl::Status CatchUpTo(uint64_t head, bus::LogReaderClient& probe) {
    SetKafkaRunning(false);
    CL_ASSIGN_OR_RETURN(std::unique_ptr<bus::ProjectionRunner> runner,
                        bus::ProjectionRunner::CreateLogReader(projection_.get(), kv_.get(),
                                                               log_source_, {}, log_probe_.get()));
    runner->Start();
    absl::Status result = absl::OkStatus();
    auto last_probe = std::chrono::steady_clock::now();
    while (true) {
      absl::StatusOr<uint64_t> position = StoredLogPosition();
      if (!position.ok()) {
        result = position.status();
        break;
      }
      if (*position > head) break;
      if (!runner->status().ok()) {
        result = runner->status();
        break;
      }
      if (!WaitUnlessStopped(std::chrono::milliseconds(50))) {
        result = absl::CancelledError("stopping");
        break;
      }
      if (std::chrono::steady_clock::now() - last_probe > std::chrono::seconds(2)) {
        last_probe = std::chrono::steady_clock::now();
        absl::StatusOr<eventlog::v1::GetLogHeadResponse> alive =
            probe.GetLogHead(log_source_.metadata);
        if (!alive.ok()) {
          result = alive.status();
          break;
        }
      }
    }
    runner->Stop();
    return result;
  }

  // Background: catches up from intake's log once, then leaves the Kafka
  // consumer running. Retries with backoff while intake cannot be reached;
  // starts the consumer meanwhile after catch_up_wait.
  void CatchUpLoop() {
    const ClassificationServerOptions& o = catch_up_options_;
    const auto began = std::chrono::steady_clock::now();
    std::chrono::milliseconds backoff = o.catch_up_backoff_min;
    bus::LogReaderClient probe(log_channel_);
    while (!Stopping()) {
      absl::StatusOr<eventlog::v1::GetLogHeadResponse> head =
          probe.GetLogHead(log_source_.metadata);
      absl::Status s = head.status();
      if (head.ok()) {
        server_->SetDependencyHealthy(kIntakeLogReader, true);
        s = CatchUpTo(head->log_head(), probe);
        if (s.ok()) {
          caught_up_.store(true);
          spdlog::info("msg=\"caught up from intake's log reader\" head={}", head->log_head());
          SetKafkaRunning(true);
          return;
        }
        if (absl::IsCancelled(s) && Stopping()) return;
      }
      server_->SetDependencyHealthy(kIntakeLogReader, false);
      spdlog::warn(
          "msg=\"intake log reader unavailable; retrying\" address={} retry_in_ms={} "
          "error=\"{}\"",
          o.intake_log_reader, backoff.count(), s.ToString());
      if (std::chrono::steady_clock::now() - began >= o.catch_up_wait) {
        // Do not leave Kafka unread while intake is away.
        SetKafkaRunning(true);
      }
      if (!WaitUnlessStopped(backoff)) return;
      backoff = std::min(backoff * 2, o.catch_up_backoff_max);
    }
  }

  std::unique_ptr<metrics::Registry> registry_;
  metrics::Gauge inbox_depth_;
  metrics::Gauge queue_depth_;
  std::unique_ptr<bus::EventStoreProbe> store_probe_;  // outlives the store
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<kv::KvStore> kv_;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<IntakeProjection> projection_;
  std::unique_ptr<ClassificationServiceImpl> service_;
  std::unique_ptr<bus::LogReaderService> log_reader_;
  std::unique_ptr<rpc::Server> server_;
  std::unique_ptr<bus::RunnerProbe> runner_probe_;
  std::mutex runner_mu_;  // guards runner_ and kafka_running_
  std::unique_ptr<bus::ProjectionRunner> runner_;
  bool kafka_running_ = false;
  bus::KafkaSourceOptions kafka_source_;
  ClassificationServerOptions catch_up_options_;
  std::shared_ptr<grpc::Channel> log_channel_;
  bus::LogReaderSourceOptions log_source_;
  std::unique_ptr<bus::RunnerProbe> log_probe_;
  std::atomic<bool> caught_up_{false};
  std::thread catch_up_;
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
