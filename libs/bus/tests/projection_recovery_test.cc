// The projection runner fed from Kafka, killed with SIGKILL at random
// moments and restarted, converges to a clean run's state; a rebuild from
// the earliest offsets and one from the log reader give the same hash.
#include <grpcpp/grpcpp.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/devbroker/mock_cluster.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/rpc/wait_for.h"
#include "gtest/gtest.h"
#include "test_projection.h"

namespace changeledger::bus {
namespace {

constexpr char kTopic[] = "changeledger.intake.v1";

using rpc::testing::WaitFor;

class Child {
 public:
  Child(const std::vector<std::string>& args) {
    std::vector<std::string> argv_strings = {PROJECTION_CHILD_PATH};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ == 0) {
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  // Sends `sig` and waits; returns the wait status.
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
};

struct ChildStatus {
  uint64_t applied = 0;
  uint64_t hash = 0;
  int64_t lag = -1;
  std::string state;
};

ChildStatus ReadStatus(const std::string& path) {
  ChildStatus s;
  std::ifstream in(path);
  in >> s.applied >> s.hash >> s.lag >> s.state;
  return s;
}

// Produces the first `n` events of `store` again, as a relay would after a
// crash between a PERSISTED report and AckOutbox.
void ProduceCopies(const std::string& bootstrap, eventstore::EventStore& store, size_t n) {
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  ASSERT_NE(rk, nullptr) << errstr;
  auto events = store.ReadAll(1, n);
  ASSERT_TRUE(events.ok());
  for (const auto& e : *events) {
    std::string value = e.SerializeAsString();
    ASSERT_EQ(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(kTopic),
                                RD_KAFKA_V_KEY(e.stream().data(), e.stream().size()),
                                RD_KAFKA_V_VALUE(value.data(), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  EXPECT_EQ(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(rk);
}

TEST(ProjectionRecoveryTest, KilledRunnerConvergesAndRebuildsGiveTheSameHash) {
  auto cluster = devbroker::MockCluster::Start({.topics = {kTopic}, .partitions = 8});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string bootstrap = (*cluster)->bootstrap_servers();
  auto store = eventstore::NewInMemoryEventStore();
  auto relay = OutboxRelay::Create(store.get(), {.bootstrap_servers = bootstrap,
                                                 .topic = kTopic,
                                                 .message_timeout = absl::Seconds(2),
                                                 .retry_backoff = absl::Milliseconds(50)});
  ASSERT_TRUE(relay.ok());
  (*relay)->Start();

  // Removed even when an assertion ends the test early.
  const rpc::testing::TempDir temp;
  const std::string dir = temp.path().string();
  const std::string kv_path = dir + "/kv";
  const std::string status_file = dir + "/status";

  // Events keep coming while the runner is killed: 80 streams.
  std::atomic<bool> appending{true};
  std::atomic<int> appended{0};
  std::thread appender([&] {
    std::mt19937 rng(7);
    int i = 0;
    while (appending.load()) {
      const std::string stream = "c" + std::to_string(rng() % 80);
      ASSERT_TRUE(store->Append(testing::MakeAppend(stream, 1 + rng() % 3)).ok());
      ++i;
      appended = i;
      // Duplicated deliveries: some rounds fail and are produced again.
      if (i % 150 == 0) {
        (*cluster)->PushProduceErrors({RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE});
      }
      absl::SleepFor(absl::Milliseconds(4));
    }
  });

  std::random_device device;
  const unsigned seed = device();
  std::mt19937 rng(seed);
  SCOPED_TRACE("kill-time seed " + std::to_string(seed));
  for (int run = 0; run < 4; ++run) {
    Child child({bootstrap, kTopic, "kill-" + std::to_string(run), kv_path, status_file});
    if (run % 2 == 1) {
      // Odd runs are killed while applying: once the runner has applied
      // something in this run, after a further random delay.
      std::filesystem::remove(status_file);
      ASSERT_TRUE(WaitFor([&] { return ReadStatus(status_file).applied > 0; }));
    }
    const int delay_ms = (run % 2 == 1 ? 0 : 300) + static_cast<int>(rng() % 1500);
    absl::SleepFor(absl::Milliseconds(delay_ms));
    int status = child.Signal(SIGKILL);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early, status " << status;
  }
  appending = false;
  appender.join();
  ASSERT_TRUE(WaitFor([&] { return store->GetOutboxStats().depth == 0; }));
  // A relay that crashed after publishing but before acknowledging
  // publishes its tail again: copies of the first 300 events.
  ProduceCopies(bootstrap, *store, 300);
  const uint64_t expected = testing::CleanFoldHash(*store);
  ASSERT_NE(expected, 0u);
  EXPECT_GT((*relay)->stats().publish_errors, 0u) << "no publish failures were injected";

  // A clean run, in-process, from an empty store.
  {
    auto kv = kv::NewInMemoryKvStore();
    testing::TallyProjection projection;
    auto runner = ProjectionRunner::CreateKafka(
        &projection, kv.get(),
        {.bootstrap_servers = bootstrap, .group_id = "clean", .topics = {kTopic},
         .kafka_config = {{"session.timeout.ms", "6000"}}});
    ASSERT_TRUE(runner.ok());
    (*runner)->Start();
    ASSERT_TRUE(WaitFor([&] { return (*runner)->StateHash().value() == expected; }))
        << "clean run never reached the log's state";
    // The copies come after every original in the topic, so the state is
    // reached before all of them are read: wait for them, then check that
    // dropping them left the state alone.
    EXPECT_TRUE(WaitFor([&] { return (*runner)->stats().duplicates_dropped >= 300u; }))
        << "dropped " << (*runner)->stats().duplicates_dropped << " duplicates";
    EXPECT_EQ((*runner)->StateHash().value(), expected);
  }

  // The killed runner, restarted once more, converges to the same state.
  {
    Child child({bootstrap, kTopic, "kill-final", kv_path, status_file});
    EXPECT_TRUE(WaitFor([&] { return ReadStatus(status_file).hash == expected; },
                        absl::Seconds(30)))
        << "after kills: applied " << ReadStatus(status_file).applied;
    EXPECT_EQ(ReadStatus(status_file).state, "ok");
    int status = child.Signal(SIGTERM);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  auto kv = kv::OpenRocksDbKvStore({.path = kv_path});
  ASSERT_TRUE(kv.ok()) << kv.status();
  EXPECT_EQ(ProjectionStateHash(**kv, "tally").value(), expected);

  // Rebuild from the earliest offsets.
  {
    testing::TallyProjection projection;
    auto runner = ProjectionRunner::CreateKafka(
        &projection, kv->get(),
        {.bootstrap_servers = bootstrap, .group_id = "rebuild", .topics = {kTopic},
         .kafka_config = {{"session.timeout.ms", "6000"}}});
    ASSERT_TRUE(runner.ok());
    ASSERT_TRUE((*runner)->Rebuild().ok());
    EXPECT_EQ(ProjectionStateHash(**kv, "tally").value(), 0xcbf29ce484222325ull);
    EXPECT_TRUE((*runner)->rebuilding());
    (*runner)->Start();
    ASSERT_TRUE(WaitFor([&] { return !(*runner)->rebuilding(); }));
    EXPECT_EQ((*runner)->StateHash().value(), expected);
    (*runner)->Stop();
  }

  // Rebuild from the writing service's log reader, without Kafka.
  {
    LogReaderService service(store.get(), {.source = "testsvc"});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    ASSERT_NE(server, nullptr);
    testing::TallyProjection projection;
    auto runner = ProjectionRunner::CreateLogReader(
        &projection, kv->get(),
        {.channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                        grpc::InsecureChannelCredentials()),
         .source_name = "testsvc"});
    ASSERT_TRUE(runner.ok());
    ASSERT_TRUE((*runner)->Rebuild().ok());
    (*runner)->Start();
    ASSERT_TRUE(WaitFor([&] { return !(*runner)->rebuilding(); }));
    EXPECT_EQ((*runner)->StateHash().value(), expected);
    EXPECT_EQ((*runner)->stats().duplicates_dropped, 0u);
    (*runner)->Stop();
    service.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
  (*relay)->Stop();
  kv->reset();
}

}  // namespace
}  // namespace changeledger::bus
