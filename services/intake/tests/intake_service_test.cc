// IntakeServiceImpl's handlers called directly over the in-memory store:
// the command path (load, decide, append, answer), idempotency, versions
// and imports. Loopback gRPC with RocksDB and the broker is in
// intake_server_test.cc.
#include "intake_service.h"

#include <gmock/gmock.h>
#include <grpcpp/server_context.h>
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "tests/domain_test_util.h"

namespace changeledger::intake {
namespace {

using ::testing::HasSubstr;

class IntakeServiceTest : public ::testing::Test {
 protected:
  IntakeServiceTest()
      : store_(eventstore::NewInMemoryEventStore()),
        areas_(domain::BusinessAreaCatalog::Default()),
        model_(store_.get()) {
    IntakeServiceOptions options;
    options.principal_of = [this](const grpc::ServerContext*) -> absl::StatusOr<std::string> {
      std::lock_guard lock(mu_);
      return actor_;
    };
    options.import_batch = 7;  // several batches in small tests
    service_ = std::make_unique<IntakeServiceImpl>(store_.get(), &model_, &areas_, nullptr,
                                                   std::move(options));
    model_.Start();
  }

  void As(const std::string& actor) {
    std::lock_guard lock(mu_);
    actor_ = actor;
  }

  v1::Proposal CreateDraft(const std::string& request_id = "") {
    As("alice");
    v1::CreateProposalRequest request;
    request.set_request_id(request_id);
    *request.mutable_attributes() = testing::CompleteAttributes();
    v1::Proposal proposal;
    grpc::ServerContext context;
    EXPECT_TRUE(service_->CreateProposal(&context, &request, &proposal).ok());
    return proposal;
  }

  grpc::Status Submit(const std::string& name, const std::string& request_id = "",
                      uint64_t expected = 0, v1::Proposal* out = nullptr) {
    As("alice");
    v1::SubmitProposalRequest request;
    request.set_name(name);
    request.set_request_id(request_id);
    request.set_expected_version(expected);
    v1::Proposal proposal;
    grpc::ServerContext context;
    auto status = service_->SubmitProposal(&context, &request, &proposal);
    if (out != nullptr) *out = proposal;
    return status;
  }

  v1::Proposal Approve(const std::string& name) {
    grpc::ServerContext c1, c2, c3;
    As("panel-chair");
    v1::StartAssessmentRequest start;
    start.set_name(name);
    v1::Proposal p;
    EXPECT_TRUE(service_->StartAssessment(&c1, &start, &p).ok());
    v1::RecordAssessmentRequest assess;
    assess.set_name(name);
    for (auto* score : {assess.mutable_desirable(), assess.mutable_deliverable(),
                        assess.mutable_affordable()}) {
      score->set_score(4);
      score->set_rationale("sound");
    }
    EXPECT_TRUE(service_->RecordAssessment(&c2, &assess, &p).ok());
    v1::DecideProposalRequest decide;
    decide.set_name(name);
    decide.set_outcome(v1::DECISION_OUTCOME_APPROVED);
    *decide.mutable_meeting_date() = testing::TodayUtc();
    decide.set_chair("DAC Corporate Services");
    auto status = service_->DecideProposal(&c3, &decide, &p);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return p;
  }

  std::unique_ptr<eventstore::EventStore> store_;
  domain::BusinessAreaCatalog areas_;
  ReadModel model_;
  std::unique_ptr<IntakeServiceImpl> service_;
  std::mutex mu_;
  std::string actor_ = "alice";
};

TEST_F(IntakeServiceTest, ProposalToApprovalRegistersTheChangeAtomically) {
  const v1::Proposal draft = CreateDraft();
  EXPECT_EQ(draft.version(), 1u);
  EXPECT_EQ(draft.proposer(), "alice");
  ASSERT_TRUE(Submit(draft.name()).ok());
  const v1::Proposal approved = Approve(draft.name());
  EXPECT_EQ(approved.state(), v1::PROPOSAL_STATE_APPROVED);
  ASSERT_FALSE(approved.change().empty());

  // The decision and the registration are one commit.
  auto log = store_->ReadAll(1, 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(log->size(), 6u);
  const auto& decided = (*log)[4];
  const auto& registered = (*log)[5];
  EXPECT_EQ(decided.type(), "changeledger.intake.v1.ProposalDecided");
  EXPECT_EQ(registered.type(), "changeledger.intake.v1.ChangeRegistered");
  EXPECT_EQ(decided.correlation_id(), registered.correlation_id());
  EXPECT_EQ(decided.recorded_at().seconds(), registered.recorded_at().seconds());
  EXPECT_EQ(registered.source(), "intake");
  EXPECT_EQ(registered.actor(), "panel-chair");
  EXPECT_EQ((*log)[0].actor(), "alice");

  grpc::ServerContext context;
  v1::GetChangeRequest get;
  get.set_name(approved.change());
  v1::Change change;
  ASSERT_TRUE(service_->GetChange(&context, &get, &change).ok());
  EXPECT_EQ(change.status(), v1::CHANGE_STATUS_REGISTERED);
  EXPECT_EQ(change.origin().proposal_id(), draft.name().substr(10));
  EXPECT_EQ(change.attributes().title(), "Forensic terminals");
}

TEST_F(IntakeServiceTest, CreateWithTheSameRequestIdIsAnsweredOnce) {
  const v1::Proposal first = CreateDraft("create-1");
  const v1::Proposal again = CreateDraft("create-1");
  EXPECT_EQ(first.name(), again.name());
  EXPECT_EQ(store_->LastPosition(), 1u);
  // Another principal's identical request id is a different request.
  As("bob");
  v1::CreateProposalRequest request;
  request.set_request_id("create-1");
  *request.mutable_attributes() = testing::CompleteAttributes();
  v1::Proposal bobs;
  grpc::ServerContext context;
  ASSERT_TRUE(service_->CreateProposal(&context, &request, &bobs).ok());
  EXPECT_NE(bobs.name(), first.name());
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_F(IntakeServiceTest, RetriedSubmitSucceedsWithoutASecondEvent) {
  const v1::Proposal draft = CreateDraft();
  v1::Proposal first, retry;
  ASSERT_TRUE(Submit(draft.name(), "submit-1", 1, &first).ok());
  const grpc::Status status = Submit(draft.name(), "submit-1", 1, &retry);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retry.state(), v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(retry.version(), 2u);
  EXPECT_EQ(store_->LastPosition(), 2u);
  // Without the request id, submitting again is a lifecycle error.
  EXPECT_EQ(Submit(draft.name()).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

// A script that gives one request id to the same command on several
// proposals means several commands: each proposal is submitted, and a
// retry on either is still recognised.
TEST_F(IntakeServiceTest, OneRequestIdOnTwoProposalsSubmitsBoth) {
  const v1::Proposal first = CreateDraft();
  const v1::Proposal second = CreateDraft();
  v1::Proposal a, b, retry;
  ASSERT_TRUE(Submit(first.name(), "batch-submit", 0, &a).ok());
  const grpc::Status status = Submit(second.name(), "batch-submit", 0, &b);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(b.name(), second.name());
  EXPECT_EQ(b.state(), v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(b.version(), 2u);
  EXPECT_EQ(store_->LastPosition(), 4u);
  ASSERT_TRUE(Submit(second.name(), "batch-submit", 0, &retry).ok());
  EXPECT_EQ(retry.version(), 2u);
  EXPECT_EQ(store_->LastPosition(), 4u);
}

// Once the read model holds the stream's head, commands start from its
// copy: a retry must still be recognised, and the lifecycle still checked.
TEST_F(IntakeServiceTest, RetriedSubmitAfterTheModelCaughtUpIsAnsweredOnce) {
  const v1::Proposal draft = CreateDraft();
  v1::Proposal first, retry;
  ASSERT_TRUE(Submit(draft.name(), "submit-1", 1, &first).ok());
  ASSERT_TRUE(model_.WaitFor(store_->LastPosition(), absl::Now() + absl::Seconds(5)));
  const grpc::Status status = Submit(draft.name(), "submit-1", 1, &retry);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(retry.state(), v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(retry.version(), 2u);
  EXPECT_EQ(store_->LastPosition(), 2u);
  EXPECT_EQ(Submit(draft.name(), "submit-2").error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Submit(draft.name(), "", 1).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

// A model that does not keep up (here: stopped) only costs a read of the
// stream: commands and gets see every committed event.
TEST_F(IntakeServiceTest, CommandsAndGetsDoNotWaitForTheModel) {
  model_.Stop();
  const v1::Proposal draft = CreateDraft();
  ASSERT_TRUE(Submit(draft.name(), "submit-1", 1).ok());
  v1::Proposal retry;
  ASSERT_TRUE(Submit(draft.name(), "submit-1", 1, &retry).ok());
  EXPECT_EQ(retry.version(), 2u);
  grpc::ServerContext context;
  v1::GetProposalRequest get;
  get.set_name(draft.name());
  v1::Proposal got;
  ASSERT_TRUE(service_->GetProposal(&context, &get, &got).ok());
  EXPECT_EQ(got.state(), v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(got.version(), 2u);
  EXPECT_EQ(store_->LastPosition(), 2u);
}

TEST_F(IntakeServiceTest, StaleExpectedVersionIsAbortedAndStoresNothing) {
  const v1::Proposal draft = CreateDraft();
  const auto status = Submit(draft.name(), "", 5);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(store_->LastPosition(), 1u);
}

TEST_F(IntakeServiceTest, BadInputNamesFieldsAndStoresNothing) {
  v1::CreateProposalRequest request;
  request.mutable_attributes()->set_business_area("ZZ");
  v1::Proposal proposal;
  grpc::ServerContext context;
  const auto status = service_->CreateProposal(&context, &request, &proposal);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "title: required; business_area: unknown business area \"ZZ\"");
  EXPECT_EQ(store_->LastPosition(), 0u);
}

TEST_F(IntakeServiceTest, UnknownAndMalformedNames) {
  grpc::ServerContext c1, c2;
  v1::GetProposalRequest get;
  get.set_name("proposals/00000000-0000-4000-8000-000000000000");
  v1::Proposal proposal;
  EXPECT_EQ(service_->GetProposal(&c1, &get, &proposal).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_name("proposal/1");
  EXPECT_EQ(service_->GetProposal(&c2, &get, &proposal).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  const grpc::Status submit = Submit("proposals/00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(submit.error_code(), grpc::StatusCode::NOT_FOUND);
  // Commands name the resource they could not find, as gets do.
  EXPECT_EQ(submit.error_message(), "proposals/00000000-0000-4000-8000-000000000000 not found");
}

TEST_F(IntakeServiceTest, AnotherProposerCannotSubmit) {
  const v1::Proposal draft = CreateDraft();
  As("bob");
  v1::SubmitProposalRequest request;
  request.set_name(draft.name());
  v1::Proposal proposal;
  grpc::ServerContext context;
  EXPECT_EQ(service_->SubmitProposal(&context, &request, &proposal).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IntakeServiceTest, ListsSeeTheCallersOwnWrites) {
  std::vector<std::string> names;
  for (int i = 0; i < 5; ++i) names.push_back(CreateDraft().name());
  v1::ListProposalsRequest request;
  request.set_page_size(2);
  std::vector<std::string> listed;
  for (;;) {
    grpc::ServerContext context;
    v1::ListProposalsResponse page;
    ASSERT_TRUE(service_->ListProposals(&context, &request, &page).ok());
    for (const auto& p : page.proposals()) listed.push_back(p.name());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(listed, names);
}

TEST_F(IntakeServiceTest, AnUnknownBusinessAreaFilterIsRefusedNotAnsweredEmpty) {
  CreateDraft();  // business area MO
  auto list = [&](const std::string& area, v1::ListProposalsResponse* page) {
    v1::ListProposalsRequest request;
    request.set_business_area(area);
    grpc::ServerContext context;
    return service_->ListProposals(&context, &request, page);
  };
  v1::ListProposalsResponse page;
  for (const char* area : {"ZZ", "mo"}) {
    const grpc::Status status = list(area, &page);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << area;
    EXPECT_THAT(status.error_message(),
                HasSubstr(absl::StrCat("business_area: unknown business area \"", area)));
  }
  v1::ListChangesRequest changes;
  changes.set_business_area("ZZ");
  v1::ListChangesResponse none;
  grpc::ServerContext context;
  EXPECT_EQ(service_->ListChanges(&context, &changes, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A catalog area without records is an empty answer.
  ASSERT_TRUE(list("CS", &page).ok());
  EXPECT_EQ(page.proposals_size(), 0);
  // A code retired from the catalog still lists what was recorded under it.
  areas_ = domain::BusinessAreaCatalog(std::vector<v1::BusinessArea>{});
  ASSERT_TRUE(list("MO", &page).ok());
  EXPECT_EQ(page.proposals_size(), 1);
  // ... and is an empty answer, not an unknown area, when other filters
  // leave none of them.
  v1::ListProposalsRequest approved;
  approved.set_business_area("MO");
  approved.set_state(v1::PROPOSAL_STATE_APPROVED);
  grpc::ServerContext approved_context;
  const grpc::Status status = service_->ListProposals(&approved_context, &approved, &page);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(page.proposals_size(), 0);
}

TEST_F(IntakeServiceTest, ConcurrentAmendmentsWithoutVersionsAllLand) {
  As("office");
  v1::RegisterChangeRequest reg;
  *reg.mutable_attributes() = testing::CompleteAttributes();
  v1::Change change;
  grpc::ServerContext context;
  ASSERT_TRUE(service_->RegisterChange(&context, &reg, &change).ok());
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      v1::AmendChangeRequest amend;
      amend.set_reason("work packages re-counted");
      amend.set_name(change.name());
      amend.mutable_attributes()->mutable_features()->set_work_packages(10 + t);
      amend.mutable_update_mask()->add_paths("features.work_packages");
      v1::Change out;
      grpc::ServerContext c;
      if (service_->AmendChange(&c, &amend, &out).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads);
  EXPECT_EQ(store_->StreamVersion(domain::ChangeStream(change.name().substr(8))).value(),
            1u + kThreads);
}

TEST_F(IntakeServiceTest, BusinessAreasComeFromTheCatalog) {
  grpc::ServerContext context;
  v1::ListBusinessAreasRequest request;
  v1::ListBusinessAreasResponse response;
  ASSERT_TRUE(service_->ListBusinessAreas(&context, &request, &response).ok());
  ASSERT_EQ(response.business_areas_size(), static_cast<int>(areas_.areas().size()));
  EXPECT_EQ(response.business_areas(0).name(), "Met Operations");
}

}  // namespace
}  // namespace changeledger::intake
