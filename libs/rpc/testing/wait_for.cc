#include "changeledger/rpc/wait_for.h"

#include <chrono>
#include <thread>

#include "absl/time/clock.h"

namespace changeledger::rpc::testing {

bool WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace changeledger::rpc::testing
