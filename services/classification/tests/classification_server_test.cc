// The classification process on loopback: intake events reach it through
// the dev broker (an intake-side event store and the real outbox relay
// publish them to changeledger.intake.v1), it classifies them, serves the
// API with authentication and roles, and publishes its own events to
// changeledger.classification.v1.
#include "changeledger/classification/classification_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "changeledger/bus/first_bytes_listener.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/bus/projection_runner.h"
#include "changeledger/classification/classifier.h"
#include "changeledger/classification/v1/classification.grpc.pb.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/devbroker/mock_cluster.h"
#include "changeledger/eventlog/v1/log_reader.grpc.pb.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/metrics/scrape.h"
#include "changeledger/rpc/client.h"
#include "changeledger/rpc/health_check.h"
#include "changeledger/rpc/test_certificates.h"
#include "changeledger/rpc/wait_for.h"
#include "changeledger/uuid/name_uuid.h"
#include "changeledger/uuid/uuid_text.h"
#include "grpcpp/grpcpp.h"

namespace changeledger::classification {
namespace {

using rpc::testing::HealthStatus;
using rpc::testing::kNotServing;
using rpc::testing::kServing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
namespace ipb = ::changeledger::intake::v1;

constexpr char kOfficeToken[] = "office-token-0123456789";
constexpr char kProposerToken[] = "proposer-token-0123456789";
constexpr char kAuditorToken[] = "auditor-token-0123456789";
// A principal with a long name (as a directory's distinguished name can be).
constexpr char kLongNamedOfficeToken[] = "long-named-office-token-0123456789";
const std::string kLongPrincipal = "cn=" + std::string(120, 'o') + ",ou=portfolio-office";
// A principal whose name, followed by "/", is the start of a key that
// principal "office" makes with request id "OverrideClassification/<change
// id>/r" on kSlashChange (the tokens file allows any name).
constexpr char kSlashedOfficeToken[] = "slashed-office-token-0123456789";
constexpr char kSlashChange[] = "6d1f0a52-8c3b-4e7d-9a14-2b5e7c9f0d36";
const std::string kSlashedPrincipal =
    absl::StrCat("office/OverrideClassification/", kSlashChange);

// Intake names changes by UUID; the tests by short labels ("c1"), each the
// same name-based UUID on every run. A UUID stands for itself.
std::string Id(const std::string& label) {
  uuid::PackedUuid unused;
  if (uuid::ParseUuidText(label, &unused)) return label;
  return uuid::NameUuid("4a7d2c51-96e0-4f3b-8b1e-2f6c0d9a7e13", label);
}

std::string Name(const std::string& label) { return "classifications/" + Id(label); }

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout = absl::Seconds(40)) {
  return rpc::testing::WaitFor(pred, timeout);
}

// Counts the events that reach a topic.
class CountingProjection final : public bus::Projection {
 public:
  std::string name() const override { return "count"; }
  absl::Status Apply(const bus::Envelope& e, kv::Transaction&) override {
    if (e.source() == "classification") ++count;
    return absl::OkStatus();
  }
  std::atomic<int> count{0};
};

class ClassificationServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "4"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker).release();
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("classification_server_test_", ::getpid(), "_",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens.yaml")
        << "tokens:\n"
        << "  - {principal: office, token: \"" << kOfficeToken << "\", roles: [portfolio_office]}\n"
        << "  - {principal: pat, token: \"" << kProposerToken << "\", roles: [proposer]}\n"
        << "  - {principal: audit, token: \"" << kAuditorToken << "\", roles: [auditor]}\n"
        << "  - {principal: \"" << kLongPrincipal << "\", token: \"" << kLongNamedOfficeToken
        << "\", roles: [portfolio_office]}\n"
        << "  - {principal: \"" << kSlashedPrincipal << "\", token: \""
        << kSlashedOfficeToken << "\", roles: [portfolio_office]}\n";
    // A consumer group per test: each test's service reads intake from the
    // start, independent of the other tests.
    group_ = absl::StrCat("classification-", ::testing::UnitTest::GetInstance()
                                                 ->current_test_info()
                                                 ->name());
    bus::OutboxRelayOptions relay_options;
    relay_options.bootstrap_servers = broker_->bootstrap_servers();
    relay_options.topic = "changeledger.intake.v1";
    auto relay = bus::OutboxRelay::Create(intake_store_.get(), relay_options);
    ASSERT_TRUE(relay.ok()) << relay.status();
    intake_relay_ = std::move(*relay);
    intake_relay_->Start();
  }

  void TearDown() override {
    StopServer();
    intake_relay_->Stop();
    StopIntakeLogReader();
    std::filesystem::remove_all(dir_);
  }

  ClassificationServerOptions Options() {
    ClassificationServerOptions o;
    o.common.service_name = "classification";
    o.common.grpc_listen = "127.0.0.1:0";
    o.common.metrics_listen = "127.0.0.1:0";
    o.common.data_dir = (dir_ / "data").string();
    o.common.tokens_file = (dir_ / "tokens.yaml").string();
    o.common.kafka_bootstrap_servers =
        bootstrap_.empty() ? broker_->bootstrap_servers() : bootstrap_;
    o.intake_log_reader = intake_log_reader_;
    o.ruleset_file =
        std::string(CLASSIFICATION_RULESET_DIR) + "/differentiated-model-v2.yaml";
    o.consumer_group = group_;
    o.consumer_config = {{"session.timeout.ms", "6000"}};
    return o;
  }

  void StartServer() { StartServerWith(Options()); }

  void StartServerWith(ClassificationServerOptions options) {
    auto server = ClassificationServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    auto channel = rpc::MakeChannel({.target = absl::StrCat("127.0.0.1:", server_->port())});
    ASSERT_TRUE(channel.ok());
    channel_ = *channel;
    stub_ = v1::ClassificationService::NewStub(*channel);
  }

  // Intake's LogReader over intake_store_ on a loopback port.
  void StartIntakeLogReader(std::shared_ptr<grpc::ServerCredentials> credentials =
                                grpc::InsecureServerCredentials()) {
    intake_log_service_ = std::make_unique<bus::LogReaderService>(
        intake_store_.get(), bus::LogReaderServiceOptions{.source = "intake"});
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", credentials, &port);
    builder.RegisterService(intake_log_service_.get());
    intake_log_server_ = builder.BuildAndStart();
    ASSERT_NE(intake_log_server_, nullptr);
    intake_log_reader_ = absl::StrCat("127.0.0.1:", port);
  }

  void StopIntakeLogReader() {
    if (intake_log_service_) intake_log_service_->Shutdown();
    if (intake_log_server_) {
      intake_log_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
    intake_log_server_.reset();
    intake_log_service_.reset();
  }

  // Intake's relay publishing to `bootstrap` from where it left off.
  void RestartIntakeRelay(const std::string& bootstrap) {
    intake_relay_->Stop();
    bus::OutboxRelayOptions relay_options;
    relay_options.bootstrap_servers = bootstrap;
    relay_options.topic = "changeledger.intake.v1";
    auto relay = bus::OutboxRelay::Create(intake_store_.get(), relay_options);
    ASSERT_TRUE(relay.ok()) << relay.status();
    intake_relay_ = std::move(*relay);
    intake_relay_->Start();
  }

  void StopServer() {
    if (server_) server_->Stop(std::chrono::milliseconds(500));
    server_.reset();
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const char* token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  // What intake does when it registers or amends the change `label`.
  void IntakeAppend(const std::string& label, const google::protobuf::Message& payload) {
    const std::string id = Id(label);
    eventstore::AppendRequest req;
    eventstore::StreamAppend& w = req.writes.emplace_back();
    w.stream = "change-" + id;
    eventstore::Envelope e;
    e.set_type(payload.GetDescriptor()->full_name());
    e.set_schema_version(1);
    e.set_actor("office");
    e.set_correlation_id("intake-corr-" + id);
    e.set_source("intake");
    e.mutable_payload()->PackFrom(payload);
    w.events.push_back(e);
    ASSERT_TRUE(intake_store_->Append(std::move(req)).ok());
  }

  void Register(const std::string& label, bool experiment) {
    ipb::ChangeRegistered p;
    p.set_change_id(Id(label));
    p.mutable_attributes()->set_title(label);
    if (experiment) {
      p.mutable_attributes()->mutable_features()->set_tests_hypothesis(true);
    } else {
      p.mutable_attributes()->mutable_features()->set_has_business_case(true);
      p.mutable_attributes()->mutable_features()->set_third_party_procurement(true);
    }
    IntakeAppend(label, p);
  }

  void Amend(const std::string& label, bool experiment) {
    ipb::ChangeAmended p;
    p.set_change_id(Id(label));
    p.mutable_attributes()->set_title(label);
    p.mutable_attributes()->mutable_features()->set_tests_hypothesis(experiment);
    p.mutable_attributes()->mutable_features()->set_has_business_case(!experiment);
    IntakeAppend(label, p);
  }

  absl::StatusOr<v1::ChangeClassification> Get(const std::string& label) {
    return GetByName(Name(label));
  }

  absl::StatusOr<v1::ChangeClassification> GetByName(const std::string& name) {
    v1::GetClassificationRequest req;
    req.set_name(name);
    v1::ChangeClassification out;
    grpc::Status st = stub_->GetClassification(Ctx(kAuditorToken).get(), req, &out);
    if (!st.ok()) return absl::Status(static_cast<absl::StatusCode>(st.error_code()),
                                      st.error_message());
    return out;
  }

  // The events of one change in classification's own log, read through
  // its LogReader as an auditor. (The log also holds the changes earlier
  // tests registered: the topic outlives them.)
  std::vector<eventstore::Envelope> ReadOwnLog(const std::string& label) {
    const std::string change_id = Id(label);
    auto reader_stub = eventlog::v1::LogReader::NewStub(channel_);
    eventlog::v1::ReadLogRequest req;
    auto ctx = Ctx(kAuditorToken);
    auto stream = reader_stub->ReadLog(ctx.get(), req);
    std::vector<eventstore::Envelope> out;
    eventlog::v1::ReadLogResponse page;
    while (stream->Read(&page)) {
      for (const auto& e : page.events()) {
        if (e.stream() == "classification-" + change_id) out.push_back(e);
      }
    }
    grpc::Status st = stream->Finish();
    EXPECT_TRUE(st.ok()) << st.error_message();
    return out;
  }

  static devbroker::DevBrokerProcess* broker_;
  std::filesystem::path dir_;
  std::string group_;
  std::unique_ptr<eventstore::EventStore> intake_store_ = eventstore::NewInMemoryEventStore();
  std::unique_ptr<bus::OutboxRelay> intake_relay_;
  std::unique_ptr<ClassificationServer> server_;
  std::unique_ptr<v1::ClassificationService::Stub> stub_;
  std::shared_ptr<grpc::Channel> channel_;
  std::string bootstrap_;           // empty: the suite's broker
  std::string intake_log_reader_;   // empty: Kafka only
  std::unique_ptr<bus::LogReaderService> intake_log_service_;
  std::unique_ptr<grpc::Server> intake_log_server_;
};

devbroker::DevBrokerProcess* ClassificationServerTest::broker_ = nullptr;

TEST_F(ClassificationServerTest, InvalidRulesetStopsTheServiceFromStarting) {
  const std::string bad = (dir_ / "bad.yaml").string();
  std::ofstream(bad) << "id: x\ntiers: {}\n";
  ClassificationServerOptions o = Options();
  o.ruleset_file = bad;
  auto server = ClassificationServer::Start(o);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr(bad + ": version: required"));
}

TEST_F(ClassificationServerTest, IntakeToKafkaToClassificationAndTheApi) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Published classification events, read back from Kafka.
  CountingProjection counter;
  auto counter_kv = kv::NewInMemoryKvStore();
  auto runner = bus::ProjectionRunner::CreateKafka(
      &counter, counter_kv.get(),
      {.bootstrap_servers = broker_->bootstrap_servers(),
       .group_id = group_ + "-counter",
       .topics = {"changeledger.classification.v1"},
       .kafka_config = {{"session.timeout.ms", "6000"}}});
  ASSERT_TRUE(runner.ok()) << runner.status();
  (*runner)->Start();

  Register("c1", /*experiment=*/false);
  Register("c2", /*experiment=*/true);
  ASSERT_TRUE(WaitFor([&] { return Get("c1").ok() && Get("c2").ok(); }));
  auto c1 = Get("c1");
  EXPECT_EQ(c1->status(), v1::CLASSIFICATION_STATUS_AWAITING_CONFIRMATION);
  EXPECT_EQ(c1->classification().tier(), v1::TIER_MANDATED);
  EXPECT_EQ(c1->latest_suggestion().ruleset_id(), "differentiated-model");
  EXPECT_EQ(c1->latest_suggestion().fired_rules(0).rule_id(), "T4-business-case");
  EXPECT_EQ(c1->history_size(), 1);
  EXPECT_EQ(Get("c2")->classification().tier(), v1::TIER_EXPERIMENTAL);
  // Until a decision, the guidance is the suggested tier's.
  const std::string experimental_approach = Get("c2")->latest_suggestion().change_approach();
  EXPECT_EQ(Get("c2")->guidance().change_approach(), experimental_approach);
  const std::string mandated_approach = c1->guidance().change_approach();
  ASSERT_NE(mandated_approach, experimental_approach);

  // Unknown and malformed names.
  EXPECT_EQ(Get("nope").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(GetByName("classifications/a/b").status().code(),
            absl::StatusCode::kInvalidArgument);

  // The queue, oldest first.
  v1::ListClassificationQueueRequest qreq;
  qreq.set_page_size(1);
  v1::ListClassificationQueueResponse queue;
  ASSERT_TRUE(stub_->ListClassificationQueue(Ctx(kProposerToken).get(), qreq, &queue).ok());
  EXPECT_EQ(queue.total_size(), 2);
  ASSERT_EQ(queue.classifications_size(), 1);
  const std::string first = queue.classifications(0).name();
  qreq.set_page_token(queue.next_page_token());
  ASSERT_TRUE(stub_->ListClassificationQueue(Ctx(kProposerToken).get(), qreq, &queue).ok());
  ASSERT_EQ(queue.classifications_size(), 1);
  EXPECT_NE(queue.classifications(0).name(), first);
  EXPECT_TRUE(queue.next_page_token().empty());

  // Only the portfolio office writes.
  v1::ConfirmClassificationRequest confirm;
  confirm.set_name(Name("c1"));
  confirm.set_expected_version(1);
  confirm.set_request_id("r-1");
  v1::ChangeClassification out;
  EXPECT_EQ(stub_->ConfirmClassification(Ctx(kProposerToken).get(), confirm, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status(), v1::CLASSIFICATION_STATUS_CONFIRMED);
  EXPECT_EQ(out.decision().decided_by(), "office");
  // A retry with the same request id changes nothing.
  ASSERT_TRUE(stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out).ok());
  EXPECT_EQ(out.version(), 2u);
  // Stale version.
  confirm.set_request_id("r-2");
  EXPECT_EQ(stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out).error_code(),
            grpc::StatusCode::ABORTED);

  // Override: every bad field named; then a reclassification.
  v1::OverrideClassificationRequest ov;
  ov.set_name(Name("c2"));
  ov.set_expected_version(1);
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("classification.tier: required"));
  EXPECT_THAT(st.error_message(), HasSubstr("rationale: required"));
  ov.mutable_classification()->set_tier(v1::TIER_MANDATED);
  ov.mutable_classification()->set_complexity(v1::COMPLEXITY_MEDIUM);
  ov.mutable_classification()->add_types(v1::COMPLEXITY_TYPE_SOCIO_POLITICAL);
  ov.set_rationale("The pilot has become a funded project.");
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(out.status(), v1::CLASSIFICATION_STATUS_OVERRIDDEN);
  // Run as the overriding tier says, not as the suggestion did.
  EXPECT_EQ(out.guidance().change_approach(), mandated_approach);
  EXPECT_EQ(Get("c2")->guidance().change_approach(), mandated_approach);
  EXPECT_EQ(Get("c2")->latest_suggestion().change_approach(), experimental_approach);
  // Guidance per complexity type follows the types in force too.
  EXPECT_THAT(out.guidance().type_guidance(), ElementsAre(HasSubstr("SOCIO_POLITICAL: ")));
  EXPECT_THAT(Get("c2")->guidance().type_guidance(), ElementsAre(HasSubstr("SOCIO_POLITICAL: ")));

  // Filters.
  v1::ListClassificationsRequest list;
  list.set_status(v1::CLASSIFICATION_STATUS_OVERRIDDEN);
  v1::ListClassificationsResponse listed;
  ASSERT_TRUE(stub_->ListClassifications(Ctx(kAuditorToken).get(), list, &listed).ok());
  ASSERT_EQ(listed.classifications_size(), 1);
  EXPECT_EQ(listed.classifications(0).name(), Name("c2"));
  list.set_page_token("garbage");
  EXPECT_EQ(stub_->ListClassifications(Ctx(kAuditorToken).get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // What-if: a broken ruleset is named; a valid one reports and writes nothing.
  v1::WhatIfRulesetRequest wi;
  wi.set_ruleset_yaml("id: x\nversion: 2\n");
  v1::WhatIfRulesetResponse report;
  st = stub_->WhatIfRuleset(Ctx(kAuditorToken).get(), wi, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("ruleset_yaml: tiers: required"));
  v1::RulesetInfo info;
  ASSERT_TRUE(stub_->GetRuleset(Ctx(kAuditorToken).get(), {}, &info).ok());
  std::string proposed = info.yaml();
  const std::string from = "version: 2\n";
  proposed.replace(proposed.find(from), from.size(), "version: 3\n");
  const std::string procurement = "    points: 2\n    when: {feature: third_party_procurement";
  ASSERT_NE(proposed.find(procurement), std::string::npos);
  proposed.replace(proposed.find(procurement), procurement.size(),
                   "    points: 9\n    when: {feature: third_party_procurement");
  wi.set_ruleset_yaml(proposed);
  st = stub_->WhatIfRuleset(Ctx(kAuditorToken).get(), wi, &report);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(report.evaluated(), 2);
  ASSERT_EQ(report.changed(), 1);
  EXPECT_EQ(report.items(0).name(), Name("c1"));
  EXPECT_TRUE(report.items(0).complexity_changed());
  EXPECT_EQ(report.items(0).proposed().classification().complexity(), v1::COMPLEXITY_HIGH);
  EXPECT_EQ(Get("c1")->version(), 2u);

  // Every classification event (2 suggestions, 1 confirmation, 1 override)
  // reaches changeledger.classification.v1.
  EXPECT_TRUE(WaitFor([&] { return counter.count.load() >= 4; })) << counter.count.load();
  (*runner)->Stop();

  // The store's metrics, as intake has them: four events made durable, a
  // store that can write.
  auto text = metrics::testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  auto samples = metrics::testing::ParseExposition(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_GE(samples->at("changeledger_eventstore_events_appended_total"), 4.0);
  EXPECT_GE(samples->at("changeledger_eventstore_commits_total"), 1.0);
  EXPECT_EQ(samples->at("changeledger_eventstore_failed"), 0.0);
  EXPECT_THAT(*text, HasSubstr("changeledger_eventstore_write_duration_seconds_bucket"));
}

// Intake's change ids are UUIDs: a name that holds anything else cannot
// name a change, and is a bad argument on reads and commands alike. A
// well-formed name of a change classification has not seen is NOT_FOUND
// on a read and FAILED_PRECONDITION on a command.
TEST_F(ClassificationServerTest, MalformedNamesAreInvalidArgumentNamingTheField) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string unknown = Id("never-registered");
  for (const std::string& name :
       {std::string("classifications/xyz"), "classifications/" + absl::AsciiStrToUpper(unknown),
        "changes/" + unknown, "classifications/" + unknown + "/x", std::string()}) {
    SCOPED_TRACE(name);
    auto got = GetByName(name);
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(got.status().message()), testing::StartsWith("name: "));

    v1::ConfirmClassificationRequest confirm;
    confirm.set_name(name);
    confirm.set_expected_version(1);
    v1::ChangeClassification out;
    grpc::Status st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), testing::StartsWith("name: "));

    v1::OverrideClassificationRequest ov;
    ov.set_name(name);
    ov.set_expected_version(1);
    ov.mutable_classification()->set_tier(v1::TIER_MANDATED);
    ov.mutable_classification()->set_complexity(v1::COMPLEXITY_LOW);
    ov.set_rationale("statutory");
    st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
    EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(st.error_message(), testing::StartsWith("name: "));
  }

  EXPECT_EQ(GetByName("classifications/" + unknown).status().code(),
            absl::StatusCode::kNotFound);
  v1::ConfirmClassificationRequest confirm;
  confirm.set_name("classifications/" + unknown);
  confirm.set_expected_version(1);
  v1::ChangeClassification out;
  EXPECT_EQ(stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

// One answer names every bad field of a request: an over-long request id
// is reported with the others, not alone and instead of them.
TEST_F(ClassificationServerTest, EveryBadFieldIsNamedInOneAnswer) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const std::string too_long(129, 'r');
  v1::ChangeClassification out;

  v1::ConfirmClassificationRequest confirm;
  confirm.set_name("classifications/xyz");
  confirm.set_note(std::string(2001, 'n'));
  confirm.set_request_id(too_long);
  grpc::Status st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("name: must look like"));
  EXPECT_THAT(st.error_message(), HasSubstr("expected_version: required"));
  EXPECT_THAT(st.error_message(), HasSubstr("note: longer than 2000 characters"));
  EXPECT_THAT(st.error_message(), HasSubstr("request_id: longer than 128 characters"));

  v1::OverrideClassificationRequest ov;
  ov.set_name(Name("c9"));
  ov.set_request_id(too_long);
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "expected_version: required (the version last read); "
            "classification.tier: required; classification.complexity: required; "
            "rationale: required: say why the suggestion is overridden; "
            "request_id: longer than 128 characters");

  v1::ListClassificationQueueRequest queue;
  queue.set_page_size(-1);
  queue.set_page_token("garbage");
  v1::ListClassificationQueueResponse page;
  st = stub_->ListClassificationQueue(Ctx(kAuditorToken).get(), queue, &page);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("page_size: must not be negative"));
  EXPECT_THAT(st.error_message(), HasSubstr("page_token: "));

  v1::WhatIfRulesetRequest what_if;
  what_if.set_max_items(-1);
  v1::WhatIfRulesetResponse report;
  st = stub_->WhatIfRuleset(Ctx(kAuditorToken).get(), what_if, &report);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "ruleset_yaml: required; max_items: 0..10000");
}

// A request id is held to intake's rule: no control character either
// (it would reach the logs and the events' causation ids), named with the
// request's other bad fields, and nothing is stored.
TEST_F(ClassificationServerTest,
       ARequestIdWithAControlCharacterIsNamedWithTheOtherBadFields) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Register("cc", /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return Get("cc").ok(); }));
  v1::ChangeClassification out;

  v1::ConfirmClassificationRequest confirm;
  confirm.set_name("classifications/xyz");
  confirm.set_expected_version(1);
  confirm.set_request_id("retry-1\x1b[2K");
  grpc::Status st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("name: must look like"));
  EXPECT_THAT(st.error_message(),
              HasSubstr("request_id: contains control character U+001B"));

  v1::OverrideClassificationRequest ov;
  ov.set_name(Name("cc"));
  ov.set_expected_version(1);
  ov.mutable_classification()->set_tier(v1::TIER_MANDATED);
  ov.mutable_classification()->set_complexity(v1::COMPLEXITY_LOW);
  ov.set_request_id("line\nbreak");
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(),
            "rationale: required: say why the suggestion is overridden; "
            "request_id: contains control character U+000A");

  // Alone, it is still refused, as a C1 control too.
  ov.set_rationale("statutory");
  ov.set_request_id("csi\u009b31m");
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "request_id: contains control character U+009B");
  confirm.set_name(Name("cc"));
  confirm.set_request_id(std::string("nul\0byte", 8));
  st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "request_id: contains control character U+0000");
  EXPECT_EQ(ReadOwnLog("cc").size(), 1u);  // the suggestion only

  // Printable ids, white space and separators included, are taken as given.
  ov.set_request_id(" retry / 1 ");
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(ReadOwnLog("cc").size(), 2u);
}

absl::Time ToTime(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

// What an auditor reads from classification's log: when each event
// occurred (never the epoch), and which intake event or command caused it.
TEST_F(ClassificationServerTest, EventsCarryWhenTheyOccurredAndWhatCausedThem) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  const absl::Time before = absl::Now();
  Register("o1", /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return Get("o1").ok(); }));
  v1::ConfirmClassificationRequest confirm;
  confirm.set_name(Name("o1"));
  confirm.set_expected_version(1);
  v1::ChangeClassification out;
  grpc::Status st = stub_->ConfirmClassification(Ctx(kOfficeToken).get(), confirm, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  v1::OverrideClassificationRequest ov;
  ov.set_name(Name("o1"));
  ov.set_expected_version(2);
  ov.mutable_classification()->set_tier(v1::TIER_EXPERIMENTAL);
  ov.mutable_classification()->set_complexity(v1::COMPLEXITY_LOW);
  ov.set_rationale("a pilot after all");
  ov.set_request_id("rq-o1");
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const absl::Time after = absl::Now();

  const std::vector<eventstore::Envelope> log = ReadOwnLog("o1");
  ASSERT_EQ(log.size(), 3u);
  for (const eventstore::Envelope& e : log) {
    ASSERT_TRUE(e.has_occurred_at()) << e.type();
    EXPECT_GE(ToTime(e.occurred_at()), before) << e.type();
    EXPECT_LE(ToTime(e.occurred_at()), after) << e.type();
    EXPECT_LE(ToTime(e.occurred_at()), ToTime(e.recorded_at())) << e.type();
  }
  auto intake_event = intake_store_->ReadStream("change-" + Id("o1"), 1, 1);
  ASSERT_TRUE(intake_event.ok() && intake_event->size() == 1);
  EXPECT_EQ(log[0].type(), "changeledger.classification.v1.ClassificationSuggested");
  EXPECT_EQ(log[0].correlation_id(), "intake-corr-" + Id("o1"));
  EXPECT_EQ(log[0].causation_id(), (*intake_event)[0].event_id());
  // Without a request id: a correlation id of its own, no causation.
  EXPECT_EQ(log[1].type(), "changeledger.classification.v1.ClassificationConfirmed");
  EXPECT_EQ(log[1].correlation_id().size(), 36u) << log[1].correlation_id();
  EXPECT_EQ(log[1].causation_id(), "");
  // With one: the scoped key, in both.
  EXPECT_EQ(log[2].type(), "changeledger.classification.v1.ClassificationOverridden");
  EXPECT_THAT(log[2].causation_id(), HasSubstr("rq-o1"));
  EXPECT_EQ(log[2].correlation_id(), log[2].causation_id());
}

// A request id names one command on one change: reused on another change
// it is carried out there (it used to answer with the first change's
// classification and leave the second untouched); sent again on the same
// change it is a retry.
TEST_F(ClassificationServerTest, ARequestIdIsScopedByTheChangeItNames) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Register("e", /*experiment=*/false);
  Register("d", /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return Get("e").ok() && Get("d").ok(); }));
  auto override_request = [](const std::string& id, v1::Tier tier, v1::Complexity complexity,
                             const std::string& rationale) {
    v1::OverrideClassificationRequest ov;
    ov.set_name(Name(id));
    ov.set_expected_version(1);
    ov.mutable_classification()->set_tier(tier);
    ov.mutable_classification()->set_complexity(complexity);
    ov.set_rationale(rationale);
    ov.set_request_id("rq-E1");
    return ov;
  };
  const v1::OverrideClassificationRequest on_e =
      override_request("e", v1::TIER_MANDATED, v1::COMPLEXITY_LOW, "first");
  const v1::OverrideClassificationRequest on_d =
      override_request("d", v1::TIER_EXPERIMENTAL, v1::COMPLEXITY_HIGH, "other");

  v1::ChangeClassification e_out;
  grpc::Status st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), on_e, &e_out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  v1::ChangeClassification d_out;
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), on_d, &d_out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(d_out.name(), Name("d"));
  EXPECT_EQ(d_out.status(), v1::CLASSIFICATION_STATUS_OVERRIDDEN);
  EXPECT_EQ(d_out.classification().tier(), v1::TIER_EXPERIMENTAL);
  EXPECT_EQ(d_out.decision().rationale(), "other");
  EXPECT_EQ(d_out.version(), 2u);
  auto d = Get("d");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->classification().tier(), v1::TIER_EXPERIMENTAL);
  EXPECT_EQ(d->classification().complexity(), v1::COMPLEXITY_HIGH);

  // Retries on either change store nothing and answer as before.
  v1::ChangeClassification again;
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), on_e, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.SerializeAsString(), e_out.SerializeAsString());
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), on_d, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.SerializeAsString(), d_out.SerializeAsString());
  EXPECT_EQ(Get("e")->history_size(), 2);
  EXPECT_EQ(Get("d")->history_size(), 2);
  EXPECT_EQ(ReadOwnLog("e").size(), 2u);  // the suggestion and the override
  EXPECT_EQ(ReadOwnLog("d").size(), 2u);
}

TEST_F(ClassificationServerTest, ALongPrincipalsLongestRequestIdsAreStoredAndRetried) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Changes registered by intake have UUIDs for ids.
  const std::string id = "0b5c8f8e-6a5e-4a57-9d0b-4c7a3f1f2f10";
  Register(id, /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return Get(id).ok(); }));
  v1::OverrideClassificationRequest ov;
  ov.set_name(Name(id));
  ov.set_expected_version(1);
  ov.mutable_classification()->set_tier(v1::TIER_MANDATED);
  ov.mutable_classification()->set_complexity(v1::COMPLEXITY_LOW);
  ov.set_rationale("statutory");
  ov.set_request_id(std::string(128, 'r'));

  v1::ChangeClassification first;
  grpc::Status st = stub_->OverrideClassification(Ctx(kLongNamedOfficeToken).get(), ov, &first);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(first.status(), v1::CLASSIFICATION_STATUS_OVERRIDDEN);
  EXPECT_EQ(first.decision().decided_by(), kLongPrincipal);

  v1::ChangeClassification again;
  st = stub_->OverrideClassification(Ctx(kLongNamedOfficeToken).get(), ov, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(ReadOwnLog(id).size(), 2u);  // the suggestion and one override

  // The limit counts characters: 128 of two bytes each are a valid key.
  std::string accented;
  for (int i = 0; i < 128; ++i) accented += "\xC3\xA9";  // é
  ov.set_request_id(accented);
  ov.set_expected_version(2);
  ov.mutable_classification()->set_complexity(v1::COMPLEXITY_MEDIUM);
  v1::ChangeClassification accented_out;
  st = stub_->OverrideClassification(Ctx(kLongNamedOfficeToken).get(), ov, &accented_out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  st = stub_->OverrideClassification(Ctx(kLongNamedOfficeToken).get(), ov, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.SerializeAsString(), accented_out.SerializeAsString());
  EXPECT_EQ(ReadOwnLog(id).size(), 3u);
  ov.set_request_id(accented + "e");
  EXPECT_EQ(stub_->OverrideClassification(Ctx(kLongNamedOfficeToken).get(), ov, &again)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ov.set_request_id(std::string(128, 'r'));

  // The same key from another principal is that principal's own command.
  ov.set_expected_version(3);
  ov.mutable_classification()->set_tier(v1::TIER_INCREMENTAL);
  v1::ChangeClassification other;
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), ov, &other);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(other.classification().tier(), v1::TIER_INCREMENTAL);
  EXPECT_EQ(ReadOwnLog(id).size(), 4u);
}

// Principal names may hold "/": principal "office" with request id
// "OverrideClassification/<id>/r" and principal
// "office/OverrideClassification/<id>" with request id "r" once made the
// same key, "office/OverrideClassification/<id>/OverrideClassification/<id>/r",
// and the second principal's override was answered with the first's
// result and never carried out.
TEST_F(ClassificationServerTest,
       PrincipalsWhoseNamesRunIntoTheirRequestIdsKeepTheirOwnKeys) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Register(kSlashChange, /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return Get(kSlashChange).ok(); }));
  auto override_request = [](uint64_t version, v1::Tier tier, v1::Complexity complexity,
                             const std::string& rationale,
                             const std::string& request_id) {
    v1::OverrideClassificationRequest ov;
    ov.set_name(Name(kSlashChange));
    ov.set_expected_version(version);
    ov.mutable_classification()->set_tier(tier);
    ov.mutable_classification()->set_complexity(complexity);
    ov.set_rationale(rationale);
    ov.set_request_id(request_id);
    return ov;
  };
  const v1::OverrideClassificationRequest by_office =
      override_request(1, v1::TIER_MANDATED, v1::COMPLEXITY_LOW, "statutory",
                       absl::StrCat("OverrideClassification/", kSlashChange, "/r"));
  const v1::OverrideClassificationRequest by_slashed =
      override_request(2, v1::TIER_EXPERIMENTAL, v1::COMPLEXITY_HIGH, "a pilot", "r");

  v1::ChangeClassification office_out;
  grpc::Status st =
      stub_->OverrideClassification(Ctx(kOfficeToken).get(), by_office, &office_out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(office_out.decision().decided_by(), "office");
  EXPECT_EQ(office_out.version(), 2u);

  v1::ChangeClassification slashed_out;
  st = stub_->OverrideClassification(Ctx(kSlashedOfficeToken).get(), by_slashed,
                                     &slashed_out);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(slashed_out.decision().decided_by(), kSlashedPrincipal);
  EXPECT_EQ(slashed_out.decision().rationale(), "a pilot");
  EXPECT_EQ(slashed_out.classification().tier(), v1::TIER_EXPERIMENTAL);
  EXPECT_EQ(slashed_out.version(), 3u);
  const std::vector<eventstore::Envelope> log = ReadOwnLog(kSlashChange);
  ASSERT_EQ(log.size(), 3u);  // the suggestion and both overrides
  EXPECT_EQ(log[1].actor(), "office");
  EXPECT_EQ(log[2].actor(), kSlashedPrincipal);
  EXPECT_NE(log[1].causation_id(), log[2].causation_id());

  // Each one's retry is recognised as its own: nothing new is stored.
  v1::ChangeClassification again;
  st = stub_->OverrideClassification(Ctx(kSlashedOfficeToken).get(), by_slashed, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.SerializeAsString(), slashed_out.SerializeAsString());
  st = stub_->OverrideClassification(Ctx(kOfficeToken).get(), by_office, &again);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(again.version(), 3u);  // as the change stands now
  EXPECT_EQ(ReadOwnLog(kSlashChange).size(), 3u);
}

TEST_F(ClassificationServerTest, ChangesRegisteredWhileDownAreClassifiedOnRestartWithoutDuplicates) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Register("a", false);
  ASSERT_TRUE(WaitFor([&] { return Get("a").ok(); }));
  StopServer();

  // While classification is down, intake keeps going.
  Register("b", true);
  Amend("a", /*experiment=*/true);

  ASSERT_NO_FATAL_FAILURE(StartServer());
  ASSERT_TRUE(WaitFor([&] {
    auto a = Get("a");
    return Get("b").ok() && a.ok() && a->version() == 2;
  }));
  // Let the consumer settle, then check nothing was suggested twice.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto a = Get("a");
  auto b = Get("b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->history_size(), 2);  // registered, amended
  EXPECT_EQ(a->classification().tier(), v1::TIER_EXPERIMENTAL);
  EXPECT_EQ(b->history_size(), 1);
  EXPECT_EQ(b->classification().tier(), v1::TIER_EXPERIMENTAL);
  EXPECT_EQ(*server_->classifier()->InboxDepth(), 0u);
}

// The dev broker keeps topics in memory: a restart of the stack loses every
// intake event classification had not consumed. With intake's log reader
// configured, classification catches up from intake's log instead, and
// suggests once per change even where both sources deliver.
TEST_F(ClassificationServerTest, CatchesUpFromIntakesLogWhenTheBrokerLostTheTopic) {
  ASSERT_NO_FATAL_FAILURE(StartServer());  // Kafka only
  for (int i = 0; i < 4; ++i) Register(absl::StrCat("early", i), i % 2 == 0);
  ASSERT_TRUE(WaitFor([&] {
    for (int i = 0; i < 4; ++i) {
      if (!Get(absl::StrCat("early", i)).ok()) return false;
    }
    return true;
  }));
  StopServer();

  // While classification is down, intake goes on; these reach only the
  // old broker, which then goes away with its topics.
  for (int i = 0; i < 5; ++i) Register(absl::StrCat("missed", i), i % 2 == 0);
  Amend("early0", /*experiment=*/false);
  ASSERT_TRUE(WaitFor([&] { return intake_relay_->stats().published >= 10; }))
      << "the old broker has all ten intake events";

  auto fresh = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "4"});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  bootstrap_ = (*fresh)->bootstrap_servers();
  ASSERT_NO_FATAL_FAILURE(RestartIntakeRelay(bootstrap_));
  ASSERT_NO_FATAL_FAILURE(StartIntakeLogReader());
  // Registered after the restart: on the new broker and in the log.
  for (int i = 0; i < 3; ++i) Register(absl::StrCat("late", i), i % 2 == 0);

  ASSERT_NO_FATAL_FAILURE(StartServer());
  EXPECT_EQ(HealthStatus(channel_, ""), kServing) << "serves while catching up";
  std::vector<std::string> all;
  for (const char* prefix : {"early", "missed", "late"}) {
    const int n = std::string(prefix) == "early" ? 4 : std::string(prefix) == "missed" ? 5 : 3;
    for (int i = 0; i < n; ++i) all.push_back(absl::StrCat(prefix, i));
  }
  ASSERT_TRUE(WaitFor([&] {
    for (const std::string& id : all) {
      if (!Get(id).ok()) return false;
    }
    auto early0 = Get("early0");
    return early0.ok() && early0->version() == 2;
  })) << "every change, including those the broker lost, is classified";
  // The catch-up thread marks itself done just after its last event is
  // applied (it stops the log-reader runner and starts Kafka first).
  EXPECT_TRUE(WaitFor([&] { return server_->caught_up(); }));
  EXPECT_EQ(HealthStatus(channel_, "dependency/intake_log_reader"), kServing);

  // After the catch-up Kafka carries on: a change registered now arrives.
  Register("after", true);
  ASSERT_TRUE(WaitFor([&] { return Get("after").ok(); }));
  all.push_back("after");

  std::this_thread::sleep_for(std::chrono::seconds(1));
  for (const std::string& id : all) {
    auto c = Get(id);
    ASSERT_TRUE(c.ok()) << id;
    EXPECT_EQ(c->history_size(), id == "early0" ? 2 : 1) << id << ": one suggestion per fact";
  }
  EXPECT_EQ(*server_->classifier()->InboxDepth(), 0u);

  StopServer();
  intake_relay_->Stop();
}

TEST_F(ClassificationServerTest, UnreachableIntakeLogReaderLeavesTheServiceServing) {
  // A port nobody listens on: bind one, note it, close it.
  {
    ASSERT_NO_FATAL_FAILURE(StartIntakeLogReader());
    StopIntakeLogReader();
  }
  ClassificationServerOptions o = Options();
  o.catch_up_wait = std::chrono::milliseconds(0);
  ASSERT_NO_FATAL_FAILURE(StartServerWith(o));
  EXPECT_EQ(HealthStatus(channel_, ""), kServing);
  EXPECT_TRUE(WaitFor(
      [&] {
        return HealthStatus(channel_, "dependency/intake_log_reader") == kNotServing;
      },
      absl::Seconds(10)));
  EXPECT_FALSE(server_->caught_up());
  // Kafka is consumed meanwhile: changes are still classified.
  Register("k", true);
  EXPECT_TRUE(WaitFor([&] { return Get("k").ok(); }));
  EXPECT_EQ(HealthStatus(channel_, ""), kServing);
}

// An intake with tls.client_ca_file set: the catch-up reaches its log with
// classification.log_reader_tls_client_cert_file and _key_file, and a
// service without them, started first, has not reached it meanwhile.
TEST_F(ClassificationServerTest, CatchesUpFromAnIntakeThatRequiresClientCertificates) {
  if (!rpc::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
  ASSERT_EQ(rpc::testing::MakeServerAndClientCertificates(dir_), absl::OkStatus());
  auto read = [&](const std::string& name) {
    std::ifstream in(dir_ / name);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  grpc::SslServerCredentialsOptions tls(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  tls.pem_root_certs = read("ca.pem");
  tls.pem_key_cert_pairs.push_back({read("server.key"), read("server.pem")});
  ASSERT_NO_FATAL_FAILURE(StartIntakeLogReader(grpc::SslServerCredentials(tls)));
  Register("m", true);

  ClassificationServerOptions without = Options();
  without.common.data_dir = (dir_ / "data-without").string();
  without.consumer_group = group_ + "-without";
  without.log_reader_tls_root_cert_file = (dir_ / "ca.pem").string();
  auto plain = ClassificationServer::Start(without);
  ASSERT_TRUE(plain.ok()) << plain.status();

  ClassificationServerOptions with = Options();
  with.log_reader_tls_root_cert_file = (dir_ / "ca.pem").string();
  with.log_reader_tls_client_cert_file = (dir_ / "client.pem").string();
  with.log_reader_tls_client_key_file = (dir_ / "client.key").string();
  ASSERT_NO_FATAL_FAILURE(StartServerWith(with));
  EXPECT_TRUE(WaitFor([&] { return server_->caught_up(); }))
      << "never read intake's log over mutual TLS";
  EXPECT_EQ(HealthStatus(channel_, "dependency/intake_log_reader"), kServing);
  EXPECT_FALSE((*plain)->caught_up()) << "intake served a client without a certificate";
  (*plain)->Stop(std::chrono::milliseconds(0));
}

TEST_F(ClassificationServerTest, BrokersDownTurnTheServiceNotServingUntilTheyAreBack) {
  // The consumer of intake's events needs Kafka: with every broker down the
  // service says so in health and metrics, and serves again once they are
  // back, without a restart.
  devbroker::MockClusterOptions cluster_options;
  cluster_options.partitions = 4;
  auto cluster = devbroker::MockCluster::Start(cluster_options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  bootstrap_ = (*cluster)->bootstrap_servers();
  ASSERT_NO_FATAL_FAILURE(RestartIntakeRelay(bootstrap_));
  ASSERT_NO_FATAL_FAILURE(StartServer());
  Register("before", true);
  ASSERT_TRUE(WaitFor([&] { return Get("before").ok(); }));
  EXPECT_EQ(HealthStatus(channel_, ""), kServing);

  for (int b = 1; b <= 3; ++b) ASSERT_TRUE((*cluster)->SetBrokerDown(b).ok());
  EXPECT_TRUE(WaitFor([&] { return HealthStatus(channel_, "") == kNotServing; },
                      absl::Seconds(30)));
  EXPECT_EQ(HealthStatus(channel_, "dependency/intake"), kNotServing);
  auto text = metrics::testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_THAT(*text, HasSubstr(
      "changeledger_projection_source_up{projection=\"classification-intake\"} 0"));

  for (int b = 1; b <= 3; ++b) ASSERT_TRUE((*cluster)->SetBrokerUp(b).ok());
  EXPECT_TRUE(
      WaitFor([&] { return HealthStatus(channel_, "") == kServing; }, absl::Seconds(30)));
  Register("after", false);
  EXPECT_TRUE(WaitFor([&] { return Get("after").ok(); }));
  StopServer();
  intake_relay_->Stop();
}

// kafka.security_protocol ssl reaches the intake consumer: the first bytes
// it sends a broker are a TLS handshake, not a Kafka request.
TEST_F(ClassificationServerTest, KafkaSecurityProtocolReachesTheConsumer) {
  for (const std::string protocol : {"plaintext", "ssl"}) {
    bus::testing::FirstBytesListener broker;
    ASSERT_GT(broker.port(), 0);
    ClassificationServerOptions options = Options();
    options.common.data_dir = (dir_ / ("data-" + protocol)).string();
    options.common.kafka_bootstrap_servers = broker.address();
    options.common.kafka_security_protocol = protocol;
    StartServerWith(options);
    const std::optional<std::string> first = broker.FirstBytes(std::chrono::seconds(20));
    ASSERT_TRUE(first.has_value()) << protocol << ": the consumer never connected";
    EXPECT_EQ(bus::testing::FirstBytesListener::IsTlsHandshake(*first), protocol == "ssl")
        << protocol;
    StopServer();
  }
}

}  // namespace
}  // namespace changeledger::classification
