#include "changeledger/portfolio/portfolio_server.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/channel.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "changeledger/bus/probes.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/client.h"
#include "changeledger/rpc/server.h"
#include "spdlog/spdlog.h"

namespace changeledger::portfolio {
namespace {

// The portfolio's own metrics (the runners' are in bus::RunnerProbe).
//   changeledger_portfolio_events               gauge  facts in the view
//   changeledger_portfolio_changes              gauge  changes known
//   changeledger_portfolio_rebuilding           gauge  0/1
//   changeledger_portfolio_rebuild_events_applied  gauge
//   changeledger_portfolio_rebuild_events_total    gauge (applied + behind)
//   changeledger_portfolio_rebuilds_total       counter
class PortfolioProbe {
 public:
  explicit PortfolioProbe(metrics::Registry* r)
      : events_(r->AddGauge("changeledger_portfolio_events", "Facts folded into the portfolio view")),
        changes_(r->AddGauge("changeledger_portfolio_changes", "Changes known to the portfolio view")),
        rebuilding_(r->AddGauge("changeledger_portfolio_rebuilding", "1 while the view is rebuilding")),
        applied_(r->AddGauge("changeledger_portfolio_rebuild_events_applied",
                             "Events applied by the current or last rebuild")),
        total_(r->AddGauge("changeledger_portfolio_rebuild_events_total",
                           "Events applied plus events still behind in the current or last rebuild")),
        rebuilds_(r->AddCounter("changeledger_portfolio_rebuilds_total", "Rebuilds started")) {}

  void View(uint64_t events, uint64_t changes) {
    events_.Set(static_cast<double>(events));
    changes_.Set(static_cast<double>(changes));
  }
  void Rebuild(const RebuildInfo& info) {
    rebuilding_.Set(info.rebuilding ? 1 : 0);
    applied_.Set(static_cast<double>(info.events_applied));
    total_.Set(static_cast<double>(std::max(info.events_total, info.events_applied)));
  }
  void RebuildStarted() { rebuilds_.Increment(); }

 private:
  metrics::Gauge events_, changes_, rebuilding_, applied_, total_;
  metrics::Counter rebuilds_;
};

// Present from the start of a rebuild until it has caught up; its value
// is the source's name. A view found with it at start holds a part of a
// rebuild only, and is rebuilt again rather than served.
constexpr char kRebuildMarkerKey[] = "m/portfolio/rebuilding";

std::string DefaultGroupId(const std::string& data_dir) {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return absl::StrFormat("portfolio-%s-%016x", host, std::hash<std::string>{}(data_dir));
}

class PortfolioServerImpl final : public PortfolioServer, public ViewControl {
 public:
  explicit PortfolioServerImpl(PortfolioServerOptions options)
      : options_(std::move(options)),
        adapters_(DefaultAdapters()),
        projection_(&adapters_, &holder_),
        service_(&holder_, this),
        probe_(&registry_) {}

  ~PortfolioServerImpl() override { Stop(std::chrono::milliseconds(0)); }

  absl::Status Init() {
    if (options_.common.data_dir.empty()) {
      return absl::InvalidArgumentError("data.dir: required");
    }
    if (options_.source != "kafka" && options_.source != "log_reader" && options_.source != "none") {
      return absl::InvalidArgumentError("portfolio.source: must be kafka, log_reader or none");
    }
    if (options_.group_id.empty()) options_.group_id = DefaultGroupId(options_.common.data_dir);
    absl::Status claimed = config::ClaimDataDir(options_.common.data_dir, "portfolio", {"view"});
    if (!claimed.ok()) return claimed;
    kv::RocksDbKvStoreOptions kv_options;
    kv_options.path = options_.common.data_dir + "/view";
    kv_options.write_buffer_size = options_.write_buffer_size;
    // Facts are stored under "f/<source>/<position>" in position order.
    kv_options.insert_hints_by_key_directory = true;
    auto store = kv::OpenRocksDbKvStore(kv_options);
    if (!store.ok()) return store.status();
    store_ = std::move(*store);
    uint64_t older_format = 0;
    auto loaded = PortfolioProjection::Load(*store_, holder_, &older_format);
    if (!loaded.ok()) return loaded.status();
    spdlog::info("msg=\"view loaded\" facts={} older_format={}", *loaded, older_format);
    bool has_positions = false;
    auto scanned = kv::ScanPrefix(*store_, bus::RunnerKeyPrefix(PortfolioProjection::kName),
                                  [&](std::string_view, std::string_view) {
                                    has_positions = true;
                                    return false;
                                  });
    if (!scanned.ok()) return scanned;
    auto marker = store_->Get(kRebuildMarkerKey);
    if (!marker.ok()) return marker.status();

    metrics::RegisterProcessMetrics(registry_);
    if (!options_.common.metrics_listen.empty()) {
      auto exposer = metrics::Exposer::Start(options_.common.metrics_listen, registry_);
      if (!exposer.ok()) return exposer.status();
      exposer_ = std::move(*exposer);
    }
    auto server_options = rpc::ServerOptionsFrom(options_.common, &registry_);
    if (!server_options.ok()) return server_options.status();
    server_options->service_name = "portfolio";
    auto server = rpc::Server::Create(std::move(*server_options));
    if (!server.ok()) return server.status();
    server_ = std::move(*server);
    if (auto s = server_->AddService(&service_, PortfolioMethodPolicy()); !s.ok()) return s;
    server_->DeclareDependency("view_store", rpc::DependencyKind::kRequired, true);
    server_->DeclareDependency("source", rpc::DependencyKind::kRequired, true);

    if (marker->has_value()) {
      // The process stopped before the rebuild had caught up: the view
      // holds a part of the log only. Start it again, from the source it
      // was started from when that is still configured.
      pb::RebuildSource source = pb::REBUILD_SOURCE_UNSPECIFIED;
      if (!pb::RebuildSource_Parse(**marker, &source) || !SourceConfigured(source)) {
        source = ConfiguredSource();
      }
      if (!SourceConfigured(source)) {
        return absl::FailedPreconditionError(absl::StrCat(
            "the view holds an unfinished rebuild from ", **marker,
            " and no source to rebuild it from is configured"));
      }
      spdlog::warn("msg=\"unfinished rebuild found: rebuilding again\" interrupted={} source={}",
                   **marker, pb::RebuildSource_Name(source));
      std::lock_guard lock(mu_);
      if (auto s = bus::WipeProjection(*store_, PortfolioProjection::kName); !s.ok()) return s;
      holder_.Reset();
      if (auto s = StartRunnersLocked(source, /*rebuild=*/true); !s.ok()) return s;
    } else if (const pb::RebuildSource source = ConfiguredSource();
               source != pb::REBUILD_SOURCE_UNSPECIFIED) {
      std::lock_guard lock(mu_);
      // Facts stored in an earlier format lack what it did not keep (times
      // finer than microseconds, currencies, the history's words) and the
      // events it did not store: the view is rebuilt from the source.
      if (older_format > 0) {
        spdlog::warn("msg=\"view stored in an earlier format: rebuilding\" facts={}", older_format);
        if (auto s = bus::WipeProjection(*store_, PortfolioProjection::kName); !s.ok()) return s;
        holder_.Reset();
      }
      // An empty view is consumed from the beginning: that is a rebuild,
      // and queries say so until it has caught up.
      const bool rebuild = older_format > 0 || (!has_positions && *loaded == 0);
      if (auto s = StartRunnersLocked(source, rebuild); !s.ok()) return s;
    }
    if (auto s = server_->Start(); !s.ok()) return s;
    monitor_ = std::thread([this] { Monitor(); });
    return absl::OkStatus();
  }

  int port() const override { return server_ ? server_->port() : 0; }
  int metrics_port() const override { return exposer_ ? exposer_->port() : 0; }
  ViewControl& control() override { return *this; }
  ModelHolder& holder() override { return holder_; }

  void Stop(std::chrono::milliseconds grace) override {
    {
      std::lock_guard lock(mu_);
      if (stopped_) return;
      stopped_ = true;
    }
    stop_cv_.notify_all();
    if (server_) server_->Shutdown(grace);
    if (monitor_.joinable()) monitor_.join();
    std::lock_guard lock(mu_);
    for (auto& r : runners_) r->Stop();
    runners_.clear();
    store_.reset();
  }

  // ViewControl.
  absl::Status Rebuild(pb::RebuildSource source) override {
    std::lock_guard lock(mu_);
    if (stopped_) return absl::UnavailableError("the portfolio service is stopping");
    // Restarting a running rebuild would throw its progress away and keep
    // reads unavailable for longer; the caller waits for it instead.
    if (const RebuildInfo running = RebuildInfoLocked(); running.rebuilding) {
      return absl::FailedPreconditionError(RebuildRunningMessage(running));
    }
    if (source == pb::REBUILD_SOURCE_KAFKA && options_.common.kafka_bootstrap_servers.empty()) {
      return absl::FailedPreconditionError("source: KAFKA is not configured (kafka.bootstrap_servers)");
    }
    if (source == pb::REBUILD_SOURCE_LOG_READER && options_.log_readers.empty()) {
      return absl::FailedPreconditionError("source: LOG_READER is not configured (portfolio.log_readers)");
    }
    for (auto& r : runners_) r->Stop();
    runners_.clear();
    if (auto s = bus::WipeProjection(*store_, PortfolioProjection::kName); !s.ok()) {
      return absl::UnavailableError(absl::StrCat("cannot drop the view: ", s.message()));
    }
    holder_.Reset();
    spdlog::info("msg=\"rebuild\" source={}", pb::RebuildSource_Name(source));
    return StartRunnersLocked(source, /*rebuild=*/true);
  }

  RebuildInfo GetRebuildInfo() const override {
    std::lock_guard lock(mu_);
    return RebuildInfoLocked();
  }

  absl::StatusOr<uint64_t> StoreHash() override {
    std::lock_guard lock(mu_);
    if (!store_) return absl::UnavailableError("the portfolio service is stopping");
    return bus::ProjectionStateHash(*store_, PortfolioProjection::kName);
  }

 private:
  // The source portfolio.source names; UNSPECIFIED for "none".
  pb::RebuildSource ConfiguredSource() const {
    if (options_.source == "kafka") return pb::REBUILD_SOURCE_KAFKA;
    if (options_.source == "log_reader") return pb::REBUILD_SOURCE_LOG_READER;
    return pb::REBUILD_SOURCE_UNSPECIFIED;
  }

  bool SourceConfigured(pb::RebuildSource source) const {
    return (source == pb::REBUILD_SOURCE_KAFKA && !options_.common.kafka_bootstrap_servers.empty()) ||
           (source == pb::REBUILD_SOURCE_LOG_READER && !options_.log_readers.empty());
  }

  RebuildInfo RebuildInfoLocked() const {
    RebuildInfo info = info_;
    if (!info.rebuilding) return info;
    bool caught_up = true;
    info.events_applied = 0;
    info.events_total = 0;
    for (const auto& r : runners_) {
      const bus::RunnerStats stats = r->stats();
      info.events_applied += stats.applied;
      info.events_total += stats.applied + static_cast<uint64_t>(std::max<int64_t>(stats.lag, 0));
      caught_up = caught_up && !r->rebuilding();
    }
    if (caught_up) {
      kv::WriteBatch done;
      done.Delete(kRebuildMarkerKey);
      if (const absl::Status s = store_->Write(done, /*sync=*/true); !s.ok()) {
        // Still marked: the next start rebuilds once more.
        spdlog::error("msg=\"cannot clear the rebuild marker\" error=\"{}\"", s.ToString());
      }
      info.rebuilding = false;
      info.finished_at = absl::Now();
      info.events_total = info.events_applied;
      info_ = info;
      spdlog::info("msg=\"rebuild finished\" events={}", info.events_applied);
    }
    return info;
  }

  absl::Status StartRunnersLocked(pb::RebuildSource source, bool rebuild) {
    bus::ProjectionRunnerOptions runner_options;
    runner_options.max_batch = options_.max_batch;
    std::vector<std::unique_ptr<bus::ProjectionRunner>> runners;
    if (source == pb::REBUILD_SOURCE_KAFKA) {
      bus::KafkaSourceOptions kafka;
      kafka.bootstrap_servers = options_.common.kafka_bootstrap_servers;
      kafka.group_id = options_.group_id;
      kafka.topics = adapters_.topics();
      kafka.kafka_config = config::KafkaClientConfig(options_.common);
      for (const auto& [key, value] : options_.kafka_config)
        kafka.kafka_config[key] = value;
      probes_.push_back(std::make_unique<bus::RunnerProbe>(&registry_, "portfolio"));
      auto runner = bus::ProjectionRunner::CreateKafka(&projection_, store_.get(), std::move(kafka),
                                                       runner_options, probes_.back().get());
      if (!runner.ok()) return runner.status();
      runners.push_back(std::move(*runner));
    } else {
      for (const auto& [name, address] : options_.log_readers) {
        rpc::ClientOptions client;
        client.target = address;
        client.tls_root_cert_file = options_.log_reader_tls_root_cert_file;
        client.tls_client_cert_file = options_.log_reader_tls_client_cert_file;
        client.tls_client_key_file = options_.log_reader_tls_client_key_file;
        auto channel = rpc::MakeChannel(client);
        if (!channel.ok()) return channel.status();
        bus::LogReaderSourceOptions log;
        log.channel = *channel;
        log.source_name = name;
        if (!options_.service_token.empty()) {
          log.metadata["authorization"] = "Bearer " + options_.service_token;
        }
        probes_.push_back(std::make_unique<bus::RunnerProbe>(&registry_, "portfolio-" + name));
        auto runner = bus::ProjectionRunner::CreateLogReader(&projection_, store_.get(), std::move(log),
                                                             runner_options, probes_.back().get());
        if (!runner.ok()) return runner.status();
        runners.push_back(std::move(*runner));
      }
    }
    if (rebuild) {
      // Marked before the first fact is applied, so that a restart before
      // the rebuild has caught up does not serve a part of the log.
      kv::WriteBatch mark;
      mark.Put(kRebuildMarkerKey, pb::RebuildSource_Name(source));
      if (auto s = store_->Write(mark, /*sync=*/true); !s.ok()) return s;
      // Every runner wipes (an already empty view) and marks itself
      // rebuilding before any of them starts applying.
      for (auto& r : runners) {
        if (auto s = r->Rebuild(); !s.ok()) return s;
      }
      info_ = RebuildInfo{};
      info_.rebuilding = true;
      info_.source = source;
      info_.started_at = absl::Now();
      probe_.RebuildStarted();
    }
    for (auto& r : runners) r->Start();
    runners_ = std::move(runners);
    return absl::OkStatus();
  }

  void Monitor() {
    std::unique_lock lock(monitor_mu_);
    while (!stop_cv_.wait_for(lock, std::chrono::milliseconds(200), [this] {
      std::lock_guard l(mu_);
      return stopped_;
    })) {
      const RebuildInfo info = GetRebuildInfo();
      probe_.Rebuild(info);
      holder_.Read([this](const PortfolioModel& m) {
        probe_.View(m.events_applied(), m.change_count());
        return 0;
      });
      bool healthy = true;
      {
        std::lock_guard l(mu_);
        bool failed = false;
        for (const auto& r : runners_) {
          const absl::Status s = r->status();
          if (!s.ok()) {
            failed = true;
            if (!reported_failure_) spdlog::error("msg=\"runner stopped\" error=\"{}\"", s.ToString());
          }
          // Brokers (or a log reader) out of reach: the view falls behind.
          if (!r->source_up()) healthy = false;
        }
        reported_failure_ = failed;
        if (failed) healthy = false;
      }
      server_->SetDependencyHealthy("source", healthy);
    }
  }

  PortfolioServerOptions options_;
  AdapterRegistry adapters_;
  ModelHolder holder_;
  PortfolioProjection projection_;
  PortfolioServiceImpl service_;
  metrics::Registry registry_;
  PortfolioProbe probe_;
  std::unique_ptr<kv::KvStore> store_;
  std::unique_ptr<metrics::Exposer> exposer_;
  std::unique_ptr<rpc::Server> server_;
  std::vector<std::unique_ptr<bus::RunnerProbe>> probes_;

  mutable std::mutex mu_;  // runners_, info_, stopped_
  std::vector<std::unique_ptr<bus::ProjectionRunner>> runners_;
  mutable RebuildInfo info_;
  bool stopped_ = false;
  bool reported_failure_ = false;

  std::mutex monitor_mu_;
  std::condition_variable stop_cv_;
  std::thread monitor_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PortfolioServer>> PortfolioServer::Start(PortfolioServerOptions options) {
  auto server = std::make_unique<PortfolioServerImpl>(std::move(options));
  if (auto s = server->Init(); !s.ok()) return s;
  return std::unique_ptr<PortfolioServer>(std::move(server));
}

}  // namespace changeledger::portfolio
