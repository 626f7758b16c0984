// Kills a child process that appends in a loop with SIGKILL at random
// moments, reopens the store after each kill and checks that every
// acknowledged commit is there, that no commit is partial, that no stream
// has a version gap and that global positions are contiguous.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "gtest/gtest.h"
#include "test_util.h"

#ifndef EVENTSTORE_CRASH_CHILD
#error "EVENTSTORE_CRASH_CHILD must name the crash_child binary"
#endif

namespace changeledger::eventstore {
namespace {

struct Ack {
  uint64_t first_position = 0;
  uint64_t last_position = 0;
  std::string stream_a;
  uint64_t a_first = 0, a_last = 0;
  std::string stream_b;
  uint64_t b_first = 0, b_last = 0;
};

// Starts the child with stdout on a pipe, kills it after `delay` (counted
// from its first acknowledged commit when `after_first_ack`, so that slow
// machines and sanitizer builds still kill it mid-work), and returns
// everything it wrote.
std::string RunAndKill(const std::string& dir, int round, absl::Duration delay,
                       bool after_first_ack) {
  int fds[2];
  if (pipe(fds) != 0) {
    ADD_FAILURE() << "pipe: " << errno;
    return "";
  }
  const std::string round_arg = std::to_string(round);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    close(fds[1]);
    execl(EVENTSTORE_CRASH_CHILD, EVENTSTORE_CRASH_CHILD, dir.c_str(), round_arg.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    ADD_FAILURE() << "fork: " << errno;
    return "";
  }
  std::string out;
  char buf[65536];
  if (after_first_ack) {
    const absl::Time give_up = absl::Now() + absl::Seconds(30);
    while (out.find('\n') == std::string::npos && absl::Now() < give_up) {
      pollfd p{fds[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) break;  // the child died: the waitpid check reports it
      out.append(buf, static_cast<size_t>(n));
    }
  }
  absl::SleepFor(delay);
  kill(pid, SIGKILL);
  while (true) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child ended by itself (status " << status << "); see its stderr";
  return out;
}

TEST(CrashSafetyTest, AcknowledgedCommitsSurviveSigkill) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/store";
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(0, 150);

  std::map<std::string, Ack> acked;  // request_id -> what the child was told
  constexpr int kRounds = 16;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // One round in four kills at any moment, also while the child is still
    // opening (recovering) the store; the others once it is appending.
    std::istringstream lines(
        RunAndKill(path, round, absl::Milliseconds(delay_ms(rng)), round % 4 != 3));
    std::string id;
    Ack ack;
    size_t before = acked.size();
    while (lines >> id >> ack.first_position >> ack.last_position >> ack.stream_a >>
           ack.a_first >> ack.a_last >> ack.stream_b >> ack.b_first >> ack.b_last) {
      acked[id] = ack;
    }
    std::cout << "round " << round << ": " << acked.size() - before
              << " commits acknowledged before SIGKILL\n";

    RocksDbEventStoreOptions options;
    options.path = path;
    auto opened = OpenRocksDbEventStore(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    EventStore& store = **opened;

    // Walk the whole log: contiguous positions, contiguous versions per
    // stream, every commit whole (4 events under one request id).
    std::map<std::string, uint64_t> versions;
    std::map<std::string, std::vector<Envelope>> commits;
    uint64_t expected_position = 1;
    while (true) {
      auto page = store.ReadAll(expected_position, 500);
      ASSERT_TRUE(page.ok()) << page.status();
      if (page->empty()) break;
      for (Envelope& e : *page) {
        ASSERT_EQ(e.global_position(), expected_position);
        ++expected_position;
        ASSERT_EQ(e.version(), ++versions[e.stream()]) << e.stream();
        commits[e.correlation_id()].push_back(std::move(e));
      }
    }
    ASSERT_EQ(store.LastPosition(), expected_position - 1);
    for (const auto& [stream, version] : versions) {
      ASSERT_EQ(*store.StreamVersion(stream), version) << stream;
    }
    for (const auto& [request_id, events] : commits) {
      ASSERT_EQ(events.size(), 4u) << "partial commit " << request_id;
      ASSERT_EQ(events[3].global_position(), events[0].global_position() + 3) << request_id;
    }
    for (const auto& [request_id, ack] : acked) {
      auto it = commits.find(request_id);
      ASSERT_NE(it, commits.end()) << "acknowledged commit " << request_id << " is lost";
      const std::vector<Envelope>& events = it->second;
      EXPECT_EQ(events[0].global_position(), ack.first_position) << request_id;
      EXPECT_EQ(events[3].global_position(), ack.last_position) << request_id;
      EXPECT_EQ(events[0].stream(), ack.stream_a);
      EXPECT_EQ(events[0].version(), ack.a_first);
      EXPECT_EQ(events[1].version(), ack.a_last);
      EXPECT_EQ(events[2].stream(), ack.stream_b);
      EXPECT_EQ(events[2].version(), ack.b_first);
      EXPECT_EQ(events[3].version(), ack.b_last);
    }
    // The idempotency record of an acknowledged commit survived too.
    if (!acked.empty()) {
      const auto& [request_id, ack] = *acked.rbegin();
      AppendRequest retry;
      retry.request_id = request_id;
      retry.writes.push_back(testing::Write(ack.stream_a, ExpectedVersion::NoStream(), 1));
      auto replay = store.Append(std::move(retry));
      ASSERT_TRUE(replay.ok()) << replay.status();
      EXPECT_TRUE(replay->replayed);
      EXPECT_EQ(replay->first_position, ack.first_position);
      EXPECT_EQ(store.LastPosition(), expected_position - 1);
    }
  }
  // The child must have made real progress for the test to mean anything.
  EXPECT_GE(acked.size(), 12u);
}

}  // namespace
}  // namespace changeledger::eventstore
