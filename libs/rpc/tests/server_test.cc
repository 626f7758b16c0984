#include "changeledger/rpc/server.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "changeledger/metrics/metrics.h"
#include "changeledger/metrics/scrape.h"
#include "changeledger/rpc/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/wrappers.pb.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "test_service.h"

namespace changeledger::rpc {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::kNotServing;
using testing::kServing;
using testing::TempDir;
using testing::TestServiceImpl;
using ::testing::UnorderedElementsAre;
namespace pb = ::changeledger::testing::v1;
namespace scrape = ::changeledger::metrics::testing;

constexpr char kService[] = "changeledger.testing.v1.TestService";

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tokens = TokenTable::FromYaml(testing::kTokensYaml);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    options_.service_name = "test";
    options_.tokens = *tokens;
    options_.metrics = &registry_;
    options_.max_receive_message_bytes = 64 * 1024;
    options_.default_deadline = std::chrono::milliseconds(400);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(std::chrono::seconds(5));
  }

  void StartServer() {
    auto server = Server::Create(options_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->AddService(&service_, testing::TestPolicy()).ok());
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_GT(server_->port(), 0);
    ClientOptions client;
    client.target = "127.0.0.1:" + std::to_string(server_->port());
    auto channel = MakeChannel(client);
    ASSERT_TRUE(channel.ok());
    channel_ = *channel;
    stub_ = pb::TestService::NewStub(channel_);
  }

  // A context carrying `token` (none if empty) and a 5 s deadline.
  std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    ClientOptions options;
    options.token = token;
    options.timeout = std::chrono::seconds(5);
    return ClientContextFactory(options).New();
  }

  grpc::Status Echo(const std::string& token, pb::EchoResponse* response = nullptr,
                    const std::string& text = "hi") {
    pb::EchoRequest request;
    request.set_text(text);
    pb::EchoResponse ignored;
    return stub_->Echo(Context(token).get(), request, response ? response : &ignored);
  }

  metrics::Registry registry_;
  ServerOptions options_;
  TestServiceImpl service_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::TestService::Stub> stub_;
};

TEST_F(ServerTest, AuthMatrixRejectsBeforeTheHandlerRuns) {
  StartServer();
  EXPECT_EQ(Echo("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Echo("not-a-known-token-at-all").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Basic ") + testing::kAliceToken);
    pb::EchoRequest request;
    pb::EchoResponse response;
    EXPECT_EQ(stub_->Echo(&context, request, &response).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  grpc::Status denied = Echo(testing::kCarolToken);  // panel
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(denied.error_message(), HasSubstr("carol"));
  EXPECT_EQ(service_.calls.load(), 0);  // no handler ran for any of them

  EXPECT_TRUE(Echo(testing::kAliceToken).ok());  // proposer
  EXPECT_TRUE(Echo(testing::kRootToken).ok());   // admin, listed for Echo
  EXPECT_EQ(service_.calls.load(), 2);
}

// EchoRequest.text sent as bytes that are not UTF-8 (BytesValue has the
// same field number): the client's mistake, INVALID_ARGUMENT, not INTERNAL.
TEST_F(ServerTest, RequestThatDoesNotParseIsInvalidArgument) {
  StartServer();
  static const grpc::internal::RpcMethod kEcho("/changeledger.testing.v1.TestService/Echo",
                                               grpc::internal::RpcMethod::NORMAL_RPC);
  google::protobuf::BytesValue request;
  request.set_value("\xff\xfe not UTF-8");
  pb::EchoResponse response;
  const grpc::Status status = grpc::internal::BlockingUnaryCall(
      channel_.get(), kEcho, Context(testing::kAliceToken).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("request: not a valid request message"));
  EXPECT_EQ(service_.calls.load(), 0);
  // Still checked after authentication: no token, no parse.
  EXPECT_EQ(grpc::internal::BlockingUnaryCall(channel_.get(), kEcho, Context("").get(), request,
                                              &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Echo(testing::kAliceToken).ok());
}

TEST_F(ServerTest, PrincipalReachesTheHandler) {
  StartServer();
  pb::EchoResponse response;
  ASSERT_TRUE(Echo(testing::kAliceToken, &response, "hello").ok());
  EXPECT_EQ(response.text(), "hello");
  EXPECT_EQ(response.principal(), "alice");
  EXPECT_THAT(response.roles(), ElementsAre("proposer"));
}

TEST_F(ServerTest, MethodWithoutPolicyIsDeniedToEveryone) {
  StartServer();
  for (const char* token : {testing::kAliceToken, testing::kBobToken, testing::kCarolToken,
                            testing::kRootToken}) {
    pb::EchoRequest request;
    pb::EchoResponse response;
    EXPECT_EQ(stub_->Unlisted(Context(token).get(), request, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(service_.calls.load(), 0);
}

TEST_F(ServerTest, AdminIsNotImplicit) {
  StartServer();
  pb::WaitRequest request;  // Wait lists only proposer
  pb::WaitResponse response;
  EXPECT_EQ(stub_->Wait(Context(testing::kRootToken).get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ServerTest, StreamingMethodsAreGuarded) {
  StartServer();
  {
    pb::CountRequest request;
    request.set_count(3);
    auto context = Context(testing::kAliceToken);  // proposer: not allowed
    auto reader = stub_->Count(context.get(), request);
    pb::CountResponse response;
    EXPECT_FALSE(reader->Read(&response));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  }
  {
    auto context = Context("");
    pb::SumResponse response;
    auto writer = stub_->Sum(context.get(), &response);
    pb::SumRequest request;
    request.set_value(1);
    writer->Write(request);
    writer->WritesDone();
    EXPECT_EQ(writer->Finish().error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(service_.calls.load(), 0);
  {
    pb::CountRequest request;
    request.set_count(3);
    auto context = Context(testing::kBobToken);  // auditor
    auto reader = stub_->Count(context.get(), request);
    pb::CountResponse response;
    std::vector<int> numbers;
    while (reader->Read(&response)) numbers.push_back(response.number());
    EXPECT_TRUE(reader->Finish().ok());
    EXPECT_THAT(numbers, ElementsAre(1, 2, 3));
  }
  {
    auto context = Context(testing::kAliceToken);
    pb::SumResponse response;
    auto writer = stub_->Sum(context.get(), &response);
    for (int value : {1, 2, 39}) {
      pb::SumRequest request;
      request.set_value(value);
      writer->Write(request);
    }
    writer->WritesDone();
    EXPECT_TRUE(writer->Finish().ok());
    EXPECT_EQ(response.sum(), 42);
  }
}

TEST_F(ServerTest, OversizedRequestIsResourceExhausted) {
  StartServer();
  EXPECT_TRUE(Echo(testing::kAliceToken, nullptr, std::string(1024, 'x')).ok());
  int before = service_.calls.load();
  grpc::Status status = Echo(testing::kAliceToken, nullptr, std::string(100 * 1024, 'x'));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(service_.calls.load(), before);
}

TEST_F(ServerTest, DefaultDeadlineAppliesOnlyWithoutClientDeadline) {
  StartServer();
  pb::WaitRequest request;
  pb::WaitResponse response;
  {
    grpc::ClientContext context;  // no deadline
    context.AddMetadata("authorization", std::string("Bearer ") + testing::kAliceToken);
    ASSERT_TRUE(stub_->Wait(&context, request, &response).ok());
    EXPECT_GT(response.deadline_in_ms(), 300);
    EXPECT_LE(response.deadline_in_ms(), 400);
  }
  {
    auto context = Context(testing::kAliceToken);  // 5 s
    ASSERT_TRUE(stub_->Wait(context.get(), request, &response).ok());
    EXPECT_GT(response.deadline_in_ms(), 4000);
  }
  {
    // Waits past the default deadline: the server cancels the call.
    grpc::ClientContext context;
    context.AddMetadata("authorization", std::string("Bearer ") + testing::kAliceToken);
    request.set_wait_ms(10000);
    auto start = std::chrono::steady_clock::now();
    grpc::Status status = stub_->Wait(&context, request, &response);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED);
    EXPECT_LT(elapsed, std::chrono::seconds(3));
  }
}

TEST_F(ServerTest, HealthFollowsDependencies) {
  server_ = nullptr;
  auto server = Server::Create(options_);
  ASSERT_TRUE(server.ok());
  server_ = *std::move(server);
  ASSERT_TRUE(server_->AddService(&service_, testing::TestPolicy()).ok());
  server_->DeclareDependency("store", DependencyKind::kRequired);
  server_->DeclareDependency("broker", DependencyKind::kOptional);
  EXPECT_FALSE(server_->Serving());  // not started
  ASSERT_TRUE(server_->Start().ok());
  auto channel = MakeChannel({.target = "127.0.0.1:" + std::to_string(server_->port())});
  ASSERT_TRUE(channel.ok());

  EXPECT_TRUE(server_->Serving());
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kServing);
  EXPECT_EQ(testing::HealthStatus(*channel, kService), kServing);
  EXPECT_EQ(testing::HealthStatus(*channel, "dependency/store"), kServing);

  server_->SetDependencyHealthy("store", false);
  EXPECT_FALSE(server_->Serving());
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kNotServing);
  EXPECT_EQ(testing::HealthStatus(*channel, kService), kNotServing);
  EXPECT_EQ(testing::HealthStatus(*channel, "dependency/store"), kNotServing);

  server_->SetDependencyHealthy("store", true);
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kServing);

  // An optional dependency down: degraded, still serving.
  server_->SetDependencyHealthy("broker", false);
  EXPECT_TRUE(server_->Serving());
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kServing);
  EXPECT_EQ(testing::HealthStatus(*channel, "dependency/broker"), kNotServing);

  // A dependency first named when reported is required.
  server_->SetDependencyHealthy("index", false);
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kNotServing);
  server_->SetDependencyHealthy("index", true);
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kServing);
}

// StopServing turns every health name NOT_SERVING for good, and calls are
// still served until Shutdown.
TEST_F(ServerTest, StopServingReportsNotServingAndStillServesCalls) {
  StartServer();
  server_->DeclareDependency("store", DependencyKind::kRequired);
  EXPECT_EQ(testing::HealthStatus(channel_, ""), kServing);
  server_->StopServing();
  EXPECT_EQ(testing::HealthStatus(channel_, ""), kNotServing);
  EXPECT_EQ(testing::HealthStatus(channel_, kService), kNotServing);
  EXPECT_EQ(testing::HealthStatus(channel_, "dependency/store"), kNotServing);
  server_->SetDependencyHealthy("store", true);
  EXPECT_EQ(testing::HealthStatus(channel_, ""), kNotServing) << "for good";
  EXPECT_TRUE(Echo(testing::kAliceToken).ok());
}

TEST_F(ServerTest, DependencyDownBeforeStartIsReportedAtStart) {
  auto server = Server::Create(options_);
  ASSERT_TRUE(server.ok());
  server_ = *std::move(server);
  server_->DeclareDependency("store", DependencyKind::kRequired, /*initially_up=*/false);
  ASSERT_TRUE(server_->Start().ok());
  auto channel = MakeChannel({.target = "127.0.0.1:" + std::to_string(server_->port())});
  ASSERT_TRUE(channel.ok());
  EXPECT_EQ(testing::HealthStatus(*channel, ""), kNotServing);
}

TEST_F(ServerTest, ReflectionListsTheServices) {
  StartServer();
  std::vector<std::string> services = testing::ReflectionServices(channel_);
  EXPECT_THAT(services, ::testing::Contains(kService));
  EXPECT_THAT(services, ::testing::Contains("grpc.reflection.v1alpha.ServerReflection"));
}

TEST_F(ServerTest, RpcMetricsAreScrapedAndPassPromtool) {
  metrics::RegisterProcessMetrics(registry_);
  auto exposer = metrics::Exposer::Start("127.0.0.1:0", registry_);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  StartServer();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Echo(testing::kAliceToken).ok());
  EXPECT_EQ(Echo(testing::kCarolToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Echo("").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  auto body = scrape::HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  auto samples = scrape::ParseExposition(*body);
  ASSERT_TRUE(samples.ok()) << samples.status();
  auto requests = [&](const char* code) {
    return (*samples)[scrape::SeriesKey(
        "changeledger_rpc_requests_total",
        {{"service", kService}, {"method", "Echo"}, {"code", code}})];
  };
  EXPECT_EQ(requests("OK"), 3);
  EXPECT_EQ(requests("PERMISSION_DENIED"), 1);
  EXPECT_EQ(requests("UNAUTHENTICATED"), 1);
  EXPECT_EQ((*samples)[scrape::SeriesKey("changeledger_rpc_duration_seconds_count",
                                         {{"service", kService}, {"method", "Echo"}})],
            5);
  EXPECT_GT((*samples)["process_resident_memory_bytes"], 0);
  if (auto promtool = scrape::FindPromtool()) {
    absl::Status check = scrape::PromtoolCheck(*promtool, *body);
    EXPECT_TRUE(check.ok()) << check;
  }
}

TEST_F(ServerTest, CallsToMethodsNotServedShareOneSeries) {
  auto exposer = metrics::Exposer::Start("127.0.0.1:0", registry_);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  StartServer();
  // Anyone can name any method, without a token: each name must not become
  // a series of its own.
  grpc::GenericStub generic(channel_);
  for (const char* name :
       {"/no.Such/Method1", "/no.Such/Method2", "/changeledger.testing.v1.TestService/Nope"}) {
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), response;
    std::promise<grpc::Status> done;
    generic.UnaryCall(&context, name, grpc::StubOptions(), &request, &response,
                      [&done](grpc::Status status) { done.set_value(std::move(status)); });
    EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED) << name;
  }
  ASSERT_TRUE(Echo(testing::kAliceToken).ok());
  EXPECT_EQ(testing::HealthStatus(channel_, ""), kServing);

  auto body = scrape::HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_THAT(*body, ::testing::Not(HasSubstr("Method1")));
  EXPECT_THAT(*body, ::testing::Not(HasSubstr("no.Such")));
  EXPECT_THAT(*body, ::testing::Not(HasSubstr("Nope")));
  auto samples = scrape::ParseExposition(*body);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ((*samples)[scrape::SeriesKey(
                "changeledger_rpc_requests_total",
                {{"service", "unknown"}, {"method", "unknown"}, {"code", "UNIMPLEMENTED"}})],
            3);
  EXPECT_EQ((*samples)[scrape::SeriesKey(
                "changeledger_rpc_requests_total",
                {{"service", kService}, {"method", "Echo"}, {"code", "OK"}})],
            1);
  EXPECT_EQ((*samples)[scrape::SeriesKey(
                "changeledger_rpc_requests_total",
                {{"service", "grpc.health.v1.Health"}, {"method", "Check"}, {"code", "OK"}})],
            1);
}

// The default logger's lines, one per line without prefix, from
// construction until Stop() (or destruction), when the previous logger is
// back.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto capture = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_));
    capture->set_pattern("%v");
    spdlog::set_default_logger(std::move(capture));
  }
  ~LogCapture() { Stop(); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string Stop() {
    if (previous_ != nullptr) spdlog::set_default_logger(std::move(previous_));
    previous_ = nullptr;
    return lines_.str();
  }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream lines_;
};

// Anyone, without a token, can name any method; the name is logged (a
// warning: UNIMPLEMENTED) and must not be able to end the line and write
// lines of its own.
TEST_F(ServerTest, MethodNamesFromClientsCannotForgeLogLines) {
  LogCapture log;
  StartServer();
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&context, "/no.Such/Method\nmsg=forged principal=\"root\"",
                    grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status status) { done.set_value(std::move(status)); });
  EXPECT_EQ(done.get_future().get().error_code(), grpc::StatusCode::UNIMPLEMENTED);
  server_->Shutdown(std::chrono::seconds(1));
  const std::string lines = log.Stop();

  EXPECT_THAT(lines, ::testing::Not(HasSubstr("\nmsg=forged")));
  EXPECT_THAT(lines,
              HasSubstr(R"(method="/no.Such/Method\x0amsg=forged principal=\"root\"")"));
}

// Being refused costs a client nothing, not even a token: a flood of
// refused calls must not write a line each. The log keeps a bounded sample
// and says how much it left out; the metrics count every call.
TEST_F(ServerTest, LinesOfRefusedCallsAreBoundedAndSayHowManyWereLeftOut) {
  LogCapture log;
  auto exposer = metrics::Exposer::Start("127.0.0.1:0", registry_);
  ASSERT_TRUE(exposer.ok()) << exposer.status();
  StartServer();
  constexpr int kFlood = 400;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFlood; ++i) {
    ASSERT_EQ(Echo(i % 2 == 0 ? "" : "not-a-known-token").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The bound refills at 10 lines a second: wait for one more line.
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ASSERT_EQ(Echo("").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  std::vector<std::string> refused;
  std::istringstream lines(log.Stop());
  for (std::string line; std::getline(lines, line);) {
    if (line.find("msg=\"rpc rejected\"") != std::string::npos) refused.push_back(line);
  }
  EXPECT_GE(refused.size(), 100u);  // the first hundred at once
  EXPECT_LE(refused.size(), 100 + 10 * seconds + 2) << seconds << " s of flood";
  ASSERT_FALSE(refused.empty());
  EXPECT_THAT(refused.back(), HasSubstr("code=UNAUTHENTICATED"));
  EXPECT_THAT(refused.back(),
              ::testing::ContainsRegex("lines_not_logged_before=[1-9][0-9]*$"));

  auto body = scrape::HttpGet((*exposer)->port(), "/metrics");
  ASSERT_TRUE(body.ok()) << body.status();
  auto samples = scrape::ParseExposition(*body);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(
      (*samples)[scrape::SeriesKey(
          "changeledger_rpc_requests_total",
          {{"service", kService}, {"method", "Echo"}, {"code", "UNAUTHENTICATED"}})],
      kFlood + 1);
}

TEST_F(ServerTest, ShutdownLetsInFlightCallsFinish) {
  StartServer();
  auto started = service_.wait_started.get_future();
  grpc::Status in_flight;
  pb::WaitResponse response;
  std::thread call([&] {
    pb::WaitRequest request;
    request.set_wait_ms(500);
    in_flight = stub_->Wait(Context(testing::kAliceToken).get(), request, &response);
  });
  ASSERT_EQ(started.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  server_->Shutdown(std::chrono::seconds(5));
  call.join();
  EXPECT_TRUE(in_flight.ok()) << in_flight.error_message();
  EXPECT_FALSE(response.cancelled());
  EXPECT_FALSE(server_->Serving());
  EXPECT_EQ(Echo(testing::kAliceToken).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ServerTest, ShutdownCancelsCallsPastTheGrace) {
  StartServer();
  auto started = service_.wait_started.get_future();
  grpc::Status in_flight;
  pb::WaitResponse response;
  std::thread call([&] {
    pb::WaitRequest request;
    request.set_wait_ms(4000);
    in_flight = stub_->Wait(Context(testing::kAliceToken).get(), request, &response);
  });
  ASSERT_EQ(started.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  auto begin = std::chrono::steady_clock::now();
  server_->Shutdown(std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(3));
  call.join();
  EXPECT_FALSE(in_flight.ok());
}

TEST_F(ServerTest, AddServiceErrors) {
  auto server = Server::Create(options_);
  ASSERT_TRUE(server.ok());
  server_ = *std::move(server);
  MethodPolicy typo = {{"/changeledger.testing.v1.TestService/Ecco", {Role::kAdmin}}};
  EXPECT_EQ(server_->AddService(&service_, typo).code(), absl::StatusCode::kInvalidArgument);

  pb::TestService::AsyncService async_service;
  EXPECT_EQ(server_->AddService(&async_service, {}).code(),
            absl::StatusCode::kFailedPrecondition);

  ASSERT_TRUE(server_->AddService(&service_, testing::TestPolicy()).ok());
  EXPECT_EQ(server_->AddService(&service_, testing::TestPolicy()).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(server_->Start().ok());
  TestServiceImpl another;
  EXPECT_EQ(server_->AddService(&another, testing::TestPolicy()).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_->Start().code(), absl::StatusCode::kFailedPrecondition);
}

// Blocking handlers hold their threads; once a wave of concurrent calls is
// over, its threads wait for the next wave instead of ending, so later
// waves do not start a thread per call.
TEST_F(ServerTest, ThreadsOfFinishedCallsServeLaterCalls) {
  constexpr int kConcurrent = 12;
  constexpr int kWaves = 5;
  options_.max_idle_threads = 2 * kConcurrent;
  StartServer();
  for (int wave = 0; wave < kWaves; ++wave) {
    std::vector<std::thread> callers;
    std::atomic<int> failures{0};
    for (int i = 0; i < kConcurrent; ++i) {
      callers.emplace_back([&] {
        pb::WaitRequest request;
        request.set_wait_ms(30);
        pb::WaitResponse response;
        if (!stub_->Wait(Context(testing::kAliceToken).get(), request, &response).ok()) {
          ++failures;
        }
      });
    }
    for (auto& caller : callers) caller.join();
    ASSERT_EQ(failures, 0);
  }
  EXPECT_EQ(service_.calls, kConcurrent * kWaves);
  // A thread per call would be kConcurrent * kWaves threads.
  EXPECT_LE(service_.WaitThreads(), static_cast<size_t>(2 * kConcurrent));
}

// Streams left open hold a server thread each; one principal may not hold
// more than its share, while others are still served.
TEST_F(ServerTest, CallsInProgressAreLimitedPerPrincipal) {
  constexpr int kLimit = 3;
  options_.max_calls_per_principal = kLimit;
  options_.default_deadline = std::chrono::seconds(30);
  StartServer();
  struct OpenSum {
    std::unique_ptr<grpc::ClientContext> context;
    pb::SumResponse response;
    std::unique_ptr<grpc::ClientWriter<pb::SumRequest>> writer;
  };
  std::vector<OpenSum> open(kLimit);
  for (OpenSum& sum : open) {
    sum.context = Context(testing::kAliceToken);
    sum.writer = stub_->Sum(sum.context.get(), &sum.response);
  }
  // Each Sum handler runs (and counts) from the start of its call.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (service_.calls.load() < kLimit && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(service_.calls.load(), kLimit);

  grpc::Status refused = Echo(testing::kAliceToken);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("principal alice already has 3 calls"));
  EXPECT_EQ(service_.calls.load(), kLimit);     // the refused call never ran
  EXPECT_TRUE(Echo(testing::kRootToken).ok());  // another principal is served

  for (OpenSum& sum : open) {
    sum.writer->WritesDone();
    EXPECT_TRUE(sum.writer->Finish().ok());
  }
  EXPECT_TRUE(
      Echo(testing::kAliceToken).ok());  // the finished calls gave their slots back
}

// Past the thread quota a call is refused at once instead of starting one
// more thread; the server stays up and serves again when threads are free.
TEST_F(ServerTest, CallsPastTheThreadQuotaAreRefused) {
  constexpr int kThreads = 4;
  constexpr int kCallers = 16;
  options_.max_threads = kThreads;
  options_.max_idle_threads = kThreads;
  options_.default_deadline = std::chrono::seconds(30);
  StartServer();
  std::atomic<int> ok{0}, exhausted{0}, other{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      pb::WaitRequest request;
      request.set_wait_ms(500);
      pb::WaitResponse response;
      const grpc::Status status =
          stub_->Wait(Context(testing::kAliceToken).get(), request, &response);
      if (status.ok()) {
        ++ok;
      } else if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
        ++exhausted;
      } else {
        ++other;
      }
    });
  }
  for (auto& caller : callers) caller.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(exhausted.load(), 0);
  EXPECT_GT(ok.load(), 0);
  EXPECT_LE(service_.WaitThreads(), static_cast<size_t>(kThreads));
  EXPECT_TRUE(Echo(testing::kAliceToken).ok());
}

// Anyone who reaches the port can open connections and send nothing; each
// holds a file descriptor, so it is closed after the handshake timeout
// instead of gRPC's two minutes.
TEST_F(ServerTest, SilentConnectionsAreClosedAfterTheHandshakeTimeout) {
  options_.handshake_timeout = std::chrono::milliseconds(300);
  StartServer();
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(server_->port()));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  // The server speaks first (its HTTP/2 settings); read until it closes.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  bool closed = false;
  while (!closed && std::chrono::steady_clock::now() < until) {
    pollfd readable{fd, POLLIN, 0};
    if (poll(&readable, 1, 100) != 1) continue;
    char buffer[256];
    closed = read(fd, buffer, sizeof(buffer)) <= 0;  // EOF or reset
  }
  close(fd);
  EXPECT_TRUE(closed) << "the server kept a silent connection open";
  EXPECT_TRUE(Echo(testing::kAliceToken).ok());
}

// A connection without calls is closed after max_connection_idle; the
// client reconnects on its next call.
TEST_F(ServerTest, IdleConnectionsAreClosedAndClientsReconnect) {
  options_.max_connection_idle = std::chrono::milliseconds(300);
  StartServer();
  ASSERT_TRUE(Echo(testing::kAliceToken).ok());
  EXPECT_EQ(channel_->GetState(false), GRPC_CHANNEL_READY);
  const auto until = std::chrono::system_clock::now() + std::chrono::seconds(5);
  while (channel_->GetState(false) == GRPC_CHANNEL_READY) {
    if (!channel_->WaitForStateChange(GRPC_CHANNEL_READY, until)) break;
  }
  EXPECT_NE(channel_->GetState(false), GRPC_CHANNEL_READY)
      << "the idle connection stayed open";
  EXPECT_TRUE(Echo(testing::kAliceToken).ok());
}

TEST_F(ServerTest, CreateAndStartErrors) {
  ServerOptions no_tokens = options_;
  no_tokens.tokens = nullptr;
  EXPECT_EQ(Server::Create(no_tokens).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions bad_address = options_;
  bad_address.listen_address = "abc";
  EXPECT_EQ(Server::Create(bad_address).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions no_threads = options_;
  no_threads.max_idle_threads = 0;
  EXPECT_EQ(Server::Create(no_threads).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions no_handshake_time = options_;
  no_handshake_time.handshake_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Server::Create(no_handshake_time).status().code(),
            absl::StatusCode::kInvalidArgument);
  ServerOptions one_thread = options_;
  one_thread.max_threads = 1;
  EXPECT_EQ(Server::Create(one_thread).status().code(),
            absl::StatusCode::kInvalidArgument);
  ServerOptions no_calls = options_;
  no_calls.max_calls_per_principal = 0;
  EXPECT_EQ(Server::Create(no_calls).status().code(), absl::StatusCode::kInvalidArgument);
  ServerOptions missing_cert = options_;
  missing_cert.tls = {"/nonexistent/cert.pem", "/nonexistent/key.pem", ""};
  EXPECT_EQ(Server::Create(missing_cert).status().code(), absl::StatusCode::kNotFound);

  StartServer();
  ServerOptions same_port = options_;
  same_port.listen_address = "127.0.0.1:" + std::to_string(server_->port());
  auto second = Server::Create(same_port);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->Start().code(), absl::StatusCode::kUnavailable);
}

TEST(ServerOptionsFromTest, LoadsTokensAndCopiesSettings) {
  TempDir dir;
  config::CommonOptions common;
  EXPECT_THAT(ServerOptionsFrom(common, nullptr).status().message(),
              HasSubstr("auth.tokens_file"));
  common.service_name = "intake";
  common.grpc_listen = "127.0.0.1:0";
  common.tokens_file = dir.Write("tokens.yaml", testing::kTokensYaml);
  common.max_receive_message_bytes = 1 << 20;
  common.default_deadline = std::chrono::seconds(7);
  common.max_calls_per_principal = 12;
  common.max_threads = 34;
  common.handshake_timeout = std::chrono::seconds(3);
  common.max_connection_idle = std::chrono::minutes(4);
  auto options = ServerOptionsFrom(common, nullptr);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->tokens->size(), 4u);
  EXPECT_EQ(options->max_receive_message_bytes, 1 << 20);
  EXPECT_EQ(options->default_deadline, std::chrono::seconds(7));
  EXPECT_EQ(options->max_calls_per_principal, 12);
  EXPECT_EQ(options->max_threads, 34);
  EXPECT_EQ(options->handshake_timeout, std::chrono::seconds(3));
  EXPECT_EQ(options->max_connection_idle, std::chrono::minutes(4));
  EXPECT_EQ(options->service_name, "intake");
}

}  // namespace
}  // namespace changeledger::rpc
