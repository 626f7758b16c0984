// eventstore_bench: durable appends/s and latency of the RocksDB event
// store with 1, 8 and 64 concurrent appenders (one ~300-byte event per
// append, each appender on its own stream, each append with a request id),
// and, in the same run, raw RocksDB synced WriteBatch writes replaying the
// batch sizes the store's group commits achieved: the baseline.
//
// Usage: eventstore_bench [--seconds=S] [--appenders=1,8,64] [--dir=PATH]
//                         [--event_bytes=300] [--request_ids=true]
// The last line is
//   RESULT appenders=64 events_per_s=<n> raw_events_per_s=<n> ratio=<r> p99_ms=<x>
// (for the largest appender count given).
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "changeledger/eventstore/observer.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"

namespace {

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
};

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
      flags->request_ids = std::string(v) == "true";
    } else {
      return false;
    }
  }
  return true;
}

// Records the number of events of every group commit.
class GroupRecorder : public EventStoreObserver {
 public:
  void OnCommit(size_t, size_t events, size_t, absl::Duration) override {
    absl::MutexLock lock(&mu_);
    groups_.push_back(events);
  }
  std::vector<size_t> groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }

 private:
  absl::Mutex mu_;
  std::vector<size_t> groups_;
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

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(k), v.end());
  return v[k];
}

struct StoreResult {
  double events_per_s = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double mean_group = 0;
  std::vector<size_t> groups;
  size_t errors = 0;
};

StoreResult RunStore(const Flags& flags, const std::string& path, int appenders) {
  GroupRecorder recorder;
  changeledger::eventstore::RocksDbEventStoreOptions options;
  options.path = path;
  options.observer = &recorder;
  auto opened = changeledger::eventstore::OpenRocksDbEventStore(options);
  if (!opened.ok()) {
    fprintf(stderr, "open: %s\n", opened.status().ToString().c_str());
    exit(1);
  }
  auto& store = **opened;
  const Envelope event = MakeEvent(flags.event_bytes);
  std::atomic<bool> stop{false};
  std::atomic<size_t> errors{0};
  std::vector<std::vector<double>> latencies(appenders);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < appenders; ++t) {
    threads.emplace_back([&, t] {
      const std::string stream = "bench-" + std::to_string(t);
      uint64_t version = 0;
      std::vector<double>& lat = latencies[t];
      lat.reserve(200000);
      for (uint64_t seq = 0; !stop.load(std::memory_order_relaxed); ++seq) {
        AppendRequest request;
        StreamAppend& w = request.writes.emplace_back();
        w.stream = stream;
        w.expected = ExpectedVersion::Exactly(version);
        w.events.push_back(event);
        if (flags.request_ids) request.request_id = stream + "-" + std::to_string(seq);
        const auto t0 = Clock::now();
        auto r = store.Append(std::move(request));
        const auto t1 = Clock::now();
        if (!r.ok()) {
          ++errors;
          continue;
        }
        version = r->streams[0].last_version;
        lat.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(flags.seconds));
  stop = true;
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  StoreResult result;
  std::vector<double> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  result.events_per_s = static_cast<double>(all.size()) / elapsed;
  result.p50_ms = Percentile(all, 0.50);
  result.p99_ms = Percentile(all, 0.99);
  result.groups = recorder.groups();
  size_t events = 0;
  for (size_t g : result.groups) events += g;
  result.mean_group =
      result.groups.empty() ? 0 : static_cast<double>(events) / result.groups.size();
  result.errors = errors;
  return result;
}

// Synced WriteBatches replaying `groups` (cycling), each event one Put of
// `value_bytes` under a fixed-width key; single writer, for `seconds`.
double RunRaw(const std::string& path, const std::vector<size_t>& groups, size_t value_bytes,
              double seconds) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, path, &raw);
  if (!s.ok()) {
    fprintf(stderr, "raw open: %s\n", s.ToString().c_str());
    exit(1);
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  const std::string value(value_bytes, 'x');
  rocksdb::WriteBatch batch;
  uint64_t key_number = 0;
  size_t events = 0;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  for (size_t i = 0; Clock::now() < end; ++i) {
    batch.Clear();
    const size_t n = groups.empty() ? 1 : groups[i % groups.size()];
    for (size_t k = 0; k < n; ++k) {
      char key[9] = {'e'};
      uint64_t v = ++key_number;
      for (int b = 8; b >= 1; --b, v >>= 8) key[b] = static_cast<char>(v & 0xff);
      batch.Put(rocksdb::Slice(key, 9), value).PermitUncheckedError();
    }
    s = db->Write(wo, &batch);
    if (!s.ok()) {
      fprintf(stderr, "raw write: %s\n", s.ToString().c_str());
      exit(1);
    }
    events += n;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  db->Close().PermitUncheckedError();
  return static_cast<double>(events) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (!ParseFlags(argc, argv, &flags)) {
    fprintf(stderr,
            "usage: %s [--seconds=S] [--appenders=1,8,64] [--dir=PATH] [--event_bytes=N] "
            "[--request_ids=true|false]\n",
            argv[0]);
    return 2;
  }
  bool own_dir = false;
  if (flags.dir.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/eventstore_bench_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      perror("mkdtemp");
      return 1;
    }
    flags.dir = buf.data();
    own_dir = true;
  }
  const size_t value_bytes = flags.event_bytes;
  printf("eventstore_bench: %.1f s per run, ~%zu-byte events, request ids %s, dir %s\n",
         flags.seconds, flags.event_bytes, flags.request_ids ? "on" : "off", flags.dir.c_str());
  printf("%9s %12s %8s %8s %10s %14s %6s\n", "appenders", "events/s", "p50_ms", "p99_ms",
         "mean_group", "raw_events/s", "ratio");
  StoreResult last;
  double last_raw = 0;
  int last_appenders = 0;
  for (int appenders : flags.appenders) {
    const std::string run = flags.dir + "/run-" + std::to_string(appenders);
    StoreResult r = RunStore(flags, run + "-store", appenders);
    double raw = RunRaw(run + "-raw", r.groups, value_bytes, flags.seconds);
    printf("%9d %12.0f %8.3f %8.3f %10.1f %14.0f %6.2f%s\n", appenders, r.events_per_s,
           r.p50_ms, r.p99_ms, r.mean_group, raw, raw > 0 ? r.events_per_s / raw : 0,
           r.errors > 0 ? "  (errors!)" : "");
    fflush(stdout);
    std::error_code ec;
    std::filesystem::remove_all(run + "-store", ec);
    std::filesystem::remove_all(run + "-raw", ec);
    last = r;
    last_raw = raw;
    last_appenders = appenders;
  }
  if (own_dir) {
    std::error_code ec;
    std::filesystem::remove_all(flags.dir, ec);
  }
  printf("RESULT appenders=%d events_per_s=%.0f raw_events_per_s=%.0f ratio=%.2f p99_ms=%.3f\n",
         last_appenders, last.events_per_s, last_raw,
         last_raw > 0 ? last.events_per_s / last_raw : 0, last.p99_ms);
  return 0;
}
