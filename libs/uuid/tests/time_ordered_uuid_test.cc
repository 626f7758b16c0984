#include "changeledger/uuid/time_ordered_uuid.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace changeledger::uuid {
namespace {

std::string Text(const PackedUuid& id) {
  std::string text(kUuidTextSize, '\0');
  FormatUuidText(id, text.data());
  return text;
}

TEST(TimeOrderedUuidTest, LaysOutTheExampleOfRfc9562) {
  // RFC 9562 appendix A.6: 2022-02-22 19:22:22 UTC, rand_a 0xCC3 (here the
  // fraction of the millisecond, 797,608 ns) and rand_b 0x18C4DC0C0C07398F.
  const int64_t nanos = int64_t{1645557742000} * 1'000'000 + 797'608;
  EXPECT_EQ(Text(TimeOrderedUuidAt(nanos, uint64_t{0x18C4DC0C0C07398F} << 2)),
            "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
}

TEST(TimeOrderedUuidTest, LaterTimesSortAfterEarlierOnesWhateverTheRandomBits) {
  const int64_t start = int64_t{1'800'000'000} * 1'000'000'000;
  // Steps of 250 ns and more: the fraction's resolution is 1e6 / 4096 ns.
  const int64_t steps[] = {250, 1'000, 999'999, 1'000'000, 86'400'000'000'000};
  for (const int64_t step : steps) {
    EXPECT_LT(Text(TimeOrderedUuidAt(start, ~uint64_t{0})),
              Text(TimeOrderedUuidAt(start + step, 0)))
        << "step " << step << " ns";
  }
}

TEST(TimeOrderedUuidTest, CarriesTheCurrentTime) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string id = TimeOrderedUuid();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  PackedUuid packed;
  ASSERT_TRUE(ParseUuidText(id, &packed));
  const auto millis = static_cast<int64_t>(packed.hi >> 16);
  EXPECT_GE(millis, before);
  EXPECT_LE(millis, after);
}

TEST(TimeOrderedUuidTest, IdsMadeAMillisecondApartSortInOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {
    ids.push_back(TimeOrderedUuid());
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

}  // namespace
}  // namespace changeledger::uuid
