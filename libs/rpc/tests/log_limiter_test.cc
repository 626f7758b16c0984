#include "log_limiter.h"

#include "gtest/gtest.h"

namespace changeledger::rpc::internal {
namespace {

using std::chrono::milliseconds;

TEST(LogLimiterTest, AllowsABurstThenTheRateAndCountsWhatItLeftOut) {
  LogLimiter limiter(/*lines_per_second=*/10, /*burst=*/3);
  const LogLimiter::Clock::time_point start = LogLimiter::Clock::now();
  uint64_t left_out = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.Allow(start, &left_out)) << i;
    EXPECT_EQ(left_out, 0u);
  }
  EXPECT_FALSE(limiter.Allow(start, &left_out));
  EXPECT_FALSE(limiter.Allow(start + milliseconds(50), &left_out));
  // A tenth of a second after the burst, one more line, which says that
  // two were left out before it.
  ASSERT_TRUE(limiter.Allow(start + milliseconds(100), &left_out));
  EXPECT_EQ(left_out, 2u);
  EXPECT_FALSE(limiter.Allow(start + milliseconds(150), &left_out));
  ASSERT_TRUE(limiter.Allow(start + milliseconds(200), &left_out));
  EXPECT_EQ(left_out, 1u);
}

TEST(LogLimiterTest, RefillsNoFurtherThanTheBurst) {
  LogLimiter limiter(/*lines_per_second=*/10, /*burst=*/2);
  const LogLimiter::Clock::time_point start = LogLimiter::Clock::now();
  uint64_t left_out = 0;
  ASSERT_TRUE(limiter.Allow(start, &left_out));
  // An hour of quiet earns two lines, not 36,000.
  const auto later = start + std::chrono::hours(1);
  EXPECT_TRUE(limiter.Allow(later, &left_out));
  EXPECT_TRUE(limiter.Allow(later, &left_out));
  EXPECT_FALSE(limiter.Allow(later, &left_out));
}

TEST(LogLimiterTest, ATimeEarlierThanOneSeenAddsNothing) {
  // Threads read the clock before taking the limiter's lock, so times can
  // arrive slightly out of order.
  LogLimiter limiter(/*lines_per_second=*/10, /*burst=*/1);
  const LogLimiter::Clock::time_point start = LogLimiter::Clock::now();
  uint64_t left_out = 0;
  ASSERT_TRUE(limiter.Allow(start + milliseconds(100), &left_out));
  EXPECT_FALSE(limiter.Allow(start, &left_out));
  EXPECT_FALSE(limiter.Allow(start + milliseconds(150), &left_out));
  EXPECT_TRUE(limiter.Allow(start + milliseconds(200), &left_out));
  EXPECT_EQ(left_out, 2u);
}

TEST(LogLimiterTest, TheNoteSaysHowManyLinesWereLeftOutOrNothing) {
  EXPECT_EQ(LeftOutNote(0), "");
  EXPECT_EQ(LeftOutNote(3), " lines_not_logged_before=3");
}

}  // namespace
}  // namespace changeledger::rpc::internal
