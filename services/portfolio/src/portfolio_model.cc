#include "changeledger/portfolio/portfolio_model.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "changeledger/uuid/uuid_text.h"

namespace changeledger::portfolio {
namespace {

using uuid::FormatUuidText;
using uuid::kUuidTextSize;
using uuid::PackedUuid;
using uuid::ParseUuidText;

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr int64_t kForever = std::numeric_limits<int64_t>::max();

// Times as nanoseconds since 1970, as the logs record them: cutting them
// coarser would put an event recorded a fraction after an as-of inside it.
// int64 nanoseconds span 1677..2262; a time outside (an as-of such as
// 0001-01-01) is before or after every event.
constexpr absl::Time kFirstNanos = absl::FromUnixNanos(std::numeric_limits<int64_t>::min());
constexpr absl::Time kLastNanos = absl::FromUnixNanos(std::numeric_limits<int64_t>::max());
int64_t Nanos(absl::Time t) {
  if (t <= kFirstNanos) return std::numeric_limits<int64_t>::min();
  if (t >= kLastNanos) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixNanos(t);
}
absl::Time FromNanos(int64_t ns) { return absl::FromUnixNanos(ns); }


// Strings stored once; ids are dense, in order of first sight.
//
// Strings that end in a canonical UUID (change and proposal ids, streams
// such as "change-<uuid>") are looked up by their prefix's number and the
// packed UUID, held in the table itself: most of a rebuild's lookups are
// of such strings, among hundreds of thousands, and comparing the text
// would cost a cache miss each.
class Interner {
 public:
  uint32_t Intern(std::string_view s) {
    std::string_view prefix;
    UuidKey key;
    if (SplitUuid(s, &prefix, &key.uuid)) {
      auto p = prefixes_.find(prefix);
      if (p == prefixes_.end()) {
        prefix_text_.emplace_back(prefix);
        p = prefixes_.emplace(std::string_view(prefix_text_.back()),
                              static_cast<uint32_t>(prefixes_.size())).first;
      }
      key.prefix = p->second;
      auto [it, inserted] = uuid_ids_.try_emplace(key, static_cast<uint32_t>(strings_.size()));
      if (inserted) strings_.emplace_back(s);
      return it->second;
    }
    auto it = ids_.find(s);
    if (it != ids_.end()) return it->second;
    strings_.emplace_back(s);
    const uint32_t id = static_cast<uint32_t>(strings_.size() - 1);
    ids_.emplace(std::string_view(strings_.back()), id);
    return id;
  }
  std::optional<uint32_t> Find(std::string_view s) const {
    std::string_view prefix;
    UuidKey key;
    if (SplitUuid(s, &prefix, &key.uuid)) {
      auto p = prefixes_.find(prefix);
      if (p == prefixes_.end()) return std::nullopt;
      key.prefix = p->second;
      auto it = uuid_ids_.find(key);
      if (it == uuid_ids_.end()) return std::nullopt;
      return it->second;
    }
    auto it = ids_.find(s);
    if (it == ids_.end()) return std::nullopt;
    return it->second;
  }
  const std::string& Get(uint32_t id) const { return strings_[id]; }
  size_t size() const { return strings_.size(); }

 private:
  struct UuidKey {
    PackedUuid uuid;
    uint32_t prefix = 0;
    friend bool operator==(const UuidKey& a, const UuidKey& b) {
      return a.uuid.hi == b.uuid.hi && a.uuid.lo == b.uuid.lo && a.prefix == b.prefix;
    }
    template <typename H>
    friend H AbslHashValue(H h, const UuidKey& k) {
      return H::combine(std::move(h), k.uuid.hi, k.uuid.lo, k.prefix);
    }
  };

  // True when `s` ends in a canonical UUID: `*prefix` is what comes before.
  static bool SplitUuid(std::string_view s, std::string_view* prefix, PackedUuid* uuid) {
    if (s.size() < kUuidTextSize) return false;
    if (!ParseUuidText(s.substr(s.size() - kUuidTextSize), uuid)) return false;
    *prefix = s.substr(0, s.size() - kUuidTextSize);
    return true;
  }

  std::deque<std::string> strings_;  // stable addresses for the views
  absl::flat_hash_map<std::string_view, uint32_t> ids_;  // strings without a UUID
  absl::flat_hash_map<UuidKey, uint32_t> uuid_ids_;
  // The prefixes of uuid_ids_' strings: a handful.
  std::deque<std::string> prefix_text_;
  absl::flat_hash_map<std::string_view, uint32_t> prefixes_;
};

// An id held in 16 bytes: a canonical lower-case UUID packed, or an index
// into the interner of other ids.
using PackedId = PackedUuid;
enum IdKind : uint8_t { kIdEmpty = 0, kIdUuid = 1, kIdInterned = 2 };

struct Payload {
  union {
    int64_t cost = 0;             // change attributes
    uint64_t suggestion_version;  // confirmation, override
  };
  uint32_t area = 0;     // intake: the change's area; proposal: its area
  uint32_t teamset = 0;
  uint8_t data_digital = 0;
  uint8_t status = 0;  // status change; classification closed: how it ended
  uint8_t tier = 0;
  uint8_t complexity = 0;
  uint8_t types = 0;
  uint8_t outcome = 0;
  uint16_t currency = 0;  // change attributes: the cost's currency id
};
static_assert(sizeof(Payload) == 24, "Payload grew: every event record pays for it");

struct EventRecord {
  int64_t recorded_at = 0;
  int64_t occurred_at = 0;
  uint64_t version = 0;
  uint64_t global_position = 0;
  PackedId ids[3];  // event id, correlation id, causation id
  uint32_t stream = 0;
  uint32_t type = 0;
  uint32_t actor = 0;
  uint32_t subject = 0;  // change index or proposal index
  uint16_t source = 0;
  FactKind kind = FactKind::kProposalOther;
  uint8_t id_kinds = 0;  // 2 bits per id
  Payload payload;
};

// The state of a change after a step. 24 bytes, no padding (compared with
// memcmp).
enum StateFlag : uint8_t { kRegistered = 1, kDataDigital = 2, kConfirmed = 4 };
struct State {
  int64_t cost = 0;
  uint32_t area = 0;  // 0: the empty area
  uint32_t teamset = 0;  // 0: no teams
  uint8_t tier = 0;
  uint8_t complexity = 0;
  uint8_t types = 0;
  // The latest suggestion, packed (tier: 3 bits, complexity: 2, types: 3)
  // so that the cost's currency fits in the 24 bytes.
  uint8_t suggested = 0;
  uint8_t status = 0;
  uint8_t flags = 0;
  uint16_t currency = 0;  // id of the cost's currency code; 0: not known

  bool registered() const { return flags & kRegistered; }
  bool confirmed() const { return flags & kConfirmed; }
  bool data_digital() const { return flags & kDataDigital; }
  bool In(StatusMask mask) const { return registered() && (mask & (1u << status)); }
  bool SameClassification(const State& o) const {
    return tier == o.tier && complexity == o.complexity && types == o.types;
  }
};

static_assert(sizeof(State) == 24, "State must stay packed: it is compared with memcmp");

struct Step {
  int64_t recorded_at;
  uint32_t event;
  State state;
};

struct ChangeRec {
  uint32_t id = 0;  // in change_ids
  uint32_t proposal = kNone;
  std::vector<Step> steps;
  std::string title;

  // Number of steps recorded at or before `at`.
  size_t CountAt(int64_t at) const {
    if (steps.empty()) return 0;
    if (steps.back().recorded_at <= at) return steps.size();
    auto it = std::upper_bound(steps.begin(), steps.end(), at,
                               [](int64_t t, const Step& s) { return t < s.recorded_at; });
    return static_cast<size_t>(it - steps.begin());
  }
};

struct ProposalRec {
  uint32_t id = 0;  // in proposal_ids
  std::vector<uint32_t> events;  // ordered by EventLess
};

State Fold(State s, const EventRecord& e) {
  const Payload& p = e.payload;
  switch (e.kind) {
    case FactKind::kChangeRegistered:
    case FactKind::kChangeAmended:
      s.flags |= kRegistered;
      s.area = p.area;
      s.teamset = p.teamset;
      s.cost = p.cost;
      s.currency = p.currency;
      s.flags = static_cast<uint8_t>(p.data_digital ? (s.flags | kDataDigital)
                                                    : (s.flags & ~kDataDigital));
      if (s.status == 0) s.status = static_cast<uint8_t>(ChangeStatus::kRegistered);
      break;
    case FactKind::kChangeStatusChanged:
      s.status = p.status;
      break;
    case FactKind::kClassificationSuggested:
      s.suggested = static_cast<uint8_t>((p.tier & 7) | (p.complexity & 3) << 3 | (p.types & 7) << 5);
      if (!s.confirmed()) {
        s.tier = p.tier;
        s.complexity = p.complexity;
        s.types = p.types;
      }
      break;
    case FactKind::kClassificationConfirmed:
      if (p.tier != 0) {
        s.tier = p.tier;
        s.complexity = p.complexity;
        s.types = p.types;
      } else {
        s.tier = s.suggested & 7;
        s.complexity = (s.suggested >> 3) & 3;
        s.types = static_cast<uint8_t>(s.suggested >> 5);
      }
      s.flags |= kConfirmed;
      break;
    case FactKind::kClassificationOverridden:
      s.tier = p.tier;
      s.complexity = p.complexity;
      s.types = p.types;
      s.flags |= kConfirmed;
      break;
    case FactKind::kProposalSubmitted:
    case FactKind::kProposalDecided:
    case FactKind::kProposalOther:
    case FactKind::kProposalWithdrawn:
    case FactKind::kClassificationClosed:
      break;
  }
  return s;
}

bool IsChangeKind(FactKind k) {
  switch (k) {
    case FactKind::kChangeRegistered:
    case FactKind::kChangeAmended:
    case FactKind::kChangeStatusChanged:
    case FactKind::kClassificationSuggested:
    case FactKind::kClassificationConfirmed:
    case FactKind::kClassificationOverridden:
    case FactKind::kClassificationClosed:
      return true;
    default:
      return false;
  }
}

bool IsIntakeAttributes(FactKind k) {
  return k == FactKind::kChangeRegistered || k == FactKind::kChangeAmended;
}

struct AreaTally {
  int64_t total = 0;
  std::array<int64_t, kTierCount> by_tier{};
  int64_t data_digital = 0;
};

// Counters of a baseline; Add(s, -1) removes what Add(s, +1) added.
struct Tally {
  int64_t total = 0;
  int64_t unclassified = 0;
  int64_t unconfirmed = 0;
  std::array<std::array<int64_t, kComplexityCount>, kTierCount> tier_complexity{};
  std::array<std::array<int64_t, kComplexityCount>, kTierCount> tier_complexity_unconfirmed{};
  std::array<int64_t, kTierCount> by_tier{};
  std::array<int64_t, kTierCount> data_digital_by_tier{};
  std::array<std::array<int64_t, kComplexityTypeCount>, kComplexityCount> complexity_types{};
  std::array<int64_t, kComplexityCount> complexity_without_types{};
  std::vector<AreaTally> areas;  // by area id

  void Add(const State& s, int64_t sign) {
    const int t = s.tier < kTierCount ? s.tier : 0;
    const int c = s.complexity < kComplexityCount ? s.complexity : 0;
    total += sign;
    tier_complexity[t][c] += sign;
    by_tier[t] += sign;
    if (t == 0) {
      unclassified += sign;
    } else if (!s.confirmed()) {
      unconfirmed += sign;
      tier_complexity_unconfirmed[t][c] += sign;
    }
    if (s.data_digital()) data_digital_by_tier[t] += sign;
    if (s.types == 0) {
      complexity_without_types[c] += sign;
    } else {
      for (int i = 0; i < kComplexityTypeCount; ++i) {
        if (s.types & (1u << i)) complexity_types[c][i] += sign;
      }
    }
    if (s.area >= areas.size()) areas.resize(s.area + 1);
    AreaTally& a = areas[s.area];
    a.total += sign;
    a.by_tier[t] += sign;
    if (s.data_digital()) a.data_digital += sign;
  }
};

// Streaming 128-bit hash (two 64-bit lanes) over canonical bytes, eight
// bytes at a time. Stable across processes and builds.
class Hasher {
 public:
  void Bytes(std::string_view s) {
    Word(s.size());
    size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
      uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      Word(w);
    }
    uint64_t tail = 0;
    for (size_t j = 0; i < s.size(); ++i, ++j) {
      tail |= static_cast<uint64_t>(static_cast<unsigned char>(s[i])) << (8 * j);
    }
    Word(tail);
  }
  void Word(uint64_t v) {
    a_ = (a_ ^ v) * 0x100000001b3ULL;
    a_ ^= a_ >> 31;
    b_ = (b_ + v) * 0x9e3779b97f4a7c15ULL;
    b_ ^= b_ >> 29;
  }
  std::string Hex() const {
    return absl::StrFormat("%016x%016x", Mix(a_), Mix(b_ ^ 0x9e3779b97f4a7c15ULL));
  }

 private:
  static uint64_t Mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
  }
  uint64_t a_ = 0xcbf29ce484222325ULL;
  uint64_t b_ = 0x84222325cbf29ce4ULL;
};

std::string TypesText(uint8_t types) {
  std::vector<std::string> names;
  for (int i = 0; i < kComplexityTypeCount; ++i) {
    if (types & (1u << i)) names.push_back(ComplexityTypeName(i));
  }
  return names.empty() ? std::string("NONE") : absl::StrJoin(names, "+");
}

}  // namespace

struct PortfolioModel::Impl {
  Interner change_ids;
  Interner proposal_ids;
  Interner sources;  // service names: few, so they fit EventRecord::source
  Interner strings;  // streams, types, actors, ids that are not UUIDs
  Interner areas;    // area id 0 is ""
  Interner currencies;  // id 0 is "" (not known)
  Interner teams;
  std::vector<std::vector<uint32_t>> teamsets;  // id 0: empty
  // Sorted, distinct team ids -> team set id. Sets of up to four teams
  // (nearly all) are held in the table without a heap allocation.
  absl::flat_hash_map<absl::InlinedVector<uint32_t, 4>, uint32_t> teamset_ids;
  // The last version applied per (source, stream): by stream id for the
  // first source that wrote the stream (in practice the only one), in the
  // map for any other.
  struct StreamVersion {
    uint64_t version = 0;
    uint32_t source = kNone;
  };
  std::vector<StreamVersion> stream_versions;  // by stream id
  absl::flat_hash_map<uint64_t, uint64_t> other_source_versions;  // (source, stream)
  std::deque<EventRecord> events;
  // The history's words of the few events that carry free text (an
  // override's rationale, a stop's reason, ...), by event index: kept
  // beside the records so that every other event pays nothing for them.
  absl::flat_hash_map<uint32_t, std::string> notes;
  // The title each registration or title amendment gave (SetsTitle), by
  // event index, so that a figure as of D names a change as it was named
  // on D.
  absl::flat_hash_map<uint32_t, std::string> titles;
  std::vector<ChangeRec> changes;
  std::vector<ProposalRec> proposals;
  uint64_t duplicates = 0;
  uint64_t change_events = 0;
  int64_t latest_recorded = std::numeric_limits<int64_t>::min();

  // The current baseline (default status filter), kept incrementally.
  Tally current;
  // Amounts in different currencies cannot be compared without exchange
  // rates: GBP (rank 0) first by cost, then other currencies (rank 1) by
  // code and cost, then costs of no known currency (rank 2).
  struct MandatedKey {
    uint8_t currency_rank;
    std::string_view currency;
    int64_t neg_cost;
    std::string_view change_id;
    bool operator<(const MandatedKey& o) const {
      if (currency_rank != o.currency_rank) return currency_rank < o.currency_rank;
      if (currency_rank == 1 && currency != o.currency) return currency < o.currency;
      return neg_cost != o.neg_cost ? neg_cost < o.neg_cost : change_id < o.change_id;
    }
  };
  MandatedKey KeyOf(const State& s, uint32_t change_id) const {
    const std::string& code = currencies.Get(s.currency);
    const uint8_t rank = code == "GBP" ? 0 : code.empty() ? 2 : 1;
    return {rank, code, -s.cost, change_ids.Get(change_id)};
  }
  // B-trees: a rebuild inserts and erases here on most facts about a
  // mandated change, and a red-black tree's node per key cost a cache miss
  // per level.
  std::vector<absl::btree_set<MandatedKey>> current_mandated;  // by area id

  Impl() {
    areas.Intern("");
    currencies.Intern("");
    teamsets.emplace_back();
  }

  // ---- ordering --------------------------------------------------------
  bool EventLess(uint32_t a, uint32_t b) const {
    const EventRecord& x = events[a];
    const EventRecord& y = events[b];
    if (x.recorded_at != y.recorded_at) return x.recorded_at < y.recorded_at;
    if (x.source != y.source) {
      return sources.Get(x.source) < sources.Get(y.source);
    }
    // One service's events keep its log's order (a decision before the
    // registration it caused, recorded in the same commit).
    if (x.global_position != y.global_position) return x.global_position < y.global_position;
    if (x.stream != y.stream) return strings.Get(x.stream) < strings.Get(y.stream);
    return x.version < y.version;
  }

  PackedId PackId(std::string_view s, IdKind* kind) {
    PackedId id;
    if (s.empty()) {
      *kind = kIdEmpty;
    } else if (ParseUuidText(s, &id)) {
      *kind = kIdUuid;
    } else {
      *kind = kIdInterned;
      id.lo = strings.Intern(s);
    }
    return id;
  }

  std::string UnpackId(const EventRecord& e, int which) const {
    const auto kind = static_cast<IdKind>((e.id_kinds >> (2 * which)) & 3);
    switch (kind) {
      case kIdUuid: return FormatUuidText(e.ids[which]);
      case kIdInterned: return strings.Get(static_cast<uint32_t>(e.ids[which].lo));
      case kIdEmpty: break;
    }
    return "";
  }

  uint32_t InternTeamset(const std::vector<std::string>& names) {
    absl::InlinedVector<uint32_t, 4> ids;
    for (const auto& n : names) {
      if (!n.empty()) ids.push_back(teams.Intern(n));
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    if (ids.empty()) return 0;
    auto [it, inserted] = teamset_ids.try_emplace(ids, static_cast<uint32_t>(teamsets.size()));
    if (inserted) teamsets.emplace_back(ids.begin(), ids.end());
    return it->second;
  }

  uint64_t& LastVersion(uint32_t source, uint32_t stream) {
    if (stream >= stream_versions.size()) stream_versions.resize(stream + 1);
    StreamVersion& sv = stream_versions[stream];
    if (sv.source == kNone) sv.source = source;
    if (sv.source == source) return sv.version;
    return other_source_versions[(static_cast<uint64_t>(source) << 32) | stream];
  }

  std::vector<std::string> TeamNames(uint32_t teamset) const {
    std::vector<std::string> out;
    for (uint32_t t : teamsets[teamset]) out.push_back(teams.Get(t));
    std::sort(out.begin(), out.end());
    return out;
  }

  uint32_t ChangeIndex(std::string_view change_id) {
    const uint32_t id = change_ids.Intern(change_id);
    if (id == changes.size()) {
      changes.emplace_back();
      changes.back().id = id;
    }
    return id;
  }

  uint32_t ProposalIndex(std::string_view proposal_id) {
    const uint32_t id = proposal_ids.Intern(proposal_id);
    if (id == proposals.size()) {
      proposals.emplace_back();
      proposals.back().id = id;
    }
    return id;
  }

  // ---- the current baseline ------------------------------------------
  // In the current top-mandated lists: ongoing and mandated.
  static bool Listed(const State& s) {
    return s.In(kOngoingStatuses) && s.tier == static_cast<uint8_t>(Tier::kMandated);
  }

  // `list`: also add to (remove from) the top-mandated lists.
  void CurrentAdd(uint32_t change, const State& s, int64_t sign, bool list = true) {
    if (!s.In(kOngoingStatuses)) return;
    current.Add(s, sign);
    if (!list || s.tier != static_cast<uint8_t>(Tier::kMandated)) return;
    if (s.area >= current_mandated.size()) current_mandated.resize(s.area + 1);
    const MandatedKey key = KeyOf(s, changes[change].id);
    if (sign > 0) {
      current_mandated[s.area].insert(key);
    } else {
      current_mandated[s.area].erase(key);
    }
  }

  // ---- apply -----------------------------------------------------------
  void ApplyToChange(uint32_t change_index, uint32_t event_index, const Fact& fact) {
    ChangeRec& c = changes[change_index];
    const EventRecord& e = events[event_index];
    ++change_events;
    const bool had_state = !c.steps.empty();
    const State before = had_state ? c.steps.back().state : State{};

    size_t pos = c.steps.size();
    // Facts mostly arrive in recorded order: a later recorded_at than the
    // newest step's appends without looking at that step's event.
    if (had_state && e.recorded_at <= c.steps.back().recorded_at &&
        EventLess(event_index, c.steps.back().event)) {
      auto it = std::upper_bound(c.steps.begin(), c.steps.end(), event_index,
                                 [this](uint32_t ev, const Step& s) { return EventLess(ev, s.event); });
      pos = static_cast<size_t>(it - c.steps.begin());
    }
    State prev = pos == 0 ? State{} : c.steps[pos - 1].state;
    c.steps.insert(c.steps.begin() + static_cast<std::ptrdiff_t>(pos),
                   Step{e.recorded_at, event_index, Fold(prev, e)});
    for (size_t i = pos + 1; i < c.steps.size(); ++i) {
      c.steps[i].state = Fold(c.steps[i - 1].state, events[c.steps[i].event]);
    }
    if (IsIntakeAttributes(e.kind)) {
      bool newest = true;
      for (size_t i = pos + 1; i < c.steps.size(); ++i) {
        if (IsIntakeAttributes(events[c.steps[i].event].kind)) newest = false;
      }
      if (newest) c.title = fact.attributes.title;
    }
    const State& after = c.steps.back().state;
    // Most facts leave the counted state as it was (a re-suggestion under
    // a decision, an amendment of the title): nothing to move.
    if (had_state && std::memcmp(&before, &after, sizeof(State)) == 0) return;
    // A mandated change listed before and after under the same area and
    // cost keeps its place in the top-mandated list (a status change, a
    // new complexity).
    const bool same_place = had_state && Listed(before) && Listed(after) &&
                            before.area == after.area && before.cost == after.cost &&
                            before.currency == after.currency;
    if (had_state) CurrentAdd(change_index, before, -1, !same_place);
    CurrentAdd(change_index, after, +1, !same_place);
  }

  absl::StatusOr<ApplyResult> Apply(const Fact& f) {
    const bool change_kind = IsChangeKind(f.kind);
    if (f.meta.source.empty()) return absl::InvalidArgumentError("meta.source: empty");
    if (f.meta.stream.empty()) return absl::InvalidArgumentError("meta.stream: empty");
    if (f.meta.version == 0) return absl::InvalidArgumentError("meta.version: must be >= 1");
    if (f.meta.global_position == 0) {
      return absl::InvalidArgumentError("meta.global_position: must be >= 1");
    }
    if (change_kind && f.change_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("change_id: empty for ", FactKindName(f.kind)));
    }
    if (!change_kind && f.proposal_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("proposal_id: empty for ", FactKindName(f.kind)));
    }
    uint32_t currency = 0;
    if (IsIntakeAttributes(f.kind)) {
      currency = currencies.Intern(f.attributes.currency_code);
      if (currency > std::numeric_limits<uint16_t>::max()) {
        return absl::InvalidArgumentError("attributes.currency_code: too many distinct currencies");
      }
    }
    const uint32_t source = sources.Intern(f.meta.source);
    if (source > std::numeric_limits<uint16_t>::max()) {
      return absl::InvalidArgumentError("meta.source: too many distinct sources");
    }
    const uint32_t stream = strings.Intern(f.meta.stream);
    // 0 for a stream not seen before (versions start at 1).
    uint64_t& last_version = LastVersion(source, stream);
    if (f.meta.version <= last_version) {
      ++duplicates;
      return ApplyResult{false};
    }
    last_version = f.meta.version;

    EventRecord e;
    e.recorded_at = Nanos(f.meta.recorded_at);
    e.occurred_at = Nanos(f.meta.occurred_at);
    e.version = f.meta.version;
    e.global_position = f.meta.global_position;
    IdKind k0, k1, k2;
    e.ids[0] = PackId(f.meta.event_id, &k0);
    e.ids[1] = PackId(f.meta.correlation_id, &k1);
    e.ids[2] = PackId(f.meta.causation_id, &k2);
    e.id_kinds = static_cast<uint8_t>(k0 | (k1 << 2) | (k2 << 4));
    e.stream = stream;
    e.type = strings.Intern(f.meta.type);
    e.actor = strings.Intern(f.meta.actor);
    e.source = static_cast<uint16_t>(source);
    e.kind = f.kind;
    Payload& p = e.payload;
    switch (f.kind) {
      case FactKind::kChangeRegistered:
      case FactKind::kChangeAmended:
        p.area = areas.Intern(f.attributes.business_area);
        p.teamset = InternTeamset(f.attributes.teams);
        p.cost = f.attributes.estimated_cost_minor;
        p.currency = static_cast<uint16_t>(currency);
        p.data_digital = f.attributes.data_and_digital ? 1 : 0;
        break;
      case FactKind::kChangeStatusChanged:
      case FactKind::kClassificationClosed:
        p.status = static_cast<uint8_t>(f.status);
        break;
      case FactKind::kClassificationSuggested:
      case FactKind::kClassificationConfirmed:
      case FactKind::kClassificationOverridden:
        p.tier = static_cast<uint8_t>(f.classification.tier);
        p.complexity = static_cast<uint8_t>(f.classification.complexity);
        p.types = static_cast<uint8_t>(f.classification.complexity_types & 7);
        if (f.kind != FactKind::kClassificationSuggested) {
          p.suggestion_version = f.suggestion_version;
        }
        break;
      case FactKind::kProposalSubmitted:
        p.area = areas.Intern(f.proposal_business_area);
        break;
      case FactKind::kProposalDecided:
        p.outcome = static_cast<uint8_t>(f.outcome);
        break;
      case FactKind::kProposalOther:
      case FactKind::kProposalWithdrawn:
        break;
    }
    latest_recorded = std::max(latest_recorded, e.recorded_at);
    // Keyed by the index the event is about to take.
    std::string note = NoteText(f);
    if (!note.empty()) notes.emplace(static_cast<uint32_t>(events.size()), std::move(note));
    if (SetsTitle(f)) titles.emplace(static_cast<uint32_t>(events.size()), f.attributes.title);

    if (change_kind) {
      const uint32_t ci = ChangeIndex(f.change_id);
      e.subject = ci;
      events.push_back(e);
      const uint32_t ei = static_cast<uint32_t>(events.size() - 1);
      if (f.kind == FactKind::kChangeRegistered && !f.proposal_id.empty()) {
        const uint32_t pi = ProposalIndex(f.proposal_id);
        changes[ci].proposal = pi;
      }
      ApplyToChange(ci, ei, f);
    } else {
      const uint32_t pi = ProposalIndex(f.proposal_id);
      e.subject = pi;
      events.push_back(e);
      const uint32_t ei = static_cast<uint32_t>(events.size() - 1);
      auto& evs = proposals[pi].events;
      if (evs.empty() || !EventLess(ei, evs.back())) {
        evs.push_back(ei);
      } else {
        auto pos = std::upper_bound(evs.begin(), evs.end(), ei,
                                    [this](uint32_t a, uint32_t b) { return EventLess(a, b); });
        evs.insert(pos, ei);
      }
    }
    return ApplyResult{true};
  }

  // ---- views -----------------------------------------------------------
  // The words of `f` the history shows beside its figures ("" for none):
  // what changed in an amendment (with the new title when it changed) and
  // why, the free text an event gave (shortened).
  static std::string NoteText(const Fact& f) {
    switch (f.kind) {
      case FactKind::kChangeAmended:
        return AmendmentWords(f);
      // The adapter put these in words already, each value shortened: a
      // registration's origin, a decision's chair, date, conditions and
      // rationale, an assessment's scores, a suggestion's review_required.
      case FactKind::kChangeRegistered:
      case FactKind::kProposalDecided:
      case FactKind::kProposalOther:
      case FactKind::kClassificationSuggested:
        return f.note;
      case FactKind::kChangeStatusChanged:
        if (f.note.empty()) return "";
        if (f.status == ChangeStatus::kStopped) return absl::StrCat("reason=\"", ShortNote(f.note), "\"");
        if (f.status == ChangeStatus::kClosed) return absl::StrCat("summary=\"", ShortNote(f.note), "\"");
        return "";
      case FactKind::kClassificationConfirmed:
        if (f.note.empty()) return "";
        return absl::StrCat("note=\"", ShortNote(f.note), "\"");
      case FactKind::kClassificationOverridden:
        if (f.note.empty()) return "";
        return absl::StrCat("rationale=\"", ShortNote(f.note), "\"");
      case FactKind::kProposalWithdrawn:
        if (f.note.empty()) return "";
        return absl::StrCat("reason=\"", ShortNote(f.note), "\"");
      default:
        return "";
    }
  }

  // changed=title,teams title="..." reason="...": each part only when the
  // amendment has it (amendments recorded before they listed their paths
  // or gave a reason have none).
  static std::string AmendmentWords(const Fact& f) {
    std::vector<std::string> words;
    if (!f.changed_paths.empty()) {
      words.push_back(absl::StrCat("changed=", ShortNote(absl::StrJoin(f.changed_paths, ","))));
      if (std::find(f.changed_paths.begin(), f.changed_paths.end(), "title") !=
          f.changed_paths.end()) {
        words.push_back(absl::StrCat("title=\"", ShortNote(f.attributes.title), "\""));
      }
    }
    if (!f.note.empty()) words.push_back(absl::StrCat("reason=\"", ShortNote(f.note), "\""));
    return absl::StrJoin(words, " ");
  }

  std::string Summary(uint32_t event_index) const {
    std::string out = BaseSummary(events[event_index]);
    // A registration names the change as it was registered.
    if (events[event_index].kind == FactKind::kChangeRegistered) {
      if (auto it = titles.find(event_index); it != titles.end()) {
        out = absl::StrCat("title=\"", ShortNote(it->second), "\" ", out);
      }
    }
    if (auto it = notes.find(event_index); it != notes.end()) {
      // An amendment says first what it changed.
      if (events[event_index].kind == FactKind::kChangeAmended) return absl::StrCat(it->second, " ", out);
      return out.empty() ? it->second : absl::StrCat(out, " ", it->second);
    }
    return out;
  }

  std::string BaseSummary(const EventRecord& e) const {
    const Payload& p = e.payload;
    switch (e.kind) {
      case FactKind::kChangeRegistered:
      case FactKind::kChangeAmended: {
        std::string out = absl::StrCat("business_area=", areas.Get(p.area), " teams=",
                                       absl::StrJoin(TeamNames(p.teamset), ","),
                                       " data_and_digital=", p.data_digital ? "true" : "false",
                                       " estimated_cost_minor=", p.cost);
        if (p.currency != 0) absl::StrAppend(&out, " currency=", currencies.Get(p.currency));
        return out;
      }
      case FactKind::kChangeStatusChanged:
        return absl::StrCat("status=", StatusName(static_cast<ChangeStatus>(p.status)));
      case FactKind::kClassificationClosed:
        return absl::StrCat("end=", StatusName(static_cast<ChangeStatus>(p.status)));
      case FactKind::kClassificationSuggested:
      case FactKind::kClassificationConfirmed:
      case FactKind::kClassificationOverridden: {
        if (e.kind == FactKind::kClassificationConfirmed && p.tier == 0) {
          return "confirms the latest suggestion";
        }
        std::string out = absl::StrCat("tier=", TierName(static_cast<Tier>(p.tier)),
                                       " complexity=", ComplexityName(static_cast<Complexity>(p.complexity)),
                                       " types=", TypesText(p.types));
        if (e.kind != FactKind::kClassificationSuggested && p.suggestion_version != 0) {
          absl::StrAppend(&out, " suggestion_version=", p.suggestion_version);
        }
        return out;
      }
      case FactKind::kProposalSubmitted:
        // Submissions recorded before ProposalSubmitted named the area
        // have none.
        if (areas.Get(p.area).empty()) return "";
        return absl::StrCat("business_area=", areas.Get(p.area));
      case FactKind::kProposalDecided:
        return absl::StrCat("outcome=", OutcomeName(static_cast<ProposalOutcome>(p.outcome)));
      case FactKind::kProposalOther:
      case FactKind::kProposalWithdrawn:
        break;
    }
    return "";
  }

  EventView View(uint32_t event_index) const {
    const EventRecord& e = events[event_index];
    EventView v;
    v.event_id = UnpackId(e, 0);
    v.correlation_id = UnpackId(e, 1);
    v.causation_id = UnpackId(e, 2);
    v.type = strings.Get(e.type);
    v.source = sources.Get(e.source);
    v.stream = strings.Get(e.stream);
    v.version = e.version;
    v.global_position = e.global_position;
    v.actor = strings.Get(e.actor);
    v.occurred_at = FromNanos(e.occurred_at);
    v.recorded_at = FromNanos(e.recorded_at);
    v.kind = e.kind;
    v.summary = Summary(event_index);
    return v;
  }

  ChangeStateView StateView(const State& s, bool known, StatusMask mask) const {
    ChangeStateView v;
    v.known = known;
    v.registered = s.registered();
    v.in_baseline = s.In(mask);
    v.tier = static_cast<Tier>(s.tier);
    v.complexity = static_cast<Complexity>(s.complexity);
    v.complexity_types = s.types;
    v.classification_confirmed = s.confirmed();
    v.business_area = areas.Get(s.area);
    v.status = static_cast<ChangeStatus>(s.status);
    v.data_and_digital = s.data_digital();
    v.estimated_cost_minor = s.cost;
    v.currency_code = currencies.Get(s.currency);
    v.teams = TeamNames(s.teamset);
    return v;
  }

  static std::optional<absl::Time> Latest(int64_t ns) {
    if (ns == std::numeric_limits<int64_t>::min()) return std::nullopt;
    return FromNanos(ns);
  }

  // ---- baseline --------------------------------------------------------
  Baseline Build(const Tally& t,
                 const std::vector<std::vector<MandatedKey>>& mandated, int top_n) const {
    Baseline b;
    b.total = t.total;
    b.unclassified = t.unclassified;
    b.unconfirmed = t.unconfirmed;
    b.tier_complexity = t.tier_complexity;
    b.tier_complexity_unconfirmed = t.tier_complexity_unconfirmed;
    b.by_tier = t.by_tier;
    b.data_and_digital_by_tier = t.data_digital_by_tier;
    b.complexity_types = t.complexity_types;
    b.complexity_without_types = t.complexity_without_types;
    for (size_t a = 0; a < t.areas.size(); ++a) {
      if (t.areas[a].total == 0) continue;
      AreaCount ac;
      ac.business_area = areas.Get(static_cast<uint32_t>(a));
      ac.total = t.areas[a].total;
      ac.by_tier = t.areas[a].by_tier;
      ac.data_and_digital = t.areas[a].data_digital;
      b.by_area.push_back(std::move(ac));
    }
    std::sort(b.by_area.begin(), b.by_area.end(),
              [](const AreaCount& x, const AreaCount& y) { return x.business_area < y.business_area; });
    for (size_t a = 0; a < mandated.size(); ++a) {
      if (mandated[a].empty() || top_n == 0) continue;
      AreaTopMandated top;
      top.business_area = areas.Get(static_cast<uint32_t>(a));
      for (const MandatedKey& k : mandated[a]) {
        if (static_cast<int>(top.changes.size()) >= top_n) break;
        const auto ci = change_ids.Find(k.change_id);
        const ChangeRec& c = changes[*ci];
        MandatedChange m;
        m.change_id = std::string(k.change_id);
        m.title = c.title;
        m.estimated_cost_minor = -k.neg_cost;
        m.currency_code = std::string(k.currency);
        m.complexity = Complexity::kUnspecified;
        top.changes.push_back(std::move(m));
      }
      b.top_mandated.push_back(std::move(top));
    }
    std::sort(b.top_mandated.begin(), b.top_mandated.end(),
              [](const AreaTopMandated& x, const AreaTopMandated& y) {
                return x.business_area < y.business_area;
              });
    // Pyramid: from the bottom, each tier should be bigger than the one above.
    const std::array<Tier, 4> order = {Tier::kIncremental, Tier::kExperimental, Tier::kMandated,
                                       Tier::kTransformational};
    auto count = [&](Tier tier) { return t.by_tier[static_cast<int>(tier)]; };
    for (Tier tier : order) b.pyramid.any_classified = b.pyramid.any_classified || count(tier) > 0;
    // Nothing classified: no shape to judge (0 >= 0 is no break).
    if (!b.pyramid.any_classified) return b;
    for (size_t i = 1; i < order.size(); ++i) {
      if (count(order[i]) >= count(order[i - 1])) {
        b.pyramid.breaks.push_back({order[i], order[i - 1], count(order[i]), count(order[i - 1])});
      }
    }
    b.pyramid.holds = b.pyramid.breaks.empty();
    int64_t best = 0;
    for (int tier = 1; tier < kTierCount; ++tier) {
      if (t.by_tier[tier] > best) {
        best = t.by_tier[tier];
        b.pyramid.most_common = static_cast<Tier>(tier);
      }
    }
    return b;
  }

  Baseline CurrentBaseline(int top_n) const {
    std::vector<std::vector<MandatedKey>> mandated(current_mandated.size());
    for (size_t a = 0; a < current_mandated.size(); ++a) {
      for (const MandatedKey& k : current_mandated[a]) {
        if (static_cast<int>(mandated[a].size()) >= top_n) break;
        mandated[a].push_back(k);
      }
    }
    Baseline b = Build(current, mandated, top_n);
    b.latest_recorded_at = Latest(latest_recorded);
    b.change_events_included = change_events;
    FillMandatedAsOf(b, kForever);
    return b;
  }

  // Whether `f` names the change's title: a registration, or an amendment
  // of the title (or one from before amendments listed their paths). The
  // other amendments repeat the title in force, so it is not kept again.
  static bool SetsTitle(const Fact& f) {
    if (f.kind == FactKind::kChangeRegistered) return true;
    if (f.kind != FactKind::kChangeAmended) return false;
    return f.changed_paths.empty() ||
           std::find(f.changed_paths.begin(), f.changed_paths.end(), "title") !=
               f.changed_paths.end();
  }

  // The title of `c` after its first `k` steps: the latest one a
  // registration or amendment among them gave (SetsTitle).
  const std::string& TitleAt(const ChangeRec& c, size_t k) const {
    for (size_t i = k; i-- > 0;) {
      if (!IsIntakeAttributes(events[c.steps[i].event].kind)) continue;
      if (auto it = titles.find(c.steps[i].event); it != titles.end()) return it->second;
    }
    return c.title;
  }

  // The complexity and the title of each listed change as they stood at
  // `at`.
  void FillMandatedAsOf(Baseline& b, int64_t at) const {
    for (auto& area : b.top_mandated) {
      for (auto& m : area.changes) {
        const ChangeRec& c = changes[*change_ids.Find(m.change_id)];
        const size_t k = c.CountAt(at);
        if (k == 0) continue;
        m.complexity = static_cast<Complexity>(c.steps[k - 1].state.complexity);
        m.title = TitleAt(c, k);
      }
    }
  }

  Baseline ScanBaseline(int64_t at, StatusMask mask, int top_n) const {
    Tally t;
    t.areas.resize(areas.size());
    std::vector<std::vector<MandatedKey>> mandated(areas.size());
    int64_t latest = std::numeric_limits<int64_t>::min();
    uint64_t included = 0;
    for (const ChangeRec& c : changes) {
      const size_t k = c.CountAt(at);
      if (k == 0) continue;
      included += k;
      latest = std::max(latest, c.steps[k - 1].recorded_at);
      const State& s = c.steps[k - 1].state;
      if (!s.In(mask)) continue;
      t.Add(s, 1);
      if (s.tier == static_cast<uint8_t>(Tier::kMandated)) {
        mandated[s.area].push_back(KeyOf(s, c.id));
      }
    }
    for (auto& list : mandated) {
      const size_t n = std::min(list.size(), static_cast<size_t>(top_n));
      std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n), list.end());
      list.resize(n);
    }
    Baseline b = Build(t, mandated, top_n);
    b.latest_recorded_at = Latest(latest);
    b.change_events_included = included;
    FillMandatedAsOf(b, at);
    return b;
  }

  bool Matches(const State& s, const CellFilter& f) const {
    if (f.tier && s.tier != static_cast<uint8_t>(*f.tier)) return false;
    if (f.complexity && s.complexity != static_cast<uint8_t>(*f.complexity)) return false;
    if (f.business_area && areas.Get(s.area) != *f.business_area) return false;
    if (f.complexity_type_bit_index && !(s.types & (1u << *f.complexity_type_bit_index))) {
      return false;
    }
    if (f.data_and_digital && s.data_digital() != *f.data_and_digital) return false;
    return true;
  }

  // The events behind the state after the first k steps of `c`.
  std::vector<uint32_t> ContributingEvents(const ChangeRec& c, size_t k) const {
    uint32_t registration = kNone, attributes = kNone, status = kNone, suggestion = kNone,
             decision = kNone, suggestion_before_decision = kNone;
    for (size_t i = 0; i < k; ++i) {
      const uint32_t ei = c.steps[i].event;
      switch (events[ei].kind) {
        case FactKind::kChangeRegistered:
          registration = ei;
          attributes = ei;
          break;
        case FactKind::kChangeAmended:
          attributes = ei;
          break;
        case FactKind::kChangeStatusChanged:
          status = ei;
          break;
        case FactKind::kClassificationSuggested:
          suggestion = ei;
          break;
        case FactKind::kClassificationConfirmed:
        case FactKind::kClassificationOverridden:
          decision = ei;
          suggestion_before_decision = suggestion;
          break;
        default:
          break;
      }
    }
    std::vector<uint32_t> out;
    for (uint32_t ei : {registration, attributes, status, decision}) {
      if (ei != kNone) out.push_back(ei);
    }
    if (decision == kNone) {
      if (suggestion != kNone) out.push_back(suggestion);  // the suggestion is in force
    } else if (events[decision].kind == FactKind::kClassificationConfirmed) {
      // The suggestion the confirmation accepted: the one at its
      // suggestion_version, not a later one. Without a version (a bare
      // confirmation) it accepted the latest suggestion before it.
      const EventRecord& d = events[decision];
      uint32_t confirmed = suggestion_before_decision;
      if (d.payload.suggestion_version != 0) {
        confirmed = kNone;
        for (size_t i = 0; i < k; ++i) {
          const EventRecord& e = events[c.steps[i].event];
          if (e.kind == FactKind::kClassificationSuggested && e.source == d.source &&
              e.stream == d.stream && e.version == d.payload.suggestion_version) {
            confirmed = c.steps[i].event;
            break;
          }
        }
      }
      if (confirmed != kNone) out.push_back(confirmed);
    }
    std::sort(out.begin(), out.end(), [this](uint32_t a, uint32_t b) { return EventLess(a, b); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::vector<uint32_t> SortedChangeIndexes() const {
    std::vector<uint32_t> order(changes.size());
    for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [this](uint32_t a, uint32_t b) {
      return change_ids.Get(changes[a].id) < change_ids.Get(changes[b].id);
    });
    return order;
  }

  void HashEvent(Hasher& h, uint32_t ei) const {
    const EventRecord& e = events[ei];
    h.Bytes(UnpackId(e, 0));
    h.Bytes(UnpackId(e, 1));
    h.Bytes(UnpackId(e, 2));
    h.Bytes(strings.Get(e.type));
    h.Bytes(sources.Get(e.source));
    h.Bytes(strings.Get(e.stream));
    h.Bytes(strings.Get(e.actor));
    h.Word(e.version);
    h.Word(e.global_position);
    h.Word(static_cast<uint64_t>(e.recorded_at));
    h.Word(static_cast<uint64_t>(e.occurred_at));
    h.Word(static_cast<uint64_t>(e.kind));
    h.Bytes(Summary(ei));
  }
};

PortfolioModel::PortfolioModel() : impl_(std::make_unique<Impl>()) {}
PortfolioModel::~PortfolioModel() = default;

absl::StatusOr<ApplyResult> PortfolioModel::Apply(const Fact& fact) { return impl_->Apply(fact); }

absl::StatusOr<Baseline> PortfolioModel::GetBaseline(const BaselineQuery& query) const {
  if (query.top_mandated_per_area < 0 || query.top_mandated_per_area > 100) {
    return absl::InvalidArgumentError("top_mandated_per_area: must be in 0..100");
  }
  Baseline b;
  if (!query.as_of && query.statuses == kOngoingStatuses) {
    b = impl_->CurrentBaseline(query.top_mandated_per_area);
  } else {
    b = impl_->ScanBaseline(query.as_of ? Nanos(*query.as_of) : kForever, query.statuses,
                            query.top_mandated_per_area);
  }
  b.as_of = query.as_of;
  b.statuses = query.statuses;
  return b;
}

absl::StatusOr<Provenance> PortfolioModel::GetProvenance(const CellFilter& cell,
                                                         std::optional<absl::Time> as_of,
                                                         StatusMask statuses,
                                                         const ChangePage& page) const {
  if (cell.complexity_type_bit_index &&
      (*cell.complexity_type_bit_index < 0 || *cell.complexity_type_bit_index >= kComplexityTypeCount)) {
    return absl::InvalidArgumentError("cell.complexity_type: out of range");
  }
  const Impl& m = *impl_;
  const int64_t at = as_of ? Nanos(*as_of) : kForever;
  Provenance p;
  p.as_of = as_of;
  int64_t latest = std::numeric_limits<int64_t>::min();
  for (uint32_t ci : m.SortedChangeIndexes()) {
    const ChangeRec& c = m.changes[ci];
    const size_t k = c.CountAt(at);
    if (k == 0) continue;
    latest = std::max(latest, c.steps[k - 1].recorded_at);
    const State& s = c.steps[k - 1].state;
    if (!s.In(statuses) || !m.Matches(s, cell)) continue;
    ++p.count;
    const std::string& id = m.change_ids.Get(c.id);
    if (!page.after.empty() && id <= page.after) continue;
    if (p.changes.size() >= page.limit) {
      p.more = true;
      continue;
    }
    ProvenanceEntry entry;
    entry.change_id = id;
    entry.title = m.TitleAt(c, k);
    entry.state = m.StateView(s, true, statuses);
    for (uint32_t ei : m.ContributingEvents(c, k)) entry.events.push_back(m.View(ei));
    p.changes.push_back(std::move(entry));
  }
  p.latest_recorded_at = Impl::Latest(latest);
  return p;
}

absl::StatusOr<BaselineDiff> PortfolioModel::Diff(absl::Time from, absl::Time to,
                                                  StatusMask statuses,
                                                  const ChangePage& page) const {
  if (from > to) {
    return absl::InvalidArgumentError("from: must not be after to");
  }
  const Impl& m = *impl_;
  const int64_t a = Nanos(from), b = Nanos(to);
  BaselineDiff d;
  d.from = from;
  d.to = to;
  int64_t latest_a = std::numeric_limits<int64_t>::min(), latest_b = latest_a;
  for (uint32_t ci : m.SortedChangeIndexes()) {
    const ChangeRec& c = m.changes[ci];
    const size_t ka = c.CountAt(a), kb = c.CountAt(b);
    if (ka > 0) latest_a = std::max(latest_a, c.steps[ka - 1].recorded_at);
    if (kb > 0) latest_b = std::max(latest_b, c.steps[kb - 1].recorded_at);
    if (ka == kb) continue;
    const State sa = ka ? c.steps[ka - 1].state : State{};
    const State& sb = c.steps[kb - 1].state;
    ChangeDiff cd;
    const bool ina = sa.In(statuses), inb = sb.In(statuses);
    if (!ina && inb) cd.kinds.push_back(DiffKind::kEntered), ++d.entered;
    if (ina && !inb) cd.kinds.push_back(DiffKind::kLeft), ++d.left;
    if (sa.registered() && sb.registered()) {
      if (!sa.SameClassification(sb)) cd.kinds.push_back(DiffKind::kReclassified), ++d.reclassified;
      if (sa.area != sb.area) cd.kinds.push_back(DiffKind::kAreaChanged), ++d.area_changed;
      if (sa.status != sb.status) cd.kinds.push_back(DiffKind::kStatusChanged), ++d.status_changed;
    }
    if (cd.kinds.empty()) continue;
    const std::string& id = m.change_ids.Get(c.id);
    if (!page.after.empty() && id <= page.after) continue;
    if (d.changes.size() >= page.limit) {
      d.more = true;
      continue;
    }
    cd.change_id = id;
    cd.before = m.StateView(sa, ka > 0, statuses);
    cd.after = m.StateView(sb, true, statuses);
    for (size_t i = ka; i < kb; ++i) cd.events.push_back(m.View(c.steps[i].event));
    d.changes.push_back(std::move(cd));
  }
  d.latest_recorded_at_from = Impl::Latest(latest_a);
  d.latest_recorded_at_to = Impl::Latest(latest_b);
  return d;
}

absl::StatusOr<ChangeHistory> PortfolioModel::GetChangeHistory(const std::string& change_id) const {
  const Impl& m = *impl_;
  const auto ci = m.change_ids.Find(change_id);
  if (!ci) return absl::NotFoundError(absl::StrCat("change ", change_id, ": not found"));
  const ChangeRec& c = m.changes[*ci];
  ChangeHistory h;
  h.change_id = change_id;
  h.title = c.title;
  std::vector<uint32_t> evs;
  for (const Step& s : c.steps) evs.push_back(s.event);
  if (c.proposal != kNone) {
    h.proposal_id = m.proposal_ids.Get(m.proposals[c.proposal].id);
    const auto& pe = m.proposals[c.proposal].events;
    evs.insert(evs.end(), pe.begin(), pe.end());
  }
  std::sort(evs.begin(), evs.end(), [&m](uint32_t a, uint32_t b) { return m.EventLess(a, b); });
  for (uint32_t ei : evs) h.events.push_back(m.View(ei));
  if (!evs.empty()) h.latest_recorded_at = FromNanos(m.events[evs.back()].recorded_at);
  h.current = m.StateView(c.steps.empty() ? State{} : c.steps.back().state, !c.steps.empty(),
                          kOngoingStatuses);
  return h;
}

absl::StatusOr<Overlaps> PortfolioModel::GetOverlaps(std::optional<absl::Time> as_of,
                                                     StatusMask statuses) const {
  const Impl& m = *impl_;
  const int64_t at = as_of ? Nanos(*as_of) : kForever;
  Overlaps o;
  o.as_of = as_of;
  int64_t latest = std::numeric_limits<int64_t>::min();
  // team -> (change, area) of baseline changes
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> by_team(m.teams.size());
  for (uint32_t ci = 0; ci < m.changes.size(); ++ci) {
    const ChangeRec& c = m.changes[ci];
    const size_t k = c.CountAt(at);
    if (k == 0) continue;
    latest = std::max(latest, c.steps[k - 1].recorded_at);
    const State& s = c.steps[k - 1].state;
    if (!s.In(statuses)) continue;
    for (uint32_t t : m.teamsets[s.teamset]) by_team[t].push_back({ci, s.area});
  }
  struct PairAcc {
    std::vector<uint32_t> teams;
    std::vector<uint32_t> changes;
  };
  std::map<std::pair<std::string, std::string>, PairAcc> pairs;
  for (uint32_t t = 0; t < by_team.size(); ++t) {
    const auto& members = by_team[t];
    if (members.size() < 2) continue;
    TeamOverlap to;
    to.team = m.teams.Get(t);
    std::map<std::string, std::vector<uint32_t>> area_changes;
    for (const auto& [ci, area] : members) {
      to.change_ids.push_back(m.change_ids.Get(m.changes[ci].id));
      area_changes[m.areas.Get(area)].push_back(ci);
    }
    std::sort(to.change_ids.begin(), to.change_ids.end());
    for (const auto& [area, _] : area_changes) to.business_areas.push_back(area);
    for (auto x = area_changes.begin(); x != area_changes.end(); ++x) {
      for (auto y = std::next(x); y != area_changes.end(); ++y) {
        PairAcc& acc = pairs[{x->first, y->first}];
        acc.teams.push_back(t);
        acc.changes.insert(acc.changes.end(), x->second.begin(), x->second.end());
        acc.changes.insert(acc.changes.end(), y->second.begin(), y->second.end());
      }
    }
    o.teams.push_back(std::move(to));
  }
  std::sort(o.teams.begin(), o.teams.end(), [](const TeamOverlap& a, const TeamOverlap& b) {
    return a.change_ids.size() != b.change_ids.size() ? a.change_ids.size() > b.change_ids.size()
                                                      : a.team < b.team;
  });
  for (auto& [key, acc] : pairs) {
    AreaInteraction ai;
    ai.area_a = key.first;
    ai.area_b = key.second;
    std::sort(acc.changes.begin(), acc.changes.end());
    acc.changes.erase(std::unique(acc.changes.begin(), acc.changes.end()), acc.changes.end());
    ai.shared_changes = static_cast<int64_t>(acc.changes.size());
    for (uint32_t t : acc.teams) ai.teams.push_back(m.teams.Get(t));
    std::sort(ai.teams.begin(), ai.teams.end());
    o.interactions.push_back(std::move(ai));
  }
  std::stable_sort(o.interactions.begin(), o.interactions.end(),
                   [](const AreaInteraction& a, const AreaInteraction& b) {
                     return a.shared_changes > b.shared_changes;
                   });
  o.latest_recorded_at = Impl::Latest(latest);
  return o;
}

absl::StatusOr<FrontDoorActivity> PortfolioModel::GetFrontDoorActivity(
    const FrontDoorQuery& query) const {
  for (const auto& [name, ym] : {std::pair{"from", query.from}, std::pair{"to", query.to}}) {
    if (ym && (ym->month < 1 || ym->month > 12)) {
      return absl::InvalidArgumentError(absl::StrCat(name, ".month: must be in 1..12"));
    }
  }
  if (query.from && query.to && *query.to < *query.from) {
    return absl::InvalidArgumentError("from: must not be after to");
  }
  const Impl& m = *impl_;
  const int64_t at = query.as_of ? Nanos(*query.as_of) : kForever;
  FrontDoorActivity out;
  out.as_of = query.as_of;
  int64_t latest = std::numeric_limits<int64_t>::min();
  std::map<YearMonth, std::pair<FrontDoorPeriod, std::vector<double>>> periods;
  for (const ProposalRec& p : m.proposals) {
    int64_t first_submission = 0;
    bool submitted = false;
    bool decided_since = false;
    bool withdrawn = false;
    ProposalOutcome outcome = ProposalOutcome::kUnspecified;
    int64_t decided_at = 0;
    uint32_t area = 0;
    for (uint32_t ei : p.events) {
      const EventRecord& e = m.events[ei];
      if (e.recorded_at > at) break;
      latest = std::max(latest, e.recorded_at);
      if (e.kind == FactKind::kProposalSubmitted) {
        if (!submitted) first_submission = e.occurred_at;
        submitted = true;
        decided_since = false;
        area = e.payload.area;  // a resubmission may name another area
      } else if (e.kind == FactKind::kProposalDecided && submitted) {
        decided_since = true;
        outcome = static_cast<ProposalOutcome>(e.payload.outcome);
        decided_at = e.occurred_at;
      } else if (e.kind == FactKind::kProposalWithdrawn && submitted) {
        withdrawn = true;
      }
    }
    if (!submitted) continue;
    if (query.business_area && m.areas.Get(area) != *query.business_area) continue;
    const absl::CivilSecond cs = absl::ToCivilSecond(FromNanos(first_submission), absl::UTCTimeZone());
    const YearMonth ym{static_cast<int>(cs.year()), cs.month()};
    if (query.from && ym < *query.from) continue;
    if (query.to && *query.to < ym) continue;
    auto& [period, days] = periods[ym];
    period.month = ym;
    ++period.submitted;
    if (withdrawn) {
      ++period.withdrawn;
      continue;
    }
    if (!decided_since) {
      ++period.pending;
      continue;
    }
    switch (outcome) {
      case ProposalOutcome::kApproved: ++period.approved; break;
      case ProposalOutcome::kRejected: ++period.rejected; break;
      case ProposalOutcome::kDeferred: ++period.deferred; break;
      case ProposalOutcome::kReturned: ++period.returned; break;
      case ProposalOutcome::kUnspecified: break;
    }
    ++period.decided;
    // Intake refuses a meeting date before the submission; a decision
    // recorded before it did has no meaningful time to decision.
    if (decided_at >= first_submission) {
      days.push_back(static_cast<double>(decided_at - first_submission) / 86400e9);
    }
  }
  for (auto& [ym, entry] : periods) {
    auto& [period, days] = entry;
    if (!days.empty()) {
      double sum = 0;
      for (double d : days) sum += d;
      period.mean_days_to_decision = sum / static_cast<double>(days.size());
      std::sort(days.begin(), days.end());
      const size_t n = days.size();
      period.median_days_to_decision = n % 2 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2;
    }
    out.periods.push_back(period);
  }
  out.latest_recorded_at = Impl::Latest(latest);
  return out;
}

std::string PortfolioModel::StateHash() const {
  const Impl& m = *impl_;
  Hasher h;
  for (uint32_t ci : m.SortedChangeIndexes()) {
    const ChangeRec& c = m.changes[ci];
    h.Bytes("change");
    h.Bytes(m.change_ids.Get(c.id));
    h.Bytes(c.title);
    h.Bytes(c.proposal == kNone ? "" : m.proposal_ids.Get(m.proposals[c.proposal].id));
    h.Word(c.steps.size());
    for (const Step& s : c.steps) m.HashEvent(h, s.event);
    if (!c.steps.empty()) {
      const State& s = c.steps.back().state;
      h.Word(static_cast<uint64_t>(s.cost));
      h.Bytes(m.currencies.Get(s.currency));
      h.Bytes(m.areas.Get(s.area));
      h.Bytes(absl::StrJoin(m.TeamNames(s.teamset), ","));
      h.Word(uint64_t{s.tier} | uint64_t{s.complexity} << 8 | uint64_t{s.types} << 16 |
             uint64_t{s.status} << 24 | uint64_t{s.flags} << 32);
    }
  }
  std::vector<uint32_t> order(m.proposals.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&m](uint32_t a, uint32_t b) {
    return m.proposal_ids.Get(m.proposals[a].id) < m.proposal_ids.Get(m.proposals[b].id);
  });
  for (uint32_t pi : order) {
    const ProposalRec& p = m.proposals[pi];
    h.Bytes("proposal");
    h.Bytes(m.proposal_ids.Get(p.id));
    h.Word(p.events.size());
    for (uint32_t ei : p.events) m.HashEvent(h, ei);
  }
  return h.Hex();
}

uint64_t PortfolioModel::events_applied() const { return impl_->events.size(); }
uint64_t PortfolioModel::duplicates_ignored() const { return impl_->duplicates; }
size_t PortfolioModel::change_count() const { return impl_->changes.size(); }
size_t PortfolioModel::proposal_count() const { return impl_->proposals.size(); }
std::optional<absl::Time> PortfolioModel::latest_recorded_at() const {
  return Impl::Latest(impl_->latest_recorded);
}

const char* DiffKindName(DiffKind kind) {
  switch (kind) {
    case DiffKind::kEntered: return "ENTERED";
    case DiffKind::kLeft: return "LEFT";
    case DiffKind::kReclassified: return "RECLASSIFIED";
    case DiffKind::kAreaChanged: return "AREA_CHANGED";
    case DiffKind::kStatusChanged: return "STATUS_CHANGED";
  }
  return "UNKNOWN";
}

}  // namespace changeledger::portfolio
