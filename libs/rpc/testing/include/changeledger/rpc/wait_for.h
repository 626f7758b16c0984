// For tests in any module that wait for something another thread or
// process brings about (a projection catching up, a server turning
// healthy).
#ifndef CHANGELEDGER_RPC_TESTING_WAIT_FOR_H_
#define CHANGELEDGER_RPC_TESTING_WAIT_FOR_H_

#include <functional>

#include "absl/time/time.h"

namespace changeledger::rpc::testing {

// Polls `done` every 50 ms until it holds or `timeout` passes; whether it
// held (asked once more at the end).
bool WaitFor(const std::function<bool()>& done,
             absl::Duration timeout = absl::Seconds(30));

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTING_WAIT_FOR_H_
