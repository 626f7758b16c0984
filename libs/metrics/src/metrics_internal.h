// The private side of metrics::Registry, shared by the files of this library.
#ifndef CHANGELEDGER_METRICS_SRC_METRICS_INTERNAL_H_
#define CHANGELEDGER_METRICS_SRC_METRICS_INTERNAL_H_

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <vector>

#include "changeledger/metrics/metrics.h"

namespace changeledger::metrics {

struct Registry::Impl {
  class Combined;

  // Adds a collector read at each scrape (and by Serialize).
  void AddCollectable(std::shared_ptr<prometheus::Collectable> collectable);

  std::shared_ptr<prometheus::Registry> registry;
  // The registry plus `extra`, as one collectable (what the exposer serves).
  std::shared_ptr<prometheus::Collectable> combined;
  std::mutex mu;
  std::vector<std::shared_ptr<prometheus::Collectable>> extra;  // guarded by mu
};

}  // namespace changeledger::metrics

#endif  // CHANGELEDGER_METRICS_SRC_METRICS_INTERNAL_H_
