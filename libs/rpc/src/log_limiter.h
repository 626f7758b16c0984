// A bound on how many log lines per second one kind of event may write.
//
// Every call a server refuses, and every call that ends in an error, writes
// a log line. Refused calls cost a client nothing (no token is needed to be
// refused), so without a bound one client could write lines as fast as it
// can send calls: filling the disk, and burying the lines an operator
// needs. The metrics still count every call; the log keeps a sample and
// says how many lines it left out.
#ifndef CHANGELEDGER_RPC_SRC_LOG_LIMITER_H_
#define CHANGELEDGER_RPC_SRC_LOG_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace changeledger::rpc::internal {

// A token bucket: `burst` lines at once, then `lines_per_second`.
// Thread-safe.
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  LogLimiter(double lines_per_second, int burst);

  // Whether a line may be written at `now`. When it may, `*left_out` is
  // the number of lines refused since the last one allowed, for the line
  // to report.
  bool Allow(Clock::time_point now, uint64_t* left_out);

 private:
  const double lines_per_second_;
  const double burst_;
  std::mutex mu_;
  double tokens_;           // guarded by mu_
  Clock::time_point last_;  // guarded by mu_
  uint64_t left_out_ = 0;   // guarded by mu_
};

// What a line written after `left_out` were left out ends with:
// " lines_not_logged_before=N", or nothing when none was.
std::string LeftOutNote(uint64_t left_out);

}  // namespace changeledger::rpc::internal

#endif  // CHANGELEDGER_RPC_SRC_LOG_LIMITER_H_
