// Mapping between the pure domain (model.h, ruleset.h, domain.h) and the
// wire: intake's ChangeAttributes in, classification.v1 protos out, and
// events packed into Envelopes.
#ifndef CHANGELEDGER_CLASSIFICATION_CODEC_H_
#define CHANGELEDGER_CLASSIFICATION_CODEC_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "changeledger/classification/domain.h"
#include "changeledger/classification/v1/classification.pb.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/classification/v1/storage.pb.h"
#include "changeledger/eventlog/v1/envelope.pb.h"
#include "changeledger/intake/v1/change.pb.h"

namespace changeledger::classification {

namespace pb = ::changeledger::classification::v1;

// The facts the ruleset reads, from a change's attributes: the declared
// features, data_and_digital, the estimated cost in whole pounds (minor
// units / 100), the number of distinct non-empty teams and the whole months
// from planned_start to planned_end (0 if either date is unset).
ChangeFacts FactsFromAttributes(const ::changeledger::intake::v1::ChangeAttributes& attributes);

pb::ChangeFacts ToProto(const ChangeFacts& facts);
ChangeFacts FromProto(const pb::ChangeFacts& facts);
pb::Classification ToProto(const Classification& c);
// Unknown enum numbers pass through unchanged; Decide() rejects them.
Classification FromProto(const pb::Classification& c);
pb::Suggestion ToProto(const Suggestion& s);
Suggestion FromProto(const pb::Suggestion& s);
pb::Trigger ToProto(const TriggerRef& t);
TriggerRef FromProto(const pb::Trigger& t);

// Full type name of the event, e.g.
// "changeledger.classification.v1.ClassificationSuggested".
std::string EventTypeName(const Event& event);
// An Envelope with type, schema_version 1, payload, actor and source
// "classification" set (the Classifier adds occurred_at, correlation and
// causation ids; the store sets the rest).
::changeledger::eventlog::v1::Envelope ToEnvelope(const Event& event, const std::string& actor);
// The event inside a stored envelope. Errors: INVALID_ARGUMENT for an
// unknown type or a payload that does not parse.
absl::StatusOr<Event> FromEnvelope(const ::changeledger::eventlog::v1::Envelope& envelope);
absl::StatusOr<RecordedEvent> ToRecorded(const ::changeledger::eventlog::v1::Envelope& envelope);

// The intake fact carried by an intake event: ChangeRegistered,
// ChangeAmended, ChangeClosed or ChangeStopped. nullopt for every other
// intake event (proposals, delivery started). Errors: INVALID_ARGUMENT for a
// payload that does not parse.
absl::StatusOr<std::optional<IntakeFact>> IntakeFactFromEnvelope(
    const ::changeledger::eventlog::v1::Envelope& envelope);
pb::PendingIntakeFact ToProto(const IntakeFact& fact);
IntakeFact FromProto(const pb::PendingIntakeFact& fact);

// "classifications/<change_id>" and back. A change id is one intake made:
// a UUID in canonical lower-case text; any other name is malformed
// (nullopt), not the name of a change that happens to be unknown.
std::string ResourceName(const std::string& change_id);
std::optional<std::string> ChangeIdFromName(const std::string& name);

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_CODEC_H_
