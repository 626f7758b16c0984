#include "read_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "domain/intake_domain.h"
#include "ids.h"
#include "tests/domain_test_util.h"

namespace changeledger::intake {
namespace {

using ::testing::HasSubstr;

class ReadModelTest : public ::testing::Test {
 protected:
  ReadModelTest()
      : store_(eventstore::NewInMemoryEventStore()),
        areas_(domain::BusinessAreaCatalog::Default()),
        model_(store_.get()) {
    context_ = {.actor = "office", .now = absl::Now(), .areas = &areas_};
  }

  void Append(const std::vector<domain::PendingEvent>& events,
              const std::string& causation_id = "") {
    eventstore::AppendRequest request;
    for (const auto& pending : events) {
      if (request.writes.empty() || request.writes.back().stream != pending.stream) {
        request.writes.emplace_back().stream = pending.stream;
      }
      eventstore::Envelope envelope;
      envelope.set_type(pending.type);
      *envelope.mutable_payload() = pending.payload;
      envelope.set_actor(context_.actor);
      envelope.set_causation_id(causation_id);
      request.writes.back().events.push_back(envelope);
    }
    ASSERT_TRUE(store_->Append(std::move(request)).ok());
  }

  // Registers a change in `area`; returns its name.
  std::string Register(const std::string& area, bool digital, const std::string& ret = "") {
    v1::ReturnRecord record;
    record.set_record_reference(NewUuid());
    *record.mutable_attributes() = testing::CompleteAttributes();
    record.mutable_attributes()->set_business_area(area);
    record.mutable_attributes()->set_data_and_digital(digital);
    const std::string id = NewUuid();
    const domain::ReturnHeader header{.reference = ret.empty() ? "R" : ret};
    Append(*domain::DecideImportRecord(header, record, id, context_));
    return domain::ChangeName(id);
  }

  // Starts the model; whether it folded the whole log within 5 s.
  bool StartAndCatchUp() {
    model_.Start();
    return model_.WaitFor(store_->LastPosition(), absl::Now() + absl::Seconds(5));
  }

  std::vector<std::string> AllPages(v1::ListChangesRequest request) {
    std::vector<std::string> names;
    for (int guard = 0; guard < 100; ++guard) {
      auto page = model_.ListChanges(request);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      EXPECT_LE(page->changes_size(), request.page_size());
      for (const auto& c : page->changes()) names.push_back(c.name());
      if (page->next_page_token().empty()) break;
      request.set_page_token(page->next_page_token());
    }
    return names;
  }

  std::unique_ptr<eventstore::EventStore> store_;
  domain::BusinessAreaCatalog areas_;
  domain::CommandContext context_;
  ReadModel model_;
};

TEST_F(ReadModelTest, TailFoldsTheLogAndPagesInCreationOrder) {
  std::vector<std::string> expected;
  for (int i = 0; i < 7; ++i) expected.push_back(Register("MO", i % 2 == 0));
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListChangesRequest request;
  request.set_page_size(3);
  EXPECT_EQ(AllPages(request), expected);
  // Events appended while tailing show up too.
  expected.push_back(Register("MO", false));
  ASSERT_TRUE(model_.WaitFor(store_->LastPosition(), absl::Now() + absl::Seconds(5)));
  EXPECT_EQ(AllPages(request), expected);
}

TEST_F(ReadModelTest, FiltersCombine) {
  const std::string a = Register("MO", true, "MO-1");
  Register("MO", false, "MO-1");
  const std::string c = Register("FP", true, "FP-1");
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListChangesRequest request;
  request.set_page_size(10);
  request.set_data_and_digital(true);
  EXPECT_THAT(AllPages(request), ::testing::ElementsAre(a, c));
  request.set_business_area("MO");
  EXPECT_THAT(AllPages(request), ::testing::ElementsAre(a));
  request.clear_business_area();
  request.clear_data_and_digital();
  request.set_return_reference("FP-1");
  EXPECT_THAT(AllPages(request), ::testing::ElementsAre(c));
  request.set_status(v1::CHANGE_STATUS_IN_DELIVERY);
  EXPECT_THAT(AllPages(request), ::testing::IsEmpty());
}

// 400 changes with 10000-character descriptions are 8 MB: a page of them
// stops short of page_size, within what a gRPC client receives by default
// (4 MiB), and the next pages bring the rest.
TEST_F(ReadModelTest, PagesFitAClientsDefaultMessageLimit) {
  std::string description;
  for (int i = 0; i < 10000; ++i) description += "\xC5\xB5";  // ŵ, two bytes
  std::vector<std::string> expected;
  for (int i = 0; i < 400; ++i) {
    v1::ReturnRecord record;
    record.set_record_reference(absl::StrCat("r", i));
    *record.mutable_attributes() = testing::CompleteAttributes();
    record.mutable_attributes()->set_description(description);
    const std::string id = NewUuid();
    Append(*domain::DecideImportRecord({.reference = "R"}, record, id, context_));
    expected.push_back(domain::ChangeName(id));
  }
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListChangesRequest request;
  request.set_page_size(1000);
  auto first = model_.ListChanges(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_GT(first->changes_size(), 0);
  EXPECT_LT(first->changes_size(), 400);
  EXPECT_LE(first->ByteSizeLong(), size_t{4} << 20);
  EXPECT_FALSE(first->next_page_token().empty());
  EXPECT_EQ(AllPages(request), expected);
}

TEST_F(ReadModelTest, PageTokensAreBoundToTheirFilters) {
  for (int i = 0; i < 3; ++i) Register("MO", true);
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListChangesRequest request;
  request.set_page_size(1);
  auto first = model_.ListChanges(request);
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  request.set_business_area("FP");
  EXPECT_THAT(std::string(model_.ListChanges(request).status().message()),
              HasSubstr("page_token: made for different filters"));
  request.set_page_token("garbage!");
  EXPECT_EQ(model_.ListChanges(request).status().code(), absl::StatusCode::kInvalidArgument);
  request.clear_page_token();
  request.set_page_size(-1);
  EXPECT_EQ(model_.ListChanges(request).status().message(),
            "page_size: must not be negative");
  request.set_page_size(0);
  request.set_status(static_cast<v1::ChangeStatus>(99));
  EXPECT_EQ(model_.ListChanges(request).status().message(), "status: unknown value");
}

// AIP-158: a page size above the maximum (1000) is lowered to it, so a
// client asking for everything at once still reads every item.
TEST_F(ReadModelTest, APageSizeAboveTheMaximumIsLoweredToIt) {
  for (int i = 0; i < 1001; ++i) Register("MO", false);
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListChangesRequest request;
  request.set_page_size(5000);
  auto first = model_.ListChanges(request);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->changes_size(), 1000);
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  auto second = model_.ListChanges(request);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->changes_size(), 1);
  EXPECT_TRUE(second->next_page_token().empty());
}

TEST_F(ReadModelTest, ListsProposalsByProposerAndState) {
  v1::CreateProposalRequest create;
  *create.mutable_attributes() = testing::CompleteAttributes();
  const std::string p1 = NewUuid();
  Append(*domain::DecideCreateProposal(p1, create, {.actor = "alice", .now = absl::Now(),
                                                     .areas = &areas_}));
  const std::string p2 = NewUuid();
  Append(*domain::DecideCreateProposal(p2, create, {.actor = "bob", .now = absl::Now(),
                                                     .areas = &areas_}));
  ASSERT_TRUE(StartAndCatchUp());
  v1::ListProposalsRequest request;
  request.set_proposer("bob");
  auto page = model_.ListProposals(request);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->proposals_size(), 1);
  EXPECT_EQ(page->proposals(0).name(), domain::ProposalName(p2));
  request.clear_proposer();
  request.set_state(v1::PROPOSAL_STATE_DRAFT);
  EXPECT_EQ(model_.ListProposals(request)->proposals_size(), 2);
  request.set_state(v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(model_.ListProposals(request)->proposals_size(), 0);
}

// Every tier-relevant flag filters both lists: here a pilot (tests a
// hypothesis, no business case) and an SRO-led programme with one.
TEST_F(ReadModelTest, TierFlagsFilterProposalsAndChanges) {
  v1::CreateProposalRequest pilot, programme;
  *pilot.mutable_attributes() = testing::CompleteAttributes("Pilot");
  auto* f = pilot.mutable_attributes()->mutable_features();
  f->set_tests_hypothesis(true);
  f->set_has_business_case(false);
  f->set_sro_led(false);
  f->set_improves_established_service(true);
  *programme.mutable_attributes() = testing::CompleteAttributes("Programme");
  f = programme.mutable_attributes()->mutable_features();
  f->set_tests_hypothesis(false);
  f->set_has_business_case(true);
  f->set_sro_led(true);
  f->set_interdependent_projects(true);
  programme.mutable_attributes()->set_data_and_digital(false);
  const domain::CommandContext alice{
      .actor = "alice", .now = absl::Now(), .areas = &areas_};
  const std::string pilot_id = NewUuid(), programme_id = NewUuid();
  Append(*domain::DecideCreateProposal(pilot_id, pilot, alice));
  Append(*domain::DecideCreateProposal(programme_id, programme, alice));
  v1::RegisterChangeRequest registered;
  *registered.mutable_attributes() = programme.attributes();
  const std::string change_id = NewUuid();
  Append(*domain::DecideRegisterChange(change_id, registered, context_));
  ASSERT_TRUE(StartAndCatchUp());

  const auto proposals = [&](const v1::ListProposalsRequest& request) {
    std::vector<std::string> names;
    auto page = model_.ListProposals(request);
    EXPECT_TRUE(page.ok()) << page.status();
    if (page.ok()) {
      for (const auto& p : page->proposals()) names.push_back(p.name());
    }
    return names;
  };
  const std::string pilot_name = domain::ProposalName(pilot_id);
  const std::string programme_name = domain::ProposalName(programme_id);
  using Request = v1::ListProposalsRequest;
  const struct {
    const char* flag;
    void (Request::*set)(bool);
    bool value;
    const std::string& listed;
  } cases[] = {
      {"tests_hypothesis", &Request::set_tests_hypothesis, true, pilot_name},
      {"sro_led", &Request::set_sro_led, true, programme_name},
      {"has_business_case", &Request::set_has_business_case, false, pilot_name},
      {"improves_established_service", &Request::set_improves_established_service, true,
       pilot_name},
      {"interdependent_projects", &Request::set_interdependent_projects, true,
       programme_name},
      {"data_and_digital", &Request::set_data_and_digital, false, programme_name},
  };
  for (const auto& c : cases) {
    Request by_flag;
    (by_flag.*c.set)(c.value);
    EXPECT_THAT(proposals(by_flag), ::testing::ElementsAre(c.listed)) << c.flag;
  }
  Request by_flag;
  by_flag.set_data_and_digital(false);
  by_flag.set_sro_led(false);  // flags combine
  EXPECT_THAT(proposals(by_flag), ::testing::IsEmpty());

  v1::ListChangesRequest changes;
  changes.set_page_size(10);
  changes.set_has_business_case(true);
  changes.set_sro_led(true);
  EXPECT_THAT(AllPages(changes), ::testing::ElementsAre(domain::ChangeName(change_id)));
  changes.set_improves_established_service(true);
  EXPECT_THAT(AllPages(changes), ::testing::IsEmpty());
}

// Handlers start from StateAt: it must answer only with the fold of exactly
// the version the store reports, and flag a possible earlier request.
TEST_F(ReadModelTest, StateAtAnswersOnlyAtTheStreamsHead) {
  v1::ReturnRecord record;
  record.set_record_reference("r-1");
  *record.mutable_attributes() = testing::CompleteAttributes();
  const std::string id = NewUuid();
  const std::string stream = domain::ChangeStream(id);
  Append(*domain::DecideImportRecord({.reference = "R"}, record, id, context_), "cause-1");
  v1::Change change;
  bool seen = true;
  // Not applied yet: no answer.
  EXPECT_FALSE(model_.StateAt(stream, 1, "", &change, &seen));
  ASSERT_TRUE(StartAndCatchUp());
  ASSERT_TRUE(model_.StateAt(stream, 1, "", &change, &seen));
  EXPECT_EQ(change.name(), domain::ChangeName(id));
  EXPECT_EQ(change.version(), 1u);
  EXPECT_EQ(change.status(), v1::CHANGE_STATUS_REGISTERED);
  EXPECT_FALSE(seen);
  ASSERT_TRUE(model_.StateAt(stream, 1, "cause-1", &change, &seen));
  EXPECT_TRUE(seen);
  ASSERT_TRUE(model_.StateAt(stream, 1, "cause-2", &change, &seen));
  EXPECT_FALSE(seen);
  // Another version, another kind or an unknown stream: no answer.
  EXPECT_FALSE(model_.StateAt(stream, 2, "", &change, &seen));
  v1::Proposal proposal;
  EXPECT_FALSE(model_.StateAt(stream, 1, "", &proposal, &seen));
  EXPECT_FALSE(model_.StateAt(domain::ChangeStream(NewUuid()), 1, "", &change, &seen));
}

TEST_F(ReadModelTest, ACorruptEventStopsTheModelWithDataLoss) {
  eventstore::Envelope bad;
  bad.set_stream("change-x");
  bad.set_global_position(1);
  bad.set_version(1);
  bad.set_type("changeledger.intake.v1.ChangeRegistered");
  bad.mutable_payload()->PackFrom(v1::ProposalSubmitted());
  EXPECT_EQ(model_.Apply(bad).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(model_.position(), 0u);
}

}  // namespace
}  // namespace changeledger::intake
