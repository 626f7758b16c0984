// PortfolioModel: the enterprise-wide view of change (the "change
// baseline"), folded from facts, answering for now or for any date D
// ("as known on D": facts with recorded_at <= D).
//
// How it stays fast:
//   * Every change keeps a compact, time-ordered list of steps: after each
//     of its facts (ordered by recorded_at), the baseline-relevant state
//     (tier, complexity, types, area id, status, data and digital, cost,
//     team set id; strings are interned). The state of a change as of D is
//     one binary search in its steps.
//   * The current baseline (no date, default status filter) is kept as
//     running totals, updated on every fact: answering it copies counters.
//   * A baseline as of D (or with another status filter) is one pass over
//     the changes with a binary search each, into the same totals.
// Times are kept to the nanosecond, as the logs record them: an as-of
// query at D includes an event recorded at D + 1 ns in no case.
//
// Facts may arrive in any order across streams (two Kafka topics, or two
// log readers); a fact older than a change's newest step is inserted in
// place and the change's later steps are folded again, so the state
// depends only on the set of facts, not on their arrival order.
//
// Duplicates: a fact whose (source, stream, version) is not newer than the
// last one applied from that stream is ignored (per-stream order holds on
// Kafka and in log readers).
//
// Thread safety: not thread-safe. Callers serialise Apply against queries
// (e.g. a shared mutex: queries shared, Apply exclusive). Const methods may
// run concurrently with each other.
#ifndef CHANGELEDGER_PORTFOLIO_PORTFOLIO_MODEL_H_
#define CHANGELEDGER_PORTFOLIO_PORTFOLIO_MODEL_H_

#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/portfolio/facts.h"

namespace changeledger::portfolio {

// Which change statuses a baseline counts, as a bit mask over
// 1 << ChangeStatus. The baseline is the snapshot of *ongoing* change:
// registered or in delivery (closed and stopped changes are left out).
using StatusMask = uint8_t;
inline constexpr StatusMask StatusBit(ChangeStatus s) {
  return static_cast<StatusMask>(1u << static_cast<unsigned>(s));
}
inline constexpr StatusMask kOngoingStatuses =
    StatusBit(ChangeStatus::kRegistered) | StatusBit(ChangeStatus::kInDelivery);
inline constexpr StatusMask kAllStatuses = 0x1f;

// One event as the model reports it (audit, provenance, diff).
struct EventView {
  std::string event_id;
  std::string type;
  std::string source;
  std::string stream;
  uint64_t version = 0;
  uint64_t global_position = 0;
  std::string actor;
  absl::Time occurred_at;
  absl::Time recorded_at;
  std::string correlation_id;
  std::string causation_id;
  FactKind kind = FactKind::kProposalOther;
  // What the event said, in short, e.g. "tier=MANDATED complexity=MEDIUM
  // types=STRUCTURAL".
  std::string summary;
};

// The baseline-relevant state of one change at some moment.
struct ChangeStateView {
  bool known = false;       // any fact about the change by then
  bool registered = false;  // registered by intake by then
  bool in_baseline = false;  // registered and status in the filter
  Tier tier = Tier::kUnspecified;
  Complexity complexity = Complexity::kUnspecified;
  uint8_t complexity_types = 0;
  bool classification_confirmed = false;  // confirmed or overridden
  std::string business_area;
  ChangeStatus status = ChangeStatus::kUnspecified;
  bool data_and_digital = false;
  int64_t estimated_cost_minor = 0;
  std::string currency_code;  // of the cost; empty: not known
  std::vector<std::string> teams;  // sorted
};

struct BaselineQuery {
  std::optional<absl::Time> as_of;  // none: everything known now
  StatusMask statuses = kOngoingStatuses;
  int top_mandated_per_area = 5;  // 0..100
};

struct AreaCount {
  std::string business_area;
  int64_t total = 0;
  std::array<int64_t, kTierCount> by_tier{};
  int64_t data_and_digital = 0;
};

struct MandatedChange {
  std::string change_id;
  std::string title;  // the title it had at the baseline's time
  int64_t estimated_cost_minor = 0;
  std::string currency_code;  // empty: not known
  Complexity complexity = Complexity::kUnspecified;
};

struct AreaTopMandated {
  std::string business_area;
  // Costs in different currencies are not compared (no exchange rates):
  // GBP first, highest cost first; then other currencies by code, each
  // highest first; then changes whose currency is not known.
  std::vector<MandatedChange> changes;
};

// Expected: incremental > experimental > mandated > transformational.
struct PyramidBreak {
  Tier tier;        // the tier that has too many changes...
  Tier below;       // ...compared with the tier under it in the pyramid
  int64_t tier_count = 0;
  int64_t below_count = 0;
};
// With no classified change there is nothing to compare: any_classified
// is false, holds is false, no breaks, most_common unspecified.
struct PyramidCheck {
  bool any_classified = false;
  bool holds = false;
  Tier most_common = Tier::kUnspecified;  // among classified tiers
  std::vector<PyramidBreak> breaks;
};

struct Baseline {
  std::optional<absl::Time> as_of;               // as requested
  std::optional<absl::Time> latest_recorded_at;  // newest fact included
  uint64_t change_events_included = 0;
  StatusMask statuses = kOngoingStatuses;
  int64_t total = 0;          // changes in the baseline
  int64_t unclassified = 0;   // no classification yet (tier unspecified)
  int64_t unconfirmed = 0;    // classified by a suggestion only
  // [tier][complexity]; row 0 holds unclassified changes.
  std::array<std::array<int64_t, kComplexityCount>, kTierCount> tier_complexity{};
  std::array<std::array<int64_t, kComplexityCount>, kTierCount>
      tier_complexity_unconfirmed{};
  std::array<int64_t, kTierCount> by_tier{};
  std::array<int64_t, kTierCount> data_and_digital_by_tier{};
  // [complexity][type bit index]: changes of that level having the type.
  std::array<std::array<int64_t, kComplexityTypeCount>, kComplexityCount>
      complexity_types{};
  std::array<int64_t, kComplexityCount> complexity_without_types{};
  std::vector<AreaCount> by_area;  // sorted by area code
  PyramidCheck pyramid;
  std::vector<AreaTopMandated> top_mandated;  // sorted by area code
};

// A set of baseline cells: every set field must match.
struct CellFilter {
  std::optional<Tier> tier;
  std::optional<Complexity> complexity;
  std::optional<std::string> business_area;
  std::optional<int> complexity_type_bit_index;  // 0..2
  std::optional<bool> data_and_digital;
};

// One page of a list ordered by change id: the changes after `after`
// (from the first when empty), at most `limit` of them. Only the page's
// changes are put together; the list's figures (counts) stay whole.
struct ChangePage {
  std::string after;
  size_t limit = std::numeric_limits<size_t>::max();
};

struct ProvenanceEntry {
  std::string change_id;
  std::string title;  // the title it had at the provenance's time
  ChangeStateView state;
  // The events that put the change in the cell: its registration, the
  // latest attributes (area, teams), the latest status change and the
  // classification in force (a confirmation with the suggestion it
  // confirmed, the one at its suggestion_version); ordered as recorded.
  std::vector<EventView> events;
};

struct Provenance {
  std::optional<absl::Time> as_of;
  std::optional<absl::Time> latest_recorded_at;
  int64_t count = 0;  // equals the baseline figure for the cell
  std::vector<ProvenanceEntry> changes;  // the page's, sorted by change id
  bool more = false;  // changes in the cell after the page's last
};

enum class DiffKind : uint8_t {
  kEntered = 0,  // in the baseline at `to`, not at `from`
  kLeft = 1,
  kReclassified = 2,  // tier, complexity or types differ
  kAreaChanged = 3,
  kStatusChanged = 4,
};
const char* DiffKindName(DiffKind kind);

struct ChangeDiff {
  std::string change_id;
  std::vector<DiffKind> kinds;
  ChangeStateView before;
  ChangeStateView after;
  std::vector<EventView> events;  // recorded in (from, to], in order
};

struct BaselineDiff {
  absl::Time from;
  absl::Time to;
  std::optional<absl::Time> latest_recorded_at_from;
  std::optional<absl::Time> latest_recorded_at_to;
  std::vector<ChangeDiff> changes;  // the page's, sorted by change id
  bool more = false;  // changes in the diff after the page's last
  // Of the whole diff, whatever the page.
  int64_t entered = 0, left = 0, reclassified = 0, area_changed = 0,
          status_changed = 0;
};

struct ChangeHistory {
  std::string change_id;
  std::string title;
  std::string proposal_id;  // the proposal it came from, if known
  ChangeStateView current;
  // Every event about the change and its proposal, from every source,
  // ordered by recorded_at (ties: source, then the source's log order).
  std::vector<EventView> events;
  // recorded_at of the newest of those events.
  std::optional<absl::Time> latest_recorded_at;
};

struct TeamOverlap {
  std::string team;
  std::vector<std::string> change_ids;      // sorted
  std::vector<std::string> business_areas;  // sorted, distinct
};

struct AreaInteraction {
  std::string area_a;  // area_a < area_b
  std::string area_b;
  // Changes of either area that share at least one team with a change of
  // the other.
  int64_t shared_changes = 0;
  std::vector<std::string> teams;  // the teams that link them, sorted
};

struct Overlaps {
  std::optional<absl::Time> as_of;
  std::optional<absl::Time> latest_recorded_at;
  // Teams working on two or more baseline changes, most changes first.
  std::vector<TeamOverlap> teams;
  // Pairs of areas linked by shared teams, most shared changes first.
  std::vector<AreaInteraction> interactions;
};

struct YearMonth {
  int year = 0;
  int month = 0;  // 1..12
  friend bool operator<(YearMonth a, YearMonth b) {
    return a.year != b.year ? a.year < b.year : a.month < b.month;
  }
  friend bool operator==(YearMonth a, YearMonth b) = default;
};

struct FrontDoorQuery {
  std::optional<absl::Time> as_of;
  std::optional<YearMonth> from;  // inclusive
  std::optional<YearMonth> to;    // inclusive
  // Only proposals whose latest submission names this area.
  std::optional<std::string> business_area;
};

// Proposals first submitted in a month (by occurred_at, UTC).
struct FrontDoorPeriod {
  YearMonth month;
  int64_t submitted = 0;
  // Each proposal counts once, by where it stands: submitted = approved +
  // rejected + deferred + returned + pending + withdrawn.
  int64_t approved = 0, rejected = 0, deferred = 0, returned = 0;
  int64_t pending = 0;  // no decision since the latest submission
  // Withdrawn by the proposer after submission (final: a withdrawn
  // proposal never comes back), whatever was decided before.
  int64_t withdrawn = 0;
  // Proposals whose latest decision stands (approved, rejected, deferred,
  // returned): first submission to latest decision (occurred_at);
  // decisions dated before the first submission are left out of the days.
  int64_t decided = 0;
  double mean_days_to_decision = 0;
  double median_days_to_decision = 0;
};

struct FrontDoorActivity {
  std::optional<absl::Time> as_of;
  std::optional<absl::Time> latest_recorded_at;
  std::vector<FrontDoorPeriod> periods;  // ascending
};

struct ApplyResult {
  bool applied = false;  // false: a duplicate, ignored
};

class PortfolioModel {
 public:
  PortfolioModel();
  ~PortfolioModel();
  PortfolioModel(const PortfolioModel&) = delete;
  PortfolioModel& operator=(const PortfolioModel&) = delete;

  // Folds one fact in. Errors: INVALID_ARGUMENT (empty change or proposal
  // id for the kind, version 0, empty stream or source); nothing changes.
  absl::StatusOr<ApplyResult> Apply(const Fact& fact);

  // The baseline. Fast path: no as_of and the default status filter.
  // Errors: INVALID_ARGUMENT (top_mandated_per_area out of range).
  absl::StatusOr<Baseline> GetBaseline(const BaselineQuery& query) const;

  // The changes behind a figure, with the events that put them there:
  // the count of all of them, the entries of `page`.
  absl::StatusOr<Provenance> GetProvenance(const CellFilter& cell,
                                           std::optional<absl::Time> as_of,
                                           StatusMask statuses = kOngoingStatuses,
                                           const ChangePage& page = {}) const;

  // What changed in the baseline between two dates: the counts of the
  // whole diff, the changes of `page`.
  // Errors: INVALID_ARGUMENT (from after to).
  absl::StatusOr<BaselineDiff> Diff(absl::Time from, absl::Time to,
                                    StatusMask statuses = kOngoingStatuses,
                                    const ChangePage& page = {}) const;

  // Errors: NOT_FOUND (no fact names the change).
  absl::StatusOr<ChangeHistory> GetChangeHistory(const std::string& change_id) const;

  absl::StatusOr<Overlaps> GetOverlaps(std::optional<absl::Time> as_of,
                                       StatusMask statuses = kOngoingStatuses) const;

  // Errors: INVALID_ARGUMENT (a month out of 1..12, from after to).
  absl::StatusOr<FrontDoorActivity> GetFrontDoorActivity(const FrontDoorQuery& query) const;

  // A hash of the whole state in canonical form (independent of arrival
  // order and of interning): 32 hex digits. Equal facts, equal hash.
  std::string StateHash() const;

  uint64_t events_applied() const;
  uint64_t duplicates_ignored() const;
  size_t change_count() const;
  size_t proposal_count() const;
  // Newest recorded_at of any fact applied (nullopt when empty).
  std::optional<absl::Time> latest_recorded_at() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_PORTFOLIO_MODEL_H_
