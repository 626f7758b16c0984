// What every UUID generator of the library promises: canonical lower-case
// text of its version, exactly 36 characters written, no repeats across
// threads.
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "changeledger/uuid/random_uuid.h"
#include "changeledger/uuid/time_ordered_uuid.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::uuid {
namespace {

struct Generator {
  const char* name;
  std::string (*make)();
  void (*write)(char* out);
  const char* pattern;  // the canonical text of its version
};

const Generator kGenerators[] = {
    {"Random", RandomUuid, WriteRandomUuid,
     "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"},
    {"TimeOrdered", TimeOrderedUuid, WriteTimeOrderedUuid,
     "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"},
};

class UuidGeneratorTest : public ::testing::TestWithParam<Generator> {};

TEST_P(UuidGeneratorTest, MakesCanonicalLowerCaseTextOfItsVersion) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = GetParam().make();
    ASSERT_EQ(id.size(), kUuidTextSize);
    EXPECT_THAT(id, ::testing::MatchesRegex(GetParam().pattern));
  }
}

TEST_P(UuidGeneratorTest, WriteFillsExactlyThirtySixCharacters) {
  char buffer[kUuidTextSize + 2] = {};
  buffer[kUuidTextSize] = '#';
  GetParam().write(buffer);
  EXPECT_THAT(std::string(buffer, kUuidTextSize),
              ::testing::MatchesRegex(GetParam().pattern));
  EXPECT_EQ(buffer[kUuidTextSize], '#');
}

TEST_P(UuidGeneratorTest, ThreadsNeverRepeatAnId) {
  // Every thread has its own generator: they must not share a seed (and
  // time-ordered ids made in the same instant differ in their random bits).
  constexpr int kThreads = 8;
  constexpr int kPerThread = 5000;
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, t, make = GetParam().make] {
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(make());
    });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), size_t{kThreads} * kPerThread);
}

INSTANTIATE_TEST_SUITE_P(Generators, UuidGeneratorTest, ::testing::ValuesIn(kGenerators),
                         [](const ::testing::TestParamInfo<Generator>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace changeledger::uuid
