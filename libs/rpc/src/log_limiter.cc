#include "log_limiter.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace changeledger::rpc::internal {

LogLimiter::LogLimiter(double lines_per_second, int burst)
    : lines_per_second_(lines_per_second), burst_(burst), tokens_(burst) {}

bool LogLimiter::Allow(Clock::time_point now, uint64_t* left_out) {
  std::lock_guard lock(mu_);
  if (last_ != Clock::time_point() && now > last_) {
    const double seconds = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + seconds * lines_per_second_);
  }
  if (now > last_) last_ = now;
  if (tokens_ < 1) {
    ++left_out_;
    return false;
  }
  tokens_ -= 1;
  *left_out = left_out_;
  left_out_ = 0;
  return true;
}

std::string LeftOutNote(uint64_t left_out) {
  return left_out == 0 ? "" : absl::StrCat(" lines_not_logged_before=", left_out);
}

}  // namespace changeledger::rpc::internal
