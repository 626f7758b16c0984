// Helper for crash_safety_test: appends to the store at argv[1] from
// several threads until it is killed. Each commit writes two events to
// each of two streams of its thread; after a commit is acknowledged the
// child reports it on stdout as one line:
//   <request_id> <first_pos> <last_pos> <stream_a> <a_first> <a_last> <stream_b> <b_first> <b_last>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/eventstore/rocksdb_event_store.h"

namespace {

using changeledger::eventstore::AppendRequest;
using changeledger::eventstore::Envelope;
using changeledger::eventstore::EventStore;
using changeledger::eventstore::ExpectedVersion;
using changeledger::eventstore::StreamAppend;

constexpr int kThreads = 4;

void Report(const std::string& line) {
  // One write() of less than PIPE_BUF bytes reaches the pipe whole.
  if (write(STDOUT_FILENO, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    _exit(3);
  }
}

void Run(EventStore* store, const std::string& round, int thread) {
  const std::string a = absl::StrCat("t", thread, "-a");
  const std::string b = absl::StrCat("t", thread, "-b");
  uint64_t va = *store->StreamVersion(a);
  uint64_t vb = *store->StreamVersion(b);
  for (uint64_t seq = 0;; ++seq) {
    const std::string id = absl::StrCat("r", round, "-t", thread, "-", seq);
    AppendRequest request;
    request.request_id = id;
    for (const auto& [stream, version] : {std::pair{a, va}, std::pair{b, vb}}) {
      StreamAppend w;
      w.stream = stream;
      w.expected = ExpectedVersion::Exactly(version);
      for (int i = 0; i < 2; ++i) {
        Envelope e;
        e.set_type("test.v1.CrashProbe");
        e.set_correlation_id(id);
        e.mutable_payload()->set_value(std::string(200, static_cast<char>('a' + i)));
        w.events.push_back(std::move(e));
      }
      request.writes.push_back(std::move(w));
    }
    auto r = store->Append(std::move(request));
    if (!r.ok()) {
      fprintf(stderr, "append %s failed: %s\n", id.c_str(), r.status().ToString().c_str());
      _exit(2);
    }
    va = r->streams[0].last_version;
    vb = r->streams[1].last_version;
    Report(absl::StrCat(id, " ", r->first_position, " ", r->last_position, " ", a, " ",
                        r->streams[0].first_version, " ", va, " ", b, " ",
                        r->streams[1].first_version, " ", vb, "\n"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <store dir> <round>\n", argv[0]);
    return 1;
  }
  changeledger::eventstore::RocksDbEventStoreOptions options;
  options.path = argv[1];
  auto store = changeledger::eventstore::OpenRocksDbEventStore(options);
  if (!store.ok()) {
    fprintf(stderr, "open failed: %s\n", store.status().ToString().c_str());
    return 2;
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(Run, store->get(), argv[2], t);
  for (std::thread& t : threads) t.join();  // never: the parent kills us
  return 0;
}
