#include "changeledger/metrics/metrics.h"

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <charconv>
#include <exception>
#include <mutex>
#include <sstream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "metrics_internal.h"
#include "spdlog/spdlog.h"

namespace changeledger::metrics {

void Counter::Increment(double by) {
  if (counter_ != nullptr) counter_->Increment(by);
}

void Gauge::Set(double value) {
  if (gauge_ != nullptr) gauge_->Set(value);
}
void Gauge::Increment(double by) {
  if (gauge_ != nullptr) gauge_->Increment(by);
}
void Gauge::Decrement(double by) {
  if (gauge_ != nullptr) gauge_->Decrement(by);
}

void Histogram::Observe(double value) {
  if (histogram_ != nullptr) histogram_->Observe(value);
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

std::vector<double> SizeBuckets() {
  std::vector<double> buckets;
  for (double b = 1; b <= 4096; b *= 2) buckets.push_back(b);
  return buckets;
}

// Everything a Registry collects: its own families plus extra collectables
// (process metrics). The exposer sees this one object.
class Registry::Impl::Combined : public prometheus::Collectable {
 public:
  explicit Combined(Registry::Impl* impl) : impl_(impl) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families = impl_->registry->Collect();
    std::vector<std::shared_ptr<prometheus::Collectable>> extra;
    {
      std::lock_guard lock(impl_->mu);
      extra = impl_->extra;
    }
    for (const auto& collectable : extra) {
      auto more = collectable->Collect();
      for (auto& family : more) families.push_back(std::move(family));
    }
    return families;
  }

 private:
  Registry::Impl* impl_;
};

Registry::Registry() : impl_(std::make_unique<Impl>()) {
  impl_->registry = std::make_shared<prometheus::Registry>();
  impl_->combined = std::make_shared<Impl::Combined>(impl_.get());
}

Registry::~Registry() = default;

namespace {

prometheus::Labels ToPrometheus(const Labels& labels) {
  return prometheus::Labels(labels.begin(), labels.end());
}

void ReportBadMetric(const std::string& name, const std::exception& e) {
  // A bad name or label is a programming error; the metric becomes a no-op
  // rather than taking the service down.
  spdlog::error("msg=\"metric rejected\" metric={} error=\"{}\"", name, e.what());
}

}  // namespace

Counter Registry::AddCounter(const std::string& name, const std::string& help,
                             const Labels& labels) {
  try {
    auto& family = prometheus::BuildCounter().Name(name).Help(help).Register(*impl_->registry);
    return Counter(&family.Add(ToPrometheus(labels)));
  } catch (const std::exception& e) {
    ReportBadMetric(name, e);
    return Counter();
  }
}

Gauge Registry::AddGauge(const std::string& name, const std::string& help,
                         const Labels& labels) {
  try {
    auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*impl_->registry);
    return Gauge(&family.Add(ToPrometheus(labels)));
  } catch (const std::exception& e) {
    ReportBadMetric(name, e);
    return Gauge();
  }
}

Histogram Registry::AddHistogram(const std::string& name, const std::string& help,
                                 const std::vector<double>& buckets, const Labels& labels) {
  try {
    auto& family =
        prometheus::BuildHistogram().Name(name).Help(help).Register(*impl_->registry);
    return Histogram(&family.Add(ToPrometheus(labels), buckets));
  } catch (const std::exception& e) {
    ReportBadMetric(name, e);
    return Histogram();
  }
}

std::string Registry::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, impl_->combined->Collect());
  return out.str();
}

std::shared_ptr<prometheus::Registry> Registry::prometheus_registry() const {
  return impl_->registry;
}

void Registry::Impl::AddCollectable(std::shared_ptr<prometheus::Collectable> collectable) {
  std::lock_guard lock(mu);
  extra.push_back(std::move(collectable));
}

namespace {

class ExposerImpl final : public Exposer {
 public:
  ExposerImpl(std::unique_ptr<prometheus::Exposer> exposer, int port)
      : exposer_(std::move(exposer)), port_(port) {}
  int port() const override { return port_; }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_;
};

// Splits "host:port" / "[v6]:port"; false when malformed.
bool ValidAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  std::string host = address.substr(0, colon);
  if (host.front() == '[' && host.back() != ']') return false;
  if (host.find(':') != std::string::npos && host.front() != '[') return false;
  int port = -1;
  const char* begin = address.data() + colon + 1;
  const char* end = address.data() + address.size();
  auto [ptr, ec] = std::from_chars(begin, end, port);
  return ec == std::errc() && ptr == end && port >= 0 && port <= 65535;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Exposer>> Exposer::Start(const std::string& address,
                                                        Registry& registry) {
  if (!ValidAddress(address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics address \"", address, "\": expected host:port"));
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One worker thread is plenty for a scrape every few seconds.
    exposer = std::make_unique<prometheus::Exposer>(std::vector<std::string>{
        "listening_ports", address, "num_threads", "2", "enable_keep_alive", "no",
        "linger_timeout_ms", "0"});
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer->RegisterCollectable(registry.impl_->combined);
  std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("metrics exposer on ", address, " has no port"));
  }
  return std::unique_ptr<Exposer>(new ExposerImpl(std::move(exposer), ports.front()));
}

}  // namespace changeledger::metrics
