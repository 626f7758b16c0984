#include "changeledger/metrics/metrics.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "changeledger/metrics/scrape.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::metrics {
namespace {

using ::testing::HasSubstr;
using testing::HttpGet;
using testing::ParseExposition;
using testing::SeriesKey;

TEST(MetricsTest, DefaultHandlesDoNothing) {
  Counter counter;
  Gauge gauge;
  Histogram histogram;
  counter.Increment();
  gauge.Set(3);
  gauge.Increment();
  gauge.Decrement();
  histogram.Observe(0.5);
  SUCCEED();  // no registry: nothing to crash into
}

TEST(MetricsTest, SameNameAddsSeriesAndSameSeriesIsShared) {
  Registry registry;
  Counter a = registry.AddCounter("changeledger_test_events_total", "Events.", {{"kind", "a"}});
  Counter b = registry.AddCounter("changeledger_test_events_total", "Events.", {{"kind", "b"}});
  Counter a_again =
      registry.AddCounter("changeledger_test_events_total", "Events.", {{"kind", "a"}});
  a.Increment();
  a_again.Increment(2);
  b.Increment(5);
  auto samples = ParseExposition(registry.Serialize());
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[SeriesKey("changeledger_test_events_total", {{"kind", "a"}})], 3);
  EXPECT_EQ((*samples)[SeriesKey("changeledger_test_events_total", {{"kind", "b"}})], 5);
}

TEST(MetricsTest, GaugeAndHistogramValues) {
  Registry registry;
  Gauge depth = registry.AddGauge("changeledger_test_depth", "Depth.");
  depth.Set(10);
  depth.Increment(2);
  depth.Decrement(5);
  Histogram latency =
      registry.AddHistogram("changeledger_test_latency_seconds", "Latency.", LatencyBuckets());
  latency.Observe(0.002);
  latency.Observe(0.2);
  auto samples = ParseExposition(registry.Serialize());
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)["changeledger_test_depth"], 7);
  EXPECT_EQ((*samples)["changeledger_test_latency_seconds_count"], 2);
  EXPECT_DOUBLE_EQ((*samples)["changeledger_test_latency_seconds_sum"], 0.202);
  EXPECT_EQ((*samples)[SeriesKey("changeledger_test_latency_seconds_bucket", {{"le", "0.0025"}})],
            1);
  EXPECT_EQ((*samples)[SeriesKey("changeledger_test_latency_seconds_bucket", {{"le", "+Inf"}})],
            2);
}

TEST(MetricsTest, InvalidNameGivesNoOpHandle) {
  Registry registry;
  Counter bad = registry.AddCounter("bad name with spaces", "Bad.");
  bad.Increment();
  EXPECT_THAT(registry.Serialize(), ::testing::Not(HasSubstr("bad name")));
}

TEST(MetricsTest, BucketsAreIncreasing) {
  for (const auto& buckets : {LatencyBuckets(), SizeBuckets()}) {
    ASSERT_FALSE(buckets.empty());
    for (size_t i = 1; i < buckets.size(); ++i) EXPECT_LT(buckets[i - 1], buckets[i]);
  }
  EXPECT_EQ(SizeBuckets().back(), 4096);
}

TEST(ExposerTest, RejectsMalformedAddress) {
  Registry registry;
  for (const char* address : {"abc", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:99999",
                              "127.0.0.1:x"}) {
    auto exposer = Exposer::Start(address, registry);
    ASSERT_FALSE(exposer.ok()) << address;
    EXPECT_EQ(exposer.status().code(), absl::StatusCode::kInvalidArgument) << address;
  }
}

TEST(ExposerTest, PortInUseIsUnavailable) {
  Registry registry;
  auto first = Exposer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = Exposer::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(ExposerTest, ServesRegistryAndProcessMetricsOverHttp) {
  Registry registry;
  RegisterProcessMetrics(registry);
  Counter appends = registry.AddCounter("changeledger_test_appends_total", "Appends.",
                                        {{"store", "intake"}});
  appends.Increment(42);
  auto exposer = Exposer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  ASSERT_GT((*exposer)->port(), 0);

  auto body = HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  auto samples = ParseExposition(*body);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[SeriesKey("changeledger_test_appends_total", {{"store", "intake"}})], 42);
  EXPECT_GT((*samples)["process_resident_memory_bytes"], 1024 * 1024);
  EXPECT_GT((*samples)["process_virtual_memory_bytes"], (*samples)["process_resident_memory_bytes"]);
  EXPECT_GE((*samples)["process_cpu_seconds_total"], 0);
  EXPECT_GT((*samples)["process_max_fds"], 0);
  // Started within the last hour and not in the future.
  double now = static_cast<double>(time(nullptr));
  EXPECT_LE((*samples)["process_start_time_seconds"], now + 1);
  EXPECT_GT((*samples)["process_start_time_seconds"], now - 3600);

  if (auto promtool = testing::FindPromtool()) {
    EXPECT_TRUE(testing::PromtoolCheck(*promtool, *body).ok())
        << testing::PromtoolCheck(*promtool, *body);
  }
}

TEST(ExposerTest, OpenFdsFollowsTheProcess) {
  Registry registry;
  RegisterProcessMetrics(registry);
  auto before = ParseExposition(registry.Serialize());
  ASSERT_TRUE(before.ok());
  int fds[8];
  for (int& fd : fds) fd = open("/dev/null", O_RDONLY);
  auto after = ParseExposition(registry.Serialize());
  for (int fd : fds) close(fd);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)["process_open_fds"] - (*before)["process_open_fds"], 8);
}

TEST(ExposerTest, StopsServingWhenDestroyed) {
  Registry registry;
  int port = 0;
  {
    auto exposer = Exposer::Start("127.0.0.1:0", registry);
    ASSERT_TRUE(exposer.ok());
    port = (*exposer)->port();
    ASSERT_TRUE(HttpGet(port, "/metrics").ok());
  }
  EXPECT_FALSE(HttpGet(port, "/metrics").ok());
}

}  // namespace
}  // namespace changeledger::metrics
