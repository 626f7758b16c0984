// intake_bench: SubmitProposal commands per second with N concurrent
// clients over loopback against the real intake server, and a bare gRPC
// echo server answering the same request with a response of the same size
// as the baseline, in the same run.
//
//   intake_bench [--clients 32] [--proposals 40000] [--no-broker]
//
// Phases: (1) drafts are created through CreateProposal (reported, not the
// headline); (2) every draft is submitted once (SubmitProposal with a
// request_id and expected_version: load the stream, decide, durable
// append); (3) the echo server gets the same number of calls. The last
// line is
//   RESULT commands_per_s=<n> echo_per_s=<n> ratio=<r> p99_ms=<x>
// where p99_ms is the 99th percentile SubmitProposal latency.
#include <grpcpp/grpcpp.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "changeledger/metrics/scrape.h"
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

struct PhaseResult {
  int64_t calls = 0;
  int64_t errors = 0;
  double seconds = 0;
  std::vector<double> latencies_ms;
  double per_second() const { return seconds > 0 ? calls / seconds : 0; }
  double percentile(double p) {
    if (latencies_ms.empty()) return 0;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    const size_t index =
        std::min(latencies_ms.size() - 1, static_cast<size_t>(p * latencies_ms.size()));
    return latencies_ms[index];
  }
};

// Runs `call(i)` for i in [0, n) spread over `clients` threads, each with
// its own channel (its own connection).
PhaseResult RunPhase(int clients, int n, const std::string& target,
                     const std::function<grpc::Status(v1::IntakeService::Stub&, int)>& call) {
  std::vector<std::unique_ptr<v1::IntakeService::Stub>> stubs;
  for (int c = 0; c < clients; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("changeledger.bench.client", c);  // distinct channels, distinct connections
    stubs.push_back(v1::IntakeService::NewStub(
        grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args)));
  }
  std::atomic<int> next{0};
  std::atomic<int64_t> errors{0};
  std::vector<std::vector<double>> latencies(clients);
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = next++; i < n; i = next++) {
        const absl::Time t0 = absl::Now();
        const grpc::Status status = call(*stubs[c], i);
        latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
        if (!status.ok()) {
          if (errors++ < 5) {
            std::fprintf(stderr, "call %d: %d %s\n", i, status.error_code(),
                         status.error_message().c_str());
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  PhaseResult result;
  result.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  result.calls = n;
  result.errors = errors;
  for (auto& l : latencies) result.latencies_ms.insert(result.latencies_ms.end(), l.begin(), l.end());
  return result;
}

void Authorize(grpc::ClientContext& context) {
  context.AddMetadata("authorization", std::string("Bearer ") + kProposerToken);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
}

// The baseline: answers SubmitProposal with a canned Proposal of the real
// response's size, on a plain grpc::ServerBuilder server.
class EchoService final : public v1::IntakeService::Service {
 public:
  explicit EchoService(v1::Proposal canned) : canned_(std::move(canned)) {}
  grpc::Status SubmitProposal(grpc::ServerContext*, const v1::SubmitProposalRequest* request,
                              v1::Proposal* response) override {
    *response = canned_;
    response->set_name(request->name());
    return grpc::Status::OK;
  }

 private:
  v1::Proposal canned_;
};

int Main(int argc, char** argv) {
  CLI::App app{"intake SubmitProposal throughput vs a bare gRPC echo server"};
  int clients = 32;
  int proposals = 40000;
  bool no_broker = false;
  app.add_option("--clients", clients, "concurrent clients")->check(CLI::Range(1, 1024));
  app.add_option("--proposals", proposals, "proposals to create and submit")
      ->check(CLI::Range(1, 10000000));
  app.add_flag("--no-broker", no_broker, "run without the dev broker and relay");
  bool no_sync = false;
  app.add_flag("--no-sync", no_sync,
               "diagnostic only: do not sync the store's WAL (not the durable path)");
  CLI11_PARSE(app, argc, argv);

  char pattern[] = "/tmp/intake_bench.XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const std::string dir = pattern;
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

  IntakeServerOptions options;
  options.common.service_name = "intake";
  options.common.grpc_listen = "127.0.0.1:0";
  options.common.metrics_listen = "127.0.0.1:0";
  options.common.data_dir = dir + "/data";
  options.common.tokens_file = dir + "/tokens.yaml";
  options.common.log_level = "warn";
  options.sync = !no_sync;
  if (broker) options.common.kafka_bootstrap_servers = broker->bootstrap_servers();
  auto server = IntakeServer::Start(options);
  if (!server.ok()) {
    std::fprintf(stderr, "intake: %s\n", server.status().ToString().c_str());
    return 1;
  }
  const std::string target = "127.0.0.1:" + std::to_string((*server)->port());
  std::printf("intake_bench: clients=%d proposals=%d broker=%s store=rocksdb(%s)\n", clients,
              proposals, broker ? "devbroker" : "none", no_sync ? "no-sync" : "sync");

  std::vector<std::string> names(proposals);
  PhaseResult create = RunPhase(clients, proposals, target, [&](v1::IntakeService::Stub& stub,
                                                                int i) {
    grpc::ClientContext context;
    Authorize(context);
    v1::CreateProposalRequest request;
    request.set_request_id("bench-create-" + std::to_string(i));
    *request.mutable_attributes() = Attributes(i);
    v1::Proposal response;
    grpc::Status status = stub.CreateProposal(&context, request, &response);
    names[i] = response.name();
    return status;
  });
  std::printf("create: calls=%lld errors=%lld commands_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
              static_cast<long long>(create.calls), static_cast<long long>(create.errors),
              create.per_second(), create.percentile(0.50), create.percentile(0.99));

  // Reads through the same server: separates the RPC and read cost from the
  // append path.
  PhaseResult get = RunPhase(clients, proposals, target, [&](v1::IntakeService::Stub& stub,
                                                             int i) {
    grpc::ClientContext context;
    Authorize(context);
    v1::GetProposalRequest request;
    request.set_name(names[i]);
    v1::Proposal response;
    return stub.GetProposal(&context, request, &response);
  });
  std::printf("get: calls=%lld errors=%lld calls_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
              static_cast<long long>(get.calls), static_cast<long long>(get.errors),
              get.per_second(), get.percentile(0.50), get.percentile(0.99));

  v1::SubmitProposalRequest sample_request;
  v1::Proposal sample_response;
  PhaseResult submit = RunPhase(clients, proposals, target, [&](v1::IntakeService::Stub& stub,
                                                                int i) {
    grpc::ClientContext context;
    Authorize(context);
    v1::SubmitProposalRequest request;
    request.set_request_id("bench-submit-" + std::to_string(i));
    request.set_name(names[i]);
    request.set_expected_version(1);
    v1::Proposal response;
    grpc::Status status = stub.SubmitProposal(&context, request, &response);
    if (i == 0) {
      sample_request = request;
      sample_response = response;
    }
    return status;
  });
  const double p99 = submit.percentile(0.99);
  std::printf("submit: calls=%lld errors=%lld commands_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
              "request_bytes=%zu response_bytes=%zu\n",
              static_cast<long long>(submit.calls), static_cast<long long>(submit.errors),
              submit.per_second(), submit.percentile(0.50), p99,
              sample_request.ByteSizeLong(), sample_response.ByteSizeLong());
  // How well group commit batched over the whole run (from /metrics).
  if (auto text = metrics::testing::HttpGet((*server)->metrics_port(), "/metrics"); text.ok()) {
    if (auto samples = metrics::testing::ParseExposition(*text); samples.ok()) {
      const double commits = (*samples)["changeledger_eventstore_group_commit_appends_count"];
      const double appends = (*samples)["changeledger_eventstore_group_commit_appends_sum"];
      const double write_s = (*samples)["changeledger_eventstore_write_duration_seconds_sum"];
      std::printf("store: synced_writes=%.0f appends_per_write=%.1f mean_write_ms=%.2f\n",
                  commits, commits > 0 ? appends / commits : 0,
                  commits > 0 ? 1000 * write_s / commits : 0);
    }
  }
  (*server)->Stop(std::chrono::seconds(5));

  // The baseline, with the same messages and the same clients.
  EchoService echo(sample_response);
  grpc::ServerBuilder builder;
  int echo_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &echo_port);
  builder.RegisterService(&echo);
  std::unique_ptr<grpc::Server> echo_server = builder.BuildAndStart();
  PhaseResult echoed = RunPhase(clients, proposals, "127.0.0.1:" + std::to_string(echo_port),
                                [&](v1::IntakeService::Stub& stub, int i) {
                                  grpc::ClientContext context;
                                  Authorize(context);
                                  v1::SubmitProposalRequest request = sample_request;
                                  request.set_request_id("bench-submit-" + std::to_string(i));
                                  request.set_name(names[i]);
                                  v1::Proposal response;
                                  return stub.SubmitProposal(&context, request, &response);
                                });
  echo_server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::printf("echo: calls=%lld errors=%lld calls_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
              static_cast<long long>(echoed.calls), static_cast<long long>(echoed.errors),
              echoed.per_second(), echoed.percentile(0.50), echoed.percentile(0.99));

  server->reset();
  broker.reset();
  std::filesystem::remove_all(dir);
  const bool failed = create.errors + submit.errors + echoed.errors > 0;
  std::printf("RESULT commands_per_s=%.0f echo_per_s=%.0f ratio=%.2f p99_ms=%.2f\n",
              submit.per_second(), echoed.per_second(),
              echoed.per_second() > 0 ? submit.per_second() / echoed.per_second() : 0, p99);
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace changeledger::intake

int main(int argc, char** argv) { return changeledger::intake::Main(argc, argv); }
