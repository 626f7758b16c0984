// The service in process: envelopes through the adapters and the projection
// into the view, then the gRPC handlers called directly.
#include "changeledger/portfolio/portfolio_service.h"

#include <grpcpp/server_context.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/first_bytes_listener.h"
#include "changeledger/bus/projection.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/portfolio/fact_codec.h"
#include "changeledger/portfolio/portfolio_server.h"
#include "changeledger/portfolio/prefixed_store.h"
#include "changeledger/rpc/temp_dir.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service_test_support.h"

namespace changeledger::portfolio {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// The summary of each event in the history of change `id`, oldest first.
std::vector<std::string> HistorySummaries(const PortfolioModel& m,
                                          const std::string& id) {
  std::vector<std::string> out;
  absl::StatusOr<ChangeHistory> h = m.GetChangeHistory(id);
  EXPECT_TRUE(h.ok()) << h.status();
  if (!h.ok()) return out;
  for (const EventView& e : h->events) out.push_back(e.summary);
  return out;
}

class PortfolioServiceTest : public ::testing::Test {
 protected:
  PortfolioServiceTest()
      : adapters_(DefaultAdapters()),
        store_(kv::NewInMemoryKvStore()),
        view_(*store_, bus::ProjectionKeyPrefix(PortfolioProjection::kName)),
        projection_(&adapters_, &holder_),
        service_(&holder_, &control_) {}

  void Feed(const std::vector<bus::Envelope>& events) {
    kv::Transaction txn(view_);
    for (const auto& e : events) ASSERT_TRUE(projection_.Apply(e, txn).ok());
    ASSERT_TRUE(txn.Commit(false).ok());
  }

  void FeedExample() {
    Feed({make_.Registered("c1", Day(1), "MO", 500), make_.Registered("c2", Day(1), "DI", 900),
          make_.Suggested("c1", Day(2), cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW),
          make_.Suggested("c2", Day(2), cls::TIER_MANDATED, cls::COMPLEXITY_HIGH),
          make_.Overridden("c1", Day(10), cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM)});
  }

  int64_t Cell(const pb::Baseline& b, cls::Tier t, cls::Complexity c) {
    for (const auto& cell : b.tier_complexity()) {
      if (cell.tier() == t && cell.complexity() == c) return cell.changes();
    }
    ADD_FAILURE() << "no cell";
    return -1;
  }

  grpc::ServerContext ctx_;
  EnvelopeMaker make_;
  AdapterRegistry adapters_;
  std::unique_ptr<kv::KvStore> store_;
  PrefixedStore view_;
  ModelHolder holder_;
  PortfolioProjection projection_;
  FakeControl control_;
  PortfolioServiceImpl service_;
};

TEST_F(PortfolioServiceTest, BaselineNowAndAsOfBeforeReclassification) {
  FeedExample();
  pb::GetBaselineRequest req;
  pb::Baseline now;
  ASSERT_TRUE(service_.GetBaseline(&ctx_, &req, &now).ok());
  EXPECT_EQ(now.total(), 2);
  EXPECT_EQ(Cell(now, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM), 1);
  EXPECT_EQ(Cell(now, cls::TIER_MANDATED, cls::COMPLEXITY_HIGH), 1);
  EXPECT_EQ(Cell(now, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW), 0);
  EXPECT_FALSE(now.stands().has_as_of());
  EXPECT_EQ(now.stands().latest_recorded_at().seconds(), absl::ToUnixSeconds(Day(10)));
  EXPECT_EQ(now.unconfirmed(), 1);  // c2: a suggestion only
  EXPECT_FALSE(now.pyramid().holds());
  EXPECT_EQ(now.pyramid().most_common(), cls::TIER_MANDATED);
  ASSERT_EQ(now.top_mandated_size(), 2);
  EXPECT_EQ(now.top_mandated(0).business_area(), "DI");
  EXPECT_EQ(now.top_mandated(0).changes(0).estimated_cost().amount_minor(), 900);
  ASSERT_EQ(now.tiers_size(), 5);
  EXPECT_EQ(now.tiers(1).tier(), cls::TIER_MANDATED);
  EXPECT_DOUBLE_EQ(now.tiers(1).data_and_digital_share(), 1.0);

  SetTime(Day(9), req.mutable_as_of());
  pb::Baseline before;
  ASSERT_TRUE(service_.GetBaseline(&ctx_, &req, &before).ok());
  EXPECT_EQ(Cell(before, cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW), 1);
  EXPECT_EQ(Cell(before, cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM), 0);
  EXPECT_EQ(before.stands().as_of().seconds(), absl::ToUnixSeconds(Day(9)));
  EXPECT_EQ(before.stands().latest_recorded_at().seconds(), absl::ToUnixSeconds(Day(2)));
}

TEST_F(PortfolioServiceTest, DiffProvenanceAndHistory) {
  FeedExample();
  Feed({make_.Closed("c2", Day(11))});
  pb::DiffBaselineRequest dreq;
  SetTime(Day(5), dreq.mutable_from());
  SetTime(Day(12), dreq.mutable_to());
  pb::BaselineDiff diff;
  ASSERT_TRUE(service_.DiffBaseline(&ctx_, &dreq, &diff).ok());
  EXPECT_EQ(diff.reclassified(), 1);
  EXPECT_EQ(diff.left(), 1);
  ASSERT_EQ(diff.changes_size(), 2);
  EXPECT_EQ(diff.changes(0).change_id(), "c1");
  EXPECT_EQ(diff.changes(0).kinds(0), pb::DIFF_KIND_RECLASSIFIED);
  EXPECT_EQ(diff.changes(0).before().complexity(), cls::COMPLEXITY_LOW);
  EXPECT_EQ(diff.changes(0).after().complexity(), cls::COMPLEXITY_MEDIUM);
  ASSERT_EQ(diff.changes(0).events_size(), 1);
  EXPECT_EQ(diff.changes(0).events(0).type(), "changeledger.classification.v1.ClassificationOverridden");
  EXPECT_EQ(diff.changes(0).events(0).actor(), "officer");

  pb::GetProvenanceRequest preq;
  preq.mutable_cell()->set_tier(cls::TIER_MANDATED);
  preq.mutable_cell()->set_complexity(cls::COMPLEXITY_MEDIUM);
  pb::Provenance prov;
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &preq, &prov).ok());
  EXPECT_EQ(prov.count(), 1);
  ASSERT_EQ(prov.changes_size(), 1);
  EXPECT_EQ(prov.changes(0).change_id(), "c1");
  ASSERT_EQ(prov.changes(0).events_size(), 2);  // registration, override
  EXPECT_EQ(prov.changes(0).events(1).summary(),
            "tier=MANDATED complexity=MEDIUM types=NONE rationale=\"review\"");

  pb::GetChangeHistoryRequest hreq;
  hreq.set_change_id("c1");
  pb::ChangeHistory history;
  ASSERT_TRUE(service_.GetChangeHistory(&ctx_, &hreq, &history).ok());
  ASSERT_EQ(history.events_size(), 3);
  EXPECT_EQ(history.events(0).source(), "intake");
  EXPECT_EQ(history.events(1).source(), "classification");
  EXPECT_EQ(history.events(0).occurred_at().seconds(), absl::ToUnixSeconds(Day(1) - absl::Hours(1)));
  EXPECT_EQ(history.events(0).correlation_id(), "corr-1");
  hreq.set_change_id("nope");
  EXPECT_EQ(service_.GetChangeHistory(&ctx_, &hreq, &history).error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PortfolioServiceTest, InvalidArgumentsNameTheField) {
  FeedExample();
  pb::DiffBaselineRequest dreq;
  SetTime(Day(12), dreq.mutable_from());
  SetTime(Day(5), dreq.mutable_to());
  pb::BaselineDiff diff;
  grpc::Status s = service_.DiffBaseline(&ctx_, &dreq, &diff);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("from"));
  dreq.clear_to();
  EXPECT_THAT(service_.DiffBaseline(&ctx_, &dreq, &diff).error_message(), HasSubstr("to: required"));

  pb::GetBaselineRequest breq;
  breq.add_statuses(static_cast<intake::ChangeStatus>(9));
  pb::Baseline b;
  s = service_.GetBaseline(&ctx_, &breq, &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("statuses[0]"));
  breq.clear_statuses();
  breq.mutable_as_of()->set_nanos(-1);
  EXPECT_THAT(service_.GetBaseline(&ctx_, &breq, &b).error_message(), HasSubstr("as_of"));

  pb::ListFrontDoorActivityRequest freq;
  freq.set_from_month("2021-13");
  pb::FrontDoorActivity fd;
  EXPECT_THAT(service_.ListFrontDoorActivity(&ctx_, &freq, &fd).error_message(), HasSubstr("from_month"));

  pb::GetProvenanceRequest preq;
  preq.set_page_token("garbage");
  pb::Provenance p;
  EXPECT_THAT(service_.GetProvenance(&ctx_, &preq, &p).error_message(), HasSubstr("page_token"));

  pb::RebuildRequest rreq;
  pb::RebuildStatus rs;
  EXPECT_THAT(service_.Rebuild(&ctx_, &rreq, &rs).error_message(), HasSubstr("source"));
  EXPECT_EQ(control_.rebuilds, 0);
}

TEST_F(PortfolioServiceTest, FrontDoorMonthsAreExactlyYyyyDashMm) {
  pb::FrontDoorActivity fd;
  for (const char* month : {" 202-01", "+202-01", "2021-+1", "2021- 1", "2021-1 ", "-001-01"}) {
    pb::ListFrontDoorActivityRequest req;
    req.set_from_month(month);
    const grpc::Status from = service_.ListFrontDoorActivity(&ctx_, &req, &fd);
    EXPECT_EQ(from.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << month;
    EXPECT_THAT(from.error_message(), HasSubstr("from_month: expected YYYY-MM")) << month;
    req.clear_from_month();
    req.set_to_month(month);
    EXPECT_THAT(service_.ListFrontDoorActivity(&ctx_, &req, &fd).error_message(),
                HasSubstr("to_month: expected YYYY-MM"))
        << month;
  }
  pb::ListFrontDoorActivityRequest req;
  req.set_from_month("0001-01");
  req.set_to_month("2021-12");
  EXPECT_TRUE(service_.ListFrontDoorActivity(&ctx_, &req, &fd).ok());
}

TEST_F(PortfolioServiceTest, FrontDoorActivityFiltersByBusinessArea) {
  Feed({make_.Submitted("p1", Day(1), "MO"), make_.Submitted("p2", Day(2), "DI"),
        make_.Submitted("p3", Day(3), "MO")});
  auto submitted = [&](const pb::ListFrontDoorActivityRequest& req) {
    pb::FrontDoorActivity fd;
    const grpc::Status s = service_.ListFrontDoorActivity(&ctx_, &req, &fd);
    EXPECT_TRUE(s.ok()) << s.error_message();
    int64_t n = 0;
    for (const auto& p : fd.periods()) n += p.submitted();
    return n;
  };
  pb::ListFrontDoorActivityRequest req;
  EXPECT_EQ(submitted(req), 3);
  req.set_business_area("MO");
  EXPECT_EQ(submitted(req), 2);
  req.set_business_area("PS");
  EXPECT_EQ(submitted(req), 0);
}

TEST_F(PortfolioServiceTest, ProvenancePagesThroughTheCell) {
  std::vector<bus::Envelope> events;
  for (int i = 0; i < 5; ++i) events.push_back(make_.Registered(absl::StrCat("c", i), Day(1), "MO"));
  Feed(events);
  pb::GetProvenanceRequest req;
  req.mutable_cell()->set_business_area("MO");
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    pb::Provenance p;
    ASSERT_TRUE(service_.GetProvenance(&ctx_, &req, &p).ok());
    EXPECT_EQ(p.count(), 5);
    for (const auto& c : p.changes()) seen.push_back(c.change_id());
    if (p.next_page_token().empty()) break;
    req.set_page_token(p.next_page_token());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre("c0", "c1", "c2", "c3", "c4"));
}

TEST_F(PortfolioServiceTest, ReadsAnswerUnavailableWhileRebuilding) {
  FeedExample();
  control_.info.rebuilding = true;
  control_.info.events_applied = 3;
  control_.info.events_total = 10;
  pb::GetBaselineRequest req;
  pb::Baseline b;
  grpc::Status s = service_.GetBaseline(&ctx_, &req, &b);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(s.error_message(), "the view is rebuilding (3 of 10 events)");
  EXPECT_EQ(b.total(), 0);
  pb::GetRebuildStatusRequest sreq;
  pb::RebuildStatus status;
  ASSERT_TRUE(service_.GetRebuildStatus(&ctx_, &sreq, &status).ok());
  EXPECT_TRUE(status.rebuilding());
  EXPECT_EQ(status.events_applied(), 3u);
  pb::GetStateHashRequest hreq;
  pb::StateHash hash;
  ASSERT_TRUE(service_.GetStateHash(&ctx_, &hreq, &hash).ok());
  EXPECT_TRUE(hash.rebuilding());
  EXPECT_EQ(hash.store_hash(), "000000000000002a");
  control_.info.rebuilding = false;
  EXPECT_TRUE(service_.GetBaseline(&ctx_, &req, &b).ok());
}

TEST_F(PortfolioServiceTest, RebuildIsForAdminAndPortfolioOfficeOnly) {
  const rpc::MethodPolicy policy = PortfolioMethodPolicy();
  const auto& rebuild = policy.at("/changeledger.portfolio.v1.PortfolioService/Rebuild");
  EXPECT_EQ(rebuild, (std::set<rpc::Role>{rpc::Role::kAdmin, rpc::Role::kPortfolioOffice}));
  const auto& read = policy.at("/changeledger.portfolio.v1.PortfolioService/GetBaseline");
  EXPECT_EQ(read.size(), rpc::AllRoles().size());
  EXPECT_EQ(read.count(rpc::Role::kAuditor), 1u);
  pb::RebuildRequest req;
  req.set_source(pb::REBUILD_SOURCE_LOG_READER);
  pb::RebuildStatus status;
  ASSERT_TRUE(service_.Rebuild(&ctx_, &req, &status).ok());
  EXPECT_TRUE(status.rebuilding());
  EXPECT_EQ(status.source(), pb::REBUILD_SOURCE_LOG_READER);
}

// The stored facts rebuild the same view, and the store's hash does not
// depend on how the two sources interleaved.
TEST_F(PortfolioServiceTest, StoredFactsReloadToTheSameStateWhateverTheInterleaving) {
  std::vector<bus::Envelope> events = {
      make_.Registered("c1", Day(1), "MO", 500), make_.Registered("c2", Day(1), "DI", 900),
      make_.Suggested("c1", Day(2), cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW),
      make_.Overridden("c1", Day(10), cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM),
      make_.Closed("c2", Day(11))};
  Feed(events);
  ModelHolder reloaded;
  auto n = PortfolioProjection::Load(*store_, reloaded);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 5u);
  const auto hash = [](ModelHolder& h) { return h.Read([](const PortfolioModel& m) { return m.StateHash(); }); };
  EXPECT_EQ(hash(reloaded), hash(holder_));

  auto other_store = kv::NewInMemoryKvStore();
  PrefixedStore other_view(*other_store, bus::ProjectionKeyPrefix(PortfolioProjection::kName));
  ModelHolder other;
  PortfolioProjection other_projection(&adapters_, &other);
  kv::Transaction txn(other_view);
  for (int i : {2, 3, 0, 1, 4}) ASSERT_TRUE(other_projection.Apply(events[i], txn).ok());
  ASSERT_TRUE(txn.Commit(false).ok());
  EXPECT_EQ(hash(other), hash(holder_));
  auto a = bus::ProjectionStateHash(*store_, PortfolioProjection::kName);
  auto b = bus::ProjectionStateHash(*other_store, PortfolioProjection::kName);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(FactCodecTest, RoundTripsAndRejectsDamage) {
  Fact f;
  f.kind = FactKind::kChangeAmended;
  f.meta.event_id = "e1";
  f.meta.type = "t";
  f.meta.source = "intake";
  f.meta.stream = "change-1";
  f.meta.version = 3;
  f.meta.global_position = 77;
  f.meta.recorded_at = absl::FromUnixMicros(1234567);
  f.meta.occurred_at = absl::FromUnixMicros(-5);
  f.change_id = "1";
  f.attributes.teams = {"a", "b"};
  f.attributes.estimated_cost_minor = -12;
  f.attributes.data_and_digital = true;
  f.classification.complexity_types = 5;
  const std::string bytes = EncodeFact(f);
  auto back = DecodeFact(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(EncodeFact(*back), bytes);
  EXPECT_EQ(back->meta.occurred_at, f.meta.occurred_at);
  EXPECT_EQ(back->attributes.teams, f.attributes.teams);
  EXPECT_EQ(FactKey(f), "f/intake/000000000000004d");
  EXPECT_EQ(DecodeFact(bytes.substr(0, bytes.size() - 1)).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeFact(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeFact("\x09").status().code(), absl::StatusCode::kDataLoss);
}

// Format 3 keeps what the history and the figures need: nanoseconds, the
// currency, the suggestion version, the words and the changed paths.
TEST(FactCodecTest, KeepsNanosecondsCurrencyAndTheHistorysWords) {
  Fact f;
  f.kind = FactKind::kChangeAmended;
  f.meta.event_id = "e1";
  f.meta.type = "changeledger.intake.v1.ChangeAmended";
  f.meta.source = "intake";
  f.meta.stream = "change-1";
  f.meta.version = 2;
  f.meta.global_position = 9;
  f.meta.recorded_at = absl::FromUnixNanos(1795753928646734412);
  f.meta.occurred_at = absl::FromUnixNanos(1795753928000000001);
  f.change_id = "1";
  f.attributes.currency_code = "EUR";
  f.suggestion_version = 7;
  f.note = "why";
  f.changed_paths = {"title", "teams"};
  auto back = DecodeFact(EncodeFact(f));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(IsCurrentFactFormat(EncodeFact(f)));
  EXPECT_EQ(back->meta.recorded_at, f.meta.recorded_at);
  EXPECT_EQ(back->meta.occurred_at, f.meta.occurred_at);
  EXPECT_EQ(back->attributes.currency_code, "EUR");
  EXPECT_EQ(back->suggestion_version, 7u);
  EXPECT_EQ(back->note, "why");
  EXPECT_EQ(back->changed_paths, f.changed_paths);
  f.kind = FactKind::kClassificationClosed;
  EXPECT_EQ(DecodeFact(EncodeFact(f))->kind, FactKind::kClassificationClosed);
}

TEST(FactCodecTest, StoresUuidsPackedAndGivesBackEveryString) {
  Fact f;
  f.kind = FactKind::kChangeRegistered;
  f.meta.event_id = "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f5";
  f.meta.type = "changeledger.intake.v1.ChangeRegistered";
  f.meta.source = "intake";
  f.meta.stream = "change-7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  f.meta.version = 1;
  f.meta.global_position = 1ull << 40;
  f.meta.actor = "proposer-7";
  f.meta.correlation_id = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  // Not canonical (upper case), not a UUID, empty: kept as text.
  f.meta.causation_id = "0F6C2D3E-4B5A-4C7D-8E9F-A0B1C2D3E4F5";
  f.change_id = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  f.proposal_id = "";
  f.attributes.title = "Title";
  f.attributes.business_area = "MO";
  f.attributes.teams = {"team-001", "team-002"};
  const std::string bytes = EncodeFact(f);
  // The same fact with no canonical UUID (upper case) and an unknown type
  // is stored as text: each id takes 21 bytes more (a tag and 16 bytes,
  // against a length and 36), the stream 20 and the type 41.
  Fact text = f;
  for (std::string* s : {&text.meta.event_id, &text.meta.stream, &text.meta.correlation_id, &text.change_id}) {
    for (char& c : *s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  text.meta.type = "changeledger.intake.v1.ChangeRegisteredX";
  EXPECT_EQ(EncodeFact(text).size(), bytes.size() + 3 * 21 + 20 + 41);
  auto back = DecodeFact(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->meta.event_id, f.meta.event_id);
  EXPECT_EQ(back->meta.type, f.meta.type);
  EXPECT_EQ(back->meta.stream, f.meta.stream);
  EXPECT_EQ(back->meta.correlation_id, f.meta.correlation_id);
  EXPECT_EQ(back->meta.causation_id, f.meta.causation_id);
  EXPECT_EQ(back->change_id, f.change_id);
  EXPECT_EQ(back->proposal_id, "");
  EXPECT_EQ(back->meta.global_position, f.meta.global_position);
  EXPECT_EQ(back->attributes.teams, f.attributes.teams);
  EXPECT_EQ(EncodeFact(*back), bytes);

  // An unknown type, a stream that is only a UUID, ids that are almost UUIDs.
  f.meta.type = "changeledger.benefits.v1.BenefitRecorded";
  f.meta.stream = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  f.meta.event_id = "0f6c2d3e-4b5a-4c7d-8e9f-a0b1c2d3e4f";
  f.change_id = "7a8b9c0d_1e2f-4a3b-8c4d-5e6f7a8b9c0d";
  auto other = DecodeFact(EncodeFact(f));
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->meta.type, f.meta.type);
  EXPECT_EQ(other->meta.stream, f.meta.stream);
  EXPECT_EQ(other->meta.event_id, f.meta.event_id);
  EXPECT_EQ(other->change_id, f.change_id);
  // A bad id tag is damage.
  std::string damaged = bytes;
  damaged[2] = '\x07';  // the event id's tag
  EXPECT_EQ(DecodeFact(damaged).status().code(), absl::StatusCode::kDataLoss);
}

TEST(FactCodecTest, ReadsFactsStoredInFormatOne) {
  // A fact as format 1 stored it (every string as text).
  auto str = [](std::string_view s) { return std::string(1, static_cast<char>(s.size())) + std::string(s); };
  std::string v1;
  v1 += '\x01';  // format 1
  v1 += '\x08';  // kClassificationConfirmed
  v1 += str("e-1") + str("changeledger.classification.v1.ClassificationConfirmed") + str("classification") +
        str("classification-7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d");
  v1 += '\x02';              // version
  v1 += '\x05';              // global position
  v1 += '\x02';              // occurred_at: +1 us
  v1 += '\x04';              // recorded_at: +2 us
  v1 += str("officer-1") + str("") + str("") + str("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d") + str("");
  v1 += str("") + str("");   // title, area
  v1 += '\x00';              // teams
  v1 += '\x00';              // data and digital
  v1 += '\x00';              // cost
  v1 += '\x00';              // status
  v1 += '\x02';              // tier MANDATED
  v1 += '\x03';              // complexity LOW
  v1 += '\x01';              // types
  v1 += '\x00';              // outcome
  v1 += str("");             // proposal business area
  auto f = DecodeFact(v1);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->kind, FactKind::kClassificationConfirmed);
  EXPECT_EQ(f->meta.event_id, "e-1");
  EXPECT_EQ(f->meta.type, "changeledger.classification.v1.ClassificationConfirmed");
  EXPECT_EQ(f->meta.stream, "classification-7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d");
  EXPECT_EQ(f->meta.version, 2u);
  EXPECT_EQ(f->meta.global_position, 5u);
  EXPECT_EQ(f->meta.recorded_at, absl::FromUnixMicros(2));
  EXPECT_EQ(f->change_id, "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d");
  EXPECT_EQ(f->classification.tier, Tier::kMandated);
  EXPECT_EQ(f->classification.complexity, Complexity::kLow);
  EXPECT_EQ(f->classification.complexity_types, kStructural);
  // Re-encoded in the current format, it decodes to the same fact.
  auto again = DecodeFact(EncodeFact(*f));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(EncodeFact(*again), EncodeFact(*f));
  EXPECT_EQ(again->meta.stream, f->meta.stream);
  EXPECT_EQ(DecodeFact(v1.substr(0, v1.size() - 1)).status().code(), absl::StatusCode::kDataLoss);
}

// Withdrawals were stored as history only ("other") before they had a
// kind of their own: read back, they count as withdrawals.
TEST(FactCodecTest, AWithdrawalStoredInAnEarlierFormatIsAWithdrawal) {
  auto str = [](std::string_view s) { return std::string(1, static_cast<char>(s.size())) + std::string(s); };
  std::string v1;
  v1 += '\x01';  // format 1
  v1 += '\x06';  // kProposalOther
  v1 += str("e-1") + str("changeledger.intake.v1.ProposalWithdrawn") + str("intake") + str("proposal-p1");
  v1 += '\x02';  // version
  v1 += '\x05';  // global position
  v1 += '\x02';  // occurred_at
  v1 += '\x04';  // recorded_at
  v1 += str("alice") + str("") + str("") + str("") + str("p1");
  v1 += str("") + str("");
  v1 += std::string(8, '\x00');  // teams .. outcome
  v1 += str("");
  auto f = DecodeFact(v1);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(IsCurrentFactFormat(v1));
  EXPECT_EQ(f->kind, FactKind::kProposalWithdrawn);
  EXPECT_EQ(f->proposal_id, "p1");
}

TEST(AdaptersTest, DecodingIntoAReusedFactEqualsDecodingAfresh) {
  const AdapterRegistry adapters = DefaultAdapters();
  EnvelopeMaker maker;
  intake::ChangeRegistered registered;
  registered.set_change_id("c1");
  registered.mutable_origin()->set_proposal_id("p1");
  registered.mutable_attributes()->set_title("A long title that does not fit in place");
  registered.mutable_attributes()->set_business_area("MO");
  registered.mutable_attributes()->add_teams("team-a");
  registered.mutable_attributes()->set_data_and_digital(true);
  registered.mutable_attributes()->mutable_estimated_cost()->set_amount_minor(500);
  cls::ClassificationSuggested suggested;
  suggested.set_change_id("c1");
  suggested.mutable_suggestion()->mutable_classification()->set_tier(cls::TIER_MANDATED);
  intake::ProposalDecided decided;
  decided.set_proposal_id("p1");
  decided.set_outcome(intake::DECISION_OUTCOME_REJECTED);
  const std::vector<bus::Envelope> events = {
      maker.Make("intake", "change-c1", Day(1), registered),
      maker.Make("classification", "classification-c1", Day(2), suggested),
      maker.Make("intake", "proposal-p1", Day(3), decided),
      maker.Make("intake", "change-c1", Day(4), registered),
  };
  Fact reused;
  for (const bus::Envelope& e : events) {
    auto fresh = adapters.Decode(e);
    ASSERT_TRUE(fresh.ok() && fresh->has_value()) << fresh.status();
    auto carries = adapters.DecodeInto(e, reused);
    ASSERT_TRUE(carries.ok() && *carries) << carries.status();
    // Nothing of the previous event's fact is left over.
    EXPECT_EQ(EncodeFact(reused), EncodeFact(**fresh)) << e.type();
  }
}

TEST(AdaptersTest, ASubmissionCarriesItsBusinessArea) {
  const AdapterRegistry adapters = DefaultAdapters();
  EnvelopeMaker maker;
  intake::ProposalSubmitted submitted;
  submitted.set_proposal_id("p1");
  submitted.set_business_area("MO");
  auto fact = adapters.Decode(maker.Make("intake", "proposal-p1", Day(1), submitted));
  ASSERT_TRUE(fact.ok() && fact->has_value()) << fact.status();
  EXPECT_EQ((*fact)->kind, FactKind::kProposalSubmitted);
  EXPECT_EQ((*fact)->proposal_id, "p1");
  EXPECT_EQ((*fact)->proposal_business_area, "MO");
}

TEST(AdaptersTest, UnknownTypesAreSkippedAndBadPayloadsAreDataLoss) {
  const AdapterRegistry adapters = DefaultAdapters();
  EXPECT_THAT(adapters.topics(),
              ::testing::ElementsAre("changeledger.intake.v1", "changeledger.classification.v1"));
  bus::Envelope e;
  e.set_type("changeledger.benefits.v1.BenefitRecorded");
  auto none = adapters.Decode(e);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  e.set_type("changeledger.intake.v1.ChangeRegistered");
  cls::ClassificationSuggested wrong;
  e.mutable_payload()->PackFrom(wrong);
  EXPECT_EQ(adapters.Decode(e).status().code(), absl::StatusCode::kDataLoss);
  intake::ChangeRegistered empty_id;
  e.mutable_payload()->PackFrom(empty_id);
  EXPECT_EQ(adapters.Decode(e).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(PortfolioServiceTest, CostsAreReportedInTheCurrencyTheEventCarried) {
  bus::Envelope eur = make_.Registered("c1", Day(1), "MO", 700);
  intake::ChangeRegistered m;
  ASSERT_TRUE(eur.payload().UnpackTo(&m));
  m.mutable_attributes()->mutable_estimated_cost()->set_currency_code("EUR");
  eur.mutable_payload()->PackFrom(m);
  bus::Envelope gbp = make_.Registered("c2", Day(1), "MO", 500);
  ASSERT_TRUE(gbp.payload().UnpackTo(&m));
  m.mutable_attributes()->mutable_estimated_cost()->set_currency_code("GBP");
  gbp.mutable_payload()->PackFrom(m);
  Feed({eur, gbp, make_.Suggested("c1", Day(2), cls::TIER_MANDATED, cls::COMPLEXITY_LOW),
        make_.Suggested("c2", Day(2), cls::TIER_MANDATED, cls::COMPLEXITY_LOW)});

  pb::GetBaselineRequest req;
  pb::Baseline b;
  ASSERT_TRUE(service_.GetBaseline(&ctx_, &req, &b).ok());
  ASSERT_EQ(b.top_mandated_size(), 1);
  ASSERT_EQ(b.top_mandated(0).changes_size(), 2);
  // GBP first: 700 EUR is not "more" than 500 GBP.
  EXPECT_EQ(b.top_mandated(0).changes(0).change_id(), "c2");
  EXPECT_EQ(b.top_mandated(0).changes(0).estimated_cost().currency_code(), "GBP");
  EXPECT_EQ(b.top_mandated(0).changes(1).estimated_cost().currency_code(), "EUR");
  EXPECT_EQ(b.top_mandated(0).changes(1).estimated_cost().amount_minor(), 700);

  pb::GetChangeHistoryRequest hreq;
  hreq.set_change_id("c1");
  pb::ChangeHistory h;
  ASSERT_TRUE(service_.GetChangeHistory(&ctx_, &hreq, &h).ok());
  EXPECT_EQ(h.current().estimated_cost().currency_code(), "EUR");

  pb::GetProvenanceRequest preq;
  preq.mutable_cell()->set_business_area("MO");
  pb::Provenance p;
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &preq, &p).ok());
  ASSERT_EQ(p.changes_size(), 2);
  EXPECT_EQ(p.changes(0).state().estimated_cost().currency_code(), "EUR");
}

TEST_F(PortfolioServiceTest, WithdrawnProposalsAreCountedAndNoLongerPending) {
  Feed({make_.Submitted("p1", Day(2), "DLS"), make_.Submitted("p2", Day(3), "DLS"),
        make_.Withdrawn("p1", Day(4))});
  pb::ListFrontDoorActivityRequest req;
  req.set_business_area("DLS");
  pb::FrontDoorActivity fd;
  ASSERT_TRUE(service_.ListFrontDoorActivity(&ctx_, &req, &fd).ok());
  ASSERT_EQ(fd.periods_size(), 1);
  EXPECT_EQ(fd.periods(0).submitted(), 2);
  EXPECT_EQ(fd.periods(0).pending(), 1);
  EXPECT_EQ(fd.periods(0).withdrawn(), 1);
}

TEST_F(PortfolioServiceTest, ProvenanceOfAConfirmedChangeIncludesTheConfirmedSuggestion) {
  Feed({make_.Registered("c1", Day(1), "FP"),
        make_.Suggested("c1", Day(2), cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM),  // version 1
        make_.Confirmed("c1", Day(3), cls::TIER_MANDATED, cls::COMPLEXITY_MEDIUM, 1)});
  pb::GetProvenanceRequest req;
  req.mutable_cell()->set_tier(cls::TIER_MANDATED);
  req.mutable_cell()->set_complexity(cls::COMPLEXITY_MEDIUM);
  req.mutable_cell()->set_business_area("FP");
  pb::Provenance p;
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &req, &p).ok());
  ASSERT_EQ(p.changes_size(), 1);
  std::vector<std::string> types;
  for (const auto& e : p.changes(0).events()) types.push_back(e.type().substr(e.type().rfind('.') + 1));
  EXPECT_THAT(types, ::testing::ElementsAre("ChangeRegistered", "ClassificationSuggested",
                                            "ClassificationConfirmed"));
}

TEST_F(PortfolioServiceTest, HistoryIsThisChangesEventsToTheNanosecond) {
  bus::Envelope registered = make_.Registered("c1", Day(1), "MO");
  registered.mutable_recorded_at()->set_nanos(646734412);
  Feed({registered, make_.Closed("c1", Day(4)), make_.ClassificationClosed("c1", Day(5)),
        make_.Registered("c2", Day(9), "MO")});
  pb::GetChangeHistoryRequest req;
  req.set_change_id("c1");
  pb::ChangeHistory h;
  ASSERT_TRUE(service_.GetChangeHistory(&ctx_, &req, &h).ok());
  ASSERT_EQ(h.events_size(), 3);
  EXPECT_EQ(h.events(0).recorded_at().nanos(), 646734412);
  EXPECT_EQ(h.events(2).type(), "changeledger.classification.v1.ClassificationClosed");
  EXPECT_EQ(h.events(2).summary(), "end=CLOSED");
  EXPECT_EQ(h.stands().latest_recorded_at().seconds(), absl::ToUnixSeconds(Day(5)));

  // An as-of a fraction before the event leaves it out.
  pb::GetBaselineRequest breq;
  SetTime(Day(1), breq.mutable_as_of());
  breq.mutable_as_of()->set_nanos(646734000);
  pb::Baseline b;
  ASSERT_TRUE(service_.GetBaseline(&ctx_, &breq, &b).ok());
  EXPECT_EQ(b.total(), 0);
  EXPECT_EQ(b.stands().as_of().nanos(), 646734000);
  breq.mutable_as_of()->set_nanos(646734412);
  ASSERT_TRUE(service_.GetBaseline(&ctx_, &breq, &b).ok());
  EXPECT_EQ(b.total(), 1);
  EXPECT_EQ(b.stands().latest_recorded_at().nanos(), 646734412);
}

// The history says who decided, when and why, where a change came from,
// how its proposal was scored and what a new title was: the words the
// events carry, also after the view is loaded again from its store.
TEST_F(PortfolioServiceTest, HistorySaysWhyAChangeWasApprovedAndWhereItCameFrom) {
  intake::AssessmentRecorded assessed;
  assessed.set_proposal_id("p1");
  assessed.mutable_assessment()->set_assessor("panel-1");
  assessed.mutable_assessment()->mutable_desirable()->set_score(4);
  assessed.mutable_assessment()->mutable_deliverable()->set_score(3);
  assessed.mutable_assessment()->mutable_affordable()->set_score(2);
  intake::ProposalDecided decided;
  decided.set_proposal_id("p1");
  decided.set_outcome(intake::DECISION_OUTCOME_APPROVED);
  decided.add_conditions("benefits profile by Q3");
  decided.add_conditions("quarterly report");
  decided.mutable_meeting_date()->set_year(2021);
  decided.mutable_meeting_date()->set_month(3);
  decided.mutable_meeting_date()->set_day(2);
  decided.set_chair("DAC Corporate Services");
  decided.set_rationale("fits the strategy");
  decided.set_change_id("c1");
  intake::ChangeRegistered approved;
  approved.set_change_id("c1");
  approved.mutable_attributes()->set_title("Digital case file");
  approved.mutable_attributes()->set_business_area("MO");
  approved.mutable_origin()->set_proposal_id("p1");
  intake::ChangeAmended renamed;
  renamed.set_change_id("c1");
  *renamed.mutable_attributes() = approved.attributes();
  renamed.mutable_attributes()->set_title("Digital case file for the CPS");
  renamed.add_changed_paths("title");
  intake::ChangeRegistered direct = approved;
  direct.set_change_id("c2");
  direct.mutable_origin()->set_direct_note("mandated by the board on 1 March");
  intake::ChangeRegistered returned = approved;
  returned.set_change_id("c3");
  returned.mutable_origin()->mutable_return_record()->set_return_reference("MO-2021-05-12");
  returned.mutable_origin()->mutable_return_record()->set_record_reference("row 7");
  Feed({make_.Submitted("p1", Day(1), "MO"), make_.Make("intake", "proposal-p1", Day(2), assessed),
        make_.Make("intake", "proposal-p1", Day(3), decided),
        make_.Make("intake", "change-c1", Day(3), approved),
        make_.Make("intake", "change-c1", Day(4), renamed),
        make_.Make("intake", "change-c2", Day(4), direct),
        make_.Make("intake", "change-c3", Day(4), returned)});

  const auto check = [&](const PortfolioModel& m) {
    EXPECT_THAT(
        HistorySummaries(m, "c1"),
        ElementsAre("business_area=MO", "desirable=4 deliverable=3 affordable=2",
                    "outcome=APPROVED chair=\"DAC Corporate Services\" "
                    "meeting_date=2021-03-02 conditions=\"benefits profile by Q3; "
                    "quarterly report\" rationale=\"fits the strategy\"",
                    HasSubstr("title=\"Digital case file\" business_area=MO"),
                    HasSubstr("changed=title title=\"Digital case file for the CPS\" "
                              "business_area=MO")));
    EXPECT_THAT(
        HistorySummaries(m, "c2"),
        ElementsAre(AllOf(HasSubstr("title=\"Digital case file\""),
                          HasSubstr("note=\"mandated by the board on 1 March\""))));
    EXPECT_THAT(HistorySummaries(m, "c3"),
                ElementsAre(HasSubstr("return=\"MO-2021-05-12\" record=\"row 7\"")));
  };
  holder_.Read([&](const PortfolioModel& m) {
    check(m);
    return 0;
  });
  ModelHolder reloaded;
  ASSERT_TRUE(PortfolioProjection::Load(*store_, reloaded).ok());
  reloaded.Read([&](const PortfolioModel& m) {
    check(m);
    return 0;
  });
}

// An amendment's reason and the date a return's data stands at reach the
// history and the provenance, also after the view is loaded again from its
// store; events recorded before they carried them show neither.
TEST_F(PortfolioServiceTest, HistorySaysWhyAChangeWasAmendedAndWhenItsReturnStood) {
  intake::ChangeRegistered imported;
  imported.set_change_id("c1");
  imported.mutable_attributes()->set_title("NUMS contract renewal");
  imported.mutable_attributes()->set_business_area("MO");
  auto* origin = imported.mutable_origin()->mutable_return_record();
  origin->set_return_reference("MO-2021-05-12");
  origin->set_record_reference("row 7");
  origin->mutable_as_of()->set_year(2021);
  origin->mutable_as_of()->set_month(5);
  origin->mutable_as_of()->set_day(12);
  intake::ChangeAmended amended;
  amended.set_change_id("c1");
  *amended.mutable_attributes() = imported.attributes();
  amended.mutable_attributes()->add_teams("Procurement");
  amended.add_changed_paths("teams");
  amended.set_reason("Procurement joined after the\ntender was split");
  // As recorded before either field existed.
  intake::ChangeRegistered older = imported;
  older.set_change_id("c2");
  older.mutable_origin()->mutable_return_record()->clear_as_of();
  intake::ChangeAmended older_amendment = amended;
  older_amendment.set_change_id("c2");
  older_amendment.clear_reason();
  Feed({make_.Make("intake", "change-c1", Day(1), imported),
        make_.Make("intake", "change-c1", Day(2), amended),
        make_.Make("intake", "change-c2", Day(1), older),
        make_.Make("intake", "change-c2", Day(2), older_amendment)});

  const auto check = [&](const PortfolioModel& m) {
    EXPECT_THAT(
        HistorySummaries(m, "c1"),
        ElementsAre(
            HasSubstr("return=\"MO-2021-05-12\" record=\"row 7\" as_of=2021-05-12"),
            HasSubstr("changed=teams reason=\"Procurement joined after the "
                      "tender was split\" business_area=MO")));
    EXPECT_THAT(HistorySummaries(m, "c2"),
                ElementsAre(AllOf(HasSubstr("return=\"MO-2021-05-12\" record=\"row 7\""),
                                  Not(HasSubstr("as_of="))),
                            AllOf(HasSubstr("changed=teams business_area=MO"),
                                  Not(HasSubstr("reason=")))));
  };
  holder_.Read([&](const PortfolioModel& m) {
    check(m);
    return 0;
  });
  ModelHolder reloaded;
  ASSERT_TRUE(PortfolioProjection::Load(*store_, reloaded).ok());
  reloaded.Read([&](const PortfolioModel& m) {
    check(m);
    return 0;
  });

  // The provenance of the change's figure starts with its registration,
  // which says as of when the return stood.
  pb::GetProvenanceRequest preq;
  preq.mutable_cell()->set_business_area("MO");
  pb::Provenance prov;
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &preq, &prov).ok());
  ASSERT_EQ(prov.changes_size(), 2);
  EXPECT_EQ(prov.changes(0).change_id(), "c1");
  EXPECT_THAT(prov.changes(0).events(0).summary(), HasSubstr("as_of=2021-05-12"));
}

// A suggestion made under a decision it differs from says that it waits
// for review, and an override says which suggestion it set aside, so the
// history explains why the figures keep the decision.
TEST_F(PortfolioServiceTest, HistorySaysWhichSuggestionWasOverriddenAndWhichWaitsForReview) {
  cls::ClassificationOverridden overridden;
  overridden.set_change_id("c1");
  overridden.mutable_classification()->set_tier(cls::TIER_TRANSFORMATIONAL);
  overridden.mutable_classification()->set_complexity(cls::COMPLEXITY_HIGH);
  overridden.set_rationale("a programme");
  overridden.set_suggestion_version(1);
  cls::ClassificationSuggested again;
  again.set_change_id("c1");
  again.mutable_suggestion()->mutable_classification()->set_tier(cls::TIER_EXPERIMENTAL);
  again.mutable_suggestion()->mutable_classification()->set_complexity(cls::COMPLEXITY_LOW);
  again.set_review_required(true);
  Feed({make_.Registered("c1", Day(1), "MO"),
        make_.Suggested("c1", Day(2), cls::TIER_MANDATED, cls::COMPLEXITY_HIGH),
        make_.Make("classification", "classification-c1", Day(3), overridden),
        make_.Make("classification", "classification-c1", Day(4), again)});
  pb::GetChangeHistoryRequest req;
  req.set_change_id("c1");
  pb::ChangeHistory h;
  ASSERT_TRUE(service_.GetChangeHistory(&ctx_, &req, &h).ok());
  ASSERT_EQ(h.events_size(), 4);
  EXPECT_EQ(h.events(1).summary(), "tier=MANDATED complexity=HIGH types=STRUCTURAL");
  EXPECT_EQ(h.events(2).summary(),
            "tier=TRANSFORMATIONAL complexity=HIGH types=NONE suggestion_version=1 "
            "rationale=\"a programme\"");
  EXPECT_EQ(h.events(3).summary(),
            "tier=EXPERIMENTAL complexity=LOW types=NONE review_required=true");
  EXPECT_EQ(h.current().tier(), cls::TIER_TRANSFORMATIONAL);
}

TEST_F(PortfolioServiceTest, EmptyBaselineMakesNoPyramidStatement) {
  Feed({make_.Registered("c1", Day(5), "MO")});
  for (const bool before_any : {true, false}) {
    pb::GetBaselineRequest req;
    if (before_any) SetTime(Day(1), req.mutable_as_of());
    pb::Baseline b;
    ASSERT_TRUE(service_.GetBaseline(&ctx_, &req, &b).ok());
    EXPECT_EQ(b.pyramid().summary(), "no classified changes: nothing to compare");
    EXPECT_FALSE(b.pyramid().holds());
    EXPECT_EQ(b.pyramid().breaks_size(), 0);
    EXPECT_EQ(b.pyramid().most_common(), cls::TIER_UNSPECIFIED);
  }
}

TEST_F(PortfolioServiceTest, ProvenancePageTokensBelongToTheirFilters) {
  std::vector<bus::Envelope> events;
  for (int i = 0; i < 5; ++i) events.push_back(make_.Registered(absl::StrCat("c", i), Day(1), "MO"));
  Feed(events);
  pb::GetProvenanceRequest req;
  req.mutable_cell()->set_business_area("MO");
  req.set_page_size(2);
  pb::Provenance first;
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &req, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());

  for (const std::string token : {"o-5", "o999", "o2", "%%%", "", "YQ"}) {
    if (token.empty()) continue;
    pb::GetProvenanceRequest bad = req;
    bad.set_page_token(token);
    pb::Provenance p;
    const grpc::Status s = service_.GetProvenance(&ctx_, &bad, &p);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << token;
    EXPECT_THAT(s.error_message(), HasSubstr("page_token")) << token;
  }
  pb::GetProvenanceRequest other = req;
  other.mutable_cell()->set_business_area("DI");
  other.set_page_token(first.next_page_token());
  pb::Provenance p;
  grpc::Status s = service_.GetProvenance(&ctx_, &other, &p);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("filters"));

  // Another page size is fine; the next page starts after the last change.
  pb::GetProvenanceRequest next = req;
  next.set_page_size(10);
  next.set_page_token(first.next_page_token());
  ASSERT_TRUE(service_.GetProvenance(&ctx_, &next, &p).ok());
  ASSERT_EQ(p.changes_size(), 3);
  EXPECT_EQ(p.changes(0).change_id(), "c2");
  EXPECT_TRUE(p.next_page_token().empty());
}

TEST_F(PortfolioServiceTest, RebuildStatusSaysWhenTheTotalIsNotKnown) {
  control_.info.rebuilding = true;
  pb::GetBaselineRequest req;
  pb::Baseline b;
  EXPECT_EQ(service_.GetBaseline(&ctx_, &req, &b).error_message(),
            "the view is rebuilding (0 events so far; the total is not known yet)");
  pb::GetRebuildStatusRequest sreq;
  pb::RebuildStatus status;
  ASSERT_TRUE(service_.GetRebuildStatus(&ctx_, &sreq, &status).ok());
  EXPECT_FALSE(status.events_total_known());
  EXPECT_EQ(status.events_total(), 0u);
  control_.info.events_applied = 5;
  control_.info.events_total = 20;
  ASSERT_TRUE(service_.GetRebuildStatus(&ctx_, &sreq, &status).ok());
  EXPECT_TRUE(status.events_total_known());
  EXPECT_EQ(status.message(), "the view is rebuilding (5 of 20 events)");
}

// A real server's options with its data and a portfolio office's token
// in `dir`.
PortfolioServerOptions ServerOptionsIn(const rpc::testing::TempDir& dir) {
  PortfolioServerOptions options;
  options.common.service_name = "portfolio";
  options.common.data_dir = (dir.path() / "portfolio").string();
  options.common.tokens_file = dir.Write(
      "tokens.yaml",
      "tokens:\n  - {principal: office, token: \"office-token-0123456789\", roles: "
      "[portfolio_office]}\n");
  return options;
}

// The real server: a rebuild from a log reader that never answers stays
// running, and a second Rebuild is refused rather than restarting it.
TEST(PortfolioServerTest, RebuildWhileRebuildingIsRefusedNamingTheRunningOne) {
  const rpc::testing::TempDir dir;
  PortfolioServerOptions options = ServerOptionsIn(dir);
  options.common.metrics_listen = "";
  options.source = "none";
  options.log_readers = {{"intake", "127.0.0.1:1"}};  // nothing listens there
  {
    auto server = PortfolioServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    ViewControl& control = (*server)->control();
    ASSERT_TRUE(control.Rebuild(pb::REBUILD_SOURCE_LOG_READER).ok());
    ASSERT_TRUE(control.GetRebuildInfo().rebuilding);
    const absl::Status again = control.Rebuild(pb::REBUILD_SOURCE_LOG_READER);
    EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(again.message()), HasSubstr("a rebuild from LOG_READER started 20"));
    EXPECT_THAT(std::string(again.message()), HasSubstr("is running"));
    (*server)->Stop(std::chrono::milliseconds(0));
  }
}

// A restart before a rebuild has caught up must not serve the part of the
// log applied so far as the view: the rebuild starts again, and reads say
// so until it is done.
TEST(PortfolioServerTest, ARebuildInterruptedByARestartStartsAgain) {
  const rpc::testing::TempDir dir;
  PortfolioServerOptions options = ServerOptionsIn(dir);
  options.common.metrics_listen = "";
  options.source = "none";
  options.log_readers = {{"intake", "127.0.0.1:1"}};  // nothing listens there
  {
    auto server = PortfolioServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    ASSERT_TRUE((*server)->control().Rebuild(pb::REBUILD_SOURCE_LOG_READER).ok());
    ASSERT_TRUE((*server)->control().GetRebuildInfo().rebuilding);
    (*server)->Stop(std::chrono::milliseconds(0));
  }
  {
    auto server = PortfolioServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    const RebuildInfo info = (*server)->control().GetRebuildInfo();
    EXPECT_TRUE(info.rebuilding);
    EXPECT_EQ(info.source, pb::REBUILD_SOURCE_LOG_READER);
    (*server)->Stop(std::chrono::milliseconds(0));
  }
  // Nothing left to rebuild from: the view is not served as if whole.
  options.log_readers.clear();
  EXPECT_EQ(PortfolioServer::Start(options).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// kafka.security_protocol ssl reaches the portfolio's consumer: the first
// bytes it sends a broker are a TLS handshake, not a Kafka request.
TEST(PortfolioServerTest, KafkaSecurityProtocolReachesTheConsumer) {
  for (const std::string protocol : {"plaintext", "ssl"}) {
    const rpc::testing::TempDir dir;
    bus::testing::FirstBytesListener broker;
    ASSERT_GT(broker.port(), 0);
    PortfolioServerOptions options = ServerOptionsIn(dir);
    options.common.kafka_bootstrap_servers = broker.address();
    options.common.kafka_security_protocol = protocol;
    {
      auto server = PortfolioServer::Start(options);
      ASSERT_TRUE(server.ok()) << server.status();
      const std::optional<std::string> first =
          broker.FirstBytes(std::chrono::seconds(20));
      ASSERT_TRUE(first.has_value()) << protocol << ": the consumer never connected";
      EXPECT_EQ(bus::testing::FirstBytesListener::IsTlsHandshake(*first),
                protocol == "ssl")
          << protocol;
      (*server)->Stop(std::chrono::milliseconds(0));
    }
  }
}

}  // namespace
}  // namespace changeledger::portfolio
