#include "changeledger/portfolio/adapters.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "google/protobuf/util/time_util.h"

namespace changeledger::portfolio {
namespace {

namespace intake = ::changeledger::intake::v1;
namespace cls = ::changeledger::classification::v1;

absl::Time ToTime(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

// Unpacks into a per-thread message of the type, reused across events so
// that a rebuild does not allocate every nested string afresh. The pointer
// is valid until the next Unpack<Msg> on the same thread.
template <typename Msg>
absl::StatusOr<const Msg*> Unpack(const Envelope& e) {
  thread_local Msg msg;
  if (!e.payload().UnpackTo(&msg)) {
    return absl::DataLossError(absl::StrCat("event ", e.event_id(), ": payload is not a ",
                                            Msg::descriptor()->full_name()));
  }
  return &msg;
}

void FillAttributes(const intake::ChangeAttributes& a, ChangeAttributesFact& out) {
  out.title = a.title();
  out.business_area = a.business_area();
  out.teams.assign(a.teams().begin(), a.teams().end());
  out.data_and_digital = a.data_and_digital();
  out.estimated_cost_minor = a.estimated_cost().amount_minor();
  out.currency_code = a.estimated_cost().currency_code();
}

// "2021-05-12".
std::string DateWords(const ::changeledger::common::v1::Date& date) {
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

// A return record's origin as the history shows it: return="..."
// record="..." and, when the import stated it, the date the return's data
// stands at (as_of=2021-05-12).
std::string ReturnOriginWords(const intake::ReturnOrigin& r) {
  std::string words = absl::StrCat("return=\"", ShortNote(r.return_reference()), "\" record=\"",
                                   ShortNote(r.record_reference()), "\"");
  if (r.has_as_of()) absl::StrAppend(&words, " as_of=", DateWords(r.as_of()));
  return words;
}

absl::Status RequireId(const Envelope& e, const std::string& id, const char* field) {
  if (id.empty()) {
    return absl::DataLossError(absl::StrCat("event ", e.event_id(), " (", e.type(), "): empty ", field));
  }
  return absl::OkStatus();
}

std::string TypeName(const google::protobuf::Descriptor* d) { return std::string(d->full_name()); }

ClassificationFact ToClassification(const cls::Classification& c) {
  ClassificationFact out;
  switch (c.tier()) {
    case cls::TIER_TRANSFORMATIONAL: out.tier = Tier::kTransformational; break;
    case cls::TIER_MANDATED: out.tier = Tier::kMandated; break;
    case cls::TIER_EXPERIMENTAL: out.tier = Tier::kExperimental; break;
    case cls::TIER_INCREMENTAL: out.tier = Tier::kIncremental; break;
    default: out.tier = Tier::kUnspecified; break;
  }
  switch (c.complexity()) {
    case cls::COMPLEXITY_HIGH: out.complexity = Complexity::kHigh; break;
    case cls::COMPLEXITY_MEDIUM: out.complexity = Complexity::kMedium; break;
    case cls::COMPLEXITY_LOW: out.complexity = Complexity::kLow; break;
    default: out.complexity = Complexity::kUnspecified; break;
  }
  for (int t : c.types()) {
    switch (t) {
      case cls::COMPLEXITY_TYPE_STRUCTURAL: out.complexity_types |= kStructural; break;
      case cls::COMPLEXITY_TYPE_SOCIO_POLITICAL: out.complexity_types |= kSocioPolitical; break;
      case cls::COMPLEXITY_TYPE_EMERGENT: out.complexity_types |= kEmergent; break;
      default: break;
    }
  }
  return out;
}

// Makes `f` equal to Fact{} while keeping its strings' storage.
void ResetFact(Fact& f) {
  EventMeta& m = f.meta;
  m.event_id.clear();
  m.type.clear();
  m.source.clear();
  m.stream.clear();
  m.version = 0;
  m.global_position = 0;
  m.occurred_at = absl::UnixEpoch();
  m.recorded_at = absl::UnixEpoch();
  m.actor.clear();
  m.correlation_id.clear();
  m.causation_id.clear();
  f.kind = FactKind::kProposalOther;
  f.change_id.clear();
  f.proposal_id.clear();
  f.attributes.title.clear();
  f.attributes.business_area.clear();
  f.attributes.teams.clear();
  f.attributes.data_and_digital = false;
  f.attributes.estimated_cost_minor = 0;
  f.attributes.currency_code.clear();
  f.status = ChangeStatus::kUnspecified;
  f.classification = ClassificationFact{};
  f.outcome = ProposalOutcome::kUnspecified;
  f.proposal_business_area.clear();
  f.suggestion_version = 0;
  f.note.clear();
  f.changed_paths.clear();
}

}  // namespace

void AdapterRegistry::Register(std::string type, DecodeFn decode) {
  decoders_[std::move(type)] = std::move(decode);
}

void AdapterRegistry::AddTopic(std::string topic) { topics_.push_back(std::move(topic)); }

absl::StatusOr<std::optional<Fact>> AdapterRegistry::Decode(const Envelope& e) const {
  Fact f;
  auto carries = DecodeInto(e, f);
  if (!carries.ok()) return carries.status();
  if (!*carries) return std::optional<Fact>();
  return std::optional<Fact>(std::move(f));
}

absl::StatusOr<bool> AdapterRegistry::DecodeInto(const Envelope& e, Fact& f) const {
  auto it = decoders_.find(e.type());
  if (it == decoders_.end()) return false;
  ResetFact(f);
  f.meta.event_id = e.event_id();
  f.meta.type = e.type();
  f.meta.source = e.source();
  f.meta.stream = e.stream();
  f.meta.version = e.version();
  f.meta.global_position = e.global_position();
  f.meta.occurred_at = ToTime(e.occurred_at());
  f.meta.recorded_at = ToTime(e.recorded_at());
  f.meta.actor = e.actor();
  f.meta.correlation_id = e.correlation_id();
  f.meta.causation_id = e.causation_id();
  return it->second(e, f);
}

void RegisterIntakeAdapters(AdapterRegistry& r) {
  r.AddTopic("changeledger.intake.v1");
  r.Register(TypeName(intake::ChangeRegistered::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::ChangeRegistered>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kChangeRegistered;
               f.change_id = m->change_id();
               if (m->origin().has_proposal_id()) f.proposal_id = m->origin().proposal_id();
               // Where it came from, unless a proposal (whose events the
               // history shows): a return's record, or why it was
               // registered directly.
               if (m->origin().has_return_record()) {
                 f.note = ReturnOriginWords(m->origin().return_record());
               } else if (!m->origin().direct_note().empty()) {
                 f.note = absl::StrCat("note=\"", ShortNote(m->origin().direct_note()), "\"");
               }
               FillAttributes(m->attributes(), f.attributes);
               return true;
             });
  r.Register(TypeName(intake::ChangeAmended::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::ChangeAmended>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kChangeAmended;
               f.change_id = m->change_id();
               FillAttributes(m->attributes(), f.attributes);
               f.changed_paths.assign(m->changed_paths().begin(), m->changed_paths().end());
               f.note = m->reason();  // empty in amendments recorded before it was asked
               return true;
             });
  // `note(m)`: the words the history shows (a close's summary, a stop's
  // reason).
  auto status_fact = [&r](const google::protobuf::Descriptor* d, ChangeStatus status, auto tag,
                          auto note) {
    using Msg = decltype(tag);
    r.Register(TypeName(d), [status, note](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
      auto m_or = Unpack<Msg>(e);
      if (!m_or.ok()) return m_or.status();
      const auto* m = *m_or;
      if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
      f.kind = FactKind::kChangeStatusChanged;
      f.change_id = m->change_id();
      f.status = status;
      f.note = note(*m);
      return true;
    });
  };
  status_fact(intake::ChangeDeliveryStarted::descriptor(), ChangeStatus::kInDelivery,
              intake::ChangeDeliveryStarted(),
              [](const intake::ChangeDeliveryStarted&) { return std::string(); });
  status_fact(intake::ChangeClosed::descriptor(), ChangeStatus::kClosed, intake::ChangeClosed(),
              [](const intake::ChangeClosed& m) { return m.summary(); });
  status_fact(intake::ChangeStopped::descriptor(), ChangeStatus::kStopped, intake::ChangeStopped(),
              [](const intake::ChangeStopped& m) { return m.reason(); });

  r.Register(TypeName(intake::ProposalSubmitted::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::ProposalSubmitted>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->proposal_id(), "proposal_id"); !s.ok()) return s;
               f.kind = FactKind::kProposalSubmitted;
               f.proposal_id = m->proposal_id();
               f.proposal_business_area = m->business_area();
               return true;
             });
  r.Register(TypeName(intake::ProposalDecided::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::ProposalDecided>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->proposal_id(), "proposal_id"); !s.ok()) return s;
               f.kind = FactKind::kProposalDecided;
               f.proposal_id = m->proposal_id();
               switch (m->outcome()) {
                 case intake::DECISION_OUTCOME_APPROVED: f.outcome = ProposalOutcome::kApproved; break;
                 case intake::DECISION_OUTCOME_REJECTED: f.outcome = ProposalOutcome::kRejected; break;
                 case intake::DECISION_OUTCOME_DEFERRED: f.outcome = ProposalOutcome::kDeferred; break;
                 case intake::DECISION_OUTCOME_RETURNED: f.outcome = ProposalOutcome::kReturned; break;
                 default: f.outcome = ProposalOutcome::kUnspecified; break;
               }
               // Who decided, when, on what conditions and why.
               f.note = absl::StrCat("chair=\"", ShortNote(m->chair()), "\"");
               if (m->has_meeting_date()) {
                 absl::StrAppend(&f.note, " meeting_date=", DateWords(m->meeting_date()));
               }
               if (!m->conditions().empty()) {
                 absl::StrAppend(&f.note, " conditions=\"",
                                 ShortNote(absl::StrJoin(m->conditions(), "; ")), "\"");
               }
               if (!m->rationale().empty()) {
                 absl::StrAppend(&f.note, " rationale=\"", ShortNote(m->rationale()), "\"");
               }
               return true;
             });
  // History only: the audit trail of a change includes its proposal's life.
  auto proposal_other = [&r](const google::protobuf::Descriptor* d, auto tag) {
    using Msg = decltype(tag);
    r.Register(TypeName(d), [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
      auto m_or = Unpack<Msg>(e);
      if (!m_or.ok()) return m_or.status();
      const auto* m = *m_or;
      if (auto s = RequireId(e, m->proposal_id(), "proposal_id"); !s.ok()) return s;
      f.kind = FactKind::kProposalOther;
      f.proposal_id = m->proposal_id();
      return true;
    });
  };
  proposal_other(intake::ProposalDrafted::descriptor(), intake::ProposalDrafted());
  proposal_other(intake::ProposalAmended::descriptor(), intake::ProposalAmended());
  r.Register(TypeName(intake::ProposalWithdrawn::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::ProposalWithdrawn>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->proposal_id(), "proposal_id"); !s.ok()) return s;
               f.kind = FactKind::kProposalWithdrawn;
               f.proposal_id = m->proposal_id();
               f.note = m->reason();
               return true;
             });
  proposal_other(intake::AssessmentStarted::descriptor(), intake::AssessmentStarted());
  r.Register(TypeName(intake::AssessmentRecorded::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<intake::AssessmentRecorded>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->proposal_id(), "proposal_id"); !s.ok()) return s;
               f.kind = FactKind::kProposalOther;
               f.proposal_id = m->proposal_id();
               // The scores (the assessor is the event's actor).
               const intake::Assessment& a = m->assessment();
               f.note = absl::StrCat("desirable=", a.desirable().score(),
                                     " deliverable=", a.deliverable().score(),
                                     " affordable=", a.affordable().score());
               return true;
             });
}

void RegisterClassificationAdapters(AdapterRegistry& r) {
  r.AddTopic("changeledger.classification.v1");
  r.Register(TypeName(cls::ClassificationSuggested::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<cls::ClassificationSuggested>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kClassificationSuggested;
               f.change_id = m->change_id();
               f.classification = ToClassification(m->suggestion().classification());
               // A decision differs from it and stands until reviewed.
               if (m->review_required()) f.note = "review_required=true";
               return true;
             });
  r.Register(TypeName(cls::ClassificationConfirmed::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<cls::ClassificationConfirmed>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kClassificationConfirmed;
               f.change_id = m->change_id();
               f.classification = ToClassification(m->classification());
               f.suggestion_version = m->suggestion_version();
               f.note = m->note();
               return true;
             });
  r.Register(TypeName(cls::ClassificationOverridden::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<cls::ClassificationOverridden>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kClassificationOverridden;
               f.change_id = m->change_id();
               f.classification = ToClassification(m->classification());
               f.suggestion_version = m->suggestion_version();
               f.note = m->rationale();
               return true;
             });
  r.Register(TypeName(cls::ClassificationClosed::descriptor()),
             [](const Envelope& e, Fact& f) -> absl::StatusOr<bool> {
               auto m_or = Unpack<cls::ClassificationClosed>(e);
               if (!m_or.ok()) return m_or.status();
               const auto* m = *m_or;
               if (auto s = RequireId(e, m->change_id(), "change_id"); !s.ok()) return s;
               f.kind = FactKind::kClassificationClosed;
               f.change_id = m->change_id();
               switch (m->end()) {
                 case cls::CHANGE_END_CLOSED: f.status = ChangeStatus::kClosed; break;
                 case cls::CHANGE_END_STOPPED: f.status = ChangeStatus::kStopped; break;
                 default: f.status = ChangeStatus::kUnspecified; break;
               }
               return true;
             });
}

AdapterRegistry DefaultAdapters() {
  AdapterRegistry r;
  RegisterIntakeAdapters(r);
  RegisterClassificationAdapters(r);
  return r;
}

}  // namespace changeledger::portfolio
