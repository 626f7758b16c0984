#include "changeledger/portfolio/fact_codec.h"

#include <cstdint>


namespace changeledger::portfolio {
namespace {

constexpr uint8_t kFormatVersion = 1;

class Writer {
 public:
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
  Writer w;
  w.Varint(kFormatVersion);
  w.Varint(static_cast<uint64_t>(f.kind));
  const EventMeta& m = f.meta;
  w.Str(m.event_id);
  w.Str(m.type);
  w.Str(m.source);
  w.Str(m.stream);
  w.Varint(m.version);
  w.Varint(m.global_position);
  w.Signed(absl::ToUnixMicros(m.occurred_at));
  w.Signed(absl::ToUnixMicros(m.recorded_at));
  w.Str(m.actor);
  w.Str(m.correlation_id);
  w.Str(m.causation_id);
  w.Str(f.change_id);
  w.Str(f.proposal_id);
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
  return w.Take();
}

absl::StatusOr<Fact> DecodeFact(std::string_view bytes) {
  Reader r(bytes);
  Fact f;
  uint64_t version = 0, count = 0, flag = 0, types = 0;
  int64_t occurred = 0, recorded = 0;
  EventMeta& m = f.meta;
  bool ok = r.Varint(&version);
  if (!ok || version != kFormatVersion) {
    return absl::DataLossError("stored fact: unknown format version");
  }
  ok = r.Enum(&f.kind, static_cast<uint64_t>(FactKind::kClassificationOverridden)) &&
       static_cast<uint64_t>(f.kind) >= 1 && r.Str(&m.event_id) && r.Str(&m.type) &&
       r.Str(&m.source) && r.Str(&m.stream) && r.Varint(&m.version) &&
       r.Varint(&m.global_position) && r.Signed(&occurred) && r.Signed(&recorded) &&
       r.Str(&m.actor) && r.Str(&m.correlation_id) && r.Str(&m.causation_id) &&
       r.Str(&f.change_id) && r.Str(&f.proposal_id) && r.Str(&f.attributes.title) &&
       r.Str(&f.attributes.business_area) && r.Varint(&count) && count <= bytes.size();
  if (ok) {
    f.attributes.teams.resize(count);
    for (auto& t : f.attributes.teams) ok = ok && r.Str(&t);
  }
  ok = ok && r.Varint(&flag) && r.Signed(&f.attributes.estimated_cost_minor) &&
       r.Enum(&f.status, kChangeStatusCount - 1) && r.Enum(&f.classification.tier, kTierCount - 1) &&
       r.Enum(&f.classification.complexity, kComplexityCount - 1) && r.Varint(&types) &&
       types < 8 && r.Enum(&f.outcome, static_cast<uint64_t>(ProposalOutcome::kReturned)) &&
       r.Str(&f.proposal_business_area) && r.done();
  if (!ok) return absl::DataLossError("stored fact: truncated or malformed");
  f.attributes.data_and_digital = flag != 0;
  f.classification.complexity_types = static_cast<uint8_t>(types);
  m.occurred_at = absl::FromUnixMicros(occurred);
  m.recorded_at = absl::FromUnixMicros(recorded);
  return f;
}

}  // namespace changeledger::portfolio
