#include "domain/intake_domain.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "changeledger/errors/status_macros.h"
#include "domain/attributes.h"
#include "domain/validation.h"

namespace changeledger::intake::domain {
namespace {

using eventlog::v1::Envelope;
using google::protobuf::Message;

constexpr absl::string_view kProposalPrefix = "proposals/";
constexpr absl::string_view kChangePrefix = "changes/";

bool IsUuid(absl::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<std::string> ParseName(absl::string_view name, absl::string_view prefix,
                                      absl::string_view field) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (!absl::StartsWith(name, prefix) || !IsUuid(name.substr(prefix.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must look like \"", prefix, "{uuid}\""));
  }
  return std::string(name.substr(prefix.size()));
}

PendingEvent Event(std::string stream, const Message& payload, absl::Time occurred_at) {
  PendingEvent event;
  event.stream = std::move(stream);
  event.type = payload.GetDescriptor()->full_name();
  event.payload.PackFrom(payload);
  event.occurred_at = occurred_at;
  return event;
}

// What every command on an existing aggregate checks first, in this order:
// input (request id plus `errors` gathered by the caller), existence, then
// the expected version.
absl::Status CheckCommand(FieldErrors& errors, absl::string_view request_id, uint64_t version,
                          uint64_t expected_version, absl::string_view what) {
  ValidateRequestId(errors, request_id);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  if (version == 0) return absl::NotFoundError(absl::StrCat(what, " not found"));
  if (expected_version != 0 && expected_version != version) {
    return absl::AbortedError(absl::StrCat(what, " is at version ", version,
                                           ", not the expected ", expected_version,
                                           "; re-read and retry"));
  }
  return absl::OkStatus();
}

absl::string_view StateName(v1::ProposalState state) {
  switch (state) {
    case v1::PROPOSAL_STATE_DRAFT: return "draft";
    case v1::PROPOSAL_STATE_SUBMITTED: return "submitted";
    case v1::PROPOSAL_STATE_UNDER_ASSESSMENT: return "under assessment";
    case v1::PROPOSAL_STATE_APPROVED: return "approved";
    case v1::PROPOSAL_STATE_REJECTED: return "rejected";
    case v1::PROPOSAL_STATE_DEFERRED: return "deferred";
    case v1::PROPOSAL_STATE_RETURNED: return "returned";
    case v1::PROPOSAL_STATE_WITHDRAWN: return "withdrawn";
    default: return "unknown";
  }
}

absl::string_view StatusName(v1::ChangeStatus status) {
  switch (status) {
    case v1::CHANGE_STATUS_REGISTERED: return "registered";
    case v1::CHANGE_STATUS_IN_DELIVERY: return "in delivery";
    case v1::CHANGE_STATUS_CLOSED: return "closed";
    case v1::CHANGE_STATUS_STOPPED: return "stopped";
    default: return "unknown";
  }
}

absl::Status RequireState(const v1::Proposal& state,
                          std::initializer_list<v1::ProposalState> allowed,
                          absl::string_view action) {
  for (auto s : allowed) {
    if (state.state() == s) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot ", action, " a proposal that is ",
                                                    StateName(state.state())));
}

absl::Status RequireStatus(const v1::Change& state,
                           std::initializer_list<v1::ChangeStatus> allowed,
                           absl::string_view action) {
  for (auto s : allowed) {
    if (state.status() == s) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("cannot ", action, " a change that is ",
                                                    StatusName(state.status())));
}

absl::Status RequireProposer(const v1::Proposal& state, const CommandContext& context,
                             absl::string_view action) {
  if (state.proposer() == context.actor) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("only the proposer may ", action, " this proposal"));
}

// Separation of duties: a principal who holds both the proposer and the
// panel role must not score or decide a proposal of their own.
absl::Status RequireNotProposer(const v1::Proposal& state, const CommandContext& context,
                                absl::string_view action) {
  if (state.proposer() != context.actor) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat("the proposer may not ", action, " their own proposal"));
}

void ValidateScore(FieldErrors& errors, absl::string_view field, bool present,
                   const v1::Score& score) {
  if (!present) {
    errors.Add(field, "required");
    return;
  }
  if (score.score() < 1 || score.score() > 5) {
    errors.Add(absl::StrCat(field, ".score"), "must be 1..5");
  }
  CheckText(errors, absl::StrCat(field, ".rationale"), score.rationale(), kMaxText,
            /*required=*/true);
}

const AttributeRules kProposalRules{.require_sponsor = false};
const AttributeRules kChangeRules{.require_sponsor = true};

// Trims `attributes` to what is stored, then checks them.
void CheckAttributes(FieldErrors& errors, v1::ChangeAttributes& attributes,
                     const CommandContext& context, const AttributeRules& rules) {
  TrimAttributes(attributes);
  ValidateAttributes(errors, attributes, *context.areas, rules);
}

template <typename T>
absl::Status Unpack(const Envelope& event, T& message) {
  if (!event.payload().UnpackTo(&message)) {
    return absl::DataLossError(absl::StrCat("event ", event.stream(), "@", event.version(),
                                            ": payload is not a ", event.type()));
  }
  return absl::OkStatus();
}

template <typename T>
bool Is(const Envelope& event) {
  return event.type() == T::descriptor()->full_name();
}

// When the proposal was last submitted (the epoch if never submitted; only
// a submitted proposal can be decided).
absl::Time SubmitTime(const v1::Proposal& state) {
  return absl::FromUnixSeconds(state.submit_time().seconds()) +
         absl::Nanoseconds(state.submit_time().nanos());
}

}  // namespace

std::string ProposalStream(absl::string_view proposal_id) {
  return absl::StrCat("proposal-", proposal_id);
}
std::string ChangeStream(absl::string_view change_id) { return absl::StrCat("change-", change_id); }
std::string ProposalName(absl::string_view proposal_id) {
  return absl::StrCat(kProposalPrefix, proposal_id);
}
std::string ChangeName(absl::string_view change_id) {
  return absl::StrCat(kChangePrefix, change_id);
}
absl::StatusOr<std::string> ParseProposalName(absl::string_view name, absl::string_view field) {
  return ParseName(name, kProposalPrefix, field);
}
absl::StatusOr<std::string> ParseChangeName(absl::string_view name, absl::string_view field) {
  return ParseName(name, kChangePrefix, field);
}

// --- folds -----------------------------------------------------------------

absl::Status ApplyProposalEvent(const Envelope& event, v1::Proposal& proposal) {
  if (Is<v1::ProposalDrafted>(event)) {
    v1::ProposalDrafted e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    proposal.set_name(ProposalName(e.proposal_id()));
    proposal.set_proposer(e.proposer());
    *proposal.mutable_attributes() = e.attributes();
    proposal.set_state(v1::PROPOSAL_STATE_DRAFT);
    *proposal.mutable_create_time() = event.recorded_at();
  } else if (Is<v1::ProposalAmended>(event)) {
    v1::ProposalAmended e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    *proposal.mutable_attributes() = e.attributes();
  } else if (Is<v1::ProposalSubmitted>(event)) {
    proposal.set_state(v1::PROPOSAL_STATE_SUBMITTED);
    *proposal.mutable_submit_time() = event.occurred_at();
  } else if (Is<v1::ProposalWithdrawn>(event)) {
    v1::ProposalWithdrawn e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    proposal.set_state(v1::PROPOSAL_STATE_WITHDRAWN);
    proposal.set_withdraw_reason(e.reason());
  } else if (Is<v1::AssessmentStarted>(event)) {
    proposal.set_state(v1::PROPOSAL_STATE_UNDER_ASSESSMENT);
    proposal.clear_assessments();  // a new round
  } else if (Is<v1::AssessmentRecorded>(event)) {
    v1::AssessmentRecorded e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    bool replaced = false;
    for (auto& existing : *proposal.mutable_assessments()) {
      if (existing.assessor() == e.assessment().assessor()) {
        existing = e.assessment();
        replaced = true;
      }
    }
    if (!replaced) *proposal.add_assessments() = e.assessment();
  } else if (Is<v1::ProposalDecided>(event)) {
    v1::ProposalDecided e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    v1::Decision& decision = *proposal.mutable_decision();
    decision.Clear();
    decision.set_outcome(e.outcome());
    *decision.mutable_conditions() = e.conditions();
    *decision.mutable_meeting_date() = e.meeting_date();
    decision.set_chair(e.chair());
    decision.set_rationale(e.rationale());
    decision.set_decided_by(event.actor());
    *decision.mutable_decide_time() = event.recorded_at();
    switch (e.outcome()) {
      case v1::DECISION_OUTCOME_APPROVED:
        proposal.set_state(v1::PROPOSAL_STATE_APPROVED);
        proposal.set_change(ChangeName(e.change_id()));
        break;
      case v1::DECISION_OUTCOME_REJECTED:
        proposal.set_state(v1::PROPOSAL_STATE_REJECTED);
        break;
      case v1::DECISION_OUTCOME_DEFERRED:
        proposal.set_state(v1::PROPOSAL_STATE_DEFERRED);
        break;
      case v1::DECISION_OUTCOME_RETURNED:
        proposal.set_state(v1::PROPOSAL_STATE_RETURNED);
        break;
      default:
        return absl::DataLossError(absl::StrCat("event ", event.stream(), "@", event.version(),
                                                ": unknown decision outcome"));
    }
  }
  proposal.set_version(event.version());
  *proposal.mutable_update_time() = event.recorded_at();
  return absl::OkStatus();
}

absl::Status ApplyChangeEvent(const Envelope& event, v1::Change& change) {
  if (Is<v1::ChangeRegistered>(event)) {
    v1::ChangeRegistered e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    change.set_name(ChangeName(e.change_id()));
    *change.mutable_attributes() = e.attributes();
    *change.mutable_origin() = e.origin();
    change.set_status(v1::CHANGE_STATUS_REGISTERED);
    *change.mutable_create_time() = event.recorded_at();
  } else if (Is<v1::ChangeAmended>(event)) {
    v1::ChangeAmended e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    *change.mutable_attributes() = e.attributes();
  } else if (Is<v1::ChangeDeliveryStarted>(event)) {
    change.set_status(v1::CHANGE_STATUS_IN_DELIVERY);
  } else if (Is<v1::ChangeClosed>(event)) {
    v1::ChangeClosed e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    change.set_status(v1::CHANGE_STATUS_CLOSED);
    change.set_close_summary(e.summary());
  } else if (Is<v1::ChangeStopped>(event)) {
    v1::ChangeStopped e;
    CL_RETURN_IF_ERROR(Unpack(event, e));
    change.set_status(v1::CHANGE_STATUS_STOPPED);
    change.set_stop_reason(e.reason());
  }
  change.set_version(event.version());
  *change.mutable_update_time() = event.recorded_at();
  return absl::OkStatus();
}

// --- proposal commands -----------------------------------------------------

absl::StatusOr<std::vector<PendingEvent>> DecideCreateProposal(
    absl::string_view proposal_id, const v1::CreateProposalRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  ValidateRequestId(errors, request.request_id());
  v1::ChangeAttributes attributes = request.attributes();
  CheckAttributes(errors, attributes, context, kProposalRules);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  v1::ProposalDrafted e;
  e.set_proposal_id(std::string(proposal_id));
  e.set_proposer(context.actor);
  *e.mutable_attributes() = std::move(attributes);
  return std::vector<PendingEvent>{Event(ProposalStream(proposal_id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideUpdateProposal(
    const v1::Proposal& state, const v1::UpdateProposalRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  if (request.update_mask().paths().empty() && request.expected_version() == 0) {
    errors.Add("expected_version", "required when update_mask is empty");
  }
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  CL_RETURN_IF_ERROR(RequireProposer(state, context, "amend"));
  CL_RETURN_IF_ERROR(
      RequireState(state, {v1::PROPOSAL_STATE_DRAFT, v1::PROPOSAL_STATE_RETURNED}, "amend"));
  CL_ASSIGN_OR_RETURN(v1::ChangeAttributes after,
                      ApplyUpdate(state.attributes(), request.attributes(), request.update_mask()));
  AttributeRules rules = kProposalRules;
  rules.stored = &state.attributes();
  CheckAttributes(errors, after, context, rules);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  std::vector<std::string> changed = ChangedPaths(state.attributes(), after);
  if (changed.empty()) return std::vector<PendingEvent>{};
  const std::string id = state.name().substr(kProposalPrefix.size());
  v1::ProposalAmended e;
  e.set_proposal_id(id);
  *e.mutable_attributes() = std::move(after);
  for (auto& path : changed) e.add_changed_paths(std::move(path));
  return std::vector<PendingEvent>{Event(ProposalStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideSubmitProposal(
    const v1::Proposal& state, const v1::SubmitProposalRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  CL_RETURN_IF_ERROR(RequireProposer(state, context, "submit"));
  CL_RETURN_IF_ERROR(
      RequireState(state, {v1::PROPOSAL_STATE_DRAFT, v1::PROPOSAL_STATE_RETURNED}, "submit"));
  FieldErrors missing;
  CheckComplete(missing, state.attributes());
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("proposal is incomplete: ", missing.Join()));
  }
  const std::string id = state.name().substr(kProposalPrefix.size());
  v1::ProposalSubmitted e;
  e.set_proposal_id(id);
  e.set_business_area(state.attributes().business_area());
  return std::vector<PendingEvent>{Event(ProposalStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideWithdrawProposal(
    const v1::Proposal& state, const v1::WithdrawProposalRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CheckText(errors, "reason", request.reason(), kMaxText, /*required=*/false);
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  CL_RETURN_IF_ERROR(RequireProposer(state, context, "withdraw"));
  CL_RETURN_IF_ERROR(RequireState(
      state,
      {v1::PROPOSAL_STATE_DRAFT, v1::PROPOSAL_STATE_SUBMITTED,
       v1::PROPOSAL_STATE_UNDER_ASSESSMENT, v1::PROPOSAL_STATE_RETURNED,
       v1::PROPOSAL_STATE_DEFERRED},
      "withdraw"));
  const std::string id = state.name().substr(kProposalPrefix.size());
  v1::ProposalWithdrawn e;
  e.set_proposal_id(id);
  e.set_reason(request.reason());
  return std::vector<PendingEvent>{Event(ProposalStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideStartAssessment(
    const v1::Proposal& state, const v1::StartAssessmentRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  // A new round clears the assessments of the last one (of a deferred
  // proposal): the proposer must not be able to start it either.
  CL_RETURN_IF_ERROR(RequireNotProposer(state, context, "start assessing"));
  CL_RETURN_IF_ERROR(RequireState(
      state, {v1::PROPOSAL_STATE_SUBMITTED, v1::PROPOSAL_STATE_DEFERRED}, "start assessing"));
  const std::string id = state.name().substr(kProposalPrefix.size());
  v1::AssessmentStarted e;
  e.set_proposal_id(id);
  return std::vector<PendingEvent>{Event(ProposalStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideRecordAssessment(
    const v1::Proposal& state, const v1::RecordAssessmentRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  ValidateScore(errors, "desirable", request.has_desirable(), request.desirable());
  ValidateScore(errors, "deliverable", request.has_deliverable(), request.deliverable());
  ValidateScore(errors, "affordable", request.has_affordable(), request.affordable());
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  CL_RETURN_IF_ERROR(RequireNotProposer(state, context, "assess"));
  CL_RETURN_IF_ERROR(
      RequireState(state, {v1::PROPOSAL_STATE_UNDER_ASSESSMENT}, "record an assessment of"));
  const std::string id = state.name().substr(kProposalPrefix.size());
  v1::AssessmentRecorded e;
  e.set_proposal_id(id);
  v1::Assessment& assessment = *e.mutable_assessment();
  assessment.set_assessor(context.actor);
  *assessment.mutable_desirable() = request.desirable();
  *assessment.mutable_deliverable() = request.deliverable();
  *assessment.mutable_affordable() = request.affordable();
  return std::vector<PendingEvent>{Event(ProposalStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideProposalDecision(
    const v1::Proposal& state, const v1::DecideProposalRequest& request,
    absl::string_view change_id, const CommandContext& context) {
  FieldErrors errors;
  if (request.outcome() == v1::DECISION_OUTCOME_UNSPECIFIED) {
    errors.Add("outcome", "required");
  } else if (!v1::DecisionOutcome_IsValid(request.outcome())) {
    errors.Add("outcome", "unknown value");
  }
  if (!request.has_meeting_date()) {
    errors.Add("meeting_date", "required");
  } else if (!IsValidDate(request.meeting_date())) {
    errors.Add("meeting_date", "not a valid date");
  } else if (DateToTime(request.meeting_date()) > context.now) {
    errors.Add("meeting_date", "in the future");
  } else if (const absl::CivilDay submitted =
                 absl::ToCivilDay(SubmitTime(state), absl::UTCTimeZone());
             DateToTime(request.meeting_date()) <
             absl::FromCivil(submitted, absl::UTCTimeZone())) {
    errors.Add("meeting_date", absl::StrCat("before the proposal was submitted (",
                                            absl::FormatCivilTime(submitted), ")"));
  } else if (state.has_decision() && IsValidDate(state.decision().meeting_date()) &&
             DaysSinceEpoch(request.meeting_date()) <
                 DaysSinceEpoch(state.decision().meeting_date())) {
    // A deferred proposal goes back to the panel without a new submission:
    // its next decision cannot come from an earlier meeting.
    const common::v1::Date& previous = state.decision().meeting_date();
    errors.Add("meeting_date",
               absl::StrCat("before the meeting of the previous decision (",
                            absl::FormatCivilTime(absl::CivilDay(
                                previous.year(), previous.month(), previous.day())),
                            ")"));
  }
  const std::string chair(TrimWhitespace(request.chair()));
  CheckLine(errors, "chair", chair, kMaxName, /*required=*/true);
  CheckText(errors, "rationale", request.rationale(), kMaxText, /*required=*/false);
  if (request.conditions_size() > static_cast<int>(kMaxConditions)) {
    errors.Add("conditions", absl::StrCat("more than ", kMaxConditions, " entries"));
  }
  for (int i = 0; i < request.conditions_size(); ++i) {
    CheckText(errors, absl::StrCat("conditions[", i, "]"), request.conditions(i), kMaxText,
              /*required=*/true);
  }
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "proposal"));
  CL_RETURN_IF_ERROR(RequireNotProposer(state, context, "decide"));
  CL_RETURN_IF_ERROR(RequireState(state, {v1::PROPOSAL_STATE_UNDER_ASSESSMENT}, "decide"));
  const bool approved = request.outcome() == v1::DECISION_OUTCOME_APPROVED;
  if (approved && state.assessments_size() == 0) {
    return absl::FailedPreconditionError(
        "cannot approve a proposal without a recorded assessment");
  }
  const std::string id = state.name().substr(kProposalPrefix.size());
  // The decision happened at the meeting, and not before the submission (a
  // meeting on the day of the submission would otherwise be at midnight).
  const absl::Time occurred =
      std::max(std::min(DateToTime(request.meeting_date()), context.now), SubmitTime(state));
  v1::ProposalDecided decided;
  decided.set_proposal_id(id);
  decided.set_outcome(request.outcome());
  *decided.mutable_conditions() = request.conditions();
  *decided.mutable_meeting_date() = request.meeting_date();
  decided.set_chair(chair);
  decided.set_rationale(request.rationale());
  if (approved) decided.set_change_id(std::string(change_id));
  std::vector<PendingEvent> events;
  events.push_back(Event(ProposalStream(id), decided, occurred));
  if (approved) {
    v1::ChangeRegistered registered;
    registered.set_change_id(std::string(change_id));
    *registered.mutable_attributes() = state.attributes();
    registered.mutable_origin()->set_proposal_id(id);
    events.push_back(Event(ChangeStream(change_id), registered, occurred));
  }
  return events;
}

// --- change commands -------------------------------------------------------

absl::StatusOr<std::vector<PendingEvent>> DecideRegisterChange(
    absl::string_view change_id, const v1::RegisterChangeRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  ValidateRequestId(errors, request.request_id());
  v1::ChangeAttributes attributes = request.attributes();
  CheckAttributes(errors, attributes, context, kChangeRules);
  CheckText(errors, "note", request.note(), kMaxText, /*required=*/false);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  v1::ChangeRegistered e;
  e.set_change_id(std::string(change_id));
  *e.mutable_attributes() = std::move(attributes);
  e.mutable_origin()->set_direct_note(request.note());
  return std::vector<PendingEvent>{Event(ChangeStream(change_id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideAmendChange(
    const v1::Change& state, const v1::AmendChangeRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CheckText(errors, "reason", request.reason(), kMaxText, /*required=*/true);
  if (request.update_mask().paths().empty() && request.expected_version() == 0) {
    errors.Add("expected_version", "required when update_mask is empty");
  }
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "change"));
  CL_RETURN_IF_ERROR(RequireStatus(
      state, {v1::CHANGE_STATUS_REGISTERED, v1::CHANGE_STATUS_IN_DELIVERY}, "amend"));
  CL_ASSIGN_OR_RETURN(v1::ChangeAttributes after,
                      ApplyUpdate(state.attributes(), request.attributes(), request.update_mask()));
  AttributeRules rules = kChangeRules;
  rules.stored = &state.attributes();
  CheckAttributes(errors, after, context, rules);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  std::vector<std::string> changed = ChangedPaths(state.attributes(), after);
  if (changed.empty()) return std::vector<PendingEvent>{};
  const std::string id = state.name().substr(kChangePrefix.size());
  v1::ChangeAmended e;
  e.set_change_id(id);
  *e.mutable_attributes() = std::move(after);
  for (auto& path : changed) e.add_changed_paths(std::move(path));
  e.set_reason(request.reason());
  return std::vector<PendingEvent>{Event(ChangeStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideStartDelivery(
    const v1::Change& state, const v1::StartDeliveryRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "change"));
  CL_RETURN_IF_ERROR(RequireStatus(state, {v1::CHANGE_STATUS_REGISTERED}, "start delivery of"));
  const std::string id = state.name().substr(kChangePrefix.size());
  v1::ChangeDeliveryStarted e;
  e.set_change_id(id);
  return std::vector<PendingEvent>{Event(ChangeStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideCloseChange(
    const v1::Change& state, const v1::CloseChangeRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CheckText(errors, "summary", request.summary(), kMaxText, /*required=*/false);
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "change"));
  CL_RETURN_IF_ERROR(RequireStatus(state, {v1::CHANGE_STATUS_IN_DELIVERY}, "close"));
  const std::string id = state.name().substr(kChangePrefix.size());
  v1::ChangeClosed e;
  e.set_change_id(id);
  e.set_summary(request.summary());
  return std::vector<PendingEvent>{Event(ChangeStream(id), e, context.now)};
}

absl::StatusOr<std::vector<PendingEvent>> DecideStopChange(
    const v1::Change& state, const v1::StopChangeRequest& request,
    const CommandContext& context) {
  FieldErrors errors;
  CheckText(errors, "reason", request.reason(), kMaxText, /*required=*/true);
  CL_RETURN_IF_ERROR(CheckCommand(errors, request.request_id(), state.version(),
                                  request.expected_version(), "change"));
  CL_RETURN_IF_ERROR(RequireStatus(
      state, {v1::CHANGE_STATUS_REGISTERED, v1::CHANGE_STATUS_IN_DELIVERY}, "stop"));
  const std::string id = state.name().substr(kChangePrefix.size());
  v1::ChangeStopped e;
  e.set_change_id(id);
  e.set_reason(request.reason());
  return std::vector<PendingEvent>{Event(ChangeStream(id), e, context.now)};
}

absl::StatusOr<ReturnHeader> ReadReturnHeader(const v1::ImportReturnRequest& message,
                                              absl::Time now) {
  FieldErrors errors;
  CheckReference(errors, "return_reference", message.return_reference());
  if (message.has_as_of()) CheckReturnAsOf(errors, message.as_of(), now);
  CL_RETURN_IF_ERROR(errors.ToStatus());
  ReturnHeader header;
  header.reference = message.return_reference();
  if (message.has_as_of()) header.as_of = message.as_of();
  return header;
}

absl::Status CheckSameReturn(const ReturnHeader& header, const v1::ImportReturnRequest& message) {
  if (message.return_reference() != header.reference) {
    return absl::InvalidArgumentError(
        "return_reference: must be the same in every message of one import");
  }
  if (message.has_as_of() != header.as_of.has_value() ||
      (message.has_as_of() && !SameDate(message.as_of(), *header.as_of))) {
    return absl::InvalidArgumentError("as_of: must be the same in every message of one import");
  }
  return absl::OkStatus();
}

namespace {

// What a record registers, from its attributes as stored (trimmed).
std::vector<PendingEvent> RegistrationOf(const ReturnHeader& header,
                                         const v1::ReturnRecord& record,
                                         v1::ChangeAttributes attributes,
                                         absl::string_view change_id,
                                         const CommandContext& context) {
  v1::ChangeRegistered registered;
  registered.set_change_id(std::string(change_id));
  *registered.mutable_attributes() = std::move(attributes);
  auto* origin = registered.mutable_origin()->mutable_return_record();
  origin->set_return_reference(header.reference);
  origin->set_record_reference(record.record_reference());
  if (header.as_of.has_value()) *origin->mutable_as_of() = *header.as_of;
  std::vector<PendingEvent> events;
  events.push_back(Event(ChangeStream(change_id), registered, context.now));
  if (record.status() == v1::CHANGE_STATUS_IN_DELIVERY) {
    v1::ChangeDeliveryStarted started;
    started.set_change_id(std::string(change_id));
    events.push_back(Event(ChangeStream(change_id), started, context.now));
  }
  return events;
}

}  // namespace

std::vector<PendingEvent> ImportRecordEvents(const ReturnHeader& header,
                                             const v1::ReturnRecord& record,
                                             absl::string_view change_id,
                                             const CommandContext& context) {
  v1::ChangeAttributes attributes = record.attributes();
  TrimAttributes(attributes);
  return RegistrationOf(header, record, std::move(attributes), change_id, context);
}

absl::StatusOr<std::vector<PendingEvent>> DecideImportRecord(
    const ReturnHeader& header, const v1::ReturnRecord& record,
    absl::string_view change_id, const CommandContext& context) {
  FieldErrors errors;
  CheckReference(errors, "record_reference", record.record_reference());
  v1::ChangeAttributes attributes = record.attributes();
  CheckAttributes(errors, attributes, context, kChangeRules);  // trims them
  if (record.status() != v1::CHANGE_STATUS_UNSPECIFIED &&
      record.status() != v1::CHANGE_STATUS_REGISTERED &&
      record.status() != v1::CHANGE_STATUS_IN_DELIVERY) {
    errors.Add("status", "must be REGISTERED or IN_DELIVERY");
  }
  CL_RETURN_IF_ERROR(errors.ToStatus());
  return RegistrationOf(header, record, std::move(attributes), change_id, context);
}

}  // namespace changeledger::intake::domain
