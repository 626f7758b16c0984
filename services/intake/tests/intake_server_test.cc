// The intake process over loopback gRPC: the RPC runtime (tokens, role
// policies), the RocksDB event store in a temp dir, and the dev broker as a
// child process.
#include "intake_server.h"

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/first_bytes_listener.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "changeledger/metrics/scrape.h"
#include "changeledger/rpc/client.h"
#include "changeledger/rpc/health_check.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/rpc/wait_for.h"
#include "tests/domain_test_util.h"

namespace changeledger::intake {
namespace {

using rpc::testing::HealthStatus;
using rpc::testing::kServing;
using ::testing::HasSubstr;

constexpr char kProposerToken[] = "proposer-token-0123456789";
constexpr char kOtherProposerToken[] = "proposer-token-bob-0123456789";
constexpr char kPanelToken[] = "panel-token-0123456789";
constexpr char kOfficeToken[] = "office-token-0123456789";
constexpr char kAuditorToken[] = "auditor-token-0123456789";

class IntakeServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto broker = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "8"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = broker->release();
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }

  void SetUp() override {
    temp_.Write(
        "tokens.yaml",
        absl::StrCat("tokens:\n", "  - {principal: alice, token: \"", kProposerToken,
                     "\", roles: [proposer]}\n", "  - {principal: bob, token: \"",
                     kOtherProposerToken, "\", roles: [proposer]}\n",
                     "  - {principal: chair, token: \"", kPanelToken,
                     "\", roles: [panel]}\n", "  - {principal: office, token: \"",
                     kOfficeToken, "\", roles: [portfolio_office]}\n",
                     "  - {principal: audit, token: \"", kAuditorToken,
                     "\", roles: [auditor]}\n"));
    StartServer();
  }

  void TearDown() override {
    if (server_) server_->Stop(std::chrono::seconds(2));
    server_.reset();
  }

  void StartServer() {
    IntakeServerOptions options;
    options.common.service_name = "intake";
    options.common.grpc_listen = "127.0.0.1:0";
    options.common.metrics_listen = "127.0.0.1:0";
    options.common.data_dir = dir_ + "/data";
    options.common.tokens_file = dir_ + "/tokens.yaml";
    options.common.kafka_bootstrap_servers = broker_->bootstrap_servers();
    options.business_areas_file = business_areas_file_;
    auto server = IntakeServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    rpc::ClientOptions client;
    client.target = "127.0.0.1:" + std::to_string(server_->port());
    channel_ = *rpc::MakeChannel(client);
    stub_ = v1::IntakeService::NewStub(channel_);
  }

  void Restart() {
    server_->Stop(std::chrono::seconds(2));
    server_.reset();
    StartServer();
  }

  std::unique_ptr<grpc::ClientContext> As(const char* token) {
    rpc::ClientOptions options;
    options.token = token;
    options.timeout = std::chrono::seconds(60);
    return rpc::ClientContextFactory(options).New();
  }

  v1::Proposal ApprovedProposal() {
    v1::CreateProposalRequest create;
    *create.mutable_attributes() = testing::CompleteAttributes();
    v1::Proposal p;
    EXPECT_TRUE(stub_->CreateProposal(As(kProposerToken).get(), create, &p).ok());
    v1::SubmitProposalRequest submit;
    submit.set_name(p.name());
    submit.set_expected_version(1);
    EXPECT_TRUE(stub_->SubmitProposal(As(kProposerToken).get(), submit, &p).ok());
    v1::StartAssessmentRequest start;
    start.set_name(p.name());
    EXPECT_TRUE(stub_->StartAssessment(As(kPanelToken).get(), start, &p).ok());
    v1::RecordAssessmentRequest assess;
    assess.set_name(p.name());
    for (auto* s : {assess.mutable_desirable(), assess.mutable_deliverable(),
                    assess.mutable_affordable()}) {
      s->set_score(5);
      s->set_rationale("strong case");
    }
    EXPECT_TRUE(stub_->RecordAssessment(As(kPanelToken).get(), assess, &p).ok());
    v1::DecideProposalRequest decide;
    decide.set_name(p.name());
    decide.set_outcome(v1::DECISION_OUTCOME_APPROVED);
    decide.set_chair("DAC Corporate Services");
    *decide.mutable_meeting_date() = testing::TodayUtc();
    decide.set_expected_version(4);
    auto status = stub_->DecideProposal(As(kPanelToken).get(), decide, &p);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return p;
  }

  static devbroker::DevBrokerProcess* broker_;
  // Removed with the fixture, even when an assertion ends a test early.
  const rpc::testing::TempDir temp_;
  const std::string dir_ = temp_.path().string();
  std::string business_areas_file_;  // empty: the default catalog
  std::unique_ptr<IntakeServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

devbroker::DevBrokerProcess* IntakeServerTest::broker_ = nullptr;

TEST_F(IntakeServerTest, FrontDoorToApprovalOverGrpc) {
  const v1::Proposal approved = ApprovedProposal();
  EXPECT_EQ(approved.state(), v1::PROPOSAL_STATE_APPROVED);
  EXPECT_EQ(approved.proposer(), "alice");
  ASSERT_EQ(approved.assessments_size(), 1);
  EXPECT_EQ(approved.assessments(0).assessor(), "chair");
  v1::GetChangeRequest get;
  get.set_name(approved.change());
  v1::Change change;
  ASSERT_TRUE(stub_->GetChange(As(kAuditorToken).get(), get, &change).ok());
  EXPECT_EQ(change.status(), v1::CHANGE_STATUS_REGISTERED);
  EXPECT_EQ(change.attributes().title(), "Forensic terminals");
  EXPECT_EQ(change.origin().proposal_id(), approved.name().substr(10));
}

TEST_F(IntakeServerTest, RolesAndOwnershipAreEnforced) {
  v1::CreateProposalRequest create;
  *create.mutable_attributes() = testing::CompleteAttributes();
  v1::Proposal p;
  grpc::ClientContext anonymous;
  EXPECT_EQ(stub_->CreateProposal(&anonymous, create, &p).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(stub_->CreateProposal(As(kPanelToken).get(), create, &p).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->CreateProposal(As(kAuditorToken).get(), create, &p).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->CreateProposal(As(kProposerToken).get(), create, &p).ok());
  v1::WithdrawProposalRequest withdraw;
  withdraw.set_name(p.name());
  v1::Proposal out;
  auto status = stub_->WithdrawProposal(As(kOtherProposerToken).get(), withdraw, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::RegisterChangeRequest reg;
  *reg.mutable_attributes() = testing::CompleteAttributes();
  v1::Change change;
  EXPECT_EQ(stub_->RegisterChange(As(kProposerToken).get(), reg, &change).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server_->store()->LastPosition(), 1u);
}

TEST_F(IntakeServerTest, ImportOfTenThousandRecordsWithBadOnes) {
  constexpr int kRecords = 10000;
  // `corrected`: a record whose title and work packages differ from the
  // first import; `flipped`: records whose status does.
  auto run_import = [&](v1::ImportReturnResponse* response, int corrected = -1,
                        std::vector<int> flipped = {}) {
    auto context = As(kOfficeToken);
    auto writer = stub_->ImportReturn(context.get(), response);
    v1::ImportReturnRequest message;
    message.set_return_reference("MO-2021-05-12");
    for (int i = 0; i < kRecords; ++i) {
      v1::ReturnRecord* record = message.add_records();
      record->set_record_reference("row-" + std::to_string(i));
      *record->mutable_attributes() = testing::CompleteAttributes("Change " + std::to_string(i));
      if (i % 100 == 7) record->mutable_attributes()->clear_title();
      if (i % 250 == 3) record->mutable_attributes()->set_business_area("XX");
      const bool flip = std::find(flipped.begin(), flipped.end(), i) != flipped.end();
      if ((i % 2 == 0) != flip) record->set_status(v1::CHANGE_STATUS_IN_DELIVERY);
      if (i == corrected) {
        record->mutable_attributes()->set_title("Change " + std::to_string(i) + ", corrected");
        record->mutable_attributes()->mutable_features()->set_work_packages(9);
      }
      if (message.records_size() == 1000) {
        EXPECT_TRUE(writer->Write(message));
        message.clear_records();
      }
    }
    EXPECT_TRUE(writer->WritesDone());
    return writer->Finish();
  };
  constexpr int kBad = kRecords / 100 + kRecords / 250;  // the two patterns never overlap

  v1::ImportReturnResponse first;
  auto status = run_import(&first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(first.results_size(), kRecords);
  EXPECT_EQ(first.rejected_count(), kBad);
  EXPECT_EQ(first.registered_count(), kRecords - kBad);
  EXPECT_EQ(first.results(7).outcome(), v1::IMPORT_OUTCOME_REJECTED);
  EXPECT_EQ(first.results(7).error(), "title: required");
  EXPECT_EQ(first.results(3).error(), "business_area: unknown business area \"XX\"");
  EXPECT_EQ(first.results(8).outcome(), v1::IMPORT_OUTCOME_REGISTERED);
  // One ChangeRegistered per good record, plus ChangeDeliveryStarted for
  // the good even rows.
  uint64_t expected_events = 0;
  for (int i = 0; i < kRecords; ++i) {
    if (i % 100 == 7 || i % 250 == 3) continue;
    expected_events += i % 2 == 0 ? 2 : 1;
  }
  const uint64_t head = server_->store()->LastPosition();
  EXPECT_EQ(head, expected_events);

  v1::ImportReturnResponse second;
  status = run_import(&second);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(second.registered_count(), 0);
  EXPECT_EQ(second.already_imported_count(), kRecords - kBad);
  EXPECT_EQ(second.rejected_count(), kBad);
  EXPECT_EQ(second.results(8).change(), first.results(8).change());
  EXPECT_EQ(server_->store()->LastPosition(), head) << "a second import stores nothing";
  for (const auto& result : second.results()) EXPECT_THAT(result.differs(), ::testing::IsEmpty());

  // A corrected record is not applied, but the caller is told how it differs.
  v1::ImportReturnResponse third;
  status = run_import(&third, /*corrected=*/8, /*flipped=*/{10, 11});
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(third.results(8).outcome(), v1::IMPORT_OUTCOME_ALREADY_IMPORTED);
  EXPECT_THAT(third.results(8).differs(), ::testing::ElementsAre("title", "features.work_packages"));
  EXPECT_THAT(third.results(9).differs(), ::testing::IsEmpty());
  // Row 10 went in in delivery and now says registered; row 11 the reverse.
  EXPECT_THAT(third.results(10).differs(), ::testing::ElementsAre("status"));
  EXPECT_THAT(third.results(11).differs(), ::testing::ElementsAre("status"));
  EXPECT_EQ(server_->store()->LastPosition(), head) << "a corrected record amends nothing";

  // Every registered record is listed once, in import order.
  v1::ListChangesRequest list;
  list.set_return_reference("MO-2021-05-12");
  list.set_page_size(1000);
  int listed = 0;
  std::string previous;
  for (;;) {
    v1::ListChangesResponse page;
    ASSERT_TRUE(stub_->ListChanges(As(kAuditorToken).get(), list, &page).ok());
    listed += page.changes_size();
    if (page.next_page_token().empty()) break;
    list.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(listed, kRecords - kBad);
}

// An amendment says why; the reason is in the event the log keeps, and an
// amendment without one is refused and stores nothing.
TEST_F(IntakeServerTest, AmendmentsSayWhyAndTheLogKeepsIt) {
  v1::RegisterChangeRequest reg;
  *reg.mutable_attributes() = testing::CompleteAttributes();
  v1::Change change;
  ASSERT_TRUE(stub_->RegisterChange(As(kOfficeToken).get(), reg, &change).ok());
  const uint64_t head = server_->store()->LastPosition();

  v1::AmendChangeRequest amend;
  amend.set_name(change.name());
  amend.mutable_attributes()->set_title("Forensic terminals (24, phase 2)");
  amend.mutable_update_mask()->add_paths("title");
  v1::Change out;
  grpc::Status status = stub_->AmendChange(As(kOfficeToken).get(), amend, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "reason: required");
  EXPECT_EQ(server_->store()->LastPosition(), head) << "a refused amendment stores nothing";

  amend.set_reason("Phase 2 approved by the board on 3 June");
  status = stub_->AmendChange(As(kOfficeToken).get(), amend, &out);
  ASSERT_TRUE(status.ok()) << status.error_message();
  auto events = server_->store()->ReadStream("change-" + change.name().substr(8), 1, 10);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  v1::ChangeAmended amended;
  ASSERT_TRUE(events->back().payload().UnpackTo(&amended));
  EXPECT_EQ(amended.reason(), "Phase 2 approved by the board on 3 June");
  EXPECT_EQ(events->back().actor(), "office");
}

// A return's as-of date goes into the origin of every change it registers;
// importing the return again stores nothing, and says so when it states
// another date than the first import did.
TEST_F(IntakeServerTest, ImportKeepsTheDateTheReturnStandsAt) {
  const auto date = [](int y, int m, int d) {
    common::v1::Date out;
    out.set_year(y);
    out.set_month(m);
    out.set_day(d);
    return out;
  };
  // Two messages of one record each, each with `as_of` (unset: none).
  const auto import = [&](std::vector<std::optional<common::v1::Date>> as_of,
                          v1::ImportReturnResponse* response) {
    auto context = As(kOfficeToken);
    auto writer = stub_->ImportReturn(context.get(), response);
    for (size_t i = 0; i < as_of.size(); ++i) {
      v1::ImportReturnRequest message;
      message.set_return_reference("FP-2021-05-12");
      if (as_of[i].has_value()) *message.mutable_as_of() = *as_of[i];
      v1::ReturnRecord* record = message.add_records();
      record->set_record_reference("row-" + std::to_string(i));
      *record->mutable_attributes() = testing::CompleteAttributes("Change " + std::to_string(i));
      // A refused message ends the call, so a later write may fail; Finish
      // says why.
      if (!writer->Write(message)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  };
  const common::v1::Date may12 = date(2021, 5, 12);

  v1::ImportReturnResponse first;
  grpc::Status status = import({may12, may12}, &first);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(first.registered_count(), 2);
  v1::GetChangeRequest get;
  get.set_name(first.results(1).change());
  v1::Change change;
  ASSERT_TRUE(stub_->GetChange(As(kAuditorToken).get(), get, &change).ok());
  EXPECT_EQ(change.origin().return_record().as_of().DebugString(), may12.DebugString());
  const uint64_t head = server_->store()->LastPosition();

  v1::ImportReturnResponse again;
  ASSERT_TRUE(import({may12, may12}, &again).ok());
  EXPECT_EQ(again.already_imported_count(), 2);
  EXPECT_THAT(again.results(0).differs(), ::testing::IsEmpty());
  v1::ImportReturnResponse redated;
  ASSERT_TRUE(import({date(2021, 5, 13), date(2021, 5, 13)}, &redated).ok());
  EXPECT_EQ(redated.already_imported_count(), 2);
  EXPECT_THAT(redated.results(0).differs(), ::testing::ElementsAre("as_of"));
  EXPECT_EQ(server_->store()->LastPosition(), head) << "a re-import stores nothing";

  v1::ImportReturnResponse refused;
  status = import({may12, date(2021, 5, 13)}, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "as_of: must be the same in every message of one import");
  status = import({date(2021, 2, 29)}, &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "as_of: not a valid date");
  const absl::CivilDay next_week = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 7;
  status = import({date(static_cast<int>(next_week.year()), next_week.month(), next_week.day())},
                  &refused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("as_of: in the future (after "));
  EXPECT_EQ(server_->store()->LastPosition(), head);
}

// Reference data changes after records are made: a business area retired
// from the catalog still holds the changes registered under it. Importing
// their return again says ALREADY_IMPORTED, and amending another field of
// one of them works; only setting a retired area is refused.
TEST_F(IntakeServerTest, ARetiredBusinessAreaKeepsItsChangesWorkable) {
  const std::string areas = "business_areas:\n  - {code: MO, name: Met Operations}\n";
  business_areas_file_ =
      temp_.Write("areas.yaml", areas + "  - {code: OLD, name: Retired}\n");
  Restart();
  const auto import = [&](v1::ImportReturnResponse* response) {
    auto context = As(kOfficeToken);
    auto writer = stub_->ImportReturn(context.get(), response);
    v1::ImportReturnRequest message;
    message.set_return_reference("OLD-2021-05-12");
    for (const char* reference : {"row-1", "row-2"}) {
      v1::ReturnRecord* record = message.add_records();
      record->set_record_reference(reference);
      *record->mutable_attributes() = testing::CompleteAttributes(reference);
      record->mutable_attributes()->set_business_area("OLD");
    }
    EXPECT_TRUE(writer->Write(message));
    writer->WritesDone();
    return writer->Finish();
  };
  v1::ImportReturnResponse first;
  ASSERT_TRUE(import(&first).ok());
  ASSERT_EQ(first.registered_count(), 2);

  business_areas_file_ = temp_.Write("areas.yaml", areas);
  Restart();
  const uint64_t head = server_->store()->LastPosition();
  v1::ImportReturnResponse again;
  ASSERT_TRUE(import(&again).ok());
  EXPECT_EQ(again.already_imported_count(), 2);
  EXPECT_EQ(again.rejected_count(), 0);
  EXPECT_EQ(again.results(0).change(), first.results(0).change());
  EXPECT_THAT(again.results(0).differs(), ::testing::IsEmpty());
  EXPECT_EQ(server_->store()->LastPosition(), head) << "a re-import stores nothing";

  v1::AmendChangeRequest amend;
  amend.set_name(first.results(0).change());
  amend.mutable_attributes()->set_title("Renamed after the area was retired");
  amend.mutable_update_mask()->add_paths("title");
  amend.set_reason("the return's title was provisional");
  v1::Change change;
  grpc::Status status = stub_->AmendChange(As(kOfficeToken).get(), amend, &change);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(change.attributes().business_area(), "OLD");
  EXPECT_EQ(change.attributes().title(), "Renamed after the area was retired");

  v1::RegisterChangeRequest reg;
  *reg.mutable_attributes() = testing::CompleteAttributes();
  ASSERT_TRUE(stub_->RegisterChange(As(kOfficeToken).get(), reg, &change).ok());
  amend.set_name(change.name());
  amend.mutable_attributes()->set_business_area("OLD");
  amend.mutable_update_mask()->add_paths("business_area");
  status = stub_->AmendChange(As(kOfficeToken).get(), amend, &change);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "business_area: unknown business area \"OLD\"");
}

// Records are stored message by message; an import that a later message
// ends still counts those it registered in the import metric.
TEST_F(IntakeServerTest, AnImportEndedByABadMessageCountsWhatItRegistered) {
  v1::ImportReturnResponse response;
  auto context = As(kOfficeToken);
  auto writer = stub_->ImportReturn(context.get(), &response);
  for (const char* reference : {"MO-2021-05-12", "FP-2021-05-12"}) {
    v1::ImportReturnRequest message;
    message.set_return_reference(reference);
    for (int i = 0; i < 2; ++i) {
      v1::ReturnRecord* record = message.add_records();
      record->set_record_reference(absl::StrCat("row-", i));
      *record->mutable_attributes() =
          testing::CompleteAttributes(absl::StrCat("Change ", i));
    }
    if (!writer->Write(message)) break;
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();

  auto text = metrics::testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  auto samples = metrics::testing::ParseExposition(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_EQ(
      samples->at("changeledger_intake_import_records_total{outcome=\"registered\"}"),
      2.0);
}

TEST_F(IntakeServerTest, OutboxDrainsToTheBrokerAndTheLogIsReadable) {
  ApprovedProposal();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (server_->store()->GetOutboxStats().depth > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(server_->store()->GetOutboxStats().depth, 0u) << "relay published every event";

  bus::LogReaderClient reader(channel_);
  std::vector<eventstore::Envelope> events;
  auto status = reader.Read({.metadata = {{"authorization",
                                           std::string("Bearer ") + kAuditorToken}}},
                            [&](const eventlog::v1::ReadLogResponse& page) {
                              events.insert(events.end(), page.events().begin(),
                                            page.events().end());
                              return absl::OkStatus();
                            });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].type(), "changeledger.intake.v1.ProposalDrafted");
  EXPECT_EQ(events[5].type(), "changeledger.intake.v1.ChangeRegistered");
  for (const auto& e : events) EXPECT_EQ(e.source(), "intake");
  // A proposer may not read the raw log.
  bus::LogReaderClient proposer_reader(channel_);
  EXPECT_EQ(proposer_reader
                .Read({.metadata = {{"authorization",
                                     std::string("Bearer ") + kProposerToken}}},
                      [](const eventlog::v1::ReadLogResponse&) { return absl::OkStatus(); })
                .code(),
            absl::StatusCode::kPermissionDenied);
}

// A request of a few hundred KiB can hold thousands of bad teams. The
// answer still names the fields, within what a gRPC client accepts as an
// error message (8 KiB), instead of failing on the client's side with
// RESOURCE_EXHAUSTED and no word about the request.
TEST_F(IntakeServerTest, ARequestWithThousandsOfProblemsIsAnsweredWithTheFirstOnes) {
  v1::CreateProposalRequest create;
  *create.mutable_attributes() = testing::CompleteAttributes();
  create.mutable_attributes()->clear_teams();
  for (int i = 0; i < 5000; ++i) create.mutable_attributes()->add_teams("Same team");
  v1::Proposal proposal;
  const grpc::Status status =
      stub_->CreateProposal(As(kProposerToken).get(), create, &proposal);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("teams: more than 50 entries; "
                                                "teams[1]: duplicate of teams[0]"));
  EXPECT_THAT(status.error_message(), HasSubstr("; and 4980 more problems"));
}

// kafka.security_protocol ssl reaches the relay's producer: the first bytes
// it sends a broker are a TLS handshake, not a Kafka request.
TEST_F(IntakeServerTest, KafkaSecurityProtocolReachesTheRelay) {
  for (const std::string protocol : {"plaintext", "ssl"}) {
    bus::testing::FirstBytesListener broker;
    ASSERT_GT(broker.port(), 0);
    IntakeServerOptions options;
    options.common.service_name = "intake";
    options.common.grpc_listen = "127.0.0.1:0";
    options.common.metrics_listen = "";
    options.common.data_dir = dir_ + "/data-" + protocol;
    options.common.tokens_file = dir_ + "/tokens.yaml";
    options.common.kafka_bootstrap_servers = broker.address();
    options.common.kafka_security_protocol = protocol;
    auto server = IntakeServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    // Something to publish.
    auto channel =
        rpc::MakeChannel({.target = "127.0.0.1:" + std::to_string((*server)->port())});
    ASSERT_TRUE(channel.ok());
    v1::CreateProposalRequest create;
    *create.mutable_attributes() = testing::CompleteAttributes();
    v1::Proposal proposal;
    ASSERT_TRUE(v1::IntakeService::NewStub(*channel)
                    ->CreateProposal(As(kProposerToken).get(), create, &proposal)
                    .ok());
    const std::optional<std::string> first = broker.FirstBytes(std::chrono::seconds(20));
    ASSERT_TRUE(first.has_value()) << protocol << ": the relay never connected";
    EXPECT_EQ(bus::testing::FirstBytesListener::IsTlsHandshake(*first), protocol == "ssl")
        << protocol;
    (*server)->Stop(std::chrono::milliseconds(0));
  }
}

TEST_F(IntakeServerTest, RestartRebuildsListsAndKeepsIdempotency) {
  v1::RegisterChangeRequest reg;
  reg.set_request_id("reg-1");
  *reg.mutable_attributes() = testing::CompleteAttributes();
  v1::Change first;
  ASSERT_TRUE(stub_->RegisterChange(As(kOfficeToken).get(), reg, &first).ok());
  Restart();
  v1::Change again;
  ASSERT_TRUE(stub_->RegisterChange(As(kOfficeToken).get(), reg, &again).ok());
  EXPECT_EQ(again.name(), first.name());
  v1::ListChangesRequest list;
  v1::ListChangesResponse page;
  ASSERT_TRUE(stub_->ListChanges(As(kProposerToken).get(), list, &page).ok());
  ASSERT_EQ(page.changes_size(), 1);
  EXPECT_EQ(page.changes(0).name(), first.name());
  // Ready once the read model has folded the log it restarted with.
  EXPECT_TRUE(rpc::testing::WaitFor(
      [&] { return HealthStatus(channel_, "dependency/read_model") == kServing; }));
  EXPECT_EQ(HealthStatus(channel_, ""), kServing);
}

// Clients that keep amending one change without a version (0: "do not
// check") are never told ABORTED, however long the contention lasts: over
// the synced RocksDB store each append takes long enough for the others
// to read the same version meanwhile.
TEST_F(IntakeServerTest, SustainedContentionWithoutVersionsIsNeverAborted) {
  v1::RegisterChangeRequest reg;
  *reg.mutable_attributes() = testing::CompleteAttributes();
  v1::Change change;
  ASSERT_TRUE(stub_->RegisterChange(As(kOfficeToken).get(), reg, &change).ok());
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::mutex mu;
  int ok = 0;
  std::vector<std::string> failures;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        v1::AmendChangeRequest amend;
        amend.set_reason("title corrected");
        amend.set_name(change.name());
        amend.mutable_attributes()->set_title(absl::StrCat("Amendment ", t, ".", i));
        amend.mutable_update_mask()->add_paths("title");
        v1::Change out;
        const grpc::Status status = stub_->AmendChange(As(kOfficeToken).get(), amend, &out);
        std::lock_guard lock(mu);
        if (status.ok()) {
          ++ok;
        } else {
          failures.push_back(status.error_message());
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads * kEach) << failures.size() << " failed, e.g. "
                                  << (failures.empty() ? "" : failures.front());
  v1::GetChangeRequest get;
  get.set_name(change.name());
  v1::Change now;
  ASSERT_TRUE(stub_->GetChange(As(kAuditorToken).get(), get, &now).ok());
  EXPECT_EQ(now.version(), 1u + kThreads * kEach);
}

TEST_F(IntakeServerTest, AnotherServicesDataDirectoryIsRefused) {
  server_->Stop(std::chrono::seconds(2));
  server_.reset();
  // An operator points intake at classification's directory: intake must
  // not take that event store (and its outbox) for its own.
  const std::string classification = dir_ + "/classification";
  std::filesystem::create_directories(classification + "/view");
  std::ofstream(classification + "/SERVICE") << "classification\n";
  IntakeServerOptions options;
  options.common.grpc_listen = "127.0.0.1:0";
  options.common.metrics_listen = "";
  options.common.data_dir = classification;
  options.common.tokens_file = dir_ + "/tokens.yaml";
  auto refused = IntakeServer::Start(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("is the data directory of classification"));
  EXPECT_FALSE(std::filesystem::exists(classification + "/events"));
  // Its own directory, marked at the first start, opens again.
  StartServer();
  std::ifstream owner(dir_ + "/data/SERVICE");
  std::string name;
  ASSERT_TRUE(std::getline(owner, name));
  EXPECT_EQ(name, "intake");
}

TEST_F(IntakeServerTest, HealthAndMetricsReflectTheDependencies) {
  EXPECT_EQ(HealthStatus(channel_, ""), kServing);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  ApprovedProposal();  // gives the relay something to publish
  while (HealthStatus(channel_, "dependency/broker") != kServing &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(HealthStatus(channel_, "dependency/broker"), kServing);

  auto text = metrics::testing::HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(text.ok()) << text.status();
  auto samples = metrics::testing::ParseExposition(*text);
  ASSERT_TRUE(samples.ok()) << samples.status();
  EXPECT_GE(samples->at("changeledger_eventstore_commits_total"), 5.0);
  EXPECT_THAT(*text, HasSubstr("changeledger_eventstore_group_commit_appends_bucket"));
  EXPECT_THAT(*text, HasSubstr("changeledger_rpc_requests_total"));
  EXPECT_THAT(*text, HasSubstr("changeledger_outbox_depth"));
  EXPECT_THAT(*text, HasSubstr("process_open_fds"));

  server_->Stop(std::chrono::seconds(1));
  EXPECT_NE(HealthStatus(channel_, ""), kServing) << "a stopped server is not serving";
}

}  // namespace
}  // namespace changeledger::intake
