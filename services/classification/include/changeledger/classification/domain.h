// The classification aggregate: one per change, stream
// "classification-<change id>". Pure: commands and intake facts in, events
// (or an error) out; state is a fold over events. No I/O, no clock (the
// caller passes times in).
//
// Lifecycle:
//   * an intake fact (change registered or amended) yields
//     ClassificationSuggested unless the same intake event was seen before
//     or the facts are unchanged since the last suggestion with the same
//     ruleset version;
//   * until the portfolio office confirms or overrides, the change awaits
//     confirmation (it is in the queue);
//   * once confirmed or overridden, the classification in force is never
//     replaced by a later suggestion: a new suggestion that differs from it
//     is recorded as pending review (the change is back in the queue),
//     unless it is the same as the suggestion before it and no review is
//     pending (the office decided on it already); the one in force stands
//     until it is confirmed or overridden again;
//   * a closed or stopped change is closed for classification.
#ifndef CHANGELEDGER_CLASSIFICATION_DOMAIN_H_
#define CHANGELEDGER_CLASSIFICATION_DOMAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/classification/model.h"
#include "changeledger/classification/ruleset.h"

namespace changeledger::classification {

// "classification-<change_id>".
std::string StreamFor(std::string_view change_id);

// The intake event that caused a suggestion.
struct TriggerRef {
  std::string stream;      // e.g. "change-<id>"
  uint64_t version = 0;    // its version in that stream
  std::string event_id;
  std::string event_type;  // e.g. "changeledger.intake.v1.ChangeAmended"

  friend bool operator==(const TriggerRef&, const TriggerRef&) = default;
};

enum class ChangeEnd { kNone = 0, kClosed = 1, kStopped = 2 };

// --- events (past tense) ---

// The ruleset suggested a classification for the change's current facts.
struct ClassificationSuggested {
  std::string change_id;
  ChangeFacts facts;
  Suggestion suggestion;
  TriggerRef trigger;
  // True when a confirmed or overridden classification is in force and this
  // suggestion differs from it (and from the suggestion before it, unless a
  // review is pending already): it waits for review and replaces nothing.
  bool review_required = false;

  friend bool operator==(const ClassificationSuggested&, const ClassificationSuggested&) = default;
};

// The portfolio office accepted the latest suggestion as it stands.
struct ClassificationConfirmed {
  std::string change_id;
  Classification classification;
  // Version (in this stream) of the ClassificationSuggested confirmed.
  uint64_t suggestion_version = 0;
  std::string note;  // may be empty

  friend bool operator==(const ClassificationConfirmed&, const ClassificationConfirmed&) = default;
};

// The portfolio office set a classification of its own, with a rationale.
// Also used to reclassify a change later.
struct ClassificationOverridden {
  std::string change_id;
  Classification classification;
  std::string rationale;  // required
  // The latest suggestion when this was decided (0: none).
  uint64_t suggestion_version = 0;

  friend bool operator==(const ClassificationOverridden&, const ClassificationOverridden&) = default;
};

// The change was closed or stopped in intake; no more classification.
struct ClassificationClosed {
  std::string change_id;
  ChangeEnd end = ChangeEnd::kClosed;
  TriggerRef trigger;

  friend bool operator==(const ClassificationClosed&, const ClassificationClosed&) = default;
};

using Event = std::variant<ClassificationSuggested, ClassificationConfirmed,
                           ClassificationOverridden, ClassificationClosed>;

// An event as stored: its version in the stream and when it was recorded.
struct RecordedEvent {
  uint64_t version = 0;
  absl::Time recorded_at;
  std::string actor;
  Event event;
};

// --- state ---

enum class Status {
  kNone = 0,                  // no event yet: the change is unknown here
  kAwaitingConfirmation = 1,  // suggested, never confirmed or overridden
  kConfirmed = 2,
  kOverridden = 3,
};

struct SuggestionRecord {
  uint64_t version = 0;  // of the ClassificationSuggested event
  absl::Time recorded_at;
  ChangeFacts facts;
  Suggestion suggestion;
  TriggerRef trigger;
};

struct Decision {
  uint64_t version = 0;
  absl::Time recorded_at;
  std::string actor;
  Classification classification;
  std::string rationale;  // overrides; confirmations: the note
};

struct State {
  std::string change_id;
  uint64_t version = 0;  // last event applied (0: none)
  Status status = Status::kNone;
  ChangeEnd end = ChangeEnd::kNone;
  std::optional<SuggestionRecord> latest_suggestion;
  // The confirmed or overridden classification in force.
  std::optional<Decision> in_force;
  // True while the change is in the queue: never decided, or a later
  // suggestion differs from the classification in force.
  bool review_pending = false;
  // When the change (last) entered the queue.
  absl::Time awaiting_since = absl::InfinitePast();
  // Highest intake stream version already turned into an event here.
  uint64_t last_trigger_version = 0;

  bool closed() const { return end != ChangeEnd::kNone; }
  // The classification shown for the change: the one in force, else the
  // latest suggestion's; nullopt when there is neither.
  std::optional<Classification> Effective() const;
};

// Folds one event into the state (events must come in version order).
void Apply(State& state, const RecordedEvent& event);
State Fold(const std::vector<RecordedEvent>& events);

// --- intake facts ---

struct IntakeFact {
  enum class Kind { kRegistered, kAmended, kClosed, kStopped };
  Kind kind = Kind::kRegistered;
  std::string change_id;
  ChangeFacts facts;  // kRegistered, kAmended
  TriggerRef trigger;
  // The intake event's correlation id, carried onto the resulting event.
  std::string correlation_id;
};

// What the intake fact means for the classification: zero or one event.
// Zero when the trigger was already handled (redelivery), when the change is
// closed, or when an amendment leaves the facts and ruleset version as they
// were. Errors: INVALID_ARGUMENT (empty change id or trigger stream).
absl::StatusOr<std::vector<Event>> DecideOnIntake(const State& state, const IntakeFact& fact,
                                                  const Ruleset& ruleset);

// --- commands (portfolio office) ---

struct ConfirmClassification {
  std::string change_id;
  // The stream version the caller last read; required (0 is rejected).
  uint64_t expected_version = 0;
  std::string note;  // optional, at most 2000 characters
};

struct OverrideClassification {
  std::string change_id;
  uint64_t expected_version = 0;
  Classification classification;  // tier and complexity required
  std::string rationale;          // required, at most 4000 characters
};

// The bad fields of a command other than its change id, one
// "field: problem" each in the order of the fields; empty when they are
// well-formed. Decide checks them too; a service that names the change its
// own way (a resource name) and takes fields of its own (a request id)
// reports these with its own errors, so that one answer names every bad
// field.
std::vector<std::string> FieldErrors(const ConfirmClassification& cmd);
std::vector<std::string> FieldErrors(const OverrideClassification& cmd, const Ruleset& ruleset);

// Errors:
//   INVALID_ARGUMENT     naming each bad field (change_id,
//                        expected_version, note).
//   FAILED_PRECONDITION  unknown change (no suggestion yet), closed or
//                        stopped change, nothing awaiting confirmation.
//   ABORTED              expected_version differs from the stream version.
absl::StatusOr<std::vector<Event>> Decide(const State& state, const ConfirmClassification& cmd);

// The complexity may not be below the tier's complexity floor in `ruleset`
// (a transformational change is at least medium, 3.13a and 3.15).
// Errors:
//   INVALID_ARGUMENT     naming each bad field (change_id, expected_version,
//                        classification.tier, classification.complexity,
//                        classification.types[i], rationale).
//   FAILED_PRECONDITION  unknown, closed or stopped change.
//   ABORTED              expected_version differs from the stream version.
absl::StatusOr<std::vector<Event>> Decide(const State& state, const OverrideClassification& cmd,
                                          const Ruleset& ruleset);

// --- queue and what-if (read side, pure) ---

// Changes awaiting a confirmed classification, oldest first (by
// awaiting_since, then change id). Closed changes are not in the queue.
std::vector<const State*> Queue(const std::vector<State>& states);

struct WhatIfItem {
  std::string change_id;
  // What the running ruleset suggests for the change's facts now.
  Classification current;
  // The confirmed or overridden classification in force, if any, and the
  // change's status.
  std::optional<Classification> in_force;
  Status status = Status::kNone;
  // What the proposed ruleset would suggest, with its fired rules.
  Suggestion proposed;
  bool tier_changed = false;
  bool complexity_changed = false;
  bool types_changed = false;
  // A classification is in force and the proposed suggestion differs from
  // it: after deployment the change would go back to the queue on its next
  // amendment.
  bool would_need_review = false;
  bool changed() const { return tier_changed || complexity_changed || types_changed; }
};

struct WhatIfReport {
  std::string ruleset_id;
  uint32_t ruleset_version = 0;
  size_t evaluated = 0;
  size_t changed = 0;
  // Only the changes whose suggestion would change, by change id.
  std::vector<WhatIfItem> items;
};

// Evaluates `current` and `proposed` over the latest facts of every open
// change and reports the changes whose suggested classification differs
// between the two, with the proposed explanation. Confirmed and overridden
// classifications are shown, never changed. Writes nothing.
WhatIfReport WhatIf(const Ruleset& current, const Ruleset& proposed,
                    const std::vector<State>& states);

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_DOMAIN_H_
