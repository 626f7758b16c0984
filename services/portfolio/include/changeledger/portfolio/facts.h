// Facts: what the portfolio read model learns from the event log, decoded
// from the services' envelopes into small structs of its own, so that the
// model does not depend on the exact shape of any service's protos. An
// adapter (see adapters.h) maps each topic's envelopes to facts.
#ifndef CHANGELEDGER_PORTFOLIO_FACTS_H_
#define CHANGELEDGER_PORTFOLIO_FACTS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"

namespace changeledger::portfolio {

// The four tiers of the differentiated model. Numbering matches the
// classification service's Tier enum.
enum class Tier : uint8_t {
  kUnspecified = 0,  // not classified yet
  kTransformational = 1,
  kMandated = 2,
  kExperimental = 3,
  kIncremental = 4,
};
inline constexpr int kTierCount = 5;

enum class Complexity : uint8_t {
  kUnspecified = 0,
  kHigh = 1,
  kMedium = 2,
  kLow = 3,
};
inline constexpr int kComplexityCount = 4;

// Complexity types, as bits of a mask.
enum ComplexityTypeBit : uint8_t {
  kStructural = 1 << 0,
  kSocioPolitical = 1 << 1,
  kEmergent = 1 << 2,
};
inline constexpr int kComplexityTypeCount = 3;

// Lifecycle of a registered change (matches intake's ChangeStatus).
enum class ChangeStatus : uint8_t {
  kUnspecified = 0,
  kRegistered = 1,
  kInDelivery = 2,
  kClosed = 3,
  kStopped = 4,
};
inline constexpr int kChangeStatusCount = 5;

// Outcome of a front-door decision.
enum class ProposalOutcome : uint8_t {
  kUnspecified = 0,
  kApproved = 1,
  kRejected = 2,
  kDeferred = 3,
  kReturned = 4,  // sent back to the proposer
};

enum class FactKind : uint8_t {
  // Intake, change aggregate.
  kChangeRegistered = 1,  // attributes: the full set
  kChangeAmended = 2,     // attributes: the full set as it stands afterwards
  kChangeStatusChanged = 3,
  // Intake, proposal aggregate.
  kProposalSubmitted = 4,
  kProposalDecided = 5,
  kProposalOther = 6,  // drafted, amended, assessed: history only
  // Classification.
  kClassificationSuggested = 7,
  kClassificationConfirmed = 8,
  kClassificationOverridden = 9,
  // Intake, proposal aggregate: withdrawn by its proposer. Final: intake
  // accepts no command on a withdrawn proposal.
  kProposalWithdrawn = 10,
  // Classification: the change was closed or stopped, its classification
  // is final. History only (intake's status change moves the figures).
  kClassificationClosed = 11,
};
inline constexpr FactKind kLastFactKind = FactKind::kClassificationClosed;

const char* TierName(Tier tier);              // "TRANSFORMATIONAL", ...
const char* ComplexityName(Complexity c);     // "HIGH", ...
const char* ComplexityTypeName(int bit_index);  // 0: "STRUCTURAL", ...
const char* StatusName(ChangeStatus status);  // "REGISTERED", ...
const char* OutcomeName(ProposalOutcome outcome);
const char* FactKindName(FactKind kind);

// The history's words from an event's free text: one line (control
// characters and line separators shown as spaces), valid UTF-8 (a byte that
// is not UTF-8 shown as U+FFFD), at most kNoteBytes bytes. Longer text is
// cut between two characters, never inside one, and ends in "..." so that
// the cut shows.
inline constexpr size_t kNoteBytes = 120;
std::string ShortNote(std::string_view text);

// Where the fact came from: the envelope's descriptive fields.
struct EventMeta {
  std::string event_id;  // UUID text, or any non-empty id
  std::string type;      // e.g. "changeledger.intake.v1.ChangeRegistered"
  std::string source;    // service name, e.g. "intake"
  std::string stream;    // aggregate stream, e.g. "change-<uuid>"
  uint64_t version = 0;  // in the stream, >= 1
  uint64_t global_position = 0;
  absl::Time occurred_at = absl::UnixEpoch();
  absl::Time recorded_at = absl::UnixEpoch();  // as-of queries use this
  std::string actor;
  std::string correlation_id;
  std::string causation_id;
};

// The attributes of a change that the baseline reads.
struct ChangeAttributesFact {
  std::string title;
  std::string business_area;        // code, e.g. "MO"
  std::vector<std::string> teams;   // any order; duplicates ignored
  bool data_and_digital = false;
  int64_t estimated_cost_minor = 0;  // minor units of the currency
  // ISO 4217 code the cost is in, e.g. "GBP"; empty: not known (facts
  // stored before the currency was kept, or no cost given).
  std::string currency_code;
};

struct ClassificationFact {
  Tier tier = Tier::kUnspecified;
  Complexity complexity = Complexity::kUnspecified;
  uint8_t complexity_types = 0;  // ComplexityTypeBit mask
};

struct Fact {
  EventMeta meta;
  FactKind kind = FactKind::kProposalOther;
  // The change concerned (change and classification facts; a registration
  // may also name the proposal it came from).
  std::string change_id;
  // The proposal concerned (proposal facts, optional for registration).
  std::string proposal_id;
  ChangeAttributesFact attributes;   // kChangeRegistered, kChangeAmended
  ChangeStatus status = ChangeStatus::kUnspecified;  // kChangeStatusChanged
  // kClassification*: the classification it states. A confirmation with
  // an unspecified tier confirms the latest suggestion as it stands.
  ClassificationFact classification;
  ProposalOutcome outcome = ProposalOutcome::kUnspecified;  // kProposalDecided
  std::string proposal_business_area;  // kProposalSubmitted
  // kClassificationConfirmed, kClassificationOverridden: the stream
  // version of the suggestion decided on (0: none or not known).
  uint64_t suggestion_version = 0;
  // Words the history shows with the event, as the event gave them: an
  // override's rationale, a stop's reason, a close's summary, a
  // withdrawal's reason, an amendment's reason. For a registration, a
  // decision and an assessment the adapter writes them out with their
  // names, each value shortened (ShortNote): a registration's origin
  // (return="..." record="..." and, when the return stated it,
  // as_of=2021-05-12; or note="..."), a decision's chair="..."
  // meeting_date=... conditions="..." rationale="...", an assessment's
  // desirable=N deliverable=N affordable=N, a suggestion's
  // review_required=true. Empty: none.
  std::string note;
  // kChangeAmended: the attribute paths whose value changed, e.g. "title".
  std::vector<std::string> changed_paths;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_FACTS_H_
