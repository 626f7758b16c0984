// End to end over loopback: the dev broker (a child process), the real
// intake server, a classification writer (a RocksDB event store with the
// real outbox relay and log reader, appending the classification
// service's event protos), and the portfolio server consuming both topics.
// Drives intake over gRPC, then checks the baseline, an as-of query before
// and after a reclassification, a diff, the provenance of a cell, and a
// rebuild from Kafka and from the log readers giving the same hashes.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/bus/outbox_relay.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/devbroker/devbroker_process.h"
#include "changeledger/eventstore/rocksdb_event_store.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "changeledger/portfolio/portfolio_server.h"
#include "changeledger/portfolio/v1/portfolio.grpc.pb.h"
#include "changeledger/rpc/client.h"
#include "changeledger/rpc/server.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/rpc/wait_for.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "intake_server.h"

namespace changeledger::portfolio {
namespace {

namespace cls = ::changeledger::classification::v1;
namespace iv1 = ::changeledger::intake::v1;
using rpc::testing::WaitFor;
using ::testing::HasSubstr;

constexpr char kOfficeToken[] = "office-token-0123456789";
constexpr char kServiceToken[] = "service-token-0123456789";
constexpr char kProposerToken[] = "proposer-token-0123456789";

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  const int64_t us = absl::ToUnixMicros(t);
  ts->set_seconds(us / 1000000);
  ts->set_nanos(static_cast<int32_t>(us % 1000000) * 1000);
}

class PortfolioE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = devbroker::DevBrokerProcess::Spawn(DEVBROKER_PATH, {"--partitions", "4"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = std::move(*broker);
    temp_.Write(
        "tokens.yaml",
        absl::StrCat("tokens:\n", "  - {principal: office, token: \"", kOfficeToken,
                     "\", roles: [portfolio_office]}\n",
                     "  - {principal: portfolio-svc, token: \"", kServiceToken,
                     "\", roles: [service]}\n", "  - {principal: alice, token: \"",
                     kProposerToken, "\", roles: [proposer]}\n"));

    // Intake.
    intake::IntakeServerOptions intake;
    intake.common.service_name = "intake";
    intake.common.data_dir = dir_ + "/intake";
    intake.common.tokens_file = dir_ + "/tokens.yaml";
    intake.common.metrics_listen = "";
    intake.common.kafka_bootstrap_servers = broker_->bootstrap_servers();
    auto intake_server = intake::IntakeServer::Start(intake);
    ASSERT_TRUE(intake_server.ok()) << intake_server.status();
    intake_ = std::move(*intake_server);

    // The classification writer: its own store, relay and log reader.
    eventstore::RocksDbEventStoreOptions store_options;
    store_options.path = dir_ + "/classification";
    auto store = eventstore::OpenRocksDbEventStore(store_options);
    ASSERT_TRUE(store.ok()) << store.status();
    cls_store_ = std::move(*store);
    bus::OutboxRelayOptions relay;
    relay.bootstrap_servers = broker_->bootstrap_servers();
    relay.topic = "changeledger.classification.v1";
    auto relay_or = bus::OutboxRelay::Create(cls_store_.get(), relay);
    ASSERT_TRUE(relay_or.ok()) << relay_or.status();
    cls_relay_ = std::move(*relay_or);
    cls_relay_->Start();
    cls_log_ = std::make_unique<bus::LogReaderService>(cls_store_.get(),
                                                       bus::LogReaderServiceOptions{"classification"});
    rpc::ServerOptions server_options;
    server_options.service_name = "classification";
    auto tokens = rpc::TokenTable::FromFile(dir_ + "/tokens.yaml");
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    server_options.tokens = *tokens;
    auto cls_server = rpc::Server::Create(server_options);
    ASSERT_TRUE(cls_server.ok()) << cls_server.status();
    cls_server_ = std::move(*cls_server);
    const std::string log_service = eventlog::v1::LogReader::service_full_name();
    ASSERT_TRUE(cls_server_
                    ->AddService(cls_log_.get(),
                                 {{"/" + log_service + "/ReadLog", {rpc::Role::kService}},
                                  {"/" + log_service + "/GetLogHead", {rpc::Role::kService}}})
                    .ok());
    ASSERT_TRUE(cls_server_->Start().ok());

    // Portfolio.
    PortfolioServerOptions options;
    options.common.service_name = "portfolio";
    options.common.data_dir = dir_ + "/portfolio";
    options.common.tokens_file = dir_ + "/tokens.yaml";
    options.common.kafka_bootstrap_servers = broker_->bootstrap_servers();
    options.kafka_config = {{"session.timeout.ms", "6000"}};
    options.group_id = "portfolio-e2e";
    options.log_readers = {{"intake", absl::StrCat("127.0.0.1:", intake_->port())},
                           {"classification", absl::StrCat("127.0.0.1:", cls_server_->port())}};
    options.service_token = kServiceToken;
    auto portfolio = PortfolioServer::Start(options);
    ASSERT_TRUE(portfolio.ok()) << portfolio.status();
    portfolio_ = std::move(*portfolio);

    intake_stub_ = iv1::IntakeService::NewStub(Channel(intake_->port()));
    portfolio_stub_ = pb::PortfolioService::NewStub(Channel(portfolio_->port()));
  }

  void TearDown() override {
    if (portfolio_) portfolio_->Stop(std::chrono::milliseconds(0));
    if (cls_log_) cls_log_->Shutdown();
    if (cls_server_) cls_server_->Shutdown(std::chrono::milliseconds(0));
    if (cls_relay_) cls_relay_->Stop();
    if (cls_store_) cls_store_->Close();
    if (intake_) intake_->Stop(std::chrono::milliseconds(0));
    portfolio_.reset();
    cls_server_.reset();
    cls_log_.reset();
    cls_relay_.reset();
    cls_store_.reset();
    intake_.reset();
    broker_.reset();
  }

  std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }

  std::unique_ptr<grpc::ClientContext> Ctx(const char* token = kOfficeToken) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  std::string Register(const std::string& title, const std::string& area, int64_t cost) {
    iv1::RegisterChangeRequest req;
    req.set_request_id("register-" + title);
    req.mutable_attributes()->set_title(title);
    req.mutable_attributes()->set_business_area(area);
    req.mutable_attributes()->set_sponsor("sro");
    req.mutable_attributes()->add_teams("digital");
    req.mutable_attributes()->set_data_and_digital(true);
    req.mutable_attributes()->mutable_estimated_cost()->set_currency_code("GBP");
    req.mutable_attributes()->mutable_estimated_cost()->set_amount_minor(cost);
    iv1::Change change;
    grpc::Status s = intake_stub_->RegisterChange(Ctx().get(), req, &change);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return change.name().substr(std::string("changes/").size());
  }

  template <typename Msg>
  std::string AppendClassification(const std::string& change_id, const Msg& m) {
    eventstore::AppendRequest req;
    eventstore::StreamAppend write;
    write.stream = "classification-" + change_id;
    eventstore::Envelope e;
    e.set_type(std::string(Msg::descriptor()->full_name()));
    e.set_schema_version(1);
    e.set_actor("office");
    e.set_source("classification");
    e.set_correlation_id("corr-" + change_id);
    SetTime(absl::Now(), e.mutable_occurred_at());
    e.mutable_payload()->PackFrom(m);
    write.events.push_back(e);
    req.writes.push_back(std::move(write));
    auto result = cls_store_->Append(std::move(req));
    EXPECT_TRUE(result.ok()) << result.status();
    auto events = cls_store_->ReadAll(result->first_position, 1);
    EXPECT_TRUE(events.ok() && events->size() == 1);
    return (*events)[0].event_id();
  }

  std::string Suggest(const std::string& id, cls::Tier tier, cls::Complexity c) {
    cls::ClassificationSuggested m;
    m.set_change_id(id);
    m.mutable_suggestion()->mutable_classification()->set_tier(tier);
    m.mutable_suggestion()->mutable_classification()->set_complexity(c);
    return AppendClassification(id, m);
  }

  std::string Override(const std::string& id, cls::Tier tier, cls::Complexity c) {
    cls::ClassificationOverridden m;
    m.set_change_id(id);
    m.mutable_classification()->set_tier(tier);
    m.mutable_classification()->set_complexity(c);
    m.set_rationale("Board review");
    return AppendClassification(id, m);
  }

  grpc::Status Baseline(pb::Baseline* out, std::optional<absl::Time> as_of = std::nullopt) {
    pb::GetBaselineRequest req;
    if (as_of) SetTime(*as_of, req.mutable_as_of());
    return portfolio_stub_->GetBaseline(Ctx().get(), req, out);
  }

  static int64_t Cell(const pb::Baseline& b, cls::Tier t, cls::Complexity c) {
    for (const auto& cell : b.tier_complexity()) {
      if (cell.tier() == t && cell.complexity() == c) return cell.changes();
    }
    return -1;
  }

  pb::StateHash Hash() {
    pb::StateHash h;
    grpc::Status s = portfolio_stub_->GetStateHash(Ctx().get(), pb::GetStateHashRequest(), &h);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return h;
  }

  void RebuildAndWait(pb::RebuildSource source) {
    pb::RebuildRequest req;
    req.set_source(source);
    pb::RebuildStatus status;
    grpc::Status s = portfolio_stub_->Rebuild(Ctx().get(), req, &status);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(status.rebuilding());
    // Queries never see partial figures: either the whole view or UNAVAILABLE.
    pb::Baseline during;
    grpc::Status q = Baseline(&during);
    if (!q.ok()) {
      EXPECT_EQ(q.error_code(), grpc::StatusCode::UNAVAILABLE);
      EXPECT_THAT(q.error_message(), HasSubstr("the view is rebuilding ("));
    }
    ASSERT_TRUE(WaitFor(
        [&] {
          pb::RebuildStatus st;
          return portfolio_stub_->GetRebuildStatus(Ctx().get(), pb::GetRebuildStatusRequest(), &st).ok() &&
                 !st.rebuilding();
        },
        absl::Seconds(60)));
  }

  // Removed last, after every server using it, even when an assertion
  // ends a test early.
  const rpc::testing::TempDir temp_;
  const std::string dir_ = temp_.path().string();
  std::unique_ptr<devbroker::DevBrokerProcess> broker_;
  std::unique_ptr<intake::IntakeServer> intake_;
  std::unique_ptr<eventstore::EventStore> cls_store_;
  std::unique_ptr<bus::OutboxRelay> cls_relay_;
  std::unique_ptr<bus::LogReaderService> cls_log_;
  std::unique_ptr<rpc::Server> cls_server_;
  std::unique_ptr<PortfolioServer> portfolio_;
  std::unique_ptr<iv1::IntakeService::Stub> intake_stub_;
  std::unique_ptr<pb::PortfolioService::Stub> portfolio_stub_;
};

TEST_F(PortfolioE2eTest, BaselineAsOfDiffProvenanceAndRebuildByBothPaths) {
  const std::string a = Register("CONNECT", "MO", 5000000);
  const std::string b = Register("Facial recognition", "MO", 900000);
  const std::string c = Register("NLP proof of concept", "CS", 50000);
  Suggest(a, cls::TIER_TRANSFORMATIONAL, cls::COMPLEXITY_HIGH);
  Suggest(b, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM);
  Suggest(c, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW);

  pb::Baseline now;
  ASSERT_TRUE(WaitFor(
      [&] { return Baseline(&now).ok() && now.total() == 3 && now.unclassified() == 0; },
      absl::Seconds(60)))
      << now.DebugString();
  EXPECT_EQ(Cell(now, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM), 1);
  EXPECT_EQ(Cell(now, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW), 1);
  EXPECT_EQ(now.unconfirmed(), 3);

  const absl::Time before_override = absl::Now();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string override_id = Override(c, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Baseline(&now).ok() &&
               Cell(now, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM) == 2;
      },
      absl::Seconds(30)));
  EXPECT_EQ(Cell(now, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW), 0);
  EXPECT_FALSE(now.pyramid().holds());
  EXPECT_EQ(now.pyramid().most_common(), cls::TIER_MANDATED);

  // As of before the reclassification.
  pb::Baseline then;
  ASSERT_TRUE(Baseline(&then, before_override).ok());
  EXPECT_EQ(Cell(then, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW), 1);
  EXPECT_EQ(Cell(then, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM), 1);
  EXPECT_TRUE(then.stands().has_as_of());
  EXPECT_LE(then.stands().latest_recorded_at().seconds(), absl::ToUnixSeconds(before_override));

  // The diff names the override.
  pb::DiffBaselineRequest dreq;
  SetTime(before_override, dreq.mutable_from());
  SetTime(absl::Now(), dreq.mutable_to());
  pb::BaselineDiff diff;
  ASSERT_TRUE(portfolio_stub_->DiffBaseline(Ctx().get(), dreq, &diff).ok());
  EXPECT_EQ(diff.reclassified(), 1);
  ASSERT_EQ(diff.changes_size(), 1);
  EXPECT_EQ(diff.changes(0).change_id(), c);
  ASSERT_EQ(diff.changes(0).events_size(), 1);
  EXPECT_EQ(diff.changes(0).events(0).event_id(), override_id);
  EXPECT_EQ(diff.changes(0).events(0).actor(), "office");

  // Provenance of the cell.
  pb::GetProvenanceRequest preq;
  preq.mutable_cell()->set_tier(cls::TIER_MANDATED);
  preq.mutable_cell()->set_complexity(cls::COMPLEXITY_MEDIUM);
  pb::Provenance prov;
  ASSERT_TRUE(portfolio_stub_->GetProvenance(Ctx().get(), preq, &prov).ok());
  EXPECT_EQ(prov.count(), Cell(now, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM));
  std::vector<std::string> ids;
  for (const auto& e : prov.changes()) ids.push_back(e.change_id());
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre(b, c));
  for (const auto& e : prov.changes()) {
    ASSERT_GE(e.events_size(), 2);
    EXPECT_EQ(e.events(0).type(), "changeledger.intake.v1.ChangeRegistered");
    EXPECT_EQ(e.events(0).actor(), "office");
  }

  // Audit history across services.
  pb::GetChangeHistoryRequest hreq;
  hreq.set_change_id(c);
  pb::ChangeHistory history;
  ASSERT_TRUE(portfolio_stub_->GetChangeHistory(Ctx().get(), hreq, &history).ok());
  ASSERT_EQ(history.events_size(), 3);
  EXPECT_EQ(history.events(0).source(), "intake");
  EXPECT_EQ(history.events(2).event_id(), override_id);

  // Only admin and portfolio office may rebuild.
  pb::RebuildRequest rreq;
  rreq.set_source(pb::REBUILD_SOURCE_KAFKA);
  pb::RebuildStatus rstatus;
  EXPECT_EQ(portfolio_stub_->Rebuild(Ctx(kProposerToken).get(), rreq, &rstatus).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  const pb::StateHash original = Hash();
  EXPECT_EQ(original.events(), 7u);  // 3 registrations, 3 suggestions, 1 override
  RebuildAndWait(pb::REBUILD_SOURCE_KAFKA);
  // Rebuild finished means each runner reached the end it saw; the last
  // facts may still be in its final group, so wait for them briefly.
  WaitFor([&] { return Hash().events() == original.events(); }, absl::Seconds(20));
  const pb::StateHash from_kafka = Hash();
  EXPECT_EQ(from_kafka.view_hash(), original.view_hash());
  EXPECT_EQ(from_kafka.store_hash(), original.store_hash());
  RebuildAndWait(pb::REBUILD_SOURCE_LOG_READER);
  WaitFor([&] { return Hash().events() == original.events(); }, absl::Seconds(20));
  const pb::StateHash from_log = Hash();
  EXPECT_EQ(from_log.view_hash(), original.view_hash());
  EXPECT_EQ(from_log.store_hash(), original.store_hash());
  EXPECT_EQ(from_log.events(), 7u);
  pb::Baseline after;
  ASSERT_TRUE(Baseline(&after).ok());
  EXPECT_EQ(Cell(after, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM), 2);
}

// What an auditor reads in the portfolio's history of an imported change:
// as of when its return stood, and why it was amended, as intake recorded
// them.
TEST_F(PortfolioE2eTest, HistorySaysWhenTheReturnStoodAndWhyTheChangeWasAmended) {
  iv1::ImportReturnRequest message;
  message.set_return_reference("MO-2021-05-12");
  message.mutable_as_of()->set_year(2021);
  message.mutable_as_of()->set_month(5);
  message.mutable_as_of()->set_day(12);
  iv1::ReturnRecord* record = message.add_records();
  record->set_record_reference("row 7");
  record->mutable_attributes()->set_title("NUMS contract renewal");
  record->mutable_attributes()->set_business_area("MO");
  record->mutable_attributes()->set_sponsor("sro");
  iv1::ImportReturnResponse imported;
  auto context = Ctx();
  auto writer = intake_stub_->ImportReturn(context.get(), &imported);
  ASSERT_TRUE(writer->Write(message));
  ASSERT_TRUE(writer->WritesDone());
  grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(imported.registered_count(), 1);
  const std::string change = imported.results(0).change();

  iv1::AmendChangeRequest amend;
  amend.set_name(change);
  amend.mutable_attributes()->add_teams("Procurement");
  amend.mutable_update_mask()->add_paths("teams");
  amend.set_reason("Procurement joined when the tender was split");
  iv1::Change amended;
  status = intake_stub_->AmendChange(Ctx().get(), amend, &amended);
  ASSERT_TRUE(status.ok()) << status.error_message();

  pb::GetChangeHistoryRequest hreq;
  hreq.set_change_id(change.substr(std::string("changes/").size()));
  pb::ChangeHistory history;
  ASSERT_TRUE(WaitFor(
      [&] {
        return portfolio_stub_->GetChangeHistory(Ctx().get(), hreq, &history).ok() &&
               history.events_size() == 2;
      },
      absl::Seconds(60)))
      << history.DebugString();
  EXPECT_THAT(history.events(0).summary(),
              HasSubstr("return=\"MO-2021-05-12\" record=\"row 7\" as_of=2021-05-12"));
  EXPECT_THAT(history.events(1).summary(),
              ::testing::StartsWith(
                  "changed=teams reason=\"Procurement joined when the tender was split\""));
  EXPECT_EQ(history.events(1).actor(), "office");
}

}  // namespace
}  // namespace changeledger::portfolio
