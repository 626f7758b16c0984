#include "render.h"

#include <ctime>

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "changeledger/changectl/table.h"
#include "changeledger/changectl/values.h"

namespace changeledger::changectl {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string YesNo(bool b) { return b ? "yes" : "no"; }

void AddAttributes(const intake::v1::ChangeAttributes& a, Fields* f) {
  f->push_back({"title", a.title()});
  f->push_back({"business area", a.business_area()});
  f->push_back({"sponsor", a.sponsor()});
  if (!a.description().empty()) f->push_back({"description", a.description()});
  if (a.teams_size() > 0) f->push_back({"teams", absl::StrJoin(a.teams(), "; ")});
  f->push_back({"data and digital", YesNo(a.data_and_digital())});
  if (a.has_estimated_cost()) f->push_back({"estimated cost", FormatMoney(a.estimated_cost())});
  if (a.has_planned_start() || a.has_planned_end()) {
    f->push_back({"planned", absl::StrCat(FormatDate(a.planned_start()), " .. ",
                                          FormatDate(a.planned_end()))});
  }
  const auto& x = a.features();
  std::vector<std::string> kind;
  if (x.interdependent_projects()) kind.push_back("interdependent projects");
  if (x.sro_led()) kind.push_back("SRO-led");
  if (x.has_business_case()) kind.push_back("business case");
  if (x.tests_hypothesis()) kind.push_back("tests a hypothesis");
  if (x.improves_established_service()) kind.push_back("improves an established service");
  if (!kind.empty()) f->push_back({"kind of work", absl::StrJoin(kind, ", ")});
  if (x.organisational_scope() != 0) {
    f->push_back({"scope", EnumWord(intake::v1::OrganisationalScope_descriptor(),
                                    x.organisational_scope())});
  }
  std::vector<std::string> structural;
  if (x.work_packages() > 0) structural.push_back(absl::StrCat(x.work_packages(), " work packages"));
  if (x.technology_and_data_implications()) structural.push_back("technology and data");
  if (x.third_party_procurement()) structural.push_back("third-party procurement");
  if (!structural.empty()) f->push_back({"structural", absl::StrJoin(structural, ", ")});
  std::vector<std::string> social;
  if (x.public_or_political_interest() != 0) {
    social.push_back(absl::StrCat(
        EnumWord(intake::v1::InterestLevel_descriptor(), x.public_or_political_interest()),
        " public/political interest"));
  }
  if (x.impacted_stakeholder_groups() > 0) {
    social.push_back(absl::StrCat(x.impacted_stakeholder_groups(), " stakeholder groups"));
  }
  if (!social.empty()) f->push_back({"socio-political", absl::StrJoin(social, ", ")});
  if (x.clarity_of_aims() != 0) {
    f->push_back({"aims", EnumWord(intake::v1::AimsClarity_descriptor(), x.clarity_of_aims())});
  }
}

}  // namespace

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "";
  std::time_t t = static_cast<std::time_t>(ts.seconds());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatExactTimestamp(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

std::string OriginText(const intake::v1::ChangeOrigin& origin) {
  switch (origin.source_case()) {
    case intake::v1::ChangeOrigin::kProposalId:
      return absl::StrCat("proposal ", origin.proposal_id());
    case intake::v1::ChangeOrigin::kReturnRecord: {
      const intake::v1::ReturnOrigin& r = origin.return_record();
      std::string text =
          absl::StrCat("return ", r.return_reference(), " #", r.record_reference());
      if (r.has_as_of()) absl::StrAppend(&text, " (as of ", FormatDate(r.as_of()), ")");
      return text;
    }
    case intake::v1::ChangeOrigin::kDirectNote:
      return origin.direct_note().empty() ? "direct" : absl::StrCat("direct: ", origin.direct_note());
    default:
      return "";
  }
}

std::string RenderProposal(const intake::v1::Proposal& p) {
  Fields f;
  f.push_back({"name", p.name()});
  f.push_back({"state", EnumWord(intake::v1::ProposalState_descriptor(), p.state())});
  f.push_back({"proposer", p.proposer()});
  AddAttributes(p.attributes(), &f);
  for (const auto& a : p.assessments()) {
    f.push_back({"assessment", absl::StrCat(a.assessor(), ": desirable ", a.desirable().score(),
                                            ", deliverable ", a.deliverable().score(),
                                            ", affordable ", a.affordable().score())});
  }
  if (p.has_decision() && p.decision().outcome() != 0) {
    const auto& d = p.decision();
    f.push_back({"decision", absl::StrCat(EnumWord(intake::v1::DecisionOutcome_descriptor(),
                                                   d.outcome()),
                                          " on ", FormatDate(d.meeting_date()), " (chair ",
                                          d.chair(), ")")});
    if (!d.rationale().empty()) f.push_back({"rationale", d.rationale()});
    if (d.conditions_size() > 0) f.push_back({"conditions", absl::StrJoin(d.conditions(), "; ")});
  }
  if (!p.change().empty()) f.push_back({"change", p.change()});
  if (!p.withdraw_reason().empty()) f.push_back({"withdrawn because", p.withdraw_reason()});
  f.push_back({"version", absl::StrCat(p.version())});
  f.push_back({"created", FormatTimestamp(p.create_time())});
  if (p.has_submit_time()) f.push_back({"submitted", FormatTimestamp(p.submit_time())});
  f.push_back({"updated", FormatTimestamp(p.update_time())});
  return RenderFields(f);
}

std::string RenderChange(const intake::v1::Change& c) {
  Fields f;
  f.push_back({"name", c.name()});
  f.push_back({"status", EnumWord(intake::v1::ChangeStatus_descriptor(), c.status())});
  f.push_back({"origin", OriginText(c.origin())});
  AddAttributes(c.attributes(), &f);
  if (!c.close_summary().empty()) f.push_back({"closed", c.close_summary()});
  if (!c.stop_reason().empty()) f.push_back({"stopped because", c.stop_reason()});
  f.push_back({"version", absl::StrCat(c.version())});
  f.push_back({"created", FormatTimestamp(c.create_time())});
  f.push_back({"updated", FormatTimestamp(c.update_time())});
  return RenderFields(f);
}

std::string RenderProposals(const intake::v1::ListProposalsResponse& list) {
  Table t({"ID", "STATE", "AREA", "PROPOSER", "VERSION", "TITLE"});
  t.AlignRight(4);
  for (const auto& p : list.proposals()) {
    t.AddRow({ResourceId(p.name()), EnumWord(intake::v1::ProposalState_descriptor(), p.state()),
              p.attributes().business_area(), p.proposer(), absl::StrCat(p.version()),
              p.attributes().title()});
  }
  return t.Render();
}

std::string RenderChanges(const intake::v1::ListChangesResponse& list) {
  Table t({"ID", "STATUS", "AREA", "D&D", "TITLE", "ORIGIN"});
  for (const auto& c : list.changes()) {
    t.AddRow({ResourceId(c.name()), EnumWord(intake::v1::ChangeStatus_descriptor(), c.status()),
              c.attributes().business_area(), c.attributes().data_and_digital() ? "yes" : "no",
              c.attributes().title(), OriginText(c.origin())});
  }
  return t.Render();
}

}  // namespace changeledger::changectl
