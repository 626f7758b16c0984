// intake_bench: SubmitProposal commands per second with N concurrent
// clients over loopback against the real intake server, and a bare gRPC
// echo server answering the same request with a response of the same size
// as the baseline, in the same run.
//
//   intake_bench [--clients 32] [--client-threads 1] [--proposals 40000]
//                [--slices 4] [--no-broker] [--no-sync] [--server-processes]
//                [--floors]
//
// Phases: (1) drafts are created through CreateProposal (reported, not the
// headline); (2) each is read back (GetProposal, reported); (3) every draft
// is submitted once (SubmitProposal with a request_id and
// expected_version: load the aggregate, decide, durable append), and (4)
// the echo server gets the same requests, in alternating slices of 3 and 4.
// With --floors, each slice also times the same requests against two
// servers that only wait for a group-committed fdatasync (durable_floor.h).
// Each client is a channel of its own with one call in flight;
// completion-queue threads drive them. Every phase reports CPU
// microseconds per call (process, client threads, dev broker). The last
// line is
//   RESULT commands_per_s=<n> echo_per_s=<n> ratio=<r> p99_ms=<x>
// where p99_ms is the 99th percentile SubmitProposal latency.
#include <dlfcn.h>
#include <grpcpp/grpcpp.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "changeledger/bench/cpu_time.h"
#include "changeledger/bench/percentile.h"
#include "changeledger/bench/scratch_dir.h"
#include "changeledger/devbroker/child_process.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/errors/status_macros.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "changeledger/metrics/scrape.h"
#include "changeledger/rpc/process.h"
#include "changeledger/rpc/server.h"
#include "durable_floor.h"
#include "intake_server.h"

namespace changeledger::intake {
namespace {

constexpr char kProposerToken[] = "bench-proposer-token-0123456789";

v1::ChangeAttributes Attributes(int i) {
  v1::ChangeAttributes a;
  a.set_title("Benchmark proposal " + std::to_string(i));
  a.set_description("Procurement of forensic terminals for a benchmark run");
  a.set_business_area("MO");
  a.set_sponsor("Commander Forensics");
  a.add_teams("Forensic Services");
  a.add_teams("Digital Policing");
  a.set_data_and_digital(true);
  a.mutable_estimated_cost()->set_currency_code("GBP");
  a.mutable_estimated_cost()->set_amount_minor(120000000);
  a.mutable_planned_start()->set_year(2021);
  a.mutable_planned_start()->set_month(6);
  a.mutable_planned_start()->set_day(1);
  a.mutable_planned_end()->set_year(2022);
  a.mutable_planned_end()->set_month(3);
  a.mutable_planned_end()->set_day(31);
  a.mutable_features()->set_work_packages(2);
  a.mutable_features()->set_third_party_procurement(true);
  return a;
}

// CPU time of a child process (the dev broker), in microseconds; this
// process's and the calling thread's come from changeledger/bench/cpu_time.h.
double ChildCpuMicros(pid_t pid) {
  if (pid <= 0) return 0;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  int64_t utime = 0;
  int64_t stime = 0;
  // Fields 3.. after the name; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time of this process and of the intake server when it runs in a
// child (`server_pid`, else -1), in microseconds: what a phase counts as
// the clients' and the server's.
double ProcessAndServerCpuMicros(pid_t server_pid) {
  return bench::ProcessCpuMicros() + ChildCpuMicros(server_pid);
}

struct PhaseResult {
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  // CPU microseconds spent during the phase: the whole process, the
  // benchmark's client threads alone, and the dev broker.
  double process_cpu_us = 0;
  double client_cpu_us = 0;
  double broker_cpu_us = 0;
  double per_second() const { return seconds > 0 ? calls / seconds : 0; }
  // Folds in another slice of the same phase.
  void Add(const PhaseResult& slice) {
    calls += slice.calls;
    errors += slice.errors;
    seconds += slice.seconds;
    latencies_ms.insert(latencies_ms.end(), slice.latencies_ms.begin(), slice.latencies_ms.end());
    process_cpu_us += slice.process_cpu_us;
    client_cpu_us += slice.client_cpu_us;
    broker_cpu_us += slice.broker_cpu_us;
  }
  double percentile(double p) const { return bench::Percentile(latencies_ms, p); }
  // "cpu_us_per_call=<all> client=<c> server=<process - client> broker=<b>"
  std::string CpuLine() const {
    const double n = calls > 0 ? static_cast<double>(calls) : 1;
    char line[160];
    std::snprintf(line, sizeof line,
                  "cpu_us_per_call=%.0f (client=%.0f server=%.0f broker=%.0f)",
                  (process_cpu_us + broker_cpu_us) / n, client_cpu_us / n,
                  (process_cpu_us - client_cpu_us) / n, broker_cpu_us / n);
    return line;
  }
};

// One in-flight call of a phase: everything an async unary call needs.
template <typename Request, typename Response>
struct Slot {
  int channel = 0;
  int index = 0;
  std::chrono::steady_clock::time_point t0;
  std::unique_ptr<grpc::ClientContext> context;
  Request request;
  Response response;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader;
};

// The calls of a phase: `fill(i, request)` builds call i; `prepare` is the
// stub's PrepareAsync method; `done(i, response, status)` sees each answer.
template <typename Request, typename Response>
struct CallSpec {
  std::function<void(int, Request&)> fill;
  std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Response>>(
      v1::IntakeService::Stub&, grpc::ClientContext*, const Request&, grpc::CompletionQueue*)>
      prepare;
  std::function<void(int, const Response&, const grpc::Status&)> done;
};

void Authorize(grpc::ClientContext& context);

// Runs calls [begin, end) over `clients` channels (one connection each),
// each channel keeping exactly one call in flight: `clients` concurrent
// clients, closed loop. The channels are driven by `threads` client
// threads, each with its own completion queue, instead of one blocking
// thread per client, so the client's own cost stays small for every phase
// alike. `settle`, if set, runs after the last answer and before the CPU
// counters stop: work the calls left behind is counted with them (its
// waiting is not: the phase's time ends with the last answer). A server
// in a process of its own (`server_pid`, else -1) counts as this process.
template <typename Request, typename Response>
PhaseResult RunPhase(int clients, int threads, int begin, int end,
                     const std::string& target, pid_t server_pid, pid_t broker_pid,
                     const CallSpec<Request, Response>& spec,
                     const std::function<void()>& settle = nullptr) {
  std::vector<std::unique_ptr<v1::IntakeService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("changeledger.bench.client", c);  // distinct channels, distinct connections
    auto channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10));
    stubs.push_back(v1::IntakeService::NewStub(channel));
  }
  threads = std::min(threads, clients);
  std::atomic<int> next{begin};
  std::atomic<int64_t> errors{0};
  std::atomic<double> client_cpu_us{0};
  std::vector<std::vector<double>> latencies(threads);
  const double process_cpu0 = ProcessAndServerCpuMicros(server_pid);
  const double broker_cpu0 = ChildCpuMicros(broker_pid);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const double cpu0 = bench::ThreadCpuMicros();
      grpc::CompletionQueue cq;
      using CallSlot = Slot<Request, Response>;
      std::vector<std::unique_ptr<CallSlot>> slots;
      auto launch = [&](CallSlot& slot) -> bool {
        slot.index = next++;
        if (slot.index >= end) return false;
        slot.context = std::make_unique<grpc::ClientContext>();
        Authorize(*slot.context);
        slot.request.Clear();
        slot.response.Clear();
        spec.fill(slot.index, slot.request);
        slot.t0 = std::chrono::steady_clock::now();
        slot.reader = spec.prepare(*stubs[slot.channel], slot.context.get(), slot.request, &cq);
        slot.reader->StartCall();
        slot.reader->Finish(&slot.response, &slot.status, &slot);
        return true;
      };
      int in_flight = 0;
      for (int c = t; c < clients; c += threads) {
        auto slot = std::make_unique<CallSlot>();
        slot->channel = c;
        if (launch(*slot)) ++in_flight;
        slots.push_back(std::move(slot));
      }
      void* tag = nullptr;
      bool ok = false;
      while (in_flight > 0 && cq.Next(&tag, &ok)) {
        auto& slot = *static_cast<CallSlot*>(tag);
        latencies[t].push_back(std::chrono::duration<double, std::milli>(
                                   std::chrono::steady_clock::now() - slot.t0)
                                   .count());
        if (!ok) slot.status = grpc::Status(grpc::StatusCode::INTERNAL, "completion failed");
        if (spec.done) spec.done(slot.index, slot.response, slot.status);
        if (!slot.status.ok() && errors++ < 5) {
          std::fprintf(stderr, "call %d: %d %s\n", slot.index, slot.status.error_code(),
                       slot.status.error_message().c_str());
        }
        if (!launch(slot)) --in_flight;
      }
      cq.Shutdown();
      while (cq.Next(&tag, &ok)) {
      }
      client_cpu_us += bench::ThreadCpuMicros() - cpu0;
    });
  }
  for (auto& w : workers) w.join();
  PhaseResult result;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (settle) settle();
  result.process_cpu_us = ProcessAndServerCpuMicros(server_pid) - process_cpu0;
  result.broker_cpu_us = ChildCpuMicros(broker_pid) - broker_cpu0;
  result.client_cpu_us = client_cpu_us;
  result.calls = end - begin;
  result.errors = errors;
  for (auto& l : latencies) result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  return result;
}

void Authorize(grpc::ClientContext& context) {
  context.AddMetadata("authorization", std::string("Bearer ") + kProposerToken);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

// The intake server's metrics (series -> value); empty if unreadable.
std::map<std::string, double> Scrape(int metrics_port) {
  auto text = metrics::testing::HttpGet(metrics_port, "/metrics");
  if (!text.ok()) return {};
  auto samples = metrics::testing::ParseExposition(*text);
  if (!samples.ok()) return {};
  return *std::move(samples);
}

// Group-commit counters of the intake server's store, from /metrics.
struct StoreStats {
  double writes = 0;         // synced writes (groups)
  double appends = 0;        // appends they carried
  double write_seconds = 0;  // time spent writing them
  double bytes = 0;          // the write batches' bytes
};

StoreStats ScrapeStore(int metrics_port) {
  std::map<std::string, double> samples = Scrape(metrics_port);
  StoreStats stats;
  stats.writes = samples["changeledger_eventstore_group_commit_appends_count"];
  stats.appends = samples["changeledger_eventstore_group_commit_appends_sum"];
  stats.write_seconds = samples["changeledger_eventstore_write_duration_seconds_sum"];
  stats.bytes = samples["changeledger_eventstore_appended_bytes_total"];
  return stats;
}

// Whether the relay has published every event the store has taken, from
// /metrics (false while the metrics cannot be read).
bool RelayCaughtUp(int metrics_port, double* published, double* appended) {
  std::map<std::string, double> samples = Scrape(metrics_port);
  *published = 0;
  *appended = 0;
  for (const auto& [series, value] : samples) {
    // The relay's counter is labelled with its topic.
    if (series.rfind("changeledger_eventstore_events_appended_total", 0) == 0) {
      *appended += value;
    } else if (series.rfind("changeledger_relay_published_total", 0) == 0) {
      *published += value;
    }
  }
  return !samples.empty() && *published >= *appended;
}

// The baseline: answers SubmitProposal with a canned Proposal of the real
// response's size, on a plain grpc::ServerBuilder server. Given a
// GroupSyncedFile, it answers only once its wait there is durable: the
// synchronous floor of --floors (durable_floor.h).
class EchoService final : public v1::IntakeService::Service {
 public:
  EchoService(v1::Proposal canned, durable_floor::GroupSyncedFile* durable)
      : canned_(std::move(canned)), durable_(durable) {}
  grpc::Status SubmitProposal(grpc::ServerContext*, const v1::SubmitProposalRequest* request,
                              v1::Proposal* response) override {
    if (durable_ != nullptr) durable_->Wait();
    *response = canned_;
    response->set_name(request->name());
    return grpc::Status::OK;
  }

 private:
  v1::Proposal canned_;
  durable_floor::GroupSyncedFile* const durable_;  // null for the echo
};

// The baseline server on a free loopback port, with the same thread keeping
// as rpc::Server (ServerOptions::max_idle_threads).
struct EchoServer {
  explicit EchoServer(const v1::Proposal& canned,
                      durable_floor::GroupSyncedFile* durable = nullptr)
      : service(canned, durable) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service);
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                rpc::ServerOptions{}.max_idle_threads);
    server = builder.BuildAndStart();
    target = "127.0.0.1:" + std::to_string(port);
  }
  ~EchoServer() { server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2)); }

  EchoService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  std::string target;
};

// The intake server as every run configures it, in this process or in a
// child (--server-processes).
IntakeServerOptions BenchServerOptions(const std::string& dir, int clients, bool no_sync,
                                       const std::string& bootstrap_servers) {
  IntakeServerOptions options;
  options.common.service_name = "intake";
  options.common.grpc_listen = "127.0.0.1:0";
  options.common.metrics_listen = "127.0.0.1:0";
  options.common.data_dir = dir + "/data";
  options.common.tokens_file = dir + "/tokens.yaml";
  options.common.log_level = "warn";
  // Every client calls as the one bench principal; up to --clients 1024 of
  // them at once must meet neither the per-principal limit nor the thread
  // quota (which also counts the threads waiting for calls).
  options.common.max_calls_per_principal =
      std::max<int64_t>(options.common.max_calls_per_principal, clients);
  options.common.max_threads = std::max<int64_t>(options.common.max_threads, 2 * clients);
  options.sync = !no_sync;
  options.common.kafka_bootstrap_servers = bootstrap_servers;
  return options;
}

// Writes `line` to `path` whole (a reader polling for it never sees half).
bool WriteReadyFile(const std::string& path, const std::string& line) {
  const std::string partial = path + ".partial";
  std::ofstream(partial) << line << "\n";
  return std::rename(partial.c_str(), path.c_str()) == 0;
}

// --serve intake|echo: one of the servers alone in this process, started
// by a benchmark run with --server-processes. Writes "<port> <metrics
// port>" to `ready_file` once it serves, and stops on SIGTERM or SIGINT.
int Serve(const std::string& what, const std::string& dir, int clients, bool no_sync,
          const std::string& bootstrap_servers, const std::string& canned_response_file,
          const std::string& ready_file) {
  // Blocked before any thread starts, as the services' main() does, so
  // that WaitForShutdownSignal receives them.
  rpc::BlockShutdownSignals();
  if (what == "intake") {
    auto server =
        IntakeServer::Start(BenchServerOptions(dir, clients, no_sync, bootstrap_servers));
    if (!server.ok()) {
      std::fprintf(stderr, "intake: %s\n", server.status().ToString().c_str());
      return 1;
    }
    if (!WriteReadyFile(ready_file, std::to_string((*server)->port()) + " " +
                                        std::to_string((*server)->metrics_port()))) {
      return 1;
    }
    rpc::WaitForShutdownSignal();
    (*server)->Stop(std::chrono::seconds(5));
    return 0;
  }
  if (what == "echo") {
    v1::Proposal canned;
    std::ifstream in(canned_response_file, std::ios::binary);
    if (!canned.ParseFromIstream(&in)) {
      std::fprintf(stderr, "echo: cannot read a Proposal from %s\n",
                   canned_response_file.c_str());
      return 1;
    }
    EchoServer echo(canned);
    if (!WriteReadyFile(ready_file, std::to_string(echo.port) + " 0")) return 1;
    rpc::WaitForShutdownSignal();
    return 0;
  }
  std::fprintf(stderr, "--serve: expected intake or echo, got %s\n", what.c_str());
  return 2;
}

// Starts this binary again as `--serve <what> ...` and waits until it
// serves; `*port` and `*metrics_port` from its ready file.
absl::StatusOr<std::unique_ptr<devbroker::ChildProcess>> SpawnServer(
    const std::string& what, const std::string& dir, std::vector<std::string> args,
    int* port, int* metrics_port) {
  char self[4096];
  const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
  if (length <= 0)
    return absl::UnavailableError("cannot find this binary (/proc/self/exe)");
  const std::string ready_file = dir + "/" + what + ".ready";
  std::vector<std::string> argv = {std::string(self, static_cast<size_t>(length)),
                                   "--serve",
                                   what,
                                   "--scratch-dir",
                                   dir,
                                   "--ready-file",
                                   ready_file};
  argv.insert(argv.end(), args.begin(), args.end());
  CL_ASSIGN_OR_RETURN(
      std::unique_ptr<devbroker::ChildProcess> child,
      devbroker::ChildProcess::Spawn(std::move(argv), ready_file, absl::Seconds(60)));
  if (std::sscanf(child->ready_line().c_str(), "%d %d", port, metrics_port) != 2) {
    return absl::UnavailableError("the " + what + " server wrote no ports");
  }
  return child;
}

int Main(int argc, char** argv) {
  CLI::App app{"intake SubmitProposal throughput vs a bare gRPC echo server"};
  int clients = 32;
  int proposals = 40000;
  bool no_broker = false;
  int client_threads = 1;
  app.add_option("--clients", clients, "concurrent clients")->check(CLI::Range(1, 1024));
  app.add_option("--client-threads", client_threads,
                 "threads driving the clients' completion queues (each client keeps one call "
                 "in flight)")
      ->check(CLI::Range(1, 64));
  app.add_option("--proposals", proposals, "proposals to create and submit")
      ->check(CLI::Range(1, 10000000));
  app.add_flag("--no-broker", no_broker, "run without the dev broker and relay");
  int slices = 4;
  app.add_option("--slices", slices,
                 "alternating submit and echo slices the proposals are split into")
      ->check(CLI::Range(1, 100));
  bool no_sync = false;
  app.add_flag("--no-sync", no_sync,
               "diagnostic only: do not sync the store's WAL (not the durable path)");
  bool server_processes = false;
  app.add_flag(
      "--server-processes", server_processes,
      "diagnostic only: run the intake server and the echo baseline each in a process "
      "of its own, the clients alone in this one (the headline layout is one process)");
  bool floors = false;
  app.add_flag("--floors", floors,
               "diagnostic only: after each echo slice, time the same requests against "
               "servers that do nothing but wait for a group-committed fdatasync of a "
               "command's bytes (gRPC's synchronous and asynchronous APIs)")
      ->excludes("--server-processes")
      ->excludes("--no-sync");
  // How --server-processes starts the servers (hidden: not for people).
  std::string serve;
  std::string scratch_dir;
  std::string bootstrap_servers;
  std::string canned_response_file;
  std::string ready_file;
  app.add_option("--serve", serve)->group("");
  app.add_option("--scratch-dir", scratch_dir)->group("");
  app.add_option("--bootstrap-servers", bootstrap_servers)->group("");
  app.add_option("--canned-response-file", canned_response_file)->group("");
  app.add_option("--ready-file", ready_file)->group("");
  CLI11_PARSE(app, argc, argv);
  if (!serve.empty()) {
    return Serve(serve, scratch_dir, clients, no_sync, bootstrap_servers,
                 canned_response_file, ready_file);
  }
  slices = std::min(slices, proposals);  // every slice submits at least one proposal
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // phase lines as they finish, also into a file

  const std::string dir = bench::MakeScratchDir("intake_bench");
  if (dir.empty()) return 1;
  std::ofstream(dir + "/tokens.yaml")
      << "tokens:\n  - {principal: bench, token: \"" << kProposerToken
      << "\", roles: [proposer]}\n";

  std::unique_ptr<devbroker::DevBrokerProcess> broker;
  if (!no_broker) {
    auto spawned = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "32"});
    if (!spawned.ok()) {
      std::fprintf(stderr, "devbroker: %s\n", spawned.status().ToString().c_str());
      return 1;
    }
    broker = *std::move(spawned);
  }

  const std::string bootstrap = broker ? broker->bootstrap_servers() : "";
  // The intake server: in this process (the headline layout), or alone in
  // a child (--server-processes).
  std::unique_ptr<IntakeServer> server;
  std::unique_ptr<devbroker::ChildProcess> server_child;
  int port = 0;
  int metrics_port = 0;
  if (server_processes) {
    std::vector<std::string> args = {"--clients", std::to_string(clients),
                                     "--bootstrap-servers", bootstrap};
    if (no_sync) args.push_back("--no-sync");
    auto spawned = SpawnServer("intake", dir, std::move(args), &port, &metrics_port);
    if (!spawned.ok()) {
      std::fprintf(stderr, "intake: %s\n", spawned.status().ToString().c_str());
      return 1;
    }
    server_child = *std::move(spawned);
  } else {
    auto started =
        IntakeServer::Start(BenchServerOptions(dir, clients, no_sync, bootstrap));
    if (!started.ok()) {
      std::fprintf(stderr, "intake: %s\n", started.status().ToString().c_str());
      return 1;
    }
    server = *std::move(started);
    port = server->port();
    metrics_port = server->metrics_port();
  }
  const pid_t server_pid = server_child ? server_child->pid() : -1;
  const std::string target = "127.0.0.1:" + std::to_string(port);
  // jemalloc exports mallctl; glibc's malloc does not.
  const bool jemalloc = dlsym(RTLD_DEFAULT, "mallctl") != nullptr;
  std::printf(
      "intake_bench: clients=%d proposals=%d broker=%s store=rocksdb(%s) allocator=%s "
      "servers=%s\n",
      clients, proposals, broker ? "devbroker" : "none", no_sync ? "no-sync" : "sync",
      jemalloc ? "jemalloc" : "glibc", server_processes ? "own-processes" : "in-process");

  const pid_t broker_pid = broker ? broker->pid() : -1;
  // After a phase of commands the server finishes what they left behind
  // before the phase's CPU is counted: the relay publishes the rest of the
  // outbox, and RocksDB's flushes and compactions run out. The next phase
  // then starts on a quiet server (a flush that ran on into it would slow
  // it: the reads, or the echo baseline, which it would flatter). The
  // waiting itself is in no phase's time.
  const std::function<void()> settle_server = [metrics_port, server_pid,
                                               has_relay = broker != nullptr] {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    double published = 0;
    double appended = 0;
    while (has_relay && !RelayCaughtUp(metrics_port, &published, &appended)) {
      if (absl::Now() > deadline) {
        std::fprintf(stderr, "settle: %.0f of %.0f events published\n", published,
                     appended);
        return;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
    // Quiet: under 5% of a core over 100 ms (idle, the server takes about
    // 0.4%: naps and timers).
    while (true) {
      const double cpu0 = ProcessAndServerCpuMicros(server_pid);
      absl::SleepFor(absl::Milliseconds(100));
      if (ProcessAndServerCpuMicros(server_pid) - cpu0 < 5'000) return;
      if (absl::Now() > deadline) {
        std::fprintf(stderr, "settle: the server is still busy after 60 s\n");
        return;
      }
    }
  };
  std::vector<std::string> names(proposals);
  CallSpec<v1::CreateProposalRequest, v1::Proposal> create_spec;
  create_spec.fill = [](int i, v1::CreateProposalRequest& request) {
    request.set_request_id("bench-create-" + std::to_string(i));
    *request.mutable_attributes() = Attributes(i);
  };
  create_spec.prepare = [](v1::IntakeService::Stub& stub, grpc::ClientContext* context,
                           const v1::CreateProposalRequest& request, grpc::CompletionQueue* cq) {
    return stub.PrepareAsyncCreateProposal(context, request, cq);
  };
  create_spec.done = [&](int i, const v1::Proposal& response, const grpc::Status&) {
    names[i] = response.name();
  };
  PhaseResult create = RunPhase(clients, client_threads, 0, proposals, target, server_pid,
                                broker_pid, create_spec, settle_server);
  std::printf("create: calls=%lld errors=%lld commands_per_s=%.0f p50_ms=%.2f p99_ms=%.2f %s\n",
              static_cast<long long>(create.calls), static_cast<long long>(create.errors),
              create.per_second(), create.percentile(0.50), create.percentile(0.99),
              create.CpuLine().c_str());

  // Reads through the same server: separates the RPC and read cost from the
  // append path.
  CallSpec<v1::GetProposalRequest, v1::Proposal> get_spec;
  get_spec.fill = [&](int i, v1::GetProposalRequest& request) { request.set_name(names[i]); };
  get_spec.prepare = [](v1::IntakeService::Stub& stub, grpc::ClientContext* context,
                        const v1::GetProposalRequest& request, grpc::CompletionQueue* cq) {
    return stub.PrepareAsyncGetProposal(context, request, cq);
  };
  PhaseResult get = RunPhase(clients, client_threads, 0, proposals, target, server_pid,
                             broker_pid, get_spec);
  std::printf("get: calls=%lld errors=%lld calls_per_s=%.0f p50_ms=%.2f p99_ms=%.2f %s\n",
              static_cast<long long>(get.calls), static_cast<long long>(get.errors),
              get.per_second(), get.percentile(0.50), get.percentile(0.99),
              get.CpuLine().c_str());

  v1::SubmitProposalRequest sample_request;
  v1::Proposal sample_response;
  CallSpec<v1::SubmitProposalRequest, v1::Proposal> submit_spec;
  submit_spec.fill = [&](int i, v1::SubmitProposalRequest& request) {
    request.set_request_id("bench-submit-" + std::to_string(i));
    request.set_name(names[i]);
    request.set_expected_version(1);
  };
  submit_spec.prepare = [](v1::IntakeService::Stub& stub, grpc::ClientContext* context,
                           const v1::SubmitProposalRequest& request, grpc::CompletionQueue* cq) {
    return stub.PrepareAsyncSubmitProposal(context, request, cq);
  };
  submit_spec.done = [&](int i, const v1::Proposal& response, const grpc::Status&) {
    if (i != 0) return;
    submit_spec.fill(0, sample_request);
    sample_response = response;
  };
  // The submit phase and the echo baseline run in alternating slices with
  // the same requests through the same client code, so that both see the
  // same load from the rest of a shared machine (one long phase after the
  // other gave ratios anywhere from 0.2 to 0.6 as that load came and went).
  // Each submit slice settles the server before its echo slice.
  const StoreStats before_submit = ScrapeStore(metrics_port);
  PhaseResult submit;
  PhaseResult echoed;
  std::optional<EchoServer> echo;
  std::unique_ptr<devbroker::ChildProcess> echo_child;
  std::string echo_target;
  // --floors: the durable floors, timed after each echo slice.
  size_t floor_bytes = 0;
  std::unique_ptr<durable_floor::GroupSyncedFile> floor_file;
  std::optional<EchoServer> sync_floor;
  std::optional<durable_floor::AsyncFloorServer> async_floor;
  PhaseResult sync_floored;
  PhaseResult async_floored;
  for (int slice = 0; slice < slices; ++slice) {
    const int begin = static_cast<int>(static_cast<int64_t>(proposals) * slice / slices);
    const int end = static_cast<int>(static_cast<int64_t>(proposals) * (slice + 1) / slices);
    PhaseResult submitted = RunPhase(clients, client_threads, begin, end, target,
                                     server_pid, broker_pid, submit_spec, settle_server);
    if (echo_target.empty()) {
      // The baseline answers with a response of the real response's size,
      // known once the first slice has had one.
      submit_spec.done = nullptr;
      if (server_processes) {
        const std::string canned_file = dir + "/canned_response.bin";
        std::ofstream(canned_file, std::ios::binary)
            << sample_response.SerializeAsString();
        int echo_port = 0;
        int unused = 0;
        auto spawned = SpawnServer("echo", dir, {"--canned-response-file", canned_file},
                                   &echo_port, &unused);
        if (!spawned.ok()) {
          std::fprintf(stderr, "echo: %s\n", spawned.status().ToString().c_str());
          return 1;
        }
        echo_child = *std::move(spawned);
        echo_target = "127.0.0.1:" + std::to_string(echo_port);
      } else {
        echo.emplace(sample_response);
        echo_target = echo->target;
      }
    }
    PhaseResult echoed_slice =
        RunPhase(clients, client_threads, begin, end, echo_target,
                 echo_child ? echo_child->pid() : -1, broker_pid, submit_spec);
    std::printf("slice %d: commands_per_s=%.0f echo_per_s=%.0f ratio=%.2f\n", slice + 1,
                submitted.per_second(), echoed_slice.per_second(),
                echoed_slice.per_second() > 0
                    ? submitted.per_second() / echoed_slice.per_second()
                    : 0);
    submit.Add(submitted);
    echoed.Add(echoed_slice);
    if (floors) {
      if (floor_file == nullptr) {
        // Each wait writes what an append of the first slice wrote.
        const StoreStats after_first = ScrapeStore(metrics_port);
        const double appends = after_first.appends - before_submit.appends;
        floor_bytes =
            appends > 0
                ? static_cast<size_t>((after_first.bytes - before_submit.bytes) / appends)
                : 0;
        auto opened =
            durable_floor::GroupSyncedFile::Open(dir + "/floor.bin", floor_bytes);
        if (!opened.ok()) {
          std::fprintf(stderr, "floors: %s\n", opened.status().ToString().c_str());
          return 1;
        }
        floor_file = *std::move(opened);
        sync_floor.emplace(sample_response, floor_file.get());
        async_floor.emplace(
            floor_file.get(), sample_response,
            std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
      }
      PhaseResult sync_slice = RunPhase(clients, client_threads, begin, end,
                                        sync_floor->target, -1, broker_pid, submit_spec);
      PhaseResult async_slice =
          RunPhase(clients, client_threads, begin, end, async_floor->target(), -1,
                   broker_pid, submit_spec);
      std::printf("slice %d floors: sync_per_s=%.0f async_per_s=%.0f\n", slice + 1,
                  sync_slice.per_second(), async_slice.per_second());
      sync_floored.Add(sync_slice);
      async_floored.Add(async_slice);
    }
  }
  echo.reset();
  echo_child.reset();
  const double p99 = submit.percentile(0.99);
  std::printf("submit: calls=%lld errors=%lld commands_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
              "request_bytes=%zu response_bytes=%zu %s\n",
              static_cast<long long>(submit.calls), static_cast<long long>(submit.errors),
              submit.per_second(), submit.percentile(0.50), p99,
              sample_request.ByteSizeLong(), sample_response.ByteSizeLong(),
              submit.CpuLine().c_str());
  // How well group commit batched during the submit slices (from /metrics).
  const StoreStats after_submit = ScrapeStore(metrics_port);
  std::printf("store (submit phase): synced_writes=%.0f appends_per_write=%.1f "
              "mean_write_ms=%.2f\n",
              after_submit.writes - before_submit.writes,
              after_submit.writes > before_submit.writes
                  ? (after_submit.appends - before_submit.appends) /
                        (after_submit.writes - before_submit.writes)
                  : 0,
              after_submit.writes > before_submit.writes
                  ? 1000 * (after_submit.write_seconds - before_submit.write_seconds) /
                        (after_submit.writes - before_submit.writes)
                  : 0);
  std::printf("echo: calls=%lld errors=%lld calls_per_s=%.0f p50_ms=%.2f p99_ms=%.2f %s\n",
              static_cast<long long>(echoed.calls), static_cast<long long>(echoed.errors),
              echoed.per_second(), echoed.percentile(0.50), echoed.percentile(0.99),
              echoed.CpuLine().c_str());
  if (floors) {
    std::printf("floors: bytes_per_wait=%zu\n", floor_bytes);
    for (const auto& [name, floored] :
         {std::pair{"floor (synchronous)", &sync_floored},
          std::pair{"floor (asynchronous)", &async_floored}}) {
      std::printf(
          "%s: calls=%lld errors=%lld calls_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
          "of_echo=%.2f commands_of_floor=%.2f %s\n",
          name, static_cast<long long>(floored->calls),
          static_cast<long long>(floored->errors), floored->per_second(),
          floored->percentile(0.50), floored->percentile(0.99),
          echoed.per_second() > 0 ? floored->per_second() / echoed.per_second() : 0,
          floored->per_second() > 0 ? submit.per_second() / floored->per_second() : 0,
          floored->CpuLine().c_str());
    }
  }
  sync_floor.reset();
  async_floor.reset();
  floor_file.reset();
  if (server) server->Stop(std::chrono::seconds(5));
  server.reset();
  server_child.reset();  // SIGTERM: it stops as the in-process server does
  broker.reset();
  std::filesystem::remove_all(dir);
  const bool failed = create.errors + get.errors + submit.errors + echoed.errors +
                          sync_floored.errors + async_floored.errors >
                      0;
  std::printf("RESULT commands_per_s=%.0f echo_per_s=%.0f ratio=%.2f p99_ms=%.2f\n",
              submit.per_second(), echoed.per_second(),
              echoed.per_second() > 0 ? submit.per_second() / echoed.per_second() : 0, p99);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace changeledger::intake

int main(int argc, char** argv) {
  changeledger::rpc::ConfigureRuntime();  // as the services' main() does
  return changeledger::intake::Main(argc, argv);
}
