// Latency percentiles for the benchmarks' tables and RESULT lines, one
// definition for all of them.
#ifndef CHANGELEDGER_BENCH_PERCENTILE_H_
#define CHANGELEDGER_BENCH_PERCENTILE_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace changeledger::bench {

// The nearest-rank percentile: the smallest sample that at least a share p
// (0 < p <= 1) of the samples do not exceed; p99 of 40,000 samples is the
// 39,600th smallest. Zero for no samples. Takes a copy, which it reorders.
inline double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  const double rank = std::ceil(p * static_cast<double>(samples.size()));
  const size_t index =
      std::min(samples.size() - 1, static_cast<size_t>(std::max(rank, 1.0)) - 1);
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return samples[index];
}

}  // namespace changeledger::bench

#endif  // CHANGELEDGER_BENCH_PERCENTILE_H_
