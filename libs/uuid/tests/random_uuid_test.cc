#include "changeledger/uuid/random_uuid.h"

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::uuid {
namespace {

constexpr char kVersion4[] =
    "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

TEST(RandomUuidTest, IsAVersion4UuidInCanonicalLowerCaseText) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = RandomUuid();
    ASSERT_EQ(id.size(), kUuidTextSize);
    EXPECT_THAT(id, ::testing::MatchesRegex(kVersion4));
  }
}

TEST(RandomUuidTest, WriteFillsExactlyThirtySixCharacters) {
  char buffer[kUuidTextSize + 2] = {};
  buffer[kUuidTextSize] = '#';
  WriteRandomUuid(buffer);
  EXPECT_THAT(std::string(buffer, kUuidTextSize), ::testing::MatchesRegex(kVersion4));
  EXPECT_EQ(buffer[kUuidTextSize], '#');
}

TEST(RandomUuidTest, ThreadsNeverRepeatAnId) {
  // Every thread has its own generator: they must not share a seed.
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(RandomUuid());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), size_t{kThreads} * kPerThread);
}

}  // namespace
}  // namespace changeledger::uuid
