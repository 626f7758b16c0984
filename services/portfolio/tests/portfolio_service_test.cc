// The service in process: envelopes through the adapters and the projection
// into the view, then the gRPC handlers called directly.
#include "changeledger/portfolio/portfolio_service.h"

#include <grpcpp/server_context.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/projection.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/portfolio/fact_codec.h"
#include "changeledger/portfolio/prefixed_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::portfolio {
namespace {

namespace cls = ::changeledger::classification::v1;
namespace intake = ::changeledger::intake::v1;
using ::testing::HasSubstr;

absl::Time Day(int day) {
  return absl::FromCivil(absl::CivilDay(2021, 3, day), absl::UTCTimeZone());
}

void SetTime(absl::Time t, google::protobuf::Timestamp* ts) {
  ts->set_seconds(absl::ToUnixSeconds(t));
  ts->set_nanos(0);
}

class EnvelopeMaker {
 public:
  template <typename Msg>
  bus::Envelope Make(const std::string& source, const std::string& stream, absl::Time at, const Msg& m) {
    bus::Envelope e;
    e.set_event_id(absl::StrCat("evt-", ++ids_));
    e.set_stream(stream);
    e.set_version(++versions_[source + stream]);
    e.set_global_position(++positions_[source]);
    e.set_type(std::string(Msg::descriptor()->full_name()));
    e.set_schema_version(1);
    SetTime(at, e.mutable_recorded_at());
    SetTime(at - absl::Hours(1), e.mutable_occurred_at());
    e.set_actor(source == "intake" ? "alice" : "officer");
    e.set_correlation_id(absl::StrCat("corr-", ids_));
    e.set_causation_id(absl::StrCat("cause-", ids_));
    e.set_source(source);
    e.mutable_payload()->PackFrom(m);
    return e;
  }

  bus::Envelope Registered(const std::string& id, absl::Time at, const std::string& area, int64_t cost = 0) {
    intake::ChangeRegistered m;
    m.set_change_id(id);
    m.mutable_attributes()->set_title("Title " + id);
    m.mutable_attributes()->set_business_area(area);
    m.mutable_attributes()->add_teams("digital");
    m.mutable_attributes()->set_data_and_digital(true);
    m.mutable_attributes()->mutable_estimated_cost()->set_amount_minor(cost);
    return Make("intake", "change-" + id, at, m);
  }
  bus::Envelope Closed(const std::string& id, absl::Time at) {
    intake::ChangeClosed m;
    m.set_change_id(id);
    return Make("intake", "change-" + id, at, m);
  }
  bus::Envelope Suggested(const std::string& id, absl::Time at, cls::Tier tier, cls::Complexity c) {
    cls::ClassificationSuggested m;
    m.set_change_id(id);
    m.mutable_suggestion()->mutable_classification()->set_tier(tier);
    m.mutable_suggestion()->mutable_classification()->set_complexity(c);
    m.mutable_suggestion()->mutable_classification()->add_types(cls::COMPLEXITY_TYPE_STRUCTURAL);
    return Make("classification", "classification-" + id, at, m);
  }
  bus::Envelope Overridden(const std::string& id, absl::Time at, cls::Tier tier, cls::Complexity c) {
    cls::ClassificationOverridden m;
    m.set_change_id(id);
    m.mutable_classification()->set_tier(tier);
    m.mutable_classification()->set_complexity(c);
    m.set_rationale("review");
    return Make("classification", "classification-" + id, at, m);
  }

 private:
  std::map<std::string, uint64_t> versions_, positions_;
  int ids_ = 0;
};

class FakeControl : public ViewControl {
 public:
  absl::Status Rebuild(pb::RebuildSource source) override {
    ++rebuilds;
    info.rebuilding = true;
    info.source = source;
    return absl::OkStatus();
  }
  RebuildInfo GetRebuildInfo() const override { return info; }
  absl::StatusOr<uint64_t> StoreHash() override { return 42; }
  RebuildInfo info;
  int rebuilds = 0;
};

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
  EXPECT_EQ(prov.changes(0).events(1).summary(), "tier=MANDATED complexity=MEDIUM types=NONE");

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

}  // namespace
}  // namespace changeledger::portfolio
