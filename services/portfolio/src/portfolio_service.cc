#include "changeledger/portfolio/portfolio_service.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "changeledger/errors/grpc_status.h"
#include "changeledger/rpc/answer_size.h"
#include "changeledger/rpc/page_size.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace changeledger::portfolio {
namespace {

namespace cls = ::changeledger::classification::v1;
namespace intake = ::changeledger::intake::v1;

constexpr int64_t kMinSeconds = -62135596800;  // 0001-01-01
constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31

grpc::Status Grpc(const absl::Status& s) { return errors::ToGrpcStatus(s); }

absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& ts, const char* field) {
  if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds || ts.nanos() < 0 ||
      ts.nanos() > 999999999) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": not a valid timestamp"));
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

absl::StatusOr<std::optional<absl::Time>> OptionalTime(bool has, const google::protobuf::Timestamp& ts,
                                                       const char* field) {
  if (!has) return std::optional<absl::Time>();
  auto t = FromProto(ts, field);
  if (!t.ok()) return t.status();
  return std::optional<absl::Time>(*t);
}

// To the nanosecond: an answer's times, typed back as an as-of, must
// select the same events.
void ToProto(absl::Time t, google::protobuf::Timestamp* out) {
  const int64_t seconds = absl::ToUnixSeconds(t);  // rounds towards the past
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>((t - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
}

void FillTime(std::optional<absl::Time> as_of, std::optional<absl::Time> latest, pb::FigureTime* out) {
  if (as_of) ToProto(*as_of, out->mutable_as_of());
  if (latest) ToProto(*latest, out->mutable_latest_recorded_at());
}

absl::StatusOr<StatusMask> Statuses(const google::protobuf::RepeatedField<int>& statuses) {
  if (statuses.empty()) return kOngoingStatuses;
  StatusMask mask = 0;
  for (int i = 0; i < statuses.size(); ++i) {
    const int s = statuses[i];
    if (s < intake::CHANGE_STATUS_REGISTERED || s > intake::CHANGE_STATUS_STOPPED) {
      return absl::InvalidArgumentError(absl::StrFormat("statuses[%d]: must be REGISTERED, "
                                                        "IN_DELIVERY, CLOSED or STOPPED", i));
    }
    mask |= StatusBit(static_cast<ChangeStatus>(s));
  }
  return mask;
}

void AddStatuses(StatusMask mask, google::protobuf::RepeatedField<int>* out) {
  for (int s = 1; s < kChangeStatusCount; ++s) {
    if (mask & (1u << s)) out->Add(s);
  }
}

cls::Tier TierProto(Tier t) { return static_cast<cls::Tier>(static_cast<int>(t)); }

cls::Complexity ComplexityProto(Complexity c) {
  switch (c) {
    case Complexity::kHigh: return cls::COMPLEXITY_HIGH;
    case Complexity::kMedium: return cls::COMPLEXITY_MEDIUM;
    case Complexity::kLow: return cls::COMPLEXITY_LOW;
    case Complexity::kUnspecified: break;
  }
  return cls::COMPLEXITY_UNSPECIFIED;
}

std::optional<Complexity> ComplexityFromProto(int c) {
  switch (c) {
    case cls::COMPLEXITY_HIGH: return Complexity::kHigh;
    case cls::COMPLEXITY_MEDIUM: return Complexity::kMedium;
    case cls::COMPLEXITY_LOW: return Complexity::kLow;
    case cls::COMPLEXITY_UNSPECIFIED: return Complexity::kUnspecified;
    default: return std::nullopt;
  }
}

cls::ComplexityType TypeProto(int bit_index) { return static_cast<cls::ComplexityType>(bit_index + 1); }

// The currency the change's events carried ("" when not known).
void MoneyProto(int64_t minor, const std::string& currency_code, common::v1::Money* out) {
  out->set_currency_code(currency_code);
  out->set_amount_minor(minor);
}

void EventProto(const EventView& e, pb::Event* out) {
  out->set_event_id(e.event_id);
  out->set_type(e.type);
  out->set_source(e.source);
  out->set_stream(e.stream);
  out->set_version(e.version);
  out->set_global_position(e.global_position);
  out->set_actor(e.actor);
  ToProto(e.occurred_at, out->mutable_occurred_at());
  ToProto(e.recorded_at, out->mutable_recorded_at());
  out->set_correlation_id(e.correlation_id);
  out->set_causation_id(e.causation_id);
  out->set_summary(e.summary);
}

void StateProto(const ChangeStateView& s, pb::ChangeState* out) {
  out->set_known(s.known);
  out->set_registered(s.registered);
  out->set_in_baseline(s.in_baseline);
  out->set_tier(TierProto(s.tier));
  out->set_complexity(ComplexityProto(s.complexity));
  for (int i = 0; i < kComplexityTypeCount; ++i) {
    if (s.complexity_types & (1u << i)) out->add_complexity_types(TypeProto(i));
  }
  out->set_classification_confirmed(s.classification_confirmed);
  out->set_business_area(s.business_area);
  out->set_status(static_cast<intake::ChangeStatus>(static_cast<int>(s.status)));
  out->set_data_and_digital(s.data_and_digital);
  MoneyProto(s.estimated_cost_minor, s.currency_code, out->mutable_estimated_cost());
  for (const auto& t : s.teams) out->add_teams(t);
}

double Share(int64_t part, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

void BaselineProto(const Baseline& b, pb::Baseline* out) {
  FillTime(b.as_of, b.latest_recorded_at, out->mutable_stands());
  AddStatuses(b.statuses, out->mutable_statuses());
  out->set_total(b.total);
  out->set_unclassified(b.unclassified);
  out->set_unconfirmed(b.unconfirmed);
  out->set_unconfirmed_share(Share(b.unconfirmed, b.total - b.unclassified));
  out->set_change_events_included(b.change_events_included);
  for (int t = 0; t < kTierCount; ++t) {
    for (int c = 0; c < kComplexityCount; ++c) {
      if (t == 0 && c != 0 && b.tier_complexity[t][c] == 0) continue;
      if (t != 0 && c == 0 && b.tier_complexity[t][c] == 0) continue;
      auto* cell = out->add_tier_complexity();
      cell->set_tier(TierProto(static_cast<Tier>(t)));
      cell->set_complexity(ComplexityProto(static_cast<Complexity>(c)));
      cell->set_changes(b.tier_complexity[t][c]);
      cell->set_unconfirmed(b.tier_complexity_unconfirmed[t][c]);
    }
  }
  for (int t : {1, 2, 3, 4, 0}) {
    auto* tier = out->add_tiers();
    tier->set_tier(TierProto(static_cast<Tier>(t)));
    tier->set_changes(b.by_tier[t]);
    tier->set_data_and_digital(b.data_and_digital_by_tier[t]);
    tier->set_data_and_digital_share(Share(b.data_and_digital_by_tier[t], b.by_tier[t]));
  }
  for (Complexity c : {Complexity::kHigh, Complexity::kMedium, Complexity::kLow}) {
    const int ci = static_cast<int>(c);
    auto* level = out->add_complexity_levels();
    level->set_complexity(ComplexityProto(c));
    int64_t changes = 0;
    for (int t = 0; t < kTierCount; ++t) changes += b.tier_complexity[t][ci];
    level->set_changes(changes);
    for (int i = 0; i < kComplexityTypeCount; ++i) {
      auto* type = level->add_types();
      type->set_type(TypeProto(i));
      type->set_changes(b.complexity_types[ci][i]);
    }
    level->set_without_types(b.complexity_without_types[ci]);
  }
  for (const AreaCount& a : b.by_area) {
    auto* area = out->add_areas();
    area->set_business_area(a.business_area);
    area->set_changes(a.total);
    area->set_data_and_digital(a.data_and_digital);
    for (int t : {1, 2, 3, 4, 0}) {
      auto* tier = area->add_tiers();
      tier->set_tier(TierProto(static_cast<Tier>(t)));
      tier->set_changes(a.by_tier[t]);
    }
  }
  auto* pyramid = out->mutable_pyramid();
  pyramid->set_holds(b.pyramid.holds);
  pyramid->set_most_common(TierProto(b.pyramid.most_common));
  std::vector<std::string> parts;
  for (const PyramidBreak& br : b.pyramid.breaks) {
    auto* p = pyramid->add_breaks();
    p->set_tier(TierProto(br.tier));
    p->set_below(TierProto(br.below));
    p->set_tier_changes(br.tier_count);
    p->set_below_changes(br.below_count);
    parts.push_back(absl::StrFormat("%s (%d) >= %s (%d)", TierName(br.tier), br.tier_count,
                                    TierName(br.below), br.below_count));
  }
  if (!b.pyramid.any_classified) {
    pyramid->set_summary("no classified changes: nothing to compare");
  } else if (b.pyramid.holds) {
    pyramid->set_summary("a pyramid: INCREMENTAL > EXPERIMENTAL > MANDATED > TRANSFORMATIONAL");
  } else {
    pyramid->set_summary(absl::StrCat("not a pyramid: ", absl::StrJoin(parts, "; ")));
  }
  for (const AreaTopMandated& a : b.top_mandated) {
    auto* top = out->add_top_mandated();
    top->set_business_area(a.business_area);
    for (const MandatedChange& m : a.changes) {
      auto* c = top->add_changes();
      c->set_change_id(m.change_id);
      c->set_title(m.title);
      MoneyProto(m.estimated_cost_minor, m.currency_code, c->mutable_estimated_cost());
      c->set_complexity(ComplexityProto(m.complexity));
    }
  }
  // Past the answer limit, every area lists the same smaller number: the
  // most that fits.
  if (out->ByteSizeLong() > rpc::kMaxAnswerBytes) {
    out->set_top_mandated_truncated(true);
    size_t others = out->ByteSizeLong();
    size_t longest = 0;
    // rank_bytes[k]: the bytes the (k+1)-th change of every area adds.
    std::vector<size_t> rank_bytes;
    for (const auto& top : out->top_mandated()) {
      for (int k = 0; k < top.changes_size(); ++k) {
        // Its bytes, its tag's and its length's (rpc::AnswerItemBytes
        // counts 16 more, too many here: the others are what is left).
        const size_t size = top.changes(k).ByteSizeLong();
        const size_t item = size + 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size);
        others -= std::min(others, item);
        if (rank_bytes.size() <= static_cast<size_t>(k)) rank_bytes.resize(k + 1, 0);
        rank_bytes[k] += item;
      }
      longest = std::max(longest, static_cast<size_t>(top.changes_size()));
    }
    size_t keep = 0, bytes = others;
    while (keep < longest && bytes + rank_bytes[keep] <= rpc::kMaxAnswerBytes) bytes += rank_bytes[keep++];
    auto trim = [out](size_t keep) {
      for (auto& top : *out->mutable_top_mandated()) {
        if (static_cast<size_t>(top.changes_size()) > keep) {
          top.mutable_changes()->DeleteSubrange(static_cast<int>(keep),
                                                top.changes_size() - static_cast<int>(keep));
        }
      }
    };
    trim(keep);
    // An area's own length may shrink by a byte or two: the answer's
    // size decides.
    while (keep > 0 && out->ByteSizeLong() > rpc::kMaxAnswerBytes) trim(--keep);
  }
}

pb::DiffKind DiffKindProto(DiffKind k) {
  return static_cast<pb::DiffKind>(static_cast<int>(k) + 1);
}

// Exactly four digits, '-', two digits: not " 202-01", "+202-01" or
// "2021-+1", which a number parser would read as a year and a month.
absl::StatusOr<YearMonth> ParseMonth(const std::string& s, const char* field) {
  int year = 0, month = 0;
  const bool digits = s.size() == 7 && s[4] == '-' &&
                      std::all_of(s.begin(), s.begin() + 4, absl::ascii_isdigit) &&
                      std::all_of(s.begin() + 5, s.end(), absl::ascii_isdigit);
  if (!digits || !absl::SimpleAtoi(s.substr(0, 4), &year) ||
      !absl::SimpleAtoi(s.substr(5), &month) || year < 1 || month < 1 || month > 12) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": expected YYYY-MM"));
  }
  return YearMonth{year, month};
}

// Page tokens (AIP-158): web-safe base64 of "<cursor, web-safe base64>\n
// <fingerprint>". The fingerprint is the request's type and every field
// but the page token and size, so that a token works only for the request
// it was made for; the cursor says where the previous page ended (its last
// item), so the next page starts after it whatever was recorded between.
std::string Fingerprint(const google::protobuf::Message& request,
                        std::initializer_list<const char*> page_fields) {
  std::unique_ptr<google::protobuf::Message> filters(request.New());
  filters->CopyFrom(request);
  const google::protobuf::Descriptor* descriptor = filters->GetDescriptor();
  for (const char* name : page_fields) {
    filters->GetReflection()->ClearField(filters.get(), descriptor->FindFieldByName(name));
  }
  std::string out = absl::StrCat(descriptor->full_name(), "\n");
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    filters->SerializeToCodedStream(&coded);
  }
  return out;
}

std::string MakeToken(const std::string& fingerprint, const std::string& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(absl::WebSafeBase64Escape(cursor), "\n", fingerprint));
}

// The cursor of the previous page ("" for the first page).
absl::StatusOr<std::string> ReadToken(const std::string& token, const std::string& fingerprint) {
  if (token.empty()) return std::string();
  std::string raw, cursor;
  const size_t newline = absl::WebSafeBase64Unescape(token, &raw) ? raw.find('\n') : std::string::npos;
  if (newline == std::string::npos || newline == 0 ||
      !absl::WebSafeBase64Unescape(raw.substr(0, newline), &cursor) || cursor.empty()) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  if (raw.compare(newline + 1, std::string::npos, fingerprint) != 0) {
    return absl::InvalidArgumentError(
        "page_token: not from this listing (the filters must stay the same)");
  }
  return cursor;
}

// A count the caller bounds (max_teams): 0 means `default_size`.
absl::StatusOr<size_t> CountLimit(int32_t requested, int32_t max, int32_t default_size,
                                  const char* field) {
  if (requested < 0 || requested > max) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be in 0..", max));
  }
  return static_cast<size_t>(requested == 0 ? default_size : requested);
}

// Drops the first of `events` until the item that holds them, of
// `item_bytes` now, fits in `room` bytes. The events left are the latest.
void DropEarliestEvents(size_t item_bytes, size_t room,
                        google::protobuf::RepeatedPtrField<pb::Event>* events) {
  int drop = 0;
  while (item_bytes > room && drop < events->size()) {
    // An event takes its bytes and 2 to 6 more: counting its bytes only
    // drops enough.
    item_bytes -= std::min(item_bytes, events->Get(drop).ByteSizeLong());
    ++drop;
  }
  events->DeleteSubrange(0, drop);
}

// Where an event stands in a history's recorded order (the model's order:
// recorded_at, then source, then the source's log order).
struct EventKey {
  int64_t recorded_at_nanos = 0;
  std::string source;
  uint64_t global_position = 0;
  std::string stream;
  uint64_t version = 0;
  friend bool operator<(const EventKey& a, const EventKey& b) {
    return std::tie(a.recorded_at_nanos, a.source, a.global_position, a.stream, a.version) <
           std::tie(b.recorded_at_nanos, b.source, b.global_position, b.stream, b.version);
  }
};

EventKey KeyOf(const EventView& e) {
  return {absl::ToUnixNanos(e.recorded_at), e.source, e.global_position, e.stream, e.version};
}

// "<recorded_at nanos>\n<global position>\n<version>\n<source>\n<stream>".
std::string EventKeyText(const EventKey& k) {
  return absl::StrCat(k.recorded_at_nanos, "\n", k.global_position, "\n", k.version, "\n",
                      k.source, "\n", k.stream);
}

absl::StatusOr<EventKey> ParseEventKey(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('\n', 4));
  EventKey k;
  if (parts.size() != 5 || !absl::SimpleAtoi(parts[0], &k.recorded_at_nanos) ||
      !absl::SimpleAtoi(parts[1], &k.global_position) || !absl::SimpleAtoi(parts[2], &k.version)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  k.source = parts[3];
  k.stream = parts[4];
  return k;
}

std::string SourceName(pb::RebuildSource source) {
  switch (source) {
    case pb::REBUILD_SOURCE_KAFKA: return "KAFKA";
    case pb::REBUILD_SOURCE_LOG_READER: return "LOG_READER";
    default: return "UNSPECIFIED";
  }
}

}  // namespace

bool RebuildTotalKnown(const RebuildInfo& info) {
  return !info.rebuilding || info.events_total > info.events_applied;
}

namespace {
// "n of m events", or what is known while the total is not.
std::string ProgressText(const RebuildInfo& info) {
  // Until a source has said how far behind it is (a Kafka consumer first
  // joins its group), the total is not known: "0 of 0" would mislead.
  if (!RebuildTotalKnown(info)) {
    return absl::StrFormat("%d events so far; the total is not known yet", info.events_applied);
  }
  return absl::StrFormat("%d of %d events", info.events_applied,
                         std::max(info.events_total, info.events_applied));
}
}  // namespace

std::string RebuildingMessage(const RebuildInfo& info) {
  return absl::StrCat("the view is rebuilding (", ProgressText(info), ")");
}

std::string RebuildRunningMessage(const RebuildInfo& info) {
  const std::string started =
      info.started_at ? absl::FormatTime(absl::RFC3339_full, *info.started_at, absl::UTCTimeZone())
                      : std::string("(start not known)");
  return absl::StrCat("a rebuild from ", SourceName(info.source), " started ", started,
                      " is running (", ProgressText(info),
                      "): wait for it to finish (GetRebuildStatus) before starting another");
}

rpc::MethodPolicy PortfolioMethodPolicy() {
  const std::string prefix = "/changeledger.portfolio.v1.PortfolioService/";
  std::set<rpc::Role> everyone(rpc::AllRoles().begin(), rpc::AllRoles().end());
  rpc::MethodPolicy policy;
  for (const char* m : {"GetBaseline", "DiffBaseline", "GetProvenance", "GetChangeHistory",
                        "GetOverlaps", "ListFrontDoorActivity", "GetRebuildStatus", "GetStateHash"}) {
    policy[prefix + m] = everyone;
  }
  policy[prefix + "Rebuild"] = {rpc::Role::kAdmin, rpc::Role::kPortfolioOffice};
  return policy;
}

absl::Status PortfolioServiceImpl::Available() const {
  const RebuildInfo info = control_->GetRebuildInfo();
  if (info.rebuilding) return absl::UnavailableError(RebuildingMessage(info));
  return absl::OkStatus();
}

grpc::Status PortfolioServiceImpl::GetBaseline(grpc::ServerContext*, const pb::GetBaselineRequest* req,
                                               pb::Baseline* resp) {
  BaselineQuery q;
  auto as_of = OptionalTime(req->has_as_of(), req->as_of(), "as_of");
  if (!as_of.ok()) return Grpc(as_of.status());
  q.as_of = *as_of;
  auto mask = Statuses(req->statuses());
  if (!mask.ok()) return Grpc(mask.status());
  q.statuses = *mask;
  if (req->top_mandated_per_area() < 0 || req->top_mandated_per_area() > 100) {
    return Grpc(absl::InvalidArgumentError("top_mandated_per_area: must be in 0..100"));
  }
  q.top_mandated_per_area = req->top_mandated_per_area() == 0 ? 5 : req->top_mandated_per_area();
  if (auto s = Available(); !s.ok()) return Grpc(s);
  auto b = holder_->Read([&q](const PortfolioModel& m) { return m.GetBaseline(q); });
  if (!b.ok()) return Grpc(b.status());
  BaselineProto(*b, resp);
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::DiffBaseline(grpc::ServerContext*, const pb::DiffBaselineRequest* req,
                                                pb::BaselineDiff* resp) {
  if (!req->has_from()) return Grpc(absl::InvalidArgumentError("from: required"));
  if (!req->has_to()) return Grpc(absl::InvalidArgumentError("to: required"));
  auto from = FromProto(req->from(), "from");
  if (!from.ok()) return Grpc(from.status());
  auto to = FromProto(req->to(), "to");
  if (!to.ok()) return Grpc(to.status());
  if (*from > *to) return Grpc(absl::InvalidArgumentError("from: must not be after to"));
  auto mask = Statuses(req->statuses());
  if (!mask.ok()) return Grpc(mask.status());
  auto page_size = rpc::PageSize(req->page_size(), 100, 1000);
  if (!page_size.ok()) return Grpc(page_size.status());
  const std::string fingerprint = Fingerprint(*req, {"page_token", "page_size"});
  auto after = ReadToken(req->page_token(), fingerprint);
  if (!after.ok()) return Grpc(after.status());
  if (auto s = Available(); !s.ok()) return Grpc(s);
  const ChangePage page{*after, static_cast<size_t>(*page_size)};
  auto d = holder_->Read([&](const PortfolioModel& m) { return m.Diff(*from, *to, *mask, page); });
  if (!d.ok()) return Grpc(d.status());
  FillTime(d->from, d->latest_recorded_at_from, resp->mutable_from());
  FillTime(d->to, d->latest_recorded_at_to, resp->mutable_to());
  resp->set_entered(d->entered);
  resp->set_left(d->left);
  resp->set_reclassified(d->reclassified);
  resp->set_area_changed(d->area_changed);
  resp->set_status_changed(d->status_changed);
  // Room for the token, whose cursor is a change id.
  size_t bytes = resp->ByteSizeLong() + 1024;
  bool more = d->more;
  for (const ChangeDiff& cd : d->changes) {
    pb::ChangeDiff c;
    c.set_change_id(cd.change_id);
    for (DiffKind k : cd.kinds) c.add_kinds(DiffKindProto(k));
    StateProto(cd.before, c.mutable_before());
    StateProto(cd.after, c.mutable_after());
    for (const EventView& e : cd.events) EventProto(e, c.add_events());
    c.set_event_count(static_cast<int64_t>(cd.events.size()));
    size_t item_bytes = rpc::AnswerItemBytes(c);
    if (!rpc::FitsInAnswer(bytes, item_bytes, resp->changes_size())) {
      more = true;
      break;
    }
    if (bytes + item_bytes > rpc::kMaxAnswerBytes) {
      // One change alone: thousands of events in the interval.
      const size_t room = rpc::kMaxAnswerBytes - std::min(bytes, rpc::kMaxAnswerBytes);
      DropEarliestEvents(item_bytes, room, c.mutable_events());
      c.set_events_truncated(true);
      item_bytes = rpc::AnswerItemBytes(c);
    }
    bytes += item_bytes;
    *resp->add_changes() = std::move(c);
  }
  if (more) resp->set_next_page_token(MakeToken(fingerprint, resp->changes().rbegin()->change_id()));
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::GetProvenance(grpc::ServerContext*, const pb::GetProvenanceRequest* req,
                                                 pb::Provenance* resp) {
  CellFilter cell;
  const pb::Cell& c = req->cell();
  if (c.has_tier()) {
    if (c.tier() < cls::TIER_UNSPECIFIED || c.tier() > cls::TIER_INCREMENTAL) {
      return Grpc(absl::InvalidArgumentError("cell.tier: unknown value"));
    }
    cell.tier = static_cast<Tier>(static_cast<int>(c.tier()));
  }
  if (c.has_complexity()) {
    auto complexity = ComplexityFromProto(c.complexity());
    if (!complexity) return Grpc(absl::InvalidArgumentError("cell.complexity: unknown value"));
    cell.complexity = *complexity;
  }
  if (c.has_business_area()) cell.business_area = c.business_area();
  if (c.has_complexity_type()) {
    if (c.complexity_type() < cls::COMPLEXITY_TYPE_STRUCTURAL ||
        c.complexity_type() > cls::COMPLEXITY_TYPE_EMERGENT) {
      return Grpc(absl::InvalidArgumentError("cell.complexity_type: must be STRUCTURAL, "
                                             "SOCIO_POLITICAL or EMERGENT"));
    }
    cell.complexity_type_bit_index = static_cast<int>(c.complexity_type()) - 1;
  }
  if (c.has_data_and_digital()) cell.data_and_digital = c.data_and_digital();
  auto as_of = OptionalTime(req->has_as_of(), req->as_of(), "as_of");
  if (!as_of.ok()) return Grpc(as_of.status());
  auto mask = Statuses(req->statuses());
  if (!mask.ok()) return Grpc(mask.status());
  auto page_size = rpc::PageSize(req->page_size(), 100, 1000);
  if (!page_size.ok()) return Grpc(page_size.status());
  const std::string fingerprint = Fingerprint(*req, {"page_token", "page_size"});
  auto after = ReadToken(req->page_token(), fingerprint);
  if (!after.ok()) return Grpc(after.status());
  if (auto s = Available(); !s.ok()) return Grpc(s);
  const ChangePage page{*after, static_cast<size_t>(*page_size)};
  auto p = holder_->Read([&](const PortfolioModel& m) { return m.GetProvenance(cell, *as_of, *mask, page); });
  if (!p.ok()) return Grpc(p.status());
  FillTime(p->as_of, p->latest_recorded_at, resp->mutable_stands());
  resp->set_count(p->count);
  size_t bytes = resp->ByteSizeLong() + 1024;  // and the token
  bool more = p->more;
  for (const ProvenanceEntry& entry : p->changes) {
    pb::ProvenanceEntry e;
    e.set_change_id(entry.change_id);
    e.set_title(entry.title);
    StateProto(entry.state, e.mutable_state());
    for (const EventView& ev : entry.events) EventProto(ev, e.add_events());
    const size_t item_bytes = rpc::AnswerItemBytes(e);
    if (!rpc::FitsInAnswer(bytes, item_bytes, resp->changes_size())) {
      more = true;
      break;
    }
    bytes += item_bytes;
    *resp->add_changes() = std::move(e);
  }
  if (more) resp->set_next_page_token(MakeToken(fingerprint, resp->changes().rbegin()->change_id()));
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::GetChangeHistory(grpc::ServerContext*,
                                                    const pb::GetChangeHistoryRequest* req,
                                                    pb::ChangeHistory* resp) {
  if (req->change_id().empty()) return Grpc(absl::InvalidArgumentError("change_id: required"));
  auto page_size = rpc::PageSize(req->page_size(), 1000, 10000);
  if (!page_size.ok()) return Grpc(page_size.status());
  const std::string fingerprint = Fingerprint(*req, {"page_token", "page_size"});
  auto token = ReadToken(req->page_token(), fingerprint);
  if (!token.ok()) return Grpc(token.status());
  std::optional<EventKey> after;
  if (!token->empty()) {
    auto key = ParseEventKey(*token);
    if (!key.ok()) return Grpc(key.status());
    after = *key;
  }
  if (auto s = Available(); !s.ok()) return Grpc(s);
  auto h = holder_->Read([&](const PortfolioModel& m) { return m.GetChangeHistory(req->change_id()); });
  if (!h.ok()) return Grpc(h.status());
  resp->set_change_id(h->change_id);
  resp->set_title(h->title);
  resp->set_proposal_id(h->proposal_id);
  StateProto(h->current, resp->mutable_current());
  FillTime(std::nullopt, h->latest_recorded_at, resp->mutable_stands());
  resp->set_event_count(static_cast<int64_t>(h->events.size()));
  // Events are in recorded order: the page starts after the previous
  // page's last.
  auto it = h->events.begin();
  if (after) {
    it = std::upper_bound(h->events.begin(), h->events.end(), *after,
                          [](const EventKey& key, const EventView& e) { return key < KeyOf(e); });
  }
  size_t bytes = resp->ByteSizeLong() + 1024;  // and the token
  for (; it != h->events.end(); ++it) {
    pb::Event e;
    EventProto(*it, &e);
    const size_t item_bytes = rpc::AnswerItemBytes(e);
    if (resp->events_size() == *page_size ||
        !rpc::FitsInAnswer(bytes, item_bytes, resp->events_size())) {
      resp->set_next_page_token(MakeToken(fingerprint, EventKeyText(KeyOf(*std::prev(it)))));
      break;
    }
    bytes += item_bytes;
    *resp->add_events() = std::move(e);
  }
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::GetOverlaps(grpc::ServerContext*, const pb::GetOverlapsRequest* req,
                                               pb::Overlaps* resp) {
  auto as_of = OptionalTime(req->has_as_of(), req->as_of(), "as_of");
  if (!as_of.ok()) return Grpc(as_of.status());
  auto mask = Statuses(req->statuses());
  if (!mask.ok()) return Grpc(mask.status());
  auto max_teams = CountLimit(req->max_teams(), 10000, 100, "max_teams");
  if (!max_teams.ok()) return Grpc(max_teams.status());
  const std::string fingerprint = Fingerprint(*req, {"page_token", "max_teams"});
  auto token = ReadToken(req->page_token(), fingerprint);
  if (!token.ok()) return Grpc(token.status());
  // The cursor: "<changes>\n<team>" of the previous page's last team
  // (a first page of interactions only: more changes than any team has).
  std::optional<std::pair<size_t, std::string>> after;
  if (!token->empty()) {
    std::vector<std::string> parts = absl::StrSplit(*token, absl::MaxSplits('\n', 1));
    size_t changes = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &changes)) {
      return Grpc(absl::InvalidArgumentError("page_token: malformed"));
    }
    after.emplace(changes, parts[1]);
  }
  if (auto s = Available(); !s.ok()) return Grpc(s);
  auto o = holder_->Read([&](const PortfolioModel& m) { return m.GetOverlaps(*as_of, *mask); });
  if (!o.ok()) return Grpc(o.status());
  FillTime(o->as_of, o->latest_recorded_at, resp->mutable_stands());
  resp->set_total_teams(static_cast<int32_t>(o->teams.size()));
  size_t bytes = resp->ByteSizeLong() + 1024;  // and the token
  if (!after) {
    for (const AreaInteraction& ai : o->interactions) {
      pb::AreaInteraction i;
      i.set_area_a(ai.area_a);
      i.set_area_b(ai.area_b);
      i.set_shared_changes(ai.shared_changes);
      for (const auto& t : ai.teams) i.add_teams(t);
      const size_t item_bytes = rpc::AnswerItemBytes(i);
      if (bytes + item_bytes > rpc::kMaxAnswerBytes) {
        resp->set_interactions_truncated(true);
        break;
      }
      bytes += item_bytes;
      *resp->add_interactions() = std::move(i);
    }
  }
  // Teams are ordered most changes first, then by name: the page starts
  // after the previous page's last team in that order.
  auto before_or_at = [&after](const TeamOverlap& t) {
    const size_t n = t.change_ids.size();
    return n > after->first || (n == after->first && t.team <= after->second);
  };
  auto it = o->teams.begin();
  if (after) it = std::partition_point(o->teams.begin(), o->teams.end(), before_or_at);
  for (; it != o->teams.end(); ++it) {
    pb::TeamOverlap t;
    t.set_team(it->team);
    t.set_change_count(static_cast<int32_t>(it->change_ids.size()));
    for (const auto& a : it->business_areas) t.add_business_areas(a);
    for (const auto& id : it->change_ids) t.add_change_ids(id);
    size_t item_bytes = rpc::AnswerItemBytes(t);
    if (static_cast<size_t>(resp->teams_size()) == *max_teams ||
        !rpc::FitsInAnswer(bytes, item_bytes, resp->teams_size() + resp->interactions_size())) {
      const std::string cursor =
          resp->teams_size() == 0
              ? absl::StrCat(std::numeric_limits<size_t>::max(), "\n")
              : absl::StrCat(std::prev(it)->change_ids.size(), "\n", std::prev(it)->team);
      resp->set_next_page_token(MakeToken(fingerprint, cursor));
      break;
    }
    if (bytes + item_bytes > rpc::kMaxAnswerBytes) {
      // One team alone, on tens of thousands of changes: its first ids.
      const size_t room = rpc::kMaxAnswerBytes - std::min(bytes, rpc::kMaxAnswerBytes);
      int keep = t.change_ids_size();
      while (keep > 0 && item_bytes > room) item_bytes -= t.change_ids(--keep).size() + 1;
      t.mutable_change_ids()->DeleteSubrange(keep, t.change_ids_size() - keep);
      t.set_change_ids_truncated(true);
      item_bytes = rpc::AnswerItemBytes(t);
    }
    bytes += item_bytes;
    *resp->add_teams() = std::move(t);
  }
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::ListFrontDoorActivity(grpc::ServerContext*,
                                                         const pb::ListFrontDoorActivityRequest* req,
                                                         pb::FrontDoorActivity* resp) {
  FrontDoorQuery q;
  auto as_of = OptionalTime(req->has_as_of(), req->as_of(), "as_of");
  if (!as_of.ok()) return Grpc(as_of.status());
  q.as_of = *as_of;
  if (!req->from_month().empty()) {
    auto m = ParseMonth(req->from_month(), "from_month");
    if (!m.ok()) return Grpc(m.status());
    q.from = *m;
  }
  if (!req->to_month().empty()) {
    auto m = ParseMonth(req->to_month(), "to_month");
    if (!m.ok()) return Grpc(m.status());
    q.to = *m;
  }
  if (q.from && q.to && *q.to < *q.from) {
    return Grpc(absl::InvalidArgumentError("from_month: must not be after to_month"));
  }
  if (req->has_business_area()) q.business_area = req->business_area();
  if (auto s = Available(); !s.ok()) return Grpc(s);
  auto fd = holder_->Read([&q](const PortfolioModel& m) { return m.GetFrontDoorActivity(q); });
  if (!fd.ok()) return Grpc(fd.status());
  FillTime(fd->as_of, fd->latest_recorded_at, resp->mutable_stands());
  for (const FrontDoorPeriod& p : fd->periods) {
    auto* out = resp->add_periods();
    out->set_month(absl::StrFormat("%04d-%02d", p.month.year, p.month.month));
    out->set_submitted(p.submitted);
    out->set_approved(p.approved);
    out->set_rejected(p.rejected);
    out->set_deferred(p.deferred);
    out->set_returned(p.returned);
    out->set_pending(p.pending);
    out->set_withdrawn(p.withdrawn);
    out->set_decided(p.decided);
    out->set_mean_days_to_decision(p.mean_days_to_decision);
    out->set_median_days_to_decision(p.median_days_to_decision);
  }
  return grpc::Status::OK;
}

namespace {
void RebuildProto(const RebuildInfo& info, pb::RebuildStatus* out) {
  out->set_rebuilding(info.rebuilding);
  out->set_source(info.source);
  out->set_events_applied(info.events_applied);
  const bool known = RebuildTotalKnown(info);
  out->set_events_total_known(known);
  out->set_events_total(known ? std::max(info.events_total, info.events_applied) : 0);
  if (info.started_at) ToProto(*info.started_at, out->mutable_started_at());
  if (info.finished_at) ToProto(*info.finished_at, out->mutable_finished_at());
  if (info.rebuilding) {
    out->set_message(RebuildingMessage(info));
  } else if (info.finished_at) {
    out->set_message(absl::StrFormat("rebuilt (%d events)", info.events_applied));
  } else {
    out->set_message("no rebuild since start");
  }
}
}  // namespace

grpc::Status PortfolioServiceImpl::Rebuild(grpc::ServerContext*, const pb::RebuildRequest* req,
                                           pb::RebuildStatus* resp) {
  if (req->source() != pb::REBUILD_SOURCE_KAFKA && req->source() != pb::REBUILD_SOURCE_LOG_READER) {
    return Grpc(absl::InvalidArgumentError("source: must be KAFKA or LOG_READER"));
  }
  if (auto s = control_->Rebuild(req->source()); !s.ok()) return Grpc(s);
  RebuildProto(control_->GetRebuildInfo(), resp);
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::GetRebuildStatus(grpc::ServerContext*, const pb::GetRebuildStatusRequest*,
                                                    pb::RebuildStatus* resp) {
  RebuildProto(control_->GetRebuildInfo(), resp);
  return grpc::Status::OK;
}

grpc::Status PortfolioServiceImpl::GetStateHash(grpc::ServerContext*, const pb::GetStateHashRequest*,
                                                pb::StateHash* resp) {
  auto store_hash = control_->StoreHash();
  if (!store_hash.ok()) return Grpc(store_hash.status());
  holder_->Read([resp](const PortfolioModel& m) {
    resp->set_view_hash(m.StateHash());
    resp->set_events(m.events_applied());
    resp->set_changes(m.change_count());
    FillTime(std::nullopt, m.latest_recorded_at(), resp->mutable_stands());
    return 0;
  });
  resp->set_store_hash(absl::StrFormat("%016x", *store_hash));
  resp->set_rebuilding(control_->GetRebuildInfo().rebuilding);
  return grpc::Status::OK;
}

}  // namespace changeledger::portfolio
