// Process metrics in the names the Prometheus client libraries use, read
// from /proc/self at each scrape so they are never stale.

#include <dirent.h>
#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "changeledger/metrics/metrics.h"
#include "metrics_internal.h"

namespace changeledger::metrics {
namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The fields of /proc/self/stat after the command name, which may contain
// spaces and parentheses: the fields start after the last ')'.
// fields[0] is field 3 (state) of proc(5).
std::vector<std::string> StatFields() {
  auto stat = ReadFile("/proc/self/stat");
  std::vector<std::string> fields;
  if (!stat) return fields;
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream in(stat->substr(close + 1));
  std::string field;
  while (in >> field) fields.push_back(field);
  return fields;
}

std::optional<double> BootTimeSeconds() {
  auto stat = ReadFile("/proc/stat");
  if (!stat) return std::nullopt;
  std::istringstream in(*stat);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
  }
  return std::nullopt;
}

std::optional<double> OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  double count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // the descriptor of this very listing
}

std::optional<double> MaxFds() {
  auto limits = ReadFile("/proc/self/limits");
  if (!limits) return std::nullopt;
  std::istringstream in(*limits);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(std::strlen("Max open files")));
      std::string soft;
      fields >> soft;
      if (soft == "unlimited") return std::nullopt;
      return std::stod(soft);
    }
  }
  return std::nullopt;
}

prometheus::MetricFamily Family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(metric);
  return family;
}

class ProcessCollector final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    std::vector<std::string> stat = StatFields();
    // proc(5) numbering: utime 14, stime 15, starttime 22, vsize 23, rss 24;
    // stat[0] is field 3.
    if (stat.size() >= 22) {
      double cpu = (std::stod(stat[14 - 3]) + std::stod(stat[15 - 3])) / ticks;
      families.push_back(Family("process_cpu_seconds_total",
                                "Total user and system CPU time spent in seconds.",
                                MetricType::Counter, cpu));
      families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                MetricType::Gauge, std::stod(stat[23 - 3])));
      families.push_back(Family("process_resident_memory_bytes",
                                "Resident memory size in bytes.", MetricType::Gauge,
                                std::stod(stat[24 - 3]) * page));
      if (auto boot = BootTimeSeconds()) {
        families.push_back(Family("process_start_time_seconds",
                                  "Start time of the process since unix epoch in seconds.",
                                  MetricType::Gauge, *boot + std::stod(stat[22 - 3]) / ticks));
      }
    }
    if (auto fds = OpenFds()) {
      families.push_back(Family("process_open_fds", "Number of open file descriptors.",
                                MetricType::Gauge, *fds));
    }
    if (auto max = MaxFds()) {
      families.push_back(Family("process_max_fds", "Maximum number of open file descriptors.",
                                MetricType::Gauge, *max));
    }
    return families;
  }
};

}  // namespace

void RegisterProcessMetrics(Registry& registry) {
  registry.impl_->AddCollectable(std::make_shared<ProcessCollector>());
}

}  // namespace changeledger::metrics
