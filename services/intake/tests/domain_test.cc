#include "domain/intake_domain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/domain_test_util.h"

namespace changeledger::intake::domain {
namespace {

using testing::CompleteAttributes;
using ::testing::ElementsAre;
using testing::FakeLog;
using ::testing::HasSubstr;
using testing::MakeDate;

constexpr char kProposalId[] = "11111111-2222-3333-4444-555555555555";
constexpr char kChangeId[] = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

// What ReadReturnHeader says of an import whose first message names
// `reference` and no as-of date.
absl::Status HeaderStatus(const std::string& reference) {
  v1::ImportReturnRequest message;
  message.set_return_reference(reference);
  return ReadReturnHeader(message, absl::Now()).status();
}

// An amendment request that says why; the test sets what it amends.
v1::AmendChangeRequest Amendment() {
  v1::AmendChangeRequest request;
  request.set_reason("corrected after the June board");
  return request;
}

template <typename T>
T Payload(const PendingEvent& event) {
  T message;
  EXPECT_TRUE(event.payload.UnpackTo(&message)) << event.type;
  return message;
}

class IntakeDomainTest : public ::testing::Test {
 protected:
  IntakeDomainTest() : areas_(BusinessAreaCatalog::Default()) {
    const absl::Time now = absl::FromCivil(absl::CivilSecond(2021, 7, 1, 10, 0, 0),
                                           absl::UTCTimeZone());
    // Proposers draft and submit before the panel meets (Decision(): 30 June).
    const absl::Time earlier = absl::FromCivil(absl::CivilSecond(2021, 6, 28, 10, 0, 0),
                                               absl::UTCTimeZone());
    proposer_ = {.actor = "alice", .now = earlier, .areas = &areas_};
    other_proposer_ = {.actor = "bob", .now = earlier, .areas = &areas_};
    panel_ = {.actor = "panel-chair", .now = now, .areas = &areas_};
    panel2_ = {.actor = "panel-member", .now = now, .areas = &areas_};
    office_ = {.actor = "office", .now = now, .areas = &areas_};
  }

  std::string stream() const { return ProposalStream(kProposalId); }
  const v1::Proposal& proposal() { return log_.proposal(stream()); }
  const v1::Change& change() { return log_.change(ChangeStream(kChangeId)); }

  void Commit(const absl::StatusOr<std::vector<PendingEvent>>& events,
              const CommandContext& context) {
    ASSERT_TRUE(events.ok()) << events.status();
    ASSERT_TRUE(log_.Commit(*events, context.actor, context.now).ok());
  }

  void Draft(v1::ChangeAttributes attributes = CompleteAttributes()) {
    v1::CreateProposalRequest request;
    *request.mutable_attributes() = std::move(attributes);
    Commit(DecideCreateProposal(kProposalId, request, proposer_), proposer_);
  }
  void Submit() {
    Commit(DecideSubmitProposal(proposal(), v1::SubmitProposalRequest(), proposer_), proposer_);
  }
  void StartAssessment() {
    Commit(DecideStartAssessment(proposal(), v1::StartAssessmentRequest(), panel_), panel_);
  }
  v1::RecordAssessmentRequest Scores(int desirable, int deliverable, int affordable) {
    v1::RecordAssessmentRequest request;
    request.mutable_desirable()->set_score(desirable);
    request.mutable_desirable()->set_rationale("fits the strategy");
    request.mutable_deliverable()->set_score(deliverable);
    request.mutable_deliverable()->set_rationale("team in place");
    request.mutable_affordable()->set_score(affordable);
    request.mutable_affordable()->set_rationale("within budget");
    return request;
  }
  void Assess(const CommandContext& who, int score = 4) {
    Commit(DecideRecordAssessment(proposal(), Scores(score, score, score), who), who);
  }
  v1::DecideProposalRequest Decision(v1::DecisionOutcome outcome) {
    v1::DecideProposalRequest request;
    request.set_outcome(outcome);
    *request.mutable_meeting_date() = MakeDate(2021, 6, 30);
    request.set_chair("DAC Corporate Services");
    request.add_conditions("benefits profile by Q3");
    return request;
  }
  void Decide(v1::DecisionOutcome outcome) {
    Commit(DecideProposalDecision(proposal(), Decision(outcome), kChangeId, panel_), panel_);
  }
  void RegisterChange() {
    v1::RegisterChangeRequest request;
    *request.mutable_attributes() = CompleteAttributes("Travel contract renewal");
    request.set_note("from the March baseline");
    Commit(DecideRegisterChange(kChangeId, request, office_), office_);
  }

  BusinessAreaCatalog areas_;
  CommandContext proposer_, other_proposer_, panel_, panel2_, office_;
  FakeLog log_;
};

// ---- names -----------------------------------------------------------------

TEST_F(IntakeDomainTest, ParsesResourceNames) {
  EXPECT_EQ(*ParseProposalName(ProposalName(kProposalId)), kProposalId);
  EXPECT_EQ(*ParseChangeName(ChangeName(kChangeId)), kChangeId);
  EXPECT_EQ(ParseProposalName("").status().message(), "name: required");
  EXPECT_EQ(ParseProposalName(ChangeName(kChangeId)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseChangeName("changes/not-a-uuid").status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- create ----------------------------------------------------------------

TEST_F(IntakeDomainTest, CreateDraftsProposalOwnedByTheActor) {
  Draft();
  EXPECT_EQ(proposal().name(), ProposalName(kProposalId));
  EXPECT_EQ(proposal().proposer(), "alice");
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_DRAFT);
  EXPECT_EQ(proposal().version(), 1u);
  EXPECT_EQ(proposal().attributes().title(), "Forensic terminals");
  EXPECT_EQ(log_.envelopes()[0].type(), "changeledger.intake.v1.ProposalDrafted");
}

TEST_F(IntakeDomainTest, CreateAcceptsAnIncompleteDraft) {
  v1::CreateProposalRequest request;
  request.mutable_attributes()->set_title("An idea");
  request.mutable_attributes()->set_business_area("FP");
  EXPECT_TRUE(DecideCreateProposal(kProposalId, request, proposer_).ok());
}

TEST_F(IntakeDomainTest, CreateNamesEveryBadField) {
  v1::CreateProposalRequest request;
  auto* a = request.mutable_attributes();
  a->set_business_area("NOPE");
  a->set_title(std::string(201, 'x'));
  a->mutable_estimated_cost()->set_currency_code("gbp");
  a->mutable_estimated_cost()->set_amount_minor(-1);
  *a->mutable_planned_start() = MakeDate(2022, 1, 1);
  *a->mutable_planned_end() = MakeDate(2021, 12, 31);
  a->add_teams("A");
  a->add_teams("A");
  a->add_teams("");
  a->mutable_features()->set_clarity_of_aims(static_cast<v1::AimsClarity>(42));
  auto result = DecideCreateProposal(kProposalId, request, proposer_);
  ASSERT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  const auto message = std::string(result.status().message());
  EXPECT_THAT(message, HasSubstr("title: longer than 200 characters"));
  EXPECT_THAT(message, HasSubstr("business_area: unknown business area \"NOPE\""));
  EXPECT_THAT(message, HasSubstr("estimated_cost.currency_code"));
  EXPECT_THAT(message, HasSubstr("estimated_cost.amount_minor: negative"));
  EXPECT_THAT(message, HasSubstr("planned_end: before planned_start"));
  EXPECT_THAT(message, HasSubstr("teams[1]: duplicate"));
  EXPECT_THAT(message, HasSubstr("teams[2]: required"));
  EXPECT_THAT(message, HasSubstr("features.clarity_of_aims: unknown value"));
}

TEST_F(IntakeDomainTest, CreateRequiresTitleAndBusinessArea) {
  v1::CreateProposalRequest request;
  auto result = DecideCreateProposal(kProposalId, request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "title: required; business_area: required");
}

TEST_F(IntakeDomainTest, CreateRejectsImpossibleDateAndLongRequestId) {
  v1::CreateProposalRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  *request.mutable_attributes()->mutable_planned_start() = MakeDate(2021, 2, 29);
  request.set_request_id(std::string(129, 'r'));
  auto result = DecideCreateProposal(kProposalId, request, proposer_);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("planned_start: not a valid date"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("request_id: longer than 128"));
}

// ---- update ----------------------------------------------------------------

TEST_F(IntakeDomainTest, UpdateWithMaskReplacesNamedFieldsAndListsChangedPaths) {
  Draft();
  v1::UpdateProposalRequest request;
  request.mutable_attributes()->set_title("24 forensic terminals");
  request.mutable_attributes()->add_teams("Procurement");
  request.mutable_attributes()->mutable_features()->set_work_packages(3);
  request.mutable_attributes()->set_description("ignored: not in the mask");
  request.mutable_update_mask()->add_paths("title");
  request.mutable_update_mask()->add_paths("teams");
  request.mutable_update_mask()->add_paths("features.work_packages");
  auto events = DecideUpdateProposal(proposal(), request, proposer_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  auto amended = Payload<v1::ProposalAmended>((*events)[0]);
  EXPECT_THAT(amended.changed_paths(),
              ElementsAre("title", "teams", "features.work_packages"));
  Commit(events, proposer_);
  EXPECT_EQ(proposal().attributes().title(), "24 forensic terminals");
  EXPECT_THAT(proposal().attributes().teams(), ElementsAre("Procurement"));
  EXPECT_EQ(proposal().attributes().features().work_packages(), 3u);
  EXPECT_EQ(proposal().attributes().description(), "Procurement of 24 forensic terminals");
  EXPECT_EQ(proposal().version(), 2u);
}

TEST_F(IntakeDomainTest, UpdateWithoutMaskNeedsExpectedVersion) {
  Draft();
  v1::UpdateProposalRequest request;
  *request.mutable_attributes() = CompleteAttributes("New title");
  auto result = DecideUpdateProposal(proposal(), request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("expected_version"));
  request.set_expected_version(1);
  auto events = DecideUpdateProposal(proposal(), request, proposer_);
  ASSERT_TRUE(events.ok());
  EXPECT_THAT(Payload<v1::ProposalAmended>((*events)[0]).changed_paths(), ElementsAre("title"));
}

TEST_F(IntakeDomainTest, UpdateWithStaleVersionIsAborted) {
  Draft();
  v1::UpdateProposalRequest request;
  *request.mutable_attributes() = CompleteAttributes("New title");
  request.set_expected_version(7);
  EXPECT_EQ(DecideUpdateProposal(proposal(), request, proposer_).status().code(),
            absl::StatusCode::kAborted);
}

TEST_F(IntakeDomainTest, UpdateRejectsUnknownMaskPath) {
  Draft();
  v1::UpdateProposalRequest request;
  request.mutable_update_mask()->add_paths("proposer");
  auto result = DecideUpdateProposal(proposal(), request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("update_mask: unknown path"));
}

TEST_F(IntakeDomainTest, UpdateValidatesTheResultingAttributes) {
  Draft();
  v1::UpdateProposalRequest request;
  request.mutable_update_mask()->add_paths("title");  // clears it
  auto result = DecideUpdateProposal(proposal(), request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "title: required");
}

TEST_F(IntakeDomainTest, UpdateThatChangesNothingGivesNoEvents) {
  Draft();
  v1::UpdateProposalRequest request;
  request.mutable_attributes()->set_title("Forensic terminals");
  request.mutable_update_mask()->add_paths("title");
  auto events = DecideUpdateProposal(proposal(), request, proposer_);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
}

TEST_F(IntakeDomainTest, OnlyTheProposerMayAmendSubmitOrWithdraw) {
  Draft();
  v1::UpdateProposalRequest update;
  update.mutable_attributes()->set_title("Hijacked");
  update.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(DecideUpdateProposal(proposal(), update, other_proposer_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DecideSubmitProposal(proposal(), {}, other_proposer_).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DecideWithdrawProposal(proposal(), {}, other_proposer_).status().code(),
            absl::StatusCode::kPermissionDenied);
}

// A principal with both the proposer and the panel role (possible in the
// tokens file) may sit on the panel, but not for a proposal of their own.
TEST_F(IntakeDomainTest, TheProposerMayNotAssessOrDecideTheirOwnProposal) {
  Draft();
  Submit();
  CommandContext proposer_on_panel = proposer_;
  proposer_on_panel.now = panel_.now;
  const auto started = DecideStartAssessment(proposal(), {}, proposer_on_panel);
  EXPECT_EQ(started.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(started.status().message(),
            "the proposer may not start assessing their own proposal");
  StartAssessment();
  const auto assessed = DecideRecordAssessment(proposal(), Scores(5, 5, 5), proposer_on_panel);
  EXPECT_EQ(assessed.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(assessed.status().message(), "the proposer may not assess their own proposal");
  Assess(panel_);
  EXPECT_EQ(DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_APPROVED), kChangeId,
                                   proposer_on_panel)
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  Decide(v1::DECISION_OUTCOME_APPROVED);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_APPROVED);
}

TEST_F(IntakeDomainTest, CommandsOnAnUnknownProposalAreNotFound) {
  const v1::Proposal empty;
  EXPECT_EQ(DecideSubmitProposal(empty, {}, proposer_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideStartAssessment(empty, {}, panel_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideRecordAssessment(empty, Scores(3, 3, 3), panel_).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideProposalDecision(empty, Decision(v1::DECISION_OUTCOME_REJECTED), kChangeId,
                                   panel_)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideWithdrawProposal(empty, {}, proposer_).status().code(),
            absl::StatusCode::kNotFound);
}

// ---- submit ----------------------------------------------------------------

TEST_F(IntakeDomainTest, SubmitMovesADraftToSubmitted) {
  Draft();
  Submit();
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_SUBMITTED);
  EXPECT_EQ(proposal().version(), 2u);
}

// The event names the area it was submitted for: the front door's view
// by area and an auditor's history read it without the proposal's draft.
TEST_F(IntakeDomainTest, SubmittedEventNamesTheBusinessArea) {
  Draft();
  auto events = DecideSubmitProposal(proposal(), {}, proposer_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const auto submitted = Payload<v1::ProposalSubmitted>((*events)[0]);
  EXPECT_EQ(submitted.proposal_id(), kProposalId);
  EXPECT_EQ(submitted.business_area(), proposal().attributes().business_area());
  EXPECT_FALSE(submitted.business_area().empty());
}

TEST_F(IntakeDomainTest, SubmitOfAnIncompleteDraftNamesWhatIsMissing) {
  v1::ChangeAttributes partial;
  partial.set_title("An idea");
  partial.set_business_area("FP");
  Draft(partial);
  auto result = DecideSubmitProposal(proposal(), {}, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "proposal is incomplete: description: required for submission; sponsor: required "
            "for submission; estimated_cost: required for submission; planned_start: required "
            "for submission; planned_end: required for submission");
}

TEST_F(IntakeDomainTest, SubmitTwiceIsFailedPreconditionAndAmendingSubmittedToo) {
  Draft();
  Submit();
  EXPECT_EQ(DecideSubmitProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::UpdateProposalRequest update;
  update.mutable_attributes()->set_title("Later");
  update.mutable_update_mask()->add_paths("title");
  auto result = DecideUpdateProposal(proposal(), update, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(), "cannot amend a proposal that is submitted");
}

// ---- withdraw ----------------------------------------------------------------

TEST_F(IntakeDomainTest, WithdrawIsAllowedBeforeAFinalDecision) {
  Draft();
  Submit();
  StartAssessment();
  v1::WithdrawProposalRequest request;
  request.set_reason("merged into CONNECT");
  Commit(DecideWithdrawProposal(proposal(), request, proposer_), proposer_);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_WITHDRAWN);
  EXPECT_EQ(proposal().withdraw_reason(), "merged into CONNECT");
  EXPECT_EQ(DecideWithdrawProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideSubmitProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, WithdrawAfterApprovalIsFailedPrecondition) {
  Draft();
  Submit();
  StartAssessment();
  Assess(panel_);
  Decide(v1::DECISION_OUTCOME_APPROVED);
  EXPECT_EQ(DecideWithdrawProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, WithdrawRejectsOverlongReason) {
  Draft();
  v1::WithdrawProposalRequest request;
  request.set_reason(std::string(2001, 'r'));
  EXPECT_EQ(DecideWithdrawProposal(proposal(), request, proposer_).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- assessment --------------------------------------------------------------

TEST_F(IntakeDomainTest, StartAssessmentNeedsASubmittedProposal) {
  Draft();
  EXPECT_EQ(DecideStartAssessment(proposal(), {}, panel_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Submit();
  StartAssessment();
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_UNDER_ASSESSMENT);
  EXPECT_EQ(DecideStartAssessment(proposal(), {}, panel_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, RecordAssessmentValidatesScoresAndRationales) {
  Draft();
  Submit();
  StartAssessment();
  auto request = Scores(0, 6, 3);
  request.mutable_affordable()->clear_rationale();
  auto result = DecideRecordAssessment(proposal(), request, panel_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "desirable.score: must be 1..5; deliverable.score: must be 1..5; "
            "affordable.rationale: required");
  request.clear_deliverable();
  EXPECT_THAT(std::string(DecideRecordAssessment(proposal(), request, panel_).status().message()),
              HasSubstr("deliverable: required"));
}

TEST_F(IntakeDomainTest, RecordAssessmentKeepsOnePerPanelMember) {
  Draft();
  Submit();
  StartAssessment();
  Assess(panel_, 2);
  Assess(panel2_, 5);
  Assess(panel_, 4);
  ASSERT_EQ(proposal().assessments_size(), 2);
  EXPECT_EQ(proposal().assessments(0).assessor(), "panel-chair");
  EXPECT_EQ(proposal().assessments(0).desirable().score(), 4);
  EXPECT_EQ(proposal().assessments(1).assessor(), "panel-member");
  EXPECT_EQ(proposal().assessments(1).affordable().score(), 5);
}

TEST_F(IntakeDomainTest, RecordAssessmentNeedsAssessmentStarted) {
  Draft();
  Submit();
  EXPECT_EQ(DecideRecordAssessment(proposal(), Scores(3, 3, 3), panel_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- decision ----------------------------------------------------------------

TEST_F(IntakeDomainTest, ApprovalRegistersAChangeInTheSameDecision) {
  Draft();
  Submit();
  StartAssessment();
  Assess(panel_);
  auto events = DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_APPROVED),
                                       kChangeId, panel_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].stream, ProposalStream(kProposalId));
  EXPECT_EQ((*events)[0].type, "changeledger.intake.v1.ProposalDecided");
  EXPECT_EQ((*events)[1].stream, ChangeStream(kChangeId));
  EXPECT_EQ((*events)[1].type, "changeledger.intake.v1.ChangeRegistered");
  // The decision happened at the meeting.
  EXPECT_EQ((*events)[0].occurred_at,
            absl::FromCivil(absl::CivilDay(2021, 6, 30), absl::UTCTimeZone()));
  auto registered = Payload<v1::ChangeRegistered>((*events)[1]);
  EXPECT_EQ(registered.origin().proposal_id(), kProposalId);
  EXPECT_EQ(registered.attributes().title(), "Forensic terminals");
  Commit(events, panel_);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_APPROVED);
  EXPECT_EQ(proposal().change(), ChangeName(kChangeId));
  EXPECT_EQ(proposal().decision().chair(), "DAC Corporate Services");
  EXPECT_EQ(proposal().decision().decided_by(), "panel-chair");
  EXPECT_THAT(proposal().decision().conditions(), ElementsAre("benefits profile by Q3"));
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_REGISTERED);
  EXPECT_EQ(change().version(), 1u);
}

TEST_F(IntakeDomainTest, ApprovalNeedsAnAssessment) {
  Draft();
  Submit();
  StartAssessment();
  auto result = DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_APPROVED),
                                       kChangeId, panel_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  // Rejection does not.
  EXPECT_TRUE(DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_REJECTED),
                                     kChangeId, panel_)
                  .ok());
}

TEST_F(IntakeDomainTest, DecisionValidatesOutcomeMeetingDateAndChair) {
  Draft();
  Submit();
  StartAssessment();
  v1::DecideProposalRequest request;
  auto result = DecideProposalDecision(proposal(), request, kChangeId, panel_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "outcome: required; meeting_date: required; chair: required");
  request = Decision(static_cast<v1::DecisionOutcome>(9));
  *request.mutable_meeting_date() = MakeDate(2021, 7, 2);  // tomorrow
  request.add_conditions("");
  result = DecideProposalDecision(proposal(), request, kChangeId, panel_);
  EXPECT_EQ(result.status().message(),
            "outcome: unknown value; meeting_date: in the future; conditions[1]: required");
}

TEST_F(IntakeDomainTest, DecisionCannotPrecedeTheSubmission) {
  Draft();
  Submit();  // 28 June, 10:00
  EXPECT_EQ(proposal().submit_time().seconds(),
            absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2021, 6, 28, 10, 0, 0),
                                                absl::UTCTimeZone())));
  StartAssessment();
  Assess(panel_);
  v1::DecideProposalRequest request = Decision(v1::DECISION_OUTCOME_APPROVED);
  *request.mutable_meeting_date() = MakeDate(2021, 6, 27);
  auto result = DecideProposalDecision(proposal(), request, kChangeId, panel_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "meeting_date: before the proposal was submitted (2021-06-28)");
  // A meeting on the day of the submission took place after it, not at midnight.
  *request.mutable_meeting_date() = MakeDate(2021, 6, 28);
  result = DecideProposalDecision(proposal(), request, kChangeId, panel_);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ((*result)[0].occurred_at, proposer_.now);
}

TEST_F(IntakeDomainTest, DecisionNeedsAProposalUnderAssessment) {
  Draft();
  Submit();
  EXPECT_EQ(DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_REJECTED),
                                   kChangeId, panel_)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, ReturnedProposalCanBeAmendedAndResubmitted) {
  Draft();
  Submit();
  StartAssessment();
  Assess(panel_);
  Decide(v1::DECISION_OUTCOME_RETURNED);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_RETURNED);
  v1::UpdateProposalRequest update;
  update.mutable_attributes()->set_description("With the benefits case added");
  update.mutable_update_mask()->add_paths("description");
  Commit(DecideUpdateProposal(proposal(), update, proposer_), proposer_);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_RETURNED);
  Submit();
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_SUBMITTED);
  StartAssessment();
  EXPECT_EQ(proposal().assessments_size(), 0) << "a new round starts without scores";
}

TEST_F(IntakeDomainTest, DeferredProposalCanBeAssessedAgain) {
  Draft();
  Submit();
  StartAssessment();
  Decide(v1::DECISION_OUTCOME_DEFERRED);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_DEFERRED);
  EXPECT_EQ(DecideSubmitProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  StartAssessment();
  Assess(panel2_);
  // The deferral came from the meeting of 2021-06-30: the next decision
  // cannot come from an earlier one.
  v1::DecideProposalRequest earlier = Decision(v1::DECISION_OUTCOME_APPROVED);
  *earlier.mutable_meeting_date() = MakeDate(2021, 6, 29);
  EXPECT_EQ(
      DecideProposalDecision(proposal(), earlier, kChangeId, panel_).status().message(),
      "meeting_date: before the meeting of the previous decision (2021-06-30)");
  Decide(v1::DECISION_OUTCOME_APPROVED);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_APPROVED);
}

TEST_F(IntakeDomainTest, RejectionIsFinal) {
  Draft();
  Submit();
  StartAssessment();
  Decide(v1::DECISION_OUTCOME_REJECTED);
  EXPECT_EQ(proposal().state(), v1::PROPOSAL_STATE_REJECTED);
  EXPECT_EQ(DecideStartAssessment(proposal(), {}, panel_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideSubmitProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideWithdrawProposal(proposal(), {}, proposer_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(DecideProposalDecision(proposal(), Decision(v1::DECISION_OUTCOME_APPROVED),
                                   kChangeId, panel_)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

// ---- changes -----------------------------------------------------------------

TEST_F(IntakeDomainTest, RegisterChangeDirectlyRecordsTheNote) {
  RegisterChange();
  EXPECT_EQ(change().name(), ChangeName(kChangeId));
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_REGISTERED);
  EXPECT_EQ(change().origin().direct_note(), "from the March baseline");
}

TEST_F(IntakeDomainTest, RegisterChangeRequiresASponsor) {
  v1::RegisterChangeRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  request.mutable_attributes()->clear_sponsor();
  auto result = DecideRegisterChange(kChangeId, request, office_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "sponsor: required");
}

TEST_F(IntakeDomainTest, AmendChangeCarriesFullAttributesAndChangedPaths) {
  RegisterChange();
  v1::AmendChangeRequest request = Amendment();
  request.mutable_attributes()->add_teams("Met Operations HQ");
  request.mutable_attributes()->mutable_features()->set_clarity_of_aims(
      v1::AIMS_CLARITY_EVOLVING);
  request.mutable_update_mask()->add_paths("teams");
  request.mutable_update_mask()->add_paths("features.clarity_of_aims");
  request.set_expected_version(1);
  auto events = DecideAmendChange(change(), request, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  auto amended = Payload<v1::ChangeAmended>((*events)[0]);
  EXPECT_THAT(amended.changed_paths(), ElementsAre("teams", "features.clarity_of_aims"));
  EXPECT_EQ(amended.attributes().title(), "Travel contract renewal");
  EXPECT_THAT(amended.attributes().teams(), ElementsAre("Met Operations HQ"));
  Commit(events, office_);
  EXPECT_EQ(change().version(), 2u);
  EXPECT_EQ(change().attributes().features().clarity_of_aims(), v1::AIMS_CLARITY_EVOLVING);
}

TEST_F(IntakeDomainTest, AmendChangeChecksVersionAndResult) {
  RegisterChange();
  v1::AmendChangeRequest request = Amendment();
  request.mutable_update_mask()->add_paths("business_area");
  request.mutable_attributes()->set_business_area("XX");
  EXPECT_EQ(DecideAmendChange(change(), request, office_).status().message(),
            "business_area: unknown business area \"XX\"");
  request.set_expected_version(3);
  request.mutable_attributes()->set_business_area("FP");
  EXPECT_EQ(DecideAmendChange(change(), request, office_).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(DecideAmendChange(v1::Change(), request, office_).status().code(),
            absl::StatusCode::kNotFound);
}

// Older events may hold another currency than today's reporting one: an
// amendment keeps it, but cannot set a new one.
TEST_F(IntakeDomainTest, AmendChangeKeepsAStoredCurrencyButSetsOnlyTheReportingOne) {
  v1::Change legacy;
  legacy.set_name(ChangeName(kChangeId));
  legacy.set_version(1);
  legacy.set_status(v1::CHANGE_STATUS_REGISTERED);
  *legacy.mutable_attributes() = CompleteAttributes();
  legacy.mutable_attributes()->mutable_estimated_cost()->set_currency_code("USD");
  v1::AmendChangeRequest request = Amendment();
  request.mutable_attributes()->set_title("Forensic terminals, phase 2");
  request.mutable_update_mask()->add_paths("title");
  auto events = DecideAmendChange(legacy, request, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(Payload<v1::ChangeAmended>((*events)[0])
                .attributes()
                .estimated_cost()
                .currency_code(),
            "USD");
  request.mutable_attributes()->mutable_estimated_cost()->set_currency_code("EUR");
  request.mutable_update_mask()->add_paths("estimated_cost");
  EXPECT_THAT(DecideAmendChange(legacy, request, office_).status().message(),
              HasSubstr("estimated_cost.currency_code: must be GBP"));
}

TEST_F(IntakeDomainTest, ChangeLifecycleRegisteredDeliveryClosed) {
  RegisterChange();
  EXPECT_EQ(DecideCloseChange(change(), {}, office_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  Commit(DecideStartDelivery(change(), {}, office_), office_);
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_IN_DELIVERY);
  EXPECT_EQ(DecideStartDelivery(change(), {}, office_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::CloseChangeRequest close;
  close.set_summary("terminals in service");
  Commit(DecideCloseChange(change(), close, office_), office_);
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_CLOSED);
  EXPECT_EQ(change().close_summary(), "terminals in service");
  v1::AmendChangeRequest amend = Amendment();
  amend.mutable_attributes()->set_title("x");
  amend.mutable_update_mask()->add_paths("title");
  EXPECT_EQ(DecideAmendChange(change(), amend, office_).status().code(),
            absl::StatusCode::kFailedPrecondition);
  v1::StopChangeRequest stop;
  stop.set_reason("late");
  EXPECT_EQ(DecideStopChange(change(), stop, office_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, StopNeedsAReason) {
  RegisterChange();
  EXPECT_EQ(DecideStopChange(change(), {}, office_).status().message(), "reason: required");
  v1::StopChangeRequest stop;
  stop.set_reason("superseded by CONNECT");
  Commit(DecideStopChange(change(), stop, office_), office_);
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_STOPPED);
  EXPECT_EQ(change().stop_reason(), "superseded by CONNECT");
  EXPECT_EQ(DecideStartDelivery(change(), {}, office_).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(IntakeDomainTest, AmendChangeRecordsWhyItWasAmended) {
  RegisterChange();
  v1::AmendChangeRequest request = Amendment();
  request.set_reason("Re-scoped by the board on 3 June:\n\t- Met Operations joins");
  request.mutable_attributes()->add_teams("Met Operations");
  request.mutable_update_mask()->add_paths("teams");
  auto events = DecideAmendChange(change(), request, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  // Multi-line text, stored as written.
  EXPECT_EQ(Payload<v1::ChangeAmended>((*events)[0]).reason(),
            "Re-scoped by the board on 3 June:\n\t- Met Operations joins");
}

TEST_F(IntakeDomainTest, AmendChangeRefusesAMissingOrBadReasonNamingIt) {
  RegisterChange();
  v1::AmendChangeRequest request;
  request.mutable_attributes()->set_title("Travel and NUMS contract renewal");
  request.mutable_update_mask()->add_paths("title");
  const auto message = [&](const std::string& reason) {
    request.set_reason(reason);
    const absl::Status status = DecideAmendChange(change(), request, office_).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << reason;
    return std::string(status.message());
  };
  EXPECT_EQ(message(""), "reason: required");
  EXPECT_EQ(message(" \n\t"), "reason: required");
  EXPECT_EQ(message("renamed\x1b[2J"), "reason: contains control character U+001B");
  EXPECT_EQ(message(std::string(2001, 'x')), "reason: longer than 2000 characters");
  // Characters, not bytes: 2000 two-byte letters are within the limit.
  std::string accents;
  for (int i = 0; i < 2000; ++i) accents += "\xC3\xA9";
  request.set_reason(accents);
  EXPECT_TRUE(DecideAmendChange(change(), request, office_).ok());
  // Named with the other bad fields, before anything else is looked at.
  request.set_reason("");
  request.clear_update_mask();
  EXPECT_EQ(DecideAmendChange(change(), request, office_).status().message(),
            "reason: required; expected_version: required when update_mask is empty");
}

// ---- returns -----------------------------------------------------------------

TEST_F(IntakeDomainTest, ImportRecordKeepsTheDateTheReturnStandsAt) {
  v1::ImportReturnRequest message;
  message.set_return_reference("MO-2021-05-12");
  *message.mutable_as_of() = MakeDate(2021, 5, 12);
  auto header = ReadReturnHeader(message, office_.now);
  ASSERT_TRUE(header.ok()) << header.status();
  ASSERT_TRUE(header->as_of.has_value());
  v1::ReturnRecord record;
  record.set_record_reference("row-7");
  *record.mutable_attributes() = CompleteAttributes("NUMS contract renewal");
  auto events = DecideImportRecord(*header, record, kChangeId, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto origin = Payload<v1::ChangeRegistered>((*events)[0]).origin().return_record();
  EXPECT_EQ(origin.return_reference(), "MO-2021-05-12");
  ASSERT_TRUE(origin.has_as_of());
  EXPECT_EQ(origin.as_of().DebugString(), MakeDate(2021, 5, 12).DebugString());
  Commit(events, office_);
  EXPECT_TRUE(change().origin().return_record().has_as_of());

  // Without one, the origin states none.
  message.clear_as_of();
  header = ReadReturnHeader(message, office_.now);
  ASSERT_TRUE(header.ok()) << header.status();
  events = DecideImportRecord(*header, record, kChangeId, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_FALSE(Payload<v1::ChangeRegistered>((*events)[0]).origin().return_record().has_as_of());
}

TEST_F(IntakeDomainTest, ReturnAsOfMustBeARealDateNotInTheFuture) {
  // office_.now is 2021-07-01 10:00 UTC; tomorrow is allowed for time zones
  // ahead of UTC.
  v1::ImportReturnRequest message;
  message.set_return_reference("MO-2021-07-01");
  const auto status = [&](const common::v1::Date& as_of) {
    *message.mutable_as_of() = as_of;
    return ReadReturnHeader(message, office_.now).status();
  };
  EXPECT_TRUE(status(MakeDate(2021, 7, 1)).ok());
  EXPECT_TRUE(status(MakeDate(2021, 7, 2)).ok());
  EXPECT_TRUE(status(MakeDate(1999, 12, 31)).ok());
  EXPECT_EQ(status(MakeDate(2021, 7, 3)).message(), "as_of: in the future (after 2021-07-02)");
  EXPECT_EQ(status(MakeDate(2021, 7, 3)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status(MakeDate(2021, 2, 29)).message(), "as_of: not a valid date");
  EXPECT_EQ(status(MakeDate(0, 0, 0)).message(), "as_of: not a valid date");
  // Every bad field of the header is named.
  message.set_return_reference(" MO");
  EXPECT_EQ(status(MakeDate(2021, 13, 1)).message(),
            "return_reference: begins or ends with white space; as_of: not a valid date");
}

TEST_F(IntakeDomainTest, EveryMessageOfAnImportRepeatsTheHeader) {
  v1::ImportReturnRequest first;
  first.set_return_reference("MO-2021-05-12");
  *first.mutable_as_of() = MakeDate(2021, 5, 12);
  auto header = ReadReturnHeader(first, office_.now);
  ASSERT_TRUE(header.ok()) << header.status();
  v1::ImportReturnRequest later = first;
  EXPECT_TRUE(CheckSameReturn(*header, later).ok());
  *later.mutable_as_of() = MakeDate(2021, 5, 13);
  EXPECT_EQ(CheckSameReturn(*header, later).message(),
            "as_of: must be the same in every message of one import");
  later.clear_as_of();
  EXPECT_EQ(CheckSameReturn(*header, later).message(),
            "as_of: must be the same in every message of one import");
  later = first;
  later.set_return_reference("MO-2021-05-13");
  EXPECT_EQ(CheckSameReturn(*header, later).message(),
            "return_reference: must be the same in every message of one import");
}

TEST_F(IntakeDomainTest, ImportRecordRegistersWithItsReturnOrigin) {
  v1::ReturnRecord record;
  record.set_record_reference("row-7");
  *record.mutable_attributes() = CompleteAttributes("NUMS contract renewal");
  record.set_status(v1::CHANGE_STATUS_IN_DELIVERY);
  auto events = DecideImportRecord({.reference = "MO-2021-05-12"}, record, kChangeId, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  auto registered = Payload<v1::ChangeRegistered>((*events)[0]);
  EXPECT_EQ(registered.origin().return_record().return_reference(), "MO-2021-05-12");
  EXPECT_EQ(registered.origin().return_record().record_reference(), "row-7");
  Commit(events, office_);
  EXPECT_EQ(change().status(), v1::CHANGE_STATUS_IN_DELIVERY);
  EXPECT_EQ(change().version(), 2u);
}

TEST_F(IntakeDomainTest, ImportRecordRejectsBadRecordNamingFields) {
  v1::ReturnRecord record;
  record.mutable_attributes()->set_title("No area");
  record.set_status(v1::CHANGE_STATUS_CLOSED);
  auto result = DecideImportRecord({.reference = "MO-2021-05-12"}, record, kChangeId, office_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "record_reference: required; business_area: required; sponsor: required; "
            "status: must be REGISTERED or IN_DELIVERY");
  EXPECT_FALSE(HeaderStatus("").ok());
  EXPECT_FALSE(HeaderStatus(std::string(129, 'x')).ok());
  EXPECT_TRUE(HeaderStatus("MO-2021-05-12").ok());
}

// ---- text on every path --------------------------------------------------------

TEST_F(IntakeDomainTest, CreateStoresSingleLineTextTrimmedAndMultiLineTextAsGiven) {
  v1::CreateProposalRequest request;
  auto* a = request.mutable_attributes();
  a->set_title("  Forensic terminals \t");
  a->set_business_area(" MO");
  a->set_sponsor(" Commander Forensics ");
  a->add_teams(" Forensic Services");
  a->set_description("  Procurement:\n\t- 24 terminals\n");
  auto events = DecideCreateProposal(kProposalId, request, proposer_);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto stored = Payload<v1::ProposalDrafted>((*events)[0]).attributes();
  EXPECT_EQ(stored.title(), "Forensic terminals");
  EXPECT_EQ(stored.business_area(), "MO");
  EXPECT_EQ(stored.sponsor(), "Commander Forensics");
  EXPECT_THAT(stored.teams(), ElementsAre("Forensic Services"));
  EXPECT_EQ(stored.description(), "  Procurement:\n\t- 24 terminals\n");
}

TEST_F(IntakeDomainTest, BlankTitleAndSponsorAreRequired) {
  v1::CreateProposalRequest create;
  create.mutable_attributes()->set_title("   ");
  create.mutable_attributes()->set_business_area("MO");
  EXPECT_EQ(DecideCreateProposal(kProposalId, create, proposer_).status().message(),
            "title: required");
  v1::RegisterChangeRequest request;
  request.mutable_attributes()->set_title("   ");
  request.mutable_attributes()->set_business_area("MO");
  request.mutable_attributes()->set_sponsor("  ");
  request.mutable_attributes()->add_teams(" ");
  auto result = DecideRegisterChange(kChangeId, request, office_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(), "title: required; sponsor: required; teams[0]: required");
}

TEST_F(IntakeDomainTest, BlankProposalCannotBeSubmitted) {
  v1::ChangeAttributes blank = CompleteAttributes();
  blank.set_description(" ");
  blank.set_sponsor(" ");
  Draft(blank);
  EXPECT_EQ(proposal().attributes().sponsor(), "");
  EXPECT_EQ(proposal().attributes().description(), " ");
  auto result = DecideSubmitProposal(proposal(), {}, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "proposal is incomplete: description: required for submission; sponsor: required "
            "for submission");
}

// Proposals drafted before text was trimmed may hold blank values.
TEST_F(IntakeDomainTest, StoredBlankProposalCannotBeSubmitted) {
  v1::ProposalDrafted drafted;
  drafted.set_proposal_id(kProposalId);
  drafted.set_proposer("alice");
  *drafted.mutable_attributes() = CompleteAttributes(" ");
  drafted.mutable_attributes()->set_description(" ");
  drafted.mutable_attributes()->set_sponsor(" ");
  PendingEvent event;
  event.stream = stream();
  event.type = v1::ProposalDrafted::descriptor()->full_name();
  event.payload.PackFrom(drafted);
  event.occurred_at = proposer_.now;
  ASSERT_TRUE(log_.Commit({event}, "alice", proposer_.now).ok());
  auto result = DecideSubmitProposal(proposal(), {}, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(result.status().message(),
            "proposal is incomplete: title: required for submission; description: required "
            "for submission; sponsor: required for submission");
}

TEST_F(IntakeDomainTest, TeamsThatDifferOnlyInCaseOrPaddingAreDuplicates) {
  v1::CreateProposalRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  request.mutable_attributes()->clear_teams();
  request.mutable_attributes()->add_teams("Digital Policing");
  request.mutable_attributes()->add_teams("digital policing");
  request.mutable_attributes()->add_teams(" Digital Policing ");
  auto result = DecideCreateProposal(kProposalId, request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "teams[1]: duplicate of teams[0] (letter case and spacing aside); "
            "teams[2]: duplicate of teams[0]");
}

TEST_F(IntakeDomainTest, ControlCharactersAreRefusedNamingFieldAndCharacter) {
  v1::CreateProposalRequest request;
  request.mutable_attributes()->set_title("tab\there \x1b[31mred");
  request.mutable_attributes()->set_business_area("MO");
  request.mutable_attributes()->set_description("ok\nbut \x1b[2J");
  request.mutable_attributes()->set_sponsor("Commander\u009b");
  auto result = DecideCreateProposal(kProposalId, request, proposer_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "title: contains control character U+0009; "
            "description: contains control character U+001B; "
            "sponsor: contains control character U+009B");
}

TEST_F(IntakeDomainTest, TitleLimitCountsCharactersNotBytes) {
  v1::CreateProposalRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  std::string title;
  for (int i = 0; i < 200; ++i) title += "\u00e9";
  request.mutable_attributes()->set_title(title);
  EXPECT_TRUE(DecideCreateProposal(kProposalId, request, proposer_).ok());
  request.mutable_attributes()->set_title(title + "\u00e9");
  EXPECT_EQ(DecideCreateProposal(kProposalId, request, proposer_).status().message(),
            "title: longer than 200 characters");
}

TEST_F(IntakeDomainTest, UpdateWithMaskTrimsAndChecksTheNamedFields) {
  Draft();
  v1::UpdateProposalRequest request;
  request.mutable_attributes()->set_title("  24 forensic terminals ");
  request.mutable_update_mask()->add_paths("title");
  auto events = DecideUpdateProposal(proposal(), request, proposer_);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto amended = Payload<v1::ProposalAmended>((*events)[0]);
  EXPECT_EQ(amended.attributes().title(), "24 forensic terminals");
  EXPECT_THAT(amended.changed_paths(), ElementsAre("title"));
  // Padding alone changes nothing.
  Commit(events, proposer_);
  request.mutable_attributes()->set_title("24 forensic terminals\u00a0");
  events = DecideUpdateProposal(proposal(), request, proposer_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_TRUE(events->empty());

  request.mutable_attributes()->set_title("\x1b]0;owned\x07");
  request.mutable_attributes()->add_teams("Forensic services");
  request.mutable_attributes()->add_teams("FORENSIC SERVICES");
  request.mutable_attributes()->mutable_estimated_cost()->set_currency_code("USD");
  request.mutable_update_mask()->add_paths("teams");
  request.mutable_update_mask()->add_paths("estimated_cost");
  EXPECT_EQ(DecideUpdateProposal(proposal(), request, proposer_).status().message(),
            "title: contains control character U+001B; "
            "teams[1]: duplicate of teams[0] (letter case and spacing aside); "
            "estimated_cost.currency_code: must be GBP, the currency the portfolio reports in "
            "(got \"USD\")");
}

TEST_F(IntakeDomainTest, RegisterAndAmendRefuseCostsNotInPounds) {
  v1::RegisterChangeRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  request.mutable_attributes()->mutable_estimated_cost()->set_currency_code("XYZ");
  request.set_note("from the\nMarch baseline");
  EXPECT_EQ(DecideRegisterChange(kChangeId, request, office_).status().message(),
            "estimated_cost.currency_code: must be GBP, the currency the portfolio reports in "
            "(got \"XYZ\")");
  RegisterChange();
  v1::AmendChangeRequest amend = Amendment();
  amend.mutable_attributes()->mutable_estimated_cost()->set_currency_code("EUR");
  amend.mutable_attributes()->mutable_estimated_cost()->set_amount_minor(100);
  amend.mutable_update_mask()->add_paths("estimated_cost");
  EXPECT_EQ(DecideAmendChange(change(), amend, office_).status().message(),
            "estimated_cost.currency_code: must be GBP, the currency the portfolio reports in "
            "(got \"EUR\")");
  amend.mutable_attributes()->mutable_estimated_cost()->set_currency_code(" GBP ");
  auto events = DecideAmendChange(change(), amend, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(Payload<v1::ChangeAmended>((*events)[0]).attributes().estimated_cost().currency_code(),
            "GBP");
}

TEST_F(IntakeDomainTest, AmendChangeWithMaskTrimsAndRequiresTheSponsor) {
  RegisterChange();
  v1::AmendChangeRequest amend = Amendment();
  amend.mutable_attributes()->set_sponsor(" \t ");
  amend.mutable_update_mask()->add_paths("sponsor");
  EXPECT_EQ(DecideAmendChange(change(), amend, office_).status().message(),
            "sponsor: required");
  amend.mutable_attributes()->set_sponsor(" Director of Commercial ");
  amend.mutable_attributes()->add_teams(" Procurement ");
  amend.mutable_update_mask()->add_paths("teams");
  auto events = DecideAmendChange(change(), amend, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  const auto amended = Payload<v1::ChangeAmended>((*events)[0]);
  EXPECT_EQ(amended.attributes().sponsor(), "Director of Commercial");
  EXPECT_THAT(amended.attributes().teams(), ElementsAre("Procurement"));
}

TEST_F(IntakeDomainTest, DecisionTrimsTheChairAndChecksConditionsAndRationale) {
  Draft();
  Submit();
  StartAssessment();
  Assess(panel_);
  v1::DecideProposalRequest request = Decision(v1::DECISION_OUTCOME_APPROVED);
  request.set_chair("   ");
  request.add_conditions(" \n ");
  request.add_conditions("see \x1b[8mhidden");
  request.set_rationale("strong case\u0085");
  auto result = DecideProposalDecision(proposal(), request, kChangeId, panel_);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            "chair: required; rationale: contains control character U+0085; "
            "conditions[1]: required; conditions[2]: contains control character U+001B");
  request = Decision(v1::DECISION_OUTCOME_APPROVED);
  request.set_chair(" DAC Corporate Services\t");
  request.set_rationale("Strong case.\r\n\tSee minutes.");
  Commit(DecideProposalDecision(proposal(), request, kChangeId, panel_), panel_);
  EXPECT_EQ(proposal().decision().chair(), "DAC Corporate Services");
  EXPECT_EQ(proposal().decision().rationale(), "Strong case.\r\n\tSee minutes.");
}

TEST_F(IntakeDomainTest, AssessmentRationaleMayNotBeBlankOrHoldControls) {
  Draft();
  Submit();
  StartAssessment();
  auto request = Scores(3, 3, 3);
  request.mutable_desirable()->set_rationale("  \n");
  request.mutable_affordable()->set_rationale("fine\x1b[0m");
  EXPECT_EQ(DecideRecordAssessment(proposal(), request, panel_).status().message(),
            "desirable.rationale: required; "
            "affordable.rationale: contains control character U+001B");
  request.mutable_desirable()->set_rationale("fits:\n- strategy\n- estate plan");
  request.mutable_affordable()->set_rationale("within budget");
  EXPECT_TRUE(DecideRecordAssessment(proposal(), request, panel_).ok());
}

TEST_F(IntakeDomainTest, ReasonsSummaryAndNoteRefuseControlCharacters) {
  Draft();
  v1::WithdrawProposalRequest withdraw;
  withdraw.set_reason("merged\x1b[K");
  EXPECT_EQ(DecideWithdrawProposal(proposal(), withdraw, proposer_).status().message(),
            "reason: contains control character U+001B");
  v1::RegisterChangeRequest request;
  *request.mutable_attributes() = CompleteAttributes();
  request.set_note("\x7f");
  EXPECT_EQ(DecideRegisterChange(kChangeId, request, office_).status().message(),
            "note: contains control character U+007F");
  RegisterChange();
  v1::StopChangeRequest stop;
  stop.set_reason("\n\t ");
  EXPECT_EQ(DecideStopChange(change(), stop, office_).status().message(), "reason: required");
  Commit(DecideStartDelivery(change(), {}, office_), office_);
  v1::CloseChangeRequest close;
  close.set_summary("done\u009d");
  EXPECT_EQ(DecideCloseChange(change(), close, office_).status().message(),
            "summary: contains control character U+009D");
}

TEST_F(IntakeDomainTest, ImportRecordGoesThroughTheSameChecks) {
  v1::ReturnRecord record;
  record.set_record_reference("row-9");
  *record.mutable_attributes() = CompleteAttributes("  NUMS contract renewal ");
  record.mutable_attributes()->add_teams("forensic services");
  auto events = DecideImportRecord({.reference = "MO-2021-05-12"}, record, kChangeId, office_);
  EXPECT_EQ(events.status().message(), "teams[2]: duplicate of teams[0] (letter case and spacing aside)");
  record.mutable_attributes()->mutable_teams()->RemoveLast();
  events = DecideImportRecord({.reference = "MO-2021-05-12"}, record, kChangeId, office_);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(Payload<v1::ChangeRegistered>((*events)[0]).attributes().title(),
            "NUMS contract renewal");

  record.set_record_reference(" row-9");
  record.mutable_attributes()->set_title(" ");
  record.mutable_attributes()->set_sponsor("Commander\x1b[31m");
  record.mutable_attributes()->mutable_estimated_cost()->set_currency_code("EUR");
  events = DecideImportRecord({.reference = "MO-2021-05-12"}, record, kChangeId, office_);
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(events.status().message(),
            "record_reference: begins or ends with white space; title: required; "
            "sponsor: contains control character U+001B; "
            "estimated_cost.currency_code: must be GBP, the currency the portfolio reports in "
            "(got \"EUR\")");
  EXPECT_EQ(HeaderStatus("MO-2021\x1b").message(),
            "return_reference: contains control character U+001B");
  EXPECT_EQ(HeaderStatus("MO-2021 ").message(),
            "return_reference: begins or ends with white space");
}

// ---- folds -------------------------------------------------------------------

TEST_F(IntakeDomainTest, FoldIgnoresUnknownTypesButCountsThem) {
  Draft();
  eventlog::v1::Envelope future;
  future.set_type("changeledger.intake.v1.SomethingNew");
  future.set_version(2);
  v1::Proposal state = proposal();
  ASSERT_TRUE(ApplyProposalEvent(future, state).ok());
  EXPECT_EQ(state.version(), 2u);
  EXPECT_EQ(state.state(), v1::PROPOSAL_STATE_DRAFT);
}

// Events recorded before amendments gave a reason and returns a date: the
// fields are absent from their payloads, and they still fold.
TEST_F(IntakeDomainTest, EventsRecordedBeforeReasonsAndReturnDatesStillFold) {
  v1::ChangeRegistered registered;
  registered.set_change_id(kChangeId);
  *registered.mutable_attributes() = CompleteAttributes("NUMS contract renewal");
  registered.mutable_origin()->mutable_return_record()->set_return_reference("MO-2021-05-12");
  registered.mutable_origin()->mutable_return_record()->set_record_reference("row-7");
  v1::ChangeAmended amended;
  amended.set_change_id(kChangeId);
  *amended.mutable_attributes() = CompleteAttributes("Travel and NUMS contract renewal");
  amended.add_changed_paths("title");
  v1::Change state;
  uint64_t version = 0;
  for (const google::protobuf::Message* payload :
       std::initializer_list<const google::protobuf::Message*>{&registered, &amended}) {
    eventlog::v1::Envelope event;
    event.set_type(std::string(payload->GetDescriptor()->full_name()));
    event.set_version(++version);
    event.mutable_payload()->PackFrom(*payload);
    ASSERT_TRUE(ApplyChangeEvent(event, state).ok()) << event.type();
  }
  EXPECT_EQ(state.version(), 2u);
  EXPECT_EQ(state.attributes().title(), "Travel and NUMS contract renewal");
  EXPECT_EQ(state.origin().return_record().record_reference(), "row-7");
  EXPECT_FALSE(state.origin().return_record().has_as_of());
}

TEST_F(IntakeDomainTest, FoldRejectsAPayloadOfTheWrongType) {
  eventlog::v1::Envelope bad;
  bad.set_type("changeledger.intake.v1.ProposalDrafted");
  bad.set_version(1);
  bad.mutable_payload()->PackFrom(v1::ChangeClosed());
  v1::Proposal state;
  EXPECT_EQ(ApplyProposalEvent(bad, state).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace changeledger::intake::domain
