#include "changeledger/classification/domain.h"

#include <algorithm>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "changeledger/text/utf8.h"

namespace changeledger::classification {
namespace {

constexpr size_t kMaxChangeId = 128;
constexpr size_t kMaxNote = 2000;
constexpr size_t kMaxRationale = 4000;

void CheckChangeId(std::string_view change_id, std::vector<std::string>& errors) {
  if (change_id.empty()) {
    errors.push_back("change_id: required");
  } else if (text::CountCodePoints(
                 absl::string_view(change_id.data(), change_id.size())) > kMaxChangeId) {
    errors.push_back(
        absl::StrCat("change_id: longer than ", kMaxChangeId, " characters"));
  }
}

void CheckExpectedVersion(uint64_t expected_version, std::vector<std::string>& errors) {
  if (expected_version == 0) {
    errors.push_back("expected_version: required (the version last read)");
  }
}

void Append(std::vector<std::string>& errors, std::vector<std::string> more) {
  errors.insert(errors.end(), std::make_move_iterator(more.begin()),
                std::make_move_iterator(more.end()));
}

absl::Status Invalid(const std::vector<std::string>& errors) {
  return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
}

// Common lifecycle checks for portfolio-office commands.
absl::Status CheckWritable(const State& state, const std::string& change_id,
                           uint64_t expected_version) {
  if (state.closed()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "change ", change_id, " is ", state.end == ChangeEnd::kStopped ? "stopped" : "closed",
        ": its classification can no longer change"));
  }
  if (state.status == Status::kNone) {
    return absl::FailedPreconditionError(
        absl::StrCat("change ", change_id, " is unknown to classification (not registered yet)"));
  }
  if (expected_version != state.version) {
    return absl::AbortedError(absl::StrCat("classifications/", change_id, " is at version ",
                                           state.version, ", not the expected ",
                                           expected_version, ": read it again"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string StreamFor(std::string_view change_id) {
  return absl::StrCat("classification-", std::string(change_id));
}

std::optional<Classification> State::Effective() const {
  if (in_force) return in_force->classification;
  if (latest_suggestion) return latest_suggestion->suggestion.classification;
  return std::nullopt;
}

void Apply(State& s, const RecordedEvent& e) {
  s.version = e.version;
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        s.change_id = ev.change_id;
        if constexpr (std::is_same_v<T, ClassificationSuggested>) {
          s.latest_suggestion =
              SuggestionRecord{e.version, e.recorded_at, ev.facts, ev.suggestion, ev.trigger};
          s.last_trigger_version = std::max(s.last_trigger_version, ev.trigger.version);
          if (s.status == Status::kNone) {
            s.status = Status::kAwaitingConfirmation;
            s.review_pending = true;
            s.awaiting_since = e.recorded_at;
          } else if (s.status == Status::kAwaitingConfirmation) {
            // Still waiting since the first suggestion.
          } else if (ev.review_required) {
            if (!s.review_pending) s.awaiting_since = e.recorded_at;
            s.review_pending = true;
          } else {
            // The new suggestion agrees with the classification in force.
            s.review_pending = false;
          }
        } else if constexpr (std::is_same_v<T, ClassificationConfirmed>) {
          s.in_force = Decision{e.version, e.recorded_at, e.actor, ev.classification, ev.note};
          s.status = Status::kConfirmed;
          s.review_pending = false;
        } else if constexpr (std::is_same_v<T, ClassificationOverridden>) {
          s.in_force =
              Decision{e.version, e.recorded_at, e.actor, ev.classification, ev.rationale};
          s.status = Status::kOverridden;
          s.review_pending = false;
        } else if constexpr (std::is_same_v<T, ClassificationClosed>) {
          s.end = ev.end;
          s.review_pending = false;
          s.last_trigger_version = std::max(s.last_trigger_version, ev.trigger.version);
        }
      },
      e.event);
}

State Fold(const std::vector<RecordedEvent>& events) {
  State s;
  for (const RecordedEvent& e : events) Apply(s, e);
  return s;
}

absl::StatusOr<std::vector<Event>> DecideOnIntake(const State& state, const IntakeFact& fact,
                                                  const Ruleset& ruleset) {
  std::vector<std::string> errors;
  CheckChangeId(fact.change_id, errors);
  if (fact.trigger.stream.empty()) errors.push_back("trigger.stream: required");
  if (!errors.empty()) return Invalid(errors);

  std::vector<Event> out;
  // Redelivered or older intake event: already handled.
  if (fact.trigger.version != 0 && fact.trigger.version <= state.last_trigger_version) {
    return out;
  }
  if (state.closed()) return out;

  if (fact.kind == IntakeFact::Kind::kClosed || fact.kind == IntakeFact::Kind::kStopped) {
    out.push_back(ClassificationClosed{
        fact.change_id,
        fact.kind == IntakeFact::Kind::kStopped ? ChangeEnd::kStopped : ChangeEnd::kClosed,
        fact.trigger});
    return out;
  }

  if (state.latest_suggestion && state.latest_suggestion->facts == fact.facts &&
      state.latest_suggestion->suggestion.ruleset_id == ruleset.id() &&
      state.latest_suggestion->suggestion.ruleset_version == ruleset.version()) {
    // An amendment of attributes the ruleset does not read: same answer.
    return out;
  }

  ClassificationSuggested ev;
  ev.change_id = fact.change_id;
  ev.facts = fact.facts;
  ev.suggestion = ruleset.Evaluate(fact.facts);
  ev.trigger = fact.trigger;
  // A suggestion that differs from the decision in force needs review,
  // unless it is the one the office decided on already: an amendment that
  // leaves the suggestion as it was (planned dates, say) does not send an
  // overridden change back to the queue. A review already pending stays.
  ev.review_required =
      state.in_force && !(state.in_force->classification == ev.suggestion.classification) &&
      (state.review_pending || !state.latest_suggestion ||
       !(state.latest_suggestion->suggestion.classification == ev.suggestion.classification));
  out.push_back(std::move(ev));
  return out;
}

std::vector<std::string> FieldErrors(const ConfirmClassification& cmd) {
  std::vector<std::string> errors;
  CheckExpectedVersion(cmd.expected_version, errors);
  if (text::CountCodePoints(cmd.note) > kMaxNote) {
    errors.push_back(absl::StrCat("note: longer than ", kMaxNote, " characters"));
  }
  return errors;
}

absl::StatusOr<std::vector<Event>> Decide(const State& state, const ConfirmClassification& cmd) {
  std::vector<std::string> errors;
  CheckChangeId(cmd.change_id, errors);
  Append(errors, FieldErrors(cmd));
  if (!errors.empty()) return Invalid(errors);
  if (absl::Status st = CheckWritable(state, cmd.change_id, cmd.expected_version); !st.ok()) {
    return st;
  }
  if (!state.review_pending || !state.latest_suggestion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "change ", cmd.change_id, " has no suggestion awaiting confirmation (its classification ",
        "is already ", state.status == Status::kOverridden ? "overridden" : "confirmed", ")"));
  }
  std::vector<Event> out;
  out.push_back(ClassificationConfirmed{cmd.change_id,
                                        state.latest_suggestion->suggestion.classification,
                                        state.latest_suggestion->version, cmd.note});
  return out;
}

std::vector<std::string> FieldErrors(const OverrideClassification& cmd, const Ruleset& ruleset) {
  std::vector<std::string> errors;
  CheckExpectedVersion(cmd.expected_version, errors);
  const Classification& c = cmd.classification;
  if (c.tier == Tier::kUnspecified) {
    errors.push_back("classification.tier: required");
  } else if (TierName(c.tier) == "UNSPECIFIED") {
    errors.push_back("classification.tier: unknown value");
  }
  if (c.complexity == Complexity::kUnspecified) {
    errors.push_back("classification.complexity: required");
  } else if (ComplexityName(c.complexity) == "UNSPECIFIED") {
    errors.push_back("classification.complexity: unknown value");
  } else if (const Complexity floor = ruleset.ComplexityFloor(c.tier); c.complexity < floor) {
    errors.push_back(absl::StrCat("classification.complexity: a ", TierName(c.tier),
                                  " change is at least ", ComplexityName(floor),
                                  " (the tier's complexity floor in ruleset ", ruleset.id(),
                                  " v", ruleset.version(), ")"));
  }
  // The first bad type is named and the rest counted: a request of a few
  // MiB holds millions of type values, and a problem for each made an
  // answer of hundreds of MiB that no client could receive.
  size_t bad_types = 0;
  size_t first_bad_type = 0;
  for (size_t i = 0; i < c.types.size(); ++i) {
    if (ComplexityTypeName(c.types[i]) != "UNSPECIFIED") continue;
    if (bad_types++ == 0) first_bad_type = i;
  }
  if (bad_types > 0) {
    errors.push_back(absl::StrCat(
        "classification.types[", first_bad_type, "]: unknown or unspecified value",
        bad_types > 1
            ? absl::StrCat(" (and ", bad_types - 1, " more in classification.types)")
            : ""));
  }
  const absl::string_view rationale = absl::StripAsciiWhitespace(cmd.rationale);
  if (rationale.empty()) {
    errors.push_back("rationale: required: say why the suggestion is overridden");
  } else if (text::CountCodePoints(rationale) > kMaxRationale) {
    errors.push_back(
        absl::StrCat("rationale: longer than ", kMaxRationale, " characters"));
  }
  return errors;
}

absl::StatusOr<std::vector<Event>> Decide(const State& state, const OverrideClassification& cmd,
                                          const Ruleset& ruleset) {
  std::vector<std::string> errors;
  CheckChangeId(cmd.change_id, errors);
  Append(errors, FieldErrors(cmd, ruleset));
  if (!errors.empty()) return Invalid(errors);
  if (absl::Status st = CheckWritable(state, cmd.change_id, cmd.expected_version); !st.ok()) {
    return st;
  }
  ClassificationOverridden ev;
  ev.change_id = cmd.change_id;
  ev.classification = cmd.classification;
  NormalizeTypes(ev.classification.types);
  ev.rationale = std::string(absl::StripAsciiWhitespace(cmd.rationale));
  ev.suggestion_version = state.latest_suggestion ? state.latest_suggestion->version : 0;
  std::vector<Event> out;
  out.push_back(std::move(ev));
  return out;
}

std::vector<const State*> Queue(const std::vector<State>& states) {
  std::vector<const State*> q;
  for (const State& s : states) {
    if (s.review_pending && !s.closed()) q.push_back(&s);
  }
  std::sort(q.begin(), q.end(), [](const State* a, const State* b) {
    if (a->awaiting_since != b->awaiting_since) return a->awaiting_since < b->awaiting_since;
    return a->change_id < b->change_id;
  });
  return q;
}

WhatIfReport WhatIf(const Ruleset& current, const Ruleset& proposed,
                    const std::vector<State>& states) {
  WhatIfReport report;
  report.ruleset_id = proposed.id();
  report.ruleset_version = proposed.version();
  for (const State& s : states) {
    if (s.closed() || !s.latest_suggestion) continue;
    ++report.evaluated;
    const ChangeFacts& facts = s.latest_suggestion->facts;
    WhatIfItem item;
    item.change_id = s.change_id;
    item.current = current.Evaluate(facts).classification;
    if (s.in_force) item.in_force = s.in_force->classification;
    item.status = s.status;
    item.proposed = proposed.Evaluate(facts);
    const Classification& p = item.proposed.classification;
    item.tier_changed = item.current.tier != p.tier;
    item.complexity_changed = item.current.complexity != p.complexity;
    item.types_changed = item.current.types != p.types;
    item.would_need_review = item.in_force && !(*item.in_force == p);
    if (item.changed()) {
      ++report.changed;
      report.items.push_back(std::move(item));
    }
  }
  std::sort(report.items.begin(), report.items.end(),
            [](const WhatIfItem& a, const WhatIfItem& b) { return a.change_id < b.change_id; });
  return report;
}

}  // namespace changeledger::classification
