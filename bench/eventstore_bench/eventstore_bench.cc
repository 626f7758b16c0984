// eventstore_bench: durable appends/s and latency of the RocksDB event
// store with 1, 8 and 64 concurrent appenders (one ~300-byte event per
// append, each appender on its own stream, each append with a request id),
// and, in the same run, raw RocksDB synced WriteBatch writes replaying the
// batch sizes the store's group commits achieved: the baseline. Store and
// baseline alternate in half-second slices so that both meet the same
// disk conditions.
//
// Usage: eventstore_bench [--seconds=S] [--appenders=1,8,64] [--dir=PATH]
//                         [--event_bytes=300] [--request_ids=true] [--sync=true]
// (--sync=false measures the CPU cost alone; it is not a durable figure.)
// The last line is
//   RESULT appenders=64 events_per_s=<n> raw_events_per_s=<n> ratio=<r> p99_ms=<x>
// (for the last appender count given). Exit status 1 if any append failed.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "changeledger/bench/cpu_time.h"
#include "changeledger/bench/percentile.h"
#include "changeledger/bench/scratch_dir.h"
#include "changeledger/eventstore/observer.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace {

using changeledger::bench::ProcessCpuMicros;
using changeledger::bench::Percentile;
using changeledger::eventstore::AppendRequest;
using changeledger::eventstore::Envelope;
using changeledger::eventstore::EventStoreObserver;
using changeledger::eventstore::ExpectedVersion;
using changeledger::eventstore::StreamAppend;
using Clock = std::chrono::steady_clock;

struct Flags {
  double seconds = 3;
  std::vector<int> appenders = {1, 8, 64};
  std::string dir;
  size_t event_bytes = 300;
  bool request_ids = true;
  bool sync = true;  // false: diagnostics only (CPU cost without fsync)
};

// "true" or "false" only: a typo must not silently turn the WAL sync off.
bool ParseBool(const char* v, bool* out) {
  const std::string s(v);
  if (s != "true" && s != "false") return false;
  *out = s == "true";
  return true;
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      std::string prefix = std::string("--") + name + "=";
      return arg.rfind(prefix, 0) == 0 ? argv[i] + prefix.size() : nullptr;
    };
    if (const char* v = value("seconds")) {
      if (!absl::SimpleAtod(v, &flags->seconds) || flags->seconds <= 0) return false;
    } else if (const char* v = value("appenders")) {
      flags->appenders.clear();
      for (absl::string_view part : absl::StrSplit(v, ',')) {
        int n = 0;
        if (!absl::SimpleAtoi(part, &n) || n <= 0) return false;
        flags->appenders.push_back(n);
      }
      if (flags->appenders.empty()) return false;
    } else if (const char* v = value("dir")) {
      flags->dir = v;
    } else if (const char* v = value("event_bytes")) {
      if (!absl::SimpleAtoi(v, &flags->event_bytes) || flags->event_bytes < 100) return false;
    } else if (const char* v = value("request_ids")) {
      if (!ParseBool(v, &flags->request_ids)) return false;
    } else if (const char* v = value("sync")) {
      if (!ParseBool(v, &flags->sync)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// Records the number of events of every group commit.
class GroupRecorder : public EventStoreObserver {
 public:
  void OnCommit(size_t, size_t events, size_t, absl::Duration latency) override {
    absl::MutexLock lock(&mu_);
    groups_.push_back(events);
    write_seconds_ += absl::ToDoubleSeconds(latency);
  }
  double write_seconds() {
    absl::MutexLock lock(&mu_);
    return write_seconds_;
  }
  std::vector<size_t> groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }

 private:
  absl::Mutex mu_;
  std::vector<size_t> groups_;
  double write_seconds_ = 0;
};

// A writer-filled envelope whose stored size (with the fields the store
// adds) is about `bytes`.
Envelope MakeEvent(size_t bytes) {
  Envelope e;
  e.set_type("changeledger.bench.v1.SomethingHappened");
  e.set_schema_version(1);
  e.set_actor("bench-user");
  e.set_correlation_id("0b5c8f8e-6a5e-4a57-9d0b-4c7a3f1f2f10");
  e.set_source("bench");
  e.mutable_occurred_at()->set_seconds(1760000000);
  e.mutable_payload()->set_type_url("type.googleapis.com/changeledger.bench.v1.Payload");
  const size_t fixed = e.ByteSizeLong() + 36 + 2 /*event id*/ + 40 /*store fields*/ + 4;
  e.mutable_payload()->set_value(std::string(bytes > fixed ? bytes - fixed : 1, 'x'));
  return e;
}

std::string PositionKey(uint64_t v) {
  char key[9] = {'e'};
  for (int b = 8; b >= 1; --b, v >>= 8) key[b] = static_cast<char>(v & 0xff);
  return std::string(key, 9);
}

// A failed open or raw write: thrown so that the databases are closed and
// the scratch directories removed on the way out.
struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Totals of one appender count over all its slices.
struct Totals {
  double store_seconds = 0;
  double raw_seconds = 0;
  size_t store_events = 0;
  size_t raw_events = 0;
  size_t errors = 0;
  size_t groups = 0;
  double store_cpu_us = 0;
  double write_seconds = 0;  // inside the store's synced writes
  double raw_cpu_us = 0;
  std::vector<double> latencies_ms;
};

// The store and the raw baseline run in alternating slices of about half
// a second, each raw slice replaying the group sizes of the store slice
// just before it, so that both see the same disk conditions on a shared
// machine.
Totals Run(const Flags& flags, const std::string& dir, int appenders) {
  GroupRecorder recorder;
  changeledger::eventstore::RocksDbEventStoreOptions options;
  options.path = dir + "-store";
  options.observer = &recorder;
  options.sync = flags.sync;
  auto opened = changeledger::eventstore::OpenRocksDbEventStore(options);
  if (!opened.ok()) {
    throw BenchError("open: " + opened.status().ToString());
  }
  auto& store = **opened;

  rocksdb::Options raw_options;
  raw_options.create_if_missing = true;
  raw_options.paranoid_checks = true;
  rocksdb::DB* raw_db = nullptr;
  rocksdb::Status rs = rocksdb::DB::Open(raw_options, dir + "-raw", &raw_db);
  if (!rs.ok()) {
    throw BenchError("raw open: " + rs.ToString());
  }
  std::unique_ptr<rocksdb::DB> raw(raw_db);
  rocksdb::WriteOptions raw_wo;
  raw_wo.sync = flags.sync;
  // The raw value has the size of a stored event record.
  const std::string raw_value(flags.event_bytes, 'x');
  uint64_t raw_key = 0;

  const Envelope event = MakeEvent(flags.event_bytes);
  const int slices = std::max(1, static_cast<int>(flags.seconds / 0.5 + 0.5));
  const double slice_seconds = flags.seconds / slices;
  std::vector<uint64_t> versions(appenders, 0);
  std::vector<uint64_t> sequence(appenders, 0);
  Totals totals;
  for (int slice = 0; slice < slices; ++slice) {
    // Store slice.
    size_t groups_before = recorder.groups().size();
    const double write_seconds_before = recorder.write_seconds();
    std::atomic<bool> stop{false};
    std::atomic<size_t> errors{0};
    std::vector<std::vector<double>> latencies(appenders);
    std::vector<std::thread> threads;
    const double store_cpu_start = ProcessCpuMicros();
    const auto start = Clock::now();
    for (int t = 0; t < appenders; ++t) {
      threads.emplace_back([&, t] {
        const std::string stream = "bench-" + std::to_string(t);
        std::vector<double>& lat = latencies[t];
        lat.reserve(100000);
        while (!stop.load(std::memory_order_relaxed)) {
          AppendRequest request;
          StreamAppend& w = request.writes.emplace_back();
          w.stream = stream;
          w.expected = ExpectedVersion::Exactly(versions[t]);
          w.events.push_back(event);
          if (flags.request_ids) {
            request.request_id = stream + "-" + std::to_string(sequence[t]++);
          }
          const auto t0 = Clock::now();
          auto r = store.Append(std::move(request));
          const auto t1 = Clock::now();
          if (!r.ok()) {
            ++errors;
            continue;
          }
          versions[t] = r->streams[0].last_version;
          lat.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(slice_seconds));
    stop = true;
    for (std::thread& t : threads) t.join();
    totals.store_seconds += std::chrono::duration<double>(Clock::now() - start).count();
    totals.store_cpu_us += ProcessCpuMicros() - store_cpu_start;
    totals.write_seconds += recorder.write_seconds() - write_seconds_before;
    totals.errors += errors;
    for (auto& v : latencies) {
      totals.store_events += v.size();
      totals.latencies_ms.insert(totals.latencies_ms.end(), v.begin(), v.end());
    }
    std::vector<size_t> all_groups = recorder.groups();
    std::vector<size_t> groups(all_groups.begin() + static_cast<ptrdiff_t>(groups_before),
                               all_groups.end());
    totals.groups += groups.size();

    // Raw slice: synced WriteBatches of the same sizes, one writer.
    rocksdb::WriteBatch batch;
    const double raw_cpu_start = ProcessCpuMicros();
    const auto raw_start = Clock::now();
    const auto raw_end = raw_start + std::chrono::duration<double>(slice_seconds);
    for (size_t i = 0; Clock::now() < raw_end; ++i) {
      batch.Clear();
      const size_t n = groups.empty() ? 1 : groups[i % groups.size()];
      for (size_t k = 0; k < n; ++k) {
        batch.Put(PositionKey(++raw_key), raw_value).PermitUncheckedError();
      }
      rs = raw->Write(raw_wo, &batch);
      if (!rs.ok()) {
        throw BenchError("raw write: " + rs.ToString());
      }
      totals.raw_events += n;
    }
    totals.raw_seconds += std::chrono::duration<double>(Clock::now() - raw_start).count();
    totals.raw_cpu_us += ProcessCpuMicros() - raw_cpu_start;
  }
  raw->Close().PermitUncheckedError();
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    fprintf(stderr,
            "usage: %s [--seconds=S] [--appenders=1,8,64] [--dir=PATH] [--event_bytes=N] "
            "[--request_ids=true|false] [--sync=true|false]\n",
            argv[0]);
    return 2;
  }
  bool own_dir = false;
  if (flags.dir.empty()) {
    flags.dir = changeledger::bench::MakeScratchDir("eventstore_bench");
    if (flags.dir.empty()) return 1;
    own_dir = true;
  }
  printf("eventstore_bench: %.1f s per appender count (store and raw each), ~%zu-byte events, "
         "request ids %s, %s, dir %s\n",
         flags.seconds, flags.event_bytes, flags.request_ids ? "on" : "off",
         flags.sync ? "synced WAL" : "WAL NOT SYNCED (not durable)", flags.dir.c_str());
  printf("%9s %12s %8s %8s %10s %10s %14s %6s %12s %10s\n", "appenders", "events/s", "p50_ms",
         "p99_ms", "mean_group", "write_busy", "raw_events/s", "ratio", "cpu_us/event",
         "raw_cpu_us");
  double events_per_s = 0, raw_per_s = 0, p99 = 0;
  int last_appenders = 0;
  size_t errors = 0;
  for (int appenders : flags.appenders) {
    const std::string run = flags.dir + "/run-" + std::to_string(appenders);
    Totals t;
    try {
      t = Run(flags, run, appenders);
    } catch (const BenchError& e) {
      fprintf(stderr, "eventstore_bench: %s\n", e.what());
      std::error_code ec;
      std::filesystem::remove_all(own_dir ? flags.dir : run + "-store", ec);
      std::filesystem::remove_all(run + "-raw", ec);
      return 1;
    }
    events_per_s = static_cast<double>(t.store_events) / t.store_seconds;
    raw_per_s = static_cast<double>(t.raw_events) / t.raw_seconds;
    const double p50 = Percentile(t.latencies_ms, 0.50);
    p99 = Percentile(t.latencies_ms, 0.99);
    const double mean_group =
        t.groups == 0 ? 0 : static_cast<double>(t.store_events) / static_cast<double>(t.groups);
    const double cpu_per_event =
        t.store_events == 0 ? 0 : t.store_cpu_us / static_cast<double>(t.store_events);
    const double raw_cpu_per_event =
        t.raw_events == 0 ? 0 : t.raw_cpu_us / static_cast<double>(t.raw_events);
    // The share of the store's time spent inside its synced writes: near
    // 1 the disk (or the write itself) limits; well below, the work
    // around it does.
    const double write_busy = t.store_seconds > 0 ? t.write_seconds / t.store_seconds : 0;
    printf("%9d %12.0f %8.3f %8.3f %10.1f %10.2f %14.0f %6.2f %12.2f %10.2f%s\n", appenders,
           events_per_s, p50, p99, mean_group, write_busy, raw_per_s,
           raw_per_s > 0 ? events_per_s / raw_per_s : 0, cpu_per_event, raw_cpu_per_event,
           t.errors > 0 ? "  (errors!)" : "");
    fflush(stdout);
    std::error_code ec;
    std::filesystem::remove_all(run + "-store", ec);
    std::filesystem::remove_all(run + "-raw", ec);
    last_appenders = appenders;
    errors += t.errors;
  }
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(flags.dir, ec);
  }
  printf("RESULT appenders=%d events_per_s=%.0f raw_events_per_s=%.0f ratio=%.2f p99_ms=%.3f\n",
         last_appenders, events_per_s, raw_per_s, raw_per_s > 0 ? events_per_s / raw_per_s : 0,
         p99);
  if (errors > 0) {
    fprintf(stderr, "eventstore_bench: %zu appends failed\n", errors);
    return 1;
  }
  return 0;
}
