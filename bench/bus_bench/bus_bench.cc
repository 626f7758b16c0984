// bus_bench: relay throughput to the dev broker, and append-to-projection
// latency at a fixed rate. Starts the devbroker binary as a child process.
//
// Phase 1: pre-fill the outbox of a RocksDB event store (temp dir, synced
// WAL) with --events events, start an OutboxRelay, time until every entry
// is acknowledged (PERSISTED): events/s.
// Phase 2: append one event every 1/--rate s for --seconds s to a second
// topic; a Kafka ProjectionRunner applies them into a RocksDB KvStore; the
// latency of each event is apply time minus the time just before Append.
//
// Last line: RESULT relay_events_per_s=<n> e2e_p50_ms=<x> e2e_p99_ms=<x>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "changeledger/bench/percentile.h"
#include "changeledger/bench/scratch_dir.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "changeledger/kv/rocksdb_kv_store.h"

namespace {

using namespace changeledger;
using Clock = std::chrono::steady_clock;
using changeledger::bench::Percentile;

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             Clock::now().time_since_epoch())
      .count();
}

// Records, for each event, apply time minus the send time in its payload.
class LatencyProjection final : public bus::Projection {
 public:
  std::string name() const override { return "latency"; }
  absl::Status Apply(const bus::Envelope& event, kv::Transaction& txn) override {
    const int64_t sent = std::stoll(event.payload().value());
    {
      std::lock_guard lock(mu_);
      if (sent > 0) latencies_ms_.push_back(static_cast<double>(NowNanos() - sent) / 1e6);
      ++applied_;
    }
    txn.Put(event.stream(), std::to_string(event.version()));
    return absl::OkStatus();
  }
  size_t applied() {
    std::lock_guard lock(mu_);
    return applied_;
  }
  std::vector<double> TakeLatencies() {
    std::lock_guard lock(mu_);
    return std::move(latencies_ms_);
  }

 private:
  std::mutex mu_;
  std::vector<double> latencies_ms_;
  size_t applied_ = 0;
};

eventstore::Envelope MakeEvent(int64_t sent_nanos) {
  eventstore::Envelope e;
  e.set_type("bench.Happened");
  e.set_schema_version(1);
  e.set_actor("bench");
  e.set_source("bench");
  e.mutable_payload()->set_type_url("type.googleapis.com/bench.Happened");
  e.mutable_payload()->set_value(std::to_string(sent_nanos));
  return e;
}


struct LatencyFlags {
  int rate = 1000;
  int seconds = 10;
  int linger_ms = 1;
  int fetch_wait_ms = 5;
  bool diagnose = false;
};

struct Latency {
  double p50_ms = 0;
  double p99_ms = 0;
};

// Phase 1: fill the outbox of a new store with `events` events, then time
// a relay until every entry is acknowledged. Events per second.
absl::StatusOr<double> RelayThroughput(const std::string& dir, const std::string& bootstrap,
                                       int events) {
  auto store = eventstore::OpenRocksDbEventStore({.path = dir + "/store1"});
  if (!store.ok()) return store.status();
  // Appends of 10 streams x 10 events, cycling over 100 streams.
  int filled = 0;
  int round = 0;
  while (filled < events) {
    eventstore::AppendRequest request;
    for (int s = 0; s < 10 && filled < events; ++s) {
      auto& write = request.writes.emplace_back();
      write.stream = absl::StrCat("bench-", (round * 10 + s) % 100);
      for (int e = 0; e < 10 && filled < events; ++e, ++filled) {
        write.events.push_back(MakeEvent(0));
      }
    }
    ++round;
    auto r = (*store)->Append(std::move(request));
    if (!r.ok()) return r.status();
  }
  std::cerr << "phase 1: outbox pre-filled with " << (*store)->GetOutboxStats().depth
            << " events\n";
  auto relay = bus::OutboxRelay::Create(store->get(),
                                        {.bootstrap_servers = bootstrap,
                                         .topic = "changeledger.intake.v1",
                                         .batch_size = 20000,
                                         .linger = absl::Milliseconds(5)});
  if (!relay.ok()) return relay.status();
  const auto start = Clock::now();
  (*relay)->Start();
  while ((*store)->GetOutboxStats().depth > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::cerr << "phase 1: " << events << " events acknowledged in " << secs << " s ("
            << relay->get()->stats().publish_errors << " publish errors)\n";
  (*relay)->Stop();
  return events / secs;
}

// Samples the outbox depth every millisecond while it lives.
class DepthSampler {
 public:
  explicit DepthSampler(eventstore::EventStore* store)
      : thread_([this, store] {
          while (sampling_.load()) {
            sum_ += static_cast<double>(store->GetOutboxStats().depth);
            ++samples_;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }) {}
  ~DepthSampler() { Stop(); }
  // The mean depth so far; stops sampling.
  double Mean() {
    Stop();
    return samples_ > 0 ? sum_ / static_cast<double>(samples_) : 0;
  }

 private:
  void Stop() {
    sampling_ = false;
    if (thread_.joinable()) thread_.join();
  }
  std::atomic<bool> sampling_{true};
  double sum_ = 0;
  int64_t samples_ = 0;
  std::thread thread_;
};

// Phase 2: append at a fixed rate to a new store; a relay publishes to the
// dev broker and a Kafka ProjectionRunner applies into a KvStore. The
// append-to-applied percentiles.
absl::StatusOr<Latency> EndToEndLatency(const std::string& dir, const std::string& bootstrap,
                                        const LatencyFlags& flags) {
  const std::string topic = "changeledger.classification.v1";
  auto store = eventstore::OpenRocksDbEventStore({.path = dir + "/store2"});
  if (!store.ok()) return store.status();
  auto kv = kv::OpenRocksDbKvStore({.path = dir + "/kv2"});
  if (!kv.ok()) return kv.status();
  auto relay = bus::OutboxRelay::Create(
      store->get(),
      {.bootstrap_servers = bootstrap,
       .topic = topic,
       .linger = absl::Milliseconds(flags.linger_ms)});
  if (!relay.ok()) return relay.status();
  LatencyProjection projection;
  auto runner = bus::ProjectionRunner::CreateKafka(
      &projection, kv->get(),
      {.bootstrap_servers = bootstrap,
       .group_id = "bus-bench",
       .topics = {topic},
       .kafka_config = {{"fetch.wait.max.ms", std::to_string(flags.fetch_wait_ms)},
                        {"fetch.error.backoff.ms", "5"},
                        {"session.timeout.ms", "6000"}}},
      {.poll_timeout = absl::Milliseconds(20)});
  if (!runner.ok()) return runner.status();
  (*relay)->Start();
  (*runner)->Start();
  // Warm up: the first group join takes a few seconds.
  for (int i = 0; i < 10; ++i) {
    eventstore::AppendRequest request;
    request.writes.push_back({.stream = "warmup", .events = {MakeEvent(0)}});
    if (auto r = (*store)->Append(std::move(request)); !r.ok()) return r.status();
  }
  while (projection.applied() < 10) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  projection.TakeLatencies();
  if (flags.diagnose) {
    for (int i = 0; i < 20; ++i) {
      eventstore::AppendRequest request;
      const int64_t sent = NowNanos();
      request.writes.push_back({.stream = "diag", .events = {MakeEvent(sent)}});
      if (auto r = (*store)->Append(std::move(request)); !r.ok()) return r.status();
      const int64_t appended = NowNanos();
      while ((*store)->GetOutboxStats().depth > 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      const int64_t acked = NowNanos();
      while (projection.applied() < static_cast<size_t>(11 + i)) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      const int64_t applied = NowNanos();
      std::cerr << "diagnose: append " << (appended - sent) / 1e6 << " ms, relay ack "
                << (acked - sent) / 1e6 << " ms, applied " << (applied - sent) / 1e6
                << " ms\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    projection.TakeLatencies();
  }

  const int total = flags.rate * flags.seconds;
  const auto period = std::chrono::nanoseconds(1000000000LL / flags.rate);
  std::vector<double> append_ms;
  append_ms.reserve(total);
  // Little's law: mean time in the outbox = mean depth / arrival rate.
  DepthSampler depth(store->get());
  const auto start = Clock::now();
  for (int i = 0; i < total; ++i) {
    std::this_thread::sleep_until(start + i * period);
    eventstore::AppendRequest request;
    const int64_t sent = NowNanos();
    request.writes.push_back(
        {.stream = absl::StrCat("e2e-", i % 100), .events = {MakeEvent(sent)}});
    auto r = (*store)->Append(std::move(request));
    append_ms.push_back(static_cast<double>(NowNanos() - sent) / 1e6);
    if (!r.ok()) return r.status();
  }
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (projection.applied() < static_cast<size_t>(total + 10 + (flags.diagnose ? 20 : 0)) &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double mean_depth = depth.Mean();
  std::vector<double> latencies = projection.TakeLatencies();
  std::cerr << "phase 2: mean time in the outbox (append to PERSISTED and acknowledged) "
            << mean_depth * 1000.0 / flags.rate << " ms\n";
  std::cerr << "phase 2: " << latencies.size() << " of " << total << " events applied at "
            << flags.rate << "/s\n";
  if (latencies.size() != static_cast<size_t>(total)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "only ", latencies.size(), " of ", total, " events applied within 30 s of the last"));
  }
  Latency result{.p50_ms = Percentile(latencies, 0.50), .p99_ms = Percentile(latencies, 0.99)};
  std::cerr << "phase 2: synced Append alone p50 " << Percentile(append_ms, 0.5) << " ms, p99 "
            << Percentile(append_ms, 0.99) << " ms\n";
  std::cerr << "phase 2: p50 " << result.p50_ms << " ms, p99 " << result.p99_ms << " ms, max "
            << Percentile(latencies, 1.0) << " ms\n";
  (*runner)->Stop();
  (*relay)->Stop();
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int events = 200000;
  int partitions = 32;
  LatencyFlags latency;
  std::string devbroker = DEVBROKER_PATH;
  CLI::App app{"Outbox relay throughput and append-to-projection latency"};
  app.add_option("--events", events, "Events pre-filled for the relay phase")
      ->check(CLI::Range(1000, 5000000))
      ->capture_default_str();
  app.add_option("--rate", latency.rate, "Events per second in the latency phase")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--seconds", latency.seconds, "Duration of the latency phase")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--partitions", partitions, "Partitions per topic")->capture_default_str();
  app.add_option("--linger-ms", latency.linger_ms, "Relay linger.ms in the latency phase")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--fetch-wait-ms", latency.fetch_wait_ms,
                 "Consumer fetch.wait.max.ms in the latency phase")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_flag("--diagnose", latency.diagnose,
               "Before the latency phase, time 20 single events stage by stage "
               "(append, acknowledged by the relay, applied)");
  app.add_option("--devbroker", devbroker, "Path of the devbroker binary")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto broker = devbroker::DevBrokerProcess::Spawn(
      devbroker, {"--partitions", std::to_string(partitions)});
  if (!broker.ok()) {
    std::cerr << "devbroker: " << broker.status() << "\n";
    return 1;
  }
  const std::string bootstrap = (*broker)->bootstrap_servers();
  const std::string dir = bench::MakeScratchDir("bus_bench");
  if (dir.empty()) return 1;

  absl::StatusOr<double> relay_rate = RelayThroughput(dir, bootstrap, events);
  absl::StatusOr<Latency> e2e = relay_rate.ok() ? EndToEndLatency(dir, bootstrap, latency)
                                                : absl::StatusOr<Latency>(relay_rate.status());
  std::filesystem::remove_all(dir);
  if (!relay_rate.ok()) {
    std::cerr << "bus_bench: relay phase: " << relay_rate.status() << "\n";
    return 1;
  }
  if (!e2e.ok()) {
    std::cerr << "bus_bench: latency phase: " << e2e.status() << "\n";
    return 1;
  }
  std::printf("RESULT relay_events_per_s=%.0f e2e_p50_ms=%.2f e2e_p99_ms=%.2f\n", *relay_rate,
              e2e->p50_ms, e2e->p99_ms);
  return 0;
}
