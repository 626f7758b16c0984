// CPU time for the benchmarks' per-unit figures: on this shared machine
// CPU per event or per command says where the cost is even when
// wall-clock figures are noisy.
#ifndef CHANGELEDGER_BENCH_CPU_TIME_H_
#define CHANGELEDGER_BENCH_CPU_TIME_H_

#include <time.h>

namespace changeledger::bench {

namespace internal {
inline double ClockMicros(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}
}  // namespace internal

// CPU time of the whole process (all its threads), in microseconds.
inline double ProcessCpuMicros() { return internal::ClockMicros(CLOCK_PROCESS_CPUTIME_ID); }

// CPU time of the calling thread, in microseconds.
inline double ThreadCpuMicros() { return internal::ClockMicros(CLOCK_THREAD_CPUTIME_ID); }

}  // namespace changeledger::bench

#endif  // CHANGELEDGER_BENCH_CPU_TIME_H_
