// The intake domain: pure functions, no I/O.
//
// State is a fold over a stream's events (ApplyProposalEvent,
// ApplyChangeEvent into the v1::Proposal / v1::Change resources); a command
// and the current state give new events or an error (Decide*). The caller
// (the service) loads the stream, calls Decide*, and appends the events
// with the state's version as the expected version. Ids, the clock and the
// actor come in through the arguments.
//
// Errors every Decide* may return:
//   INVALID_ARGUMENT     bad input; the message names each bad field
//                        (validation.h: single-line text is stored
//                        trimmed, control characters are refused).
//   NOT_FOUND            the state is empty (version 0).
//   ABORTED              expected_version set and not the state's version.
//   FAILED_PRECONDITION  the command does not fit the lifecycle state.
//   PERMISSION_DENIED    a proposer acting on someone else's proposal.
#ifndef CHANGELEDGER_SERVICES_INTAKE_DOMAIN_INTAKE_DOMAIN_H_
#define CHANGELEDGER_SERVICES_INTAKE_DOMAIN_INTAKE_DOMAIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "changeledger/eventlog/v1/envelope.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/intake/v1/intake.pb.h"
#include "domain/business_areas.h"
#include "google/protobuf/any.pb.h"

namespace changeledger::intake::domain {

// An event decided by the domain, not yet stored.
struct PendingEvent {
  std::string stream;
  // Full name of the event message, e.g. "changeledger.intake.v1.ProposalSubmitted".
  std::string type;
  google::protobuf::Any payload;
  // When it happened in the world.
  absl::Time occurred_at;
};

struct CommandContext {
  // The authenticated principal giving the command.
  std::string actor;
  absl::Time now;
  const BusinessAreaCatalog* areas = nullptr;  // not owned, never null
};

std::string ProposalStream(absl::string_view proposal_id);
std::string ChangeStream(absl::string_view change_id);
std::string ProposalName(absl::string_view proposal_id);
std::string ChangeName(absl::string_view change_id);
// The id inside "proposals/{id}" / "changes/{id}"; INVALID_ARGUMENT
// naming `field` when malformed.
absl::StatusOr<std::string> ParseProposalName(absl::string_view name,
                                              absl::string_view field = "name");
absl::StatusOr<std::string> ParseChangeName(absl::string_view name,
                                            absl::string_view field = "name");

// --- folds ---------------------------------------------------------------

// Applies one stored event of a proposal stream. Sets version, times and
// name. DATA_LOSS when the payload does not match its type. Unknown types
// only advance the version (forward compatibility).
absl::Status ApplyProposalEvent(const eventlog::v1::Envelope& event, v1::Proposal& proposal);
absl::Status ApplyChangeEvent(const eventlog::v1::Envelope& event, v1::Change& change);

// --- proposal commands ---------------------------------------------------

absl::StatusOr<std::vector<PendingEvent>> DecideCreateProposal(
    absl::string_view proposal_id, const v1::CreateProposalRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideUpdateProposal(
    const v1::Proposal& state, const v1::UpdateProposalRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideSubmitProposal(
    const v1::Proposal& state, const v1::SubmitProposalRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideWithdrawProposal(
    const v1::Proposal& state, const v1::WithdrawProposalRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideStartAssessment(
    const v1::Proposal& state, const v1::StartAssessmentRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideRecordAssessment(
    const v1::Proposal& state, const v1::RecordAssessmentRequest& request,
    const CommandContext& context);
// With an approval, the events include ChangeRegistered on
// ChangeStream(change_id); `change_id` is unused otherwise.
absl::StatusOr<std::vector<PendingEvent>> DecideProposalDecision(
    const v1::Proposal& state, const v1::DecideProposalRequest& request,
    absl::string_view change_id, const CommandContext& context);

// --- change commands -----------------------------------------------------

absl::StatusOr<std::vector<PendingEvent>> DecideRegisterChange(
    absl::string_view change_id, const v1::RegisterChangeRequest& request,
    const CommandContext& context);
// The reason is required (multi-line text, 1..2000 characters) and
// recorded in ChangeAmended. An amendment that changes nothing gives no
// events.
absl::StatusOr<std::vector<PendingEvent>> DecideAmendChange(
    const v1::Change& state, const v1::AmendChangeRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideStartDelivery(
    const v1::Change& state, const v1::StartDeliveryRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideCloseChange(
    const v1::Change& state, const v1::CloseChangeRequest& request,
    const CommandContext& context);
absl::StatusOr<std::vector<PendingEvent>> DecideStopChange(
    const v1::Change& state, const v1::StopChangeRequest& request,
    const CommandContext& context);

// What every message of one import says of the return as a whole.
struct ReturnHeader {
  std::string reference;
  // The date the return's data stands at; unset when the import states none.
  std::optional<common::v1::Date> as_of;
};

// The return as an import's first message states it: return_reference
// (1..128 characters, no control character, no white space at either end;
// see CheckReference) and, when set, as_of (CheckReturnAsOf against `now`).
// INVALID_ARGUMENT naming each bad field.
absl::StatusOr<ReturnHeader> ReadReturnHeader(const v1::ImportReturnRequest& message,
                                              absl::Time now);
// A later message of the same import must repeat the header:
// INVALID_ARGUMENT naming the field that differs.
absl::Status CheckSameReturn(const ReturnHeader& header, const v1::ImportReturnRequest& message);

// What importing one record of a return registers: ChangeRegistered (its
// attributes trimmed as stored; and ChangeDeliveryStarted when the record
// says in delivery) on ChangeStream(change_id), its origin naming the
// return, the record and the return's as-of date. Not validated: for
// comparing a record imported before with the change it registered then.
std::vector<PendingEvent> ImportRecordEvents(const ReturnHeader& header,
                                             const v1::ReturnRecord& record,
                                             absl::string_view change_id,
                                             const CommandContext& context);

// ImportRecordEvents for a record that is valid; INVALID_ARGUMENT naming
// each bad field of the record. Whether the record was imported before is
// the caller's concern (the stream exists).
absl::StatusOr<std::vector<PendingEvent>> DecideImportRecord(
    const ReturnHeader& header, const v1::ReturnRecord& record, absl::string_view change_id,
    const CommandContext& context);

}  // namespace changeledger::intake::domain

#endif  // CHANGELEDGER_SERVICES_INTAKE_DOMAIN_INTAKE_DOMAIN_H_
