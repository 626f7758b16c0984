// Metrics: the only door to prometheus-cpp. Components own a "probe" class
// that registers its metrics on a Registry and exposes intention-revealing
// methods (e.g. RelayProbe::Published(n)); business code calls the probe and
// never sees this header's handles directly.
//
// Handles are cheap to copy and stay valid as long as their Registry.
// A default-constructed handle does nothing (so probes work without a
// registry in unit tests). All methods are thread-safe.
#ifndef CHANGELEDGER_METRICS_METRICS_H_
#define CHANGELEDGER_METRICS_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace changeledger::metrics {

class Registry;
void RegisterProcessMetrics(Registry& registry);

using Labels = std::map<std::string, std::string>;

class Counter {
 public:
  Counter() = default;
  void Increment(double by = 1.0);

 private:
  friend class Registry;
  explicit Counter(prometheus::Counter* counter) : counter_(counter) {}
  prometheus::Counter* counter_ = nullptr;
};

class Gauge {
 public:
  Gauge() = default;
  void Set(double value);
  void Increment(double by = 1.0);
  void Decrement(double by = 1.0);

 private:
  friend class Registry;
  explicit Gauge(prometheus::Gauge* gauge) : gauge_(gauge) {}
  prometheus::Gauge* gauge_ = nullptr;
};

class Histogram {
 public:
  Histogram() = default;
  void Observe(double value);

 private:
  friend class Registry;
  explicit Histogram(prometheus::Histogram* histogram) : histogram_(histogram) {}
  prometheus::Histogram* histogram_ = nullptr;
};

// Latency buckets in seconds, 100 us .. 10 s.
std::vector<double> LatencyBuckets();
// Size buckets 1, 2, 4, ... 4096 (batch sizes, counts).
std::vector<double> SizeBuckets();

// A set of metric families. Names follow Prometheus conventions
// (`changeledger_<component>_<what>_<unit>`, counters end in `_total`).
// Adding the same name with the same help and new labels adds a series to
// the existing family; adding the same series twice returns the same one.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter AddCounter(const std::string& name, const std::string& help,
                     const Labels& labels = {});
  Gauge AddGauge(const std::string& name, const std::string& help,
                 const Labels& labels = {});
  Histogram AddHistogram(const std::string& name, const std::string& help,
                         const std::vector<double>& buckets, const Labels& labels = {});

  // The Prometheus text exposition of every metric (what /metrics serves).
  std::string Serialize() const;

  // For the exposer only.
  std::shared_ptr<prometheus::Registry> prometheus_registry() const;

 private:
  friend class Exposer;
  friend void RegisterProcessMetrics(Registry& registry);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Serves /metrics over HTTP (Prometheus text format) for a registry,
// including collectors such as RegisterProcessMetrics. The registry must
// outlive the exposer. Destroying the exposer stops serving.
class Exposer {
 public:
  // `address` is "host:port"; port 0 picks a free port (see port()).
  // Errors: INVALID_ARGUMENT for a malformed address, UNAVAILABLE if it
  // cannot bind.
  static absl::StatusOr<std::unique_ptr<Exposer>> Start(const std::string& address,
                                                        Registry& registry);
  virtual ~Exposer() = default;
  virtual int port() const = 0;
};

// Registers process metrics read from /proc/self at each scrape:
// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds.
void RegisterProcessMetrics(Registry& registry);

}  // namespace changeledger::metrics

#endif  // CHANGELEDGER_METRICS_METRICS_H_
