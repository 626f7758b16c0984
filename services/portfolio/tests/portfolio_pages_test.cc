// The portfolio's answers at a default gRPC client (4 MiB at most) over
// loopback: data large enough that one answer would not arrive comes in
// pages, each whole, or capped with a flag that says so.
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "changeledger/kv/in_memory_kv_store.h"
#include "changeledger/portfolio/prefixed_store.h"
#include "changeledger/rpc/answer_size.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service_test_support.h"

namespace changeledger::portfolio {
namespace {

using ::testing::HasSubstr;

constexpr size_t kClientLimit = size_t{4} << 20;  // a default client's

// A change id as intake makes them: a UUID, 36 characters.
std::string Id(int i) { return absl::StrFormat("%08x-0000-4000-8000-%012x", i, i); }

// `n` characters, each `ch` (a UTF-8 sequence).
std::string Repeat(const std::string& ch, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += ch;
  return out;
}

// Attributes with `teams` teams named by `team_name(t)`.
intake::ChangeAttributes Attributes(const std::string& title, const std::string& area,
                                    const std::vector<std::string>& teams) {
  intake::ChangeAttributes a;
  a.set_title(title);
  a.set_business_area(area);
  for (const auto& t : teams) a.add_teams(t);
  a.set_data_and_digital(true);
  a.mutable_estimated_cost()->set_amount_minor(100000);
  a.mutable_estimated_cost()->set_currency_code("GBP");
  return a;
}

// `count` teams with names of `length` characters.
std::vector<std::string> LongTeams(int count, int length) {
  std::vector<std::string> teams;
  for (int t = 0; t < count; ++t)
    teams.push_back(absl::StrCat(t, "-", Repeat("t", length - 2)));
  return teams;
}

class PortfolioPagesTest : public ::testing::Test {
 protected:
  PortfolioPagesTest()
      : adapters_(DefaultAdapters()),
        store_(kv::NewInMemoryKvStore()),
        view_(*store_, bus::ProjectionKeyPrefix(PortfolioProjection::kName)),
        projection_(&adapters_, &holder_),
        service_(&holder_, &control_) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    // A client as anyone makes it: the default limits (4 MiB received).
    stub_ = pb::PortfolioService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  ~PortfolioPagesTest() override { server_->Shutdown(); }

  void Feed(const std::vector<bus::Envelope>& events) {
    for (size_t i = 0; i < events.size(); i += 1000) {
      kv::Transaction txn(view_);
      for (size_t j = i; j < std::min(events.size(), i + 1000); ++j) {
        ASSERT_TRUE(projection_.Apply(events[j], txn).ok());
      }
      ASSERT_TRUE(txn.Commit(false).ok());
    }
  }

  template <typename Req, typename Resp>
  grpc::Status Call(grpc::Status (pb::PortfolioService::Stub::*rpc)(grpc::ClientContext*,
                                                                    const Req&, Resp*),
                    const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    return ((*stub_).*rpc)(&ctx, req, resp);
  }

  // Registered on day 1 (before the diff): 2000 changes, of which the
  // first thousand close and the second thousand are reclassified on
  // day 3; 1000 more are registered on day 3. Every change is on ten
  // teams with names of 150 characters: about 5 KB of diff per change,
  // 15 MB in all.
  void FeedDiff() {
    const auto teams = LongTeams(15, 150);
    std::vector<bus::Envelope> events;
    for (int i = 0; i < 2000; ++i) {
      events.push_back(
          make_.RegisteredWith(Id(i), Day(1), Attributes("Old " + Id(i), "MO", teams)));
      events.push_back(
          make_.Suggested(Id(i), Day(1), cls::TIER_MANDATED, cls::COMPLEXITY_LOW));
    }
    for (int i = 0; i < 2000; ++i) {
      if (i < 1000) {
        events.push_back(make_.Closed(Id(i), Day(3)));
      } else {
        events.push_back(
            make_.Overridden(Id(i), Day(3), cls::TIER_EXPERIMENTAL, cls::COMPLEXITY_LOW));
      }
    }
    for (int i = 2000; i < 3000; ++i) {
      events.push_back(
          make_.RegisteredWith(Id(i), Day(3), Attributes("New " + Id(i), "DI", teams)));
    }
    Feed(events);
  }

  pb::DiffBaselineRequest DiffRequest() {
    pb::DiffBaselineRequest req;
    SetTime(Day(2), req.mutable_from());
    SetTime(Day(4), req.mutable_to());
    return req;
  }

  EnvelopeMaker make_;
  AdapterRegistry adapters_;
  std::unique_ptr<kv::KvStore> store_;
  PrefixedStore view_;
  ModelHolder holder_;
  PortfolioProjection projection_;
  FakeControl control_;
  PortfolioServiceImpl service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<pb::PortfolioService::Stub> stub_;
};

// 3000 changes of about 5 KB each: every page arrives, every change is on
// exactly one page, in id order, and every page says the whole diff's
// counts.
TEST_F(PortfolioPagesTest, DiffPagesThroughEveryChangeOnce) {
  FeedDiff();
  for (const int page_size : {0, 1000}) {
    SCOPED_TRACE(absl::StrCat("page_size ", page_size));
    pb::DiffBaselineRequest req = DiffRequest();
    req.set_page_size(page_size);
    std::vector<std::string> ids;
    size_t pages = 0, bytes = 0;
    for (;;) {
      pb::BaselineDiff page;
      const grpc::Status s = Call(&pb::PortfolioService::Stub::DiffBaseline, req, &page);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ++pages;
      bytes += page.ByteSizeLong();
      EXPECT_LE(page.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
      EXPECT_EQ(page.entered(), 1000);
      EXPECT_EQ(page.left(), 1000);
      EXPECT_EQ(page.status_changed(), 1000);
      EXPECT_EQ(page.reclassified(), 1000);
      EXPECT_EQ(page.area_changed(), 0);
      EXPECT_GT(page.changes_size(), 0);
      for (const auto& c : page.changes()) {
        ids.push_back(c.change_id());
        EXPECT_EQ(c.event_count(), c.events_size());
        EXPECT_FALSE(c.events_truncated());
      }
      if (page.next_page_token().empty()) break;
      ASSERT_LT(pages, 100u);
      req.set_page_token(page.next_page_token());
    }
    // One answer would have been over what a default client receives.
    EXPECT_GT(bytes, 2 * kClientLimit);
    if (page_size == 0) {
      EXPECT_EQ(pages, 30u);  // 100 a page
    } else {
      EXPECT_GE(pages, 4u);  // 3 MiB a page
    }
    ASSERT_EQ(ids.size(), 3000u);
    for (int i = 0; i < 3000; ++i) EXPECT_EQ(ids[i], Id(i)) << i;
  }
}

// A page of 1000 changes of 5 KB would be 5 MB: it ends at 3 MiB, with a
// token, and the next page starts with the change that did not fit.
TEST_F(PortfolioPagesTest, ADiffPageEndsEarlyAtTheAnswerLimit) {
  FeedDiff();
  pb::DiffBaselineRequest req = DiffRequest();
  req.set_page_size(1000);
  pb::BaselineDiff first;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, req, &first).ok());
  EXPECT_GT(first.changes_size(), 300);
  EXPECT_LT(first.changes_size(), 1000);
  EXPECT_LE(first.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
  // Nearly full: within 1% of the limit.
  EXPECT_GT(first.ByteSizeLong(), rpc::kMaxAnswerBytes / 100 * 99);
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  pb::BaselineDiff second;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, req, &second).ok());
  ASSERT_GT(second.changes_size(), 0);
  EXPECT_EQ(second.changes(0).change_id(), Id(first.changes_size()));
}

// A caller that never heard of pages: the first 100 changes and a token.
TEST_F(PortfolioPagesTest, ADiffWithoutPageSizeIsTheFirstPageOfAHundred) {
  FeedDiff();
  pb::BaselineDiff diff;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, DiffRequest(), &diff).ok());
  EXPECT_EQ(diff.changes_size(), 100);
  EXPECT_FALSE(diff.next_page_token().empty());
  EXPECT_EQ(diff.entered(), 1000);

  pb::DiffBaselineRequest req = DiffRequest();
  req.set_page_size(-1);
  const grpc::Status s = Call(&pb::PortfolioService::Stub::DiffBaseline, req, &diff);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "page_size: must not be negative");
  // AIP-158: above the maximum (1000) is lowered to it; this page ends
  // earlier still, at the answer's size limit.
  req.set_page_size(5000);
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, req, &diff).ok());
  EXPECT_GT(diff.changes_size(), 100);
  EXPECT_LE(diff.changes_size(), 1000);
  EXPECT_FALSE(diff.next_page_token().empty());
}

TEST_F(PortfolioPagesTest, ADiffPageTokenWorksOnlyForItsOwnRequest) {
  FeedDiff();
  pb::DiffBaselineRequest req = DiffRequest();
  pb::BaselineDiff first;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, req, &first).ok());
  const std::string token = first.next_page_token();
  ASSERT_FALSE(token.empty());

  // Malformed: not base64, no separator, an empty cursor, a cut token.
  for (const std::string& bad : std::vector<std::string>{
           "%%%", "YQ", "Cm5vdGhpbmc", token.substr(0, token.size() / 2)}) {
    pb::DiffBaselineRequest r = req;
    r.set_page_token(bad);
    pb::BaselineDiff d;
    const grpc::Status s = Call(&pb::PortfolioService::Stub::DiffBaseline, r, &d);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("page_token")) << bad;
  }
  // Made for another request: another `to`, `from`, statuses; a
  // provenance token.
  pb::GetProvenanceRequest preq;
  preq.set_page_size(1);
  pb::Provenance prov;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::GetProvenance, preq, &prov).ok());
  ASSERT_FALSE(prov.next_page_token().empty());
  std::vector<pb::DiffBaselineRequest> foreign(4, req);
  SetTime(Day(5), foreign[0].mutable_to());
  SetTime(Day(1), foreign[1].mutable_from());
  foreign[2].add_statuses(intake::CHANGE_STATUS_CLOSED);
  for (int i = 0; i < 3; ++i) foreign[i].set_page_token(token);
  foreign[3].set_page_token(prov.next_page_token());
  for (const auto& r : foreign) {
    pb::BaselineDiff d;
    const grpc::Status s = Call(&pb::PortfolioService::Stub::DiffBaseline, r, &d);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(s.error_message(), HasSubstr("page_token: not from this listing"));
  }
  // And a diff token is no provenance token.
  preq.set_page_token(token);
  const grpc::Status s = Call(&pb::PortfolioService::Stub::GetProvenance, preq, &prov);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Another page size is fine: the next page starts after the last change.
  pb::DiffBaselineRequest next = req;
  next.set_page_size(7);
  next.set_page_token(token);
  pb::BaselineDiff d;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::DiffBaseline, next, &d).ok());
  ASSERT_EQ(d.changes_size(), 7);
  EXPECT_EQ(d.changes(0).change_id(), Id(100));
}

// A change amended 600 times, each amendment naming 50 teams of 200
// characters (intake's limits): about 10 KB an event, 6 MB of history.
class ManyEventsTest : public PortfolioPagesTest {
 protected:
  static constexpr int kAmendments = 600;

  void SetUp() override {
    std::vector<std::string> teams;
    for (int t = 0; t < 50; ++t) teams.push_back(absl::StrCat(t, Repeat("n", 198)));
    std::vector<bus::Envelope> events;
    events.push_back(
        make_.RegisteredWith(Id(1), Day(1), Attributes("Long running", "MO", teams)));
    events.push_back(
        make_.Suggested(Id(1), Day(1), cls::TIER_MANDATED, cls::COMPLEXITY_LOW));
    for (int i = 0; i < kAmendments; ++i) {
      teams[0] = absl::StrCat(i, Repeat("m", 190));
      // The last one moves it to another business area.
      const std::string area = i + 1 == kAmendments ? "DI" : "MO";
      events.push_back(make_.Amended(Id(1), Day(2) + absl::Seconds(i),
                                     Attributes("Long running", area, teams), {"teams"}));
    }
    Feed(events);
  }
};

TEST_F(ManyEventsTest, HistoryPagesThroughEveryEvent) {
  pb::GetChangeHistoryRequest req;
  req.set_change_id(Id(1));
  std::vector<std::string> ids;
  std::set<std::string> distinct;
  size_t pages = 0, bytes = 0;
  for (;;) {
    pb::ChangeHistory page;
    const grpc::Status s =
        Call(&pb::PortfolioService::Stub::GetChangeHistory, req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++pages;
    bytes += page.ByteSizeLong();
    EXPECT_LE(page.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
    EXPECT_EQ(page.event_count(), kAmendments + 2);
    EXPECT_EQ(page.change_id(), Id(1));
    EXPECT_EQ(page.title(), "Long running");
    EXPECT_EQ(page.current().business_area(), "DI");
    EXPECT_EQ(page.stands().latest_recorded_at().seconds(),
              absl::ToUnixSeconds(Day(2) + absl::Seconds(kAmendments - 1)));
    for (const auto& e : page.events()) {
      ids.push_back(e.event_id());
      distinct.insert(e.event_id());
    }
    if (page.next_page_token().empty()) break;
    ASSERT_LT(pages, 10u);
    req.set_page_token(page.next_page_token());
  }
  EXPECT_GT(bytes, kClientLimit);
  EXPECT_GE(pages, 2u);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kAmendments + 2));
  EXPECT_EQ(distinct.size(), ids.size());
  EXPECT_EQ(ids.back(), absl::StrCat("evt-", kAmendments + 2));  // recorded order

  // Pages of 100 events: the page size, not the limit, ends them.
  req.clear_page_token();
  req.set_page_size(100);
  pb::ChangeHistory page;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::GetChangeHistory, req, &page).ok());
  EXPECT_EQ(page.events_size(), 100);
  // A token is for its change only.
  pb::GetChangeHistoryRequest other;
  other.set_change_id(Id(2));
  other.set_page_token(page.next_page_token());
  const grpc::Status s =
      Call(&pb::PortfolioService::Stub::GetChangeHistory, other, &page);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_token"));
}

// A diff across the 600 amendments: one change, whose events alone would
// pass the limit; the latest that fit are listed, and it says so.
TEST_F(ManyEventsTest, ADiffOfOneChangeWithTooManyEventsListsTheLatest) {
  pb::DiffBaselineRequest req;
  SetTime(Day(1), req.mutable_from());
  SetTime(Day(3), req.mutable_to());
  pb::BaselineDiff diff;
  const grpc::Status s = Call(&pb::PortfolioService::Stub::DiffBaseline, req, &diff);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(diff.changes_size(), 1);
  const pb::ChangeDiff& c = diff.changes(0);
  EXPECT_EQ(diff.area_changed(), 1);
  EXPECT_EQ(c.event_count(), kAmendments);
  EXPECT_TRUE(c.events_truncated());
  EXPECT_GT(c.events_size(), 100);
  EXPECT_LT(c.events_size(), kAmendments);
  EXPECT_EQ(c.events(c.events_size() - 1).event_id(),
            absl::StrCat("evt-", kAmendments + 2));
  EXPECT_LE(diff.ByteSizeLong(), rpc::kMaxAnswerBytes);
  EXPECT_TRUE(diff.next_page_token().empty());
}

// 30,000 changes on four of 300 teams each: 300 teams listing 120,000
// change ids are about 5 MB.
TEST_F(PortfolioPagesTest, OverlapsPageThroughEveryTeam) {
  std::vector<bus::Envelope> events;
  const std::vector<std::string> areas = {"MO", "FP", "SO", "PS", "CS", "DI"};
  for (int i = 0; i < 30000; ++i) {
    std::vector<std::string> teams;
    for (int k = 0; k < 4; ++k)
      teams.push_back(absl::StrFormat("team-%03d", (i + 75 * k) % 300));
    // A team's changes are in every area: 15 pairs of areas.
    events.push_back(make_.RegisteredWith(
        Id(i), Day(1), Attributes("t", areas[(i / 300) % areas.size()], teams)));
  }
  Feed(events);
  pb::GetOverlapsRequest req;
  req.set_max_teams(10000);
  std::set<std::string> teams;
  size_t pages = 0, bytes = 0, ids = 0;
  for (;;) {
    pb::Overlaps page;
    const grpc::Status s = Call(&pb::PortfolioService::Stub::GetOverlaps, req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++pages;
    bytes += page.ByteSizeLong();
    EXPECT_LE(page.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
    EXPECT_EQ(page.total_teams(), 300);
    EXPECT_FALSE(page.interactions_truncated());
    // The area pairs on the first page only.
    EXPECT_EQ(page.interactions_size(), pages == 1 ? 15 : 0);
    for (const auto& t : page.teams()) {
      EXPECT_TRUE(teams.insert(t.team()).second) << t.team();
      EXPECT_EQ(t.change_count(), 400);
      EXPECT_EQ(t.change_ids_size(), 400);
      EXPECT_FALSE(t.change_ids_truncated());
      ids += t.change_ids_size();
    }
    if (page.next_page_token().empty()) break;
    ASSERT_LT(pages, 10u);
    req.set_page_token(page.next_page_token());
  }
  EXPECT_GT(bytes, kClientLimit);
  EXPECT_GE(pages, 2u);
  EXPECT_EQ(teams.size(), 300u);
  EXPECT_EQ(ids, 120000u);

  // The top 250, asked for page by page as changectl does.
  req.clear_page_token();
  int wanted = 250, got = 0;
  std::string last;
  while (wanted > got) {
    req.set_max_teams(wanted - got);
    pb::Overlaps page;
    ASSERT_TRUE(Call(&pb::PortfolioService::Stub::GetOverlaps, req, &page).ok());
    for (const auto& t : page.teams()) {  // the same counts: by name
      EXPECT_LT(last, t.team());
      last = t.team();
    }
    got += page.teams_size();
    if (page.next_page_token().empty()) break;
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(got, 250);
  EXPECT_EQ(last, "team-249");

  pb::GetOverlapsRequest other;
  other.add_statuses(intake::CHANGE_STATUS_CLOSED);
  other.set_page_token(req.page_token());
  pb::Overlaps o;
  EXPECT_EQ(Call(&pb::PortfolioService::Stub::GetOverlaps, other, &o).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// 40 areas, a change in each, every change on the same 50 teams of 200
// characters: 780 pairs of areas, each linked by 50 teams, are 8 MB of
// interactions. The pairs that fit come first, and say that others are
// left out; the teams come whole on the pages after.
TEST_F(PortfolioPagesTest, InteractionsPastTheLimitAreCappedAndTheTeamsFollow) {
  std::vector<std::string> teams;
  for (int t = 0; t < 50; ++t) teams.push_back(absl::StrCat(t, Repeat("x", 198)));
  std::vector<bus::Envelope> events;
  for (int a = 0; a < 40; ++a) {
    events.push_back(make_.RegisteredWith(
        Id(a), Day(1), Attributes("t", absl::StrFormat("A%02d", a), teams)));
  }
  Feed(events);
  pb::GetOverlapsRequest req;
  std::set<std::string> listed;
  size_t pages = 0;
  for (;;) {
    pb::Overlaps page;
    const grpc::Status s = Call(&pb::PortfolioService::Stub::GetOverlaps, req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++pages;
    EXPECT_LE(page.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
    EXPECT_EQ(page.total_teams(), 50);
    if (pages == 1) {
      EXPECT_TRUE(page.interactions_truncated());
      EXPECT_GT(page.interactions_size(), 200);
      EXPECT_LT(page.interactions_size(), 780);
      for (const auto& i : page.interactions()) EXPECT_EQ(i.teams_size(), 50);
    } else {
      EXPECT_EQ(page.interactions_size(), 0);
    }
    for (const auto& t : page.teams()) {
      EXPECT_TRUE(listed.insert(t.team()).second);
      EXPECT_EQ(t.change_ids_size(), 40);
    }
    if (page.next_page_token().empty()) break;
    ASSERT_LT(pages, 5u);
    req.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(listed.size(), 50u);
}

// 50 business areas with 100 mandated changes each, titled with 200
// characters of four bytes: 4.3 MB of top mandated. Every area lists the
// same smaller number and says so; the rest of the baseline is whole.
TEST_F(PortfolioPagesTest, TopMandatedIsCappedToFitTheAnswer) {
  std::vector<bus::Envelope> events;
  const std::string title = Repeat("\xF0\x9D\x84\x9E", 199);  // U+1D11E, four bytes
  for (int i = 0; i < 5000; ++i) {
    intake::ChangeAttributes a =
        Attributes(absl::StrCat(i % 10, title), absl::StrFormat("A%02d", i % 50), {"t"});
    a.mutable_estimated_cost()->set_amount_minor(i);
    events.push_back(make_.RegisteredWith(Id(i), Day(1), a));
    events.push_back(
        make_.Suggested(Id(i), Day(1), cls::TIER_MANDATED, cls::COMPLEXITY_LOW));
  }
  Feed(events);
  pb::GetBaselineRequest req;
  req.set_top_mandated_per_area(100);
  pb::Baseline b;
  const grpc::Status s = Call(&pb::PortfolioService::Stub::GetBaseline, req, &b);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(b.top_mandated_truncated());
  EXPECT_LE(b.ByteSizeLong(), rpc::kMaxAnswerBytes);
  EXPECT_EQ(b.total(), 5000);
  ASSERT_EQ(b.areas_size(), 50);
  ASSERT_EQ(b.top_mandated_size(), 50);
  const int listed = b.top_mandated(0).changes_size();
  EXPECT_GT(listed, 50);
  EXPECT_LT(listed, 100);
  for (const auto& area : b.top_mandated()) {
    EXPECT_EQ(area.changes_size(), listed) << area.business_area();
    // Still the costliest first.
    EXPECT_EQ(
        area.changes(0).estimated_cost().amount_minor(),
        4950 + (area.business_area()[1] - '0') * 10 + (area.business_area()[2] - '0'));
  }
  // Nearly full: one more per area would not have fitted.
  EXPECT_GT(b.ByteSizeLong() + 50 * rpc::AnswerItemBytes(b.top_mandated(0).changes(0)),
            rpc::kMaxAnswerBytes);

  req.set_top_mandated_per_area(20);
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::GetBaseline, req, &b).ok());
  EXPECT_FALSE(b.top_mandated_truncated());
  EXPECT_EQ(b.top_mandated(49).changes_size(), 20);
}

// Provenance of 1000 changes with titles of 200 two-byte characters and
// 14 teams of 120 characters: about 4.5 KB a change. A page of 1000
// ends at 3 MiB; the pages bring every change once.
TEST_F(PortfolioPagesTest, ProvenancePagesEndAtTheAnswerLimit) {
  std::vector<bus::Envelope> events;
  const std::string title = Repeat("\xC5\xB5", 200);  // ŵ
  for (int i = 0; i < 1000; ++i) {
    events.push_back(
        make_.RegisteredWith(Id(i), Day(1), Attributes(title, "MO", LongTeams(14, 120))));
    events.push_back(
        make_.Suggested(Id(i), Day(1), cls::TIER_MANDATED, cls::COMPLEXITY_LOW));
  }
  Feed(events);
  pb::GetProvenanceRequest req;
  req.mutable_cell()->set_business_area("MO");
  req.set_page_size(1000);
  std::vector<std::string> ids;
  size_t pages = 0, bytes = 0;
  for (;;) {
    pb::Provenance page;
    const grpc::Status s = Call(&pb::PortfolioService::Stub::GetProvenance, req, &page);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ++pages;
    bytes += page.ByteSizeLong();
    EXPECT_LE(page.ByteSizeLong(), rpc::kMaxAnswerBytes + 1024);
    EXPECT_EQ(page.count(), 1000);
    for (const auto& c : page.changes()) {
      ids.push_back(c.change_id());
      EXPECT_EQ(c.title(), title);
    }
    if (page.next_page_token().empty()) break;
    ASSERT_LT(pages, 10u);
    req.set_page_token(page.next_page_token());
  }
  EXPECT_GT(bytes, kClientLimit);
  EXPECT_GE(pages, 2u);
  ASSERT_EQ(ids.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(ids[i], Id(i));
}

// Front-door activity is a row per month with submissions: a century of
// months is some 100 KB, far within the limit, so it is one answer.
TEST_F(PortfolioPagesTest, FrontDoorActivityOfACenturyIsOneSmallAnswer) {
  std::vector<bus::Envelope> events;
  for (int m = 0; m < 1200; ++m) {
    const absl::Time at = absl::FromCivil(absl::CivilDay(1925 + m / 12, 1 + m % 12, 15),
                                          absl::UTCTimeZone());
    events.push_back(make_.Submitted(absl::StrCat("p", m), at, "MO"));
  }
  Feed(events);
  pb::FrontDoorActivity a;
  ASSERT_TRUE(Call(&pb::PortfolioService::Stub::ListFrontDoorActivity,
                   pb::ListFrontDoorActivityRequest(), &a)
                  .ok());
  EXPECT_EQ(a.periods_size(), 1200);
  EXPECT_LT(a.ByteSizeLong(), size_t{100} << 10);
}

}  // namespace
}  // namespace changeledger::portfolio
