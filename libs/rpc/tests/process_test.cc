#include "changeledger/rpc/process.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "gtest/gtest.h"

namespace changeledger::rpc {
namespace {

// In a child process: signals blocked before a thread starts, then SIGTERM
// to the process is taken by WaitForShutdownSignal (not the default action).
void WaitForSigtermThenExit() {
  BlockShutdownSignals();
  std::thread sender([] { kill(getpid(), SIGTERM); });
  int signal = WaitForShutdownSignal();
  sender.join();
  std::_Exit(signal == SIGTERM ? 0 : 1);
}

TEST(ProcessDeathTest, WaitForShutdownSignalTakesSigterm) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(WaitForSigtermThenExit(), ::testing::ExitedWithCode(0), "");
}

TEST(ProcessDeathTest, WaitForShutdownSignalTakesSigint) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        BlockShutdownSignals();
        kill(getpid(), SIGINT);
        std::_Exit(WaitForShutdownSignal() == SIGINT ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(ProcessTest, ConfigureLoggingValidatesTheLevel) {
  EXPECT_TRUE(ConfigureLogging("debug").ok());
  absl::Status status = ConfigureLogging("chatty");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("log.level"), std::string::npos);
  EXPECT_TRUE(ConfigureLogging("info").ok());
}

}  // namespace
}  // namespace changeledger::rpc
