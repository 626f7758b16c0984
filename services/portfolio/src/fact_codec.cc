#include "changeledger/portfolio/fact_codec.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "changeledger/uuid/uuid_text.h"

namespace changeledger::portfolio {
namespace {

using uuid::FormatUuidText;
using uuid::kUuidTextSize;
using uuid::PackedUuid;
using uuid::ParseUuidText;

// Format 1: every string as text. Format 2: ids that are canonical UUIDs
// as 16 bytes, streams "<prefix><uuid>" as the prefix and 16 bytes, and the
// event types below by number. Format 3 (written now): as 2, with times in
// nanoseconds (1 and 2 hold microseconds) and, at the end, the cost's
// currency, the suggestion version, the note and the changed paths. All
// three are read.
constexpr uint8_t kFormatV1 = 1;
constexpr uint8_t kFormatV2 = 2;
constexpr uint8_t kFormatV3 = 3;

// Event types stored by number in format 2: index + 1 (0: the type follows
// as text). Append only: stored facts refer to these positions.
constexpr std::array<std::string_view, 16> kKnownTypes = {
    "changeledger.intake.v1.ProposalDrafted",
    "changeledger.intake.v1.ProposalAmended",
    "changeledger.intake.v1.ProposalSubmitted",
    "changeledger.intake.v1.AssessmentStarted",
    "changeledger.intake.v1.AssessmentRecorded",
    "changeledger.intake.v1.ProposalDecided",
    "changeledger.intake.v1.ProposalWithdrawn",
    "changeledger.intake.v1.ChangeRegistered",
    "changeledger.intake.v1.ChangeAmended",
    "changeledger.intake.v1.ChangeDeliveryStarted",
    "changeledger.intake.v1.ChangeClosed",
    "changeledger.intake.v1.ChangeStopped",
    "changeledger.classification.v1.ClassificationSuggested",
    "changeledger.classification.v1.ClassificationConfirmed",
    "changeledger.classification.v1.ClassificationOverridden",
    "changeledger.classification.v1.ClassificationClosed",
};

constexpr std::string_view kWithdrawnType = "changeledger.intake.v1.ProposalWithdrawn";

// Tags of an id or a stream in format 2.
constexpr uint8_t kText = 0;
constexpr uint8_t kUuid = 1;

class Writer {
 public:
  explicit Writer(size_t reserve) { out_.reserve(reserve); }
  void Byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void Uuid(const PackedUuid& id) {
    char bytes[16];
    for (int i = 0; i < 8; ++i) {
      bytes[i] = static_cast<char>(id.hi >> (56 - 8 * i));
      bytes[8 + i] = static_cast<char>(id.lo >> (56 - 8 * i));
    }
    out_.append(bytes, sizeof(bytes));
  }
  // An id: packed when it is a canonical UUID, else text.
  void Id(std::string_view s) {
    PackedUuid id;
    if (ParseUuidText(s, &id)) {
      Byte(kUuid);
      Uuid(id);
    } else {
      Byte(kText);
      Str(s);
    }
  }
  // A stream: "<prefix><uuid>" as the prefix and the packed UUID, else text.
  void Stream(std::string_view s) {
    PackedUuid id;
    if (s.size() >= kUuidTextSize && ParseUuidText(s.substr(s.size() - kUuidTextSize), &id)) {
      Byte(kUuid);
      Str(s.substr(0, s.size() - kUuidTextSize));
      Uuid(id);
    } else {
      Byte(kText);
      Str(s);
    }
  }
  void Type(std::string_view s) {
    for (size_t i = 0; i < kKnownTypes.size(); ++i) {
      if (kKnownTypes[i] == s) {
        Varint(i + 1);
        return;
      }
    }
    Varint(0);
    Str(s);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void Signed(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Str(std::string_view s) {
    Varint(s.size());
    out_.append(s);
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto byte = static_cast<uint8_t>(in_.front());
      in_.remove_prefix(1);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Signed(int64_t* v) {
    uint64_t u;
    if (!Varint(&u)) return false;
    *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
    return true;
  }
  bool Str(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool Uuid(PackedUuid* id) {
    if (in_.size() < 16) return false;
    id->hi = id->lo = 0;
    for (int i = 0; i < 8; ++i) {
      id->hi = (id->hi << 8) | static_cast<uint8_t>(in_[i]);
      id->lo = (id->lo << 8) | static_cast<uint8_t>(in_[8 + i]);
    }
    in_.remove_prefix(16);
    return true;
  }
  bool Id(std::string* s) {
    if (in_.empty()) return false;
    const auto tag = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    if (tag == kText) return Str(s);
    PackedUuid id;
    if (tag != kUuid || !Uuid(&id)) return false;
    s->resize(kUuidTextSize);
    FormatUuidText(id, s->data());
    return true;
  }
  bool Stream(std::string* s) {
    if (in_.empty()) return false;
    const auto tag = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    if (tag == kText) return Str(s);
    PackedUuid id;
    if (tag != kUuid || !Str(s) || !Uuid(&id)) return false;
    const size_t prefix = s->size();
    s->resize(prefix + kUuidTextSize);
    FormatUuidText(id, s->data() + prefix);
    return true;
  }
  bool Type(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > kKnownTypes.size()) return false;
    if (n == 0) return Str(s);
    s->assign(kKnownTypes[n - 1]);
    return true;
  }
  template <typename E>
  bool Enum(E* e, uint64_t max) {
    uint64_t v;
    if (!Varint(&v) || v > max) return false;
    *e = static_cast<E>(v);
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

}  // namespace

std::string FactKey(const Fact& f) {
  // Big-endian hex of the position: keys sort by position, and a rebuild
  // appends at the end of each source's range.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string key;
  key.reserve(2 + f.meta.source.size() + 1 + 16);
  key.append("f/").append(f.meta.source).push_back('/');
  for (int shift = 60; shift >= 0; shift -= 4) key.push_back(kHex[(f.meta.global_position >> shift) & 0xf]);
  return key;
}

std::string EncodeFact(const Fact& f) {
  const EventMeta& m = f.meta;
  // Room for the whole fact: the strings (ids and the type at most as
  // text) and about 80 bytes of numbers and lengths, so the string is
  // allocated once.
  size_t strings = m.event_id.size() + m.type.size() + m.source.size() + m.stream.size() +
                   m.actor.size() + m.correlation_id.size() + m.causation_id.size() +
                   f.change_id.size() + f.proposal_id.size() + f.attributes.title.size() +
                   f.attributes.business_area.size() + f.proposal_business_area.size();
  for (const auto& t : f.attributes.teams) strings += t.size() + 2;
  Writer w(strings + 96);
  w.Varint(kFormatV3);
  w.Varint(static_cast<uint64_t>(f.kind));
  w.Id(m.event_id);
  w.Type(m.type);
  w.Str(m.source);
  w.Stream(m.stream);
  w.Varint(m.version);
  w.Varint(m.global_position);
  w.Signed(absl::ToUnixNanos(m.occurred_at));
  w.Signed(absl::ToUnixNanos(m.recorded_at));
  w.Str(m.actor);
  w.Id(m.correlation_id);
  w.Id(m.causation_id);
  w.Id(f.change_id);
  w.Id(f.proposal_id);
  w.Str(f.attributes.title);
  w.Str(f.attributes.business_area);
  w.Varint(f.attributes.teams.size());
  for (const auto& t : f.attributes.teams) w.Str(t);
  w.Varint(f.attributes.data_and_digital ? 1 : 0);
  w.Signed(f.attributes.estimated_cost_minor);
  w.Varint(static_cast<uint64_t>(f.status));
  w.Varint(static_cast<uint64_t>(f.classification.tier));
  w.Varint(static_cast<uint64_t>(f.classification.complexity));
  w.Varint(f.classification.complexity_types);
  w.Varint(static_cast<uint64_t>(f.outcome));
  w.Str(f.proposal_business_area);
  w.Str(f.attributes.currency_code);
  w.Varint(f.suggestion_version);
  w.Str(f.note);
  w.Varint(f.changed_paths.size());
  for (const auto& p : f.changed_paths) w.Str(p);
  return w.Take();
}

absl::StatusOr<Fact> DecodeFact(std::string_view bytes) {
  Reader r(bytes);
  Fact f;
  uint64_t version = 0, count = 0, flag = 0, types = 0;
  int64_t occurred = 0, recorded = 0;
  EventMeta& m = f.meta;
  bool ok = r.Varint(&version);
  if (!ok || (version != kFormatV1 && version != kFormatV2 && version != kFormatV3)) {
    return absl::DataLossError("stored fact: unknown format version");
  }
  const bool v2 = version >= kFormatV2;
  const bool v3 = version >= kFormatV3;
  auto id = [&r, v2](std::string* s) { return v2 ? r.Id(s) : r.Str(s); };
  ok = r.Enum(&f.kind, static_cast<uint64_t>(v3 ? kLastFactKind : FactKind::kClassificationOverridden)) &&
       static_cast<uint64_t>(f.kind) >= 1 && id(&m.event_id) &&
       (v2 ? r.Type(&m.type) : r.Str(&m.type)) && r.Str(&m.source) &&
       (v2 ? r.Stream(&m.stream) : r.Str(&m.stream)) && r.Varint(&m.version) &&
       r.Varint(&m.global_position) && r.Signed(&occurred) && r.Signed(&recorded) &&
       r.Str(&m.actor) && id(&m.correlation_id) && id(&m.causation_id) && id(&f.change_id) &&
       id(&f.proposal_id) && r.Str(&f.attributes.title) && r.Str(&f.attributes.business_area) &&
       r.Varint(&count) && count <= bytes.size();
  if (ok) {
    f.attributes.teams.resize(count);
    for (auto& t : f.attributes.teams) ok = ok && r.Str(&t);
  }
  ok = ok && r.Varint(&flag) && r.Signed(&f.attributes.estimated_cost_minor) &&
       r.Enum(&f.status, kChangeStatusCount - 1) && r.Enum(&f.classification.tier, kTierCount - 1) &&
       r.Enum(&f.classification.complexity, kComplexityCount - 1) && r.Varint(&types) &&
       types < 8 && r.Enum(&f.outcome, static_cast<uint64_t>(ProposalOutcome::kReturned)) &&
       r.Str(&f.proposal_business_area);
  if (ok && v3) {
    ok = r.Str(&f.attributes.currency_code) && r.Varint(&f.suggestion_version) && r.Str(&f.note) &&
         r.Varint(&count) && count <= bytes.size();
    if (ok) {
      f.changed_paths.resize(count);
      for (auto& p : f.changed_paths) ok = ok && r.Str(&p);
    }
  }
  ok = ok && r.done();
  if (!ok) return absl::DataLossError("stored fact: truncated or malformed");
  f.attributes.data_and_digital = flag != 0;
  f.classification.complexity_types = static_cast<uint8_t>(types);
  if (v3) {
    m.occurred_at = absl::FromUnixNanos(occurred);
    m.recorded_at = absl::FromUnixNanos(recorded);
  } else {
    m.occurred_at = absl::FromUnixMicros(occurred);
    m.recorded_at = absl::FromUnixMicros(recorded);
    // Withdrawals were stored as history only before they had a kind.
    if (f.kind == FactKind::kProposalOther && m.type == kWithdrawnType) {
      f.kind = FactKind::kProposalWithdrawn;
    }
  }
  return f;
}

bool IsCurrentFactFormat(std::string_view bytes) {
  return !bytes.empty() && static_cast<uint8_t>(bytes.front()) == kFormatV3;
}

}  // namespace changeledger::portfolio
