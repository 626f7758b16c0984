// Helpers shared by the event store tests.
#ifndef CHANGELEDGER_EVENTSTORE_TESTS_TEST_UTIL_H_
#define CHANGELEDGER_EVENTSTORE_TESTS_TEST_UTIL_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/eventstore/observer.h"

namespace changeledger::eventstore::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object goes away.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/eventstore_XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Envelope Event(const std::string& type, const std::string& body = "") {
  Envelope e;
  e.set_type(type);
  e.set_schema_version(1);
  e.set_actor("alice");
  e.set_correlation_id("corr");
  e.mutable_occurred_at()->set_seconds(1700000000);
  e.mutable_payload()->set_type_url("type.googleapis.com/" + type);
  e.mutable_payload()->set_value(body);
  return e;
}

inline StreamAppend Write(const std::string& stream, ExpectedVersion expected,
                          int events, const std::string& type = "test.v1.Happened") {
  StreamAppend w;
  w.stream = stream;
  w.expected = expected;
  for (int i = 0; i < events; ++i) w.events.push_back(Event(type, std::to_string(i)));
  return w;
}

inline AppendRequest Request(std::vector<StreamAppend> writes, std::string request_id = "") {
  AppendRequest r;
  r.writes = std::move(writes);
  r.request_id = std::move(request_id);
  return r;
}

// A controllable clock.
class FakeClock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_;
};

// Records the hooks and can hold the committer thread inside OnCommit, so a
// test can fill the queue or make several appends share one group.
class RecordingObserver : public EventStoreObserver {
 public:
  void Block() {
    absl::MutexLock lock(&mu_);
    blocked_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    blocked_ = false;
  }
  void OnCommit(size_t appends, size_t events, size_t bytes, absl::Duration) override {
    absl::MutexLock lock(&mu_);
    groups_.push_back(appends);
    events_.push_back(events);
    bytes_ += bytes;
    mu_.Await(absl::Condition(
        +[](bool* blocked) { return !*blocked; }, &blocked_));
  }
  void OnRejected(absl::StatusCode code) override {
    absl::MutexLock lock(&mu_);
    rejected_.push_back(code);
  }
  void OnQueueDepth(size_t depth) override {
    absl::MutexLock lock(&mu_);
    depth_ = depth;
    ++depth_reports_;
  }
  bool WaitForDepthReports(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return depth_reports_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  bool WaitForDepth(size_t depth, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return depth_ == depth; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  bool WaitForCommits(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return groups_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  std::vector<size_t> groups() {
    absl::MutexLock lock(&mu_);
    return groups_;
  }
  std::vector<size_t> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }
  size_t bytes() {
    absl::MutexLock lock(&mu_);
    return bytes_;
  }
  std::vector<absl::StatusCode> rejected() {
    absl::MutexLock lock(&mu_);
    return rejected_;
  }

 private:
  absl::Mutex mu_;
  bool blocked_ = false;
  size_t depth_ = 0;
  size_t depth_reports_ = 0;
  std::vector<size_t> groups_;
  std::vector<size_t> events_;
  size_t bytes_ = 0;
  std::vector<absl::StatusCode> rejected_;
};

}  // namespace changeledger::eventstore::testing

#endif  // CHANGELEDGER_EVENTSTORE_TESTS_TEST_UTIL_H_
