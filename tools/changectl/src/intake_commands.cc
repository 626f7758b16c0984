// changectl proposals ..., changectl changes ..., changectl business-areas:
// one subcommand per IntakeService RPC (ImportReturn is `changectl import`).
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "app.h"
#include "changeledger/changectl/table.h"
#include "changeledger/changectl/values.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "render.h"

namespace changeledger::changectl {
namespace {

namespace iv1 = ::changeledger::intake::v1;
using Stub = iv1::IntakeService::Stub;

// Calls one intake RPC and prints its answer.
template <typename Resp>
int Call(App& app, const std::string& role,
         const std::function<grpc::Status(Stub&, const Conn&, Resp*)>& rpc,
         const std::function<std::string(const Resp&)>& table,
         const std::function<std::string(const Resp&)>& name = nullptr) {
  return CallService<iv1::IntakeService, Resp>(app, "intake", role, rpc, table, name);
}

// The flags that set ChangeAttributes, shared by create/update/register/amend.
struct AttributeFlags {
  std::string title, description, business_area, sponsor, cost, currency = "GBP", start, end;
  std::vector<std::string> teams;
  std::string data_and_digital, interdependent, sro_led, business_case, hypothesis, improves,
      technology, procurement, scope, interest, aims;
  uint32_t work_packages = 0, stakeholder_groups = 0;
  std::map<std::string, CLI::Option*> options;  // mask path -> option

  void Register(CLI::App* sub) {
    auto add = [&](const std::string& path, const std::string& flag, std::string* target,
                   const std::string& help) {
      options[path] = sub->add_option(flag, *target, help);
    };
    add("title", "--title", &title, "Title, 1..200 characters");
    add("description", "--description", &description, "What the change is and why");
    add("business_area", "--business-area,--area", &business_area,
        "Business area code, e.g. MO (see `changectl business-areas`)");
    add("sponsor", "--sponsor", &sponsor, "SRO or project executive");
    options["teams"] = sub->add_option("--team", teams, "A team or department involved (repeat)");
    add("data_and_digital", "--data-and-digital", &data_and_digital, "yes/no: data and digital change");
    add("estimated_cost", "--cost", &cost, "Estimated cost in major units, e.g. 1250000.00");
    sub->add_option("--currency", currency,
                    "Currency of --cost: intake accepts GBP only, the currency the portfolio "
                    "reports in")->capture_default_str();
    add("planned_start", "--start", &start, "Planned start, YYYY-MM-DD");
    add("planned_end", "--end", &end, "Planned end, YYYY-MM-DD");
    add("features.interdependent_projects", "--interdependent-projects", &interdependent,
        "yes/no: a programme of interdependent projects");
    add("features.sro_led", "--sro-led", &sro_led, "yes/no: led by a named SRO");
    add("features.has_business_case", "--business-case", &business_case,
        "yes/no: agreed mandate and business case");
    add("features.tests_hypothesis", "--tests-hypothesis", &hypothesis,
        "yes/no: an experiment, proof of concept or pilot");
    add("features.improves_established_service", "--improves-established-service", &improves,
        "yes/no: a local improvement to an established service");
    add("features.organisational_scope", "--scope", &scope,
        "local | business_area | cross_business_area | organisation_wide");
    options["features.work_packages"] =
        sub->add_option("--work-packages", work_packages, "Number of projects or work packages");
    add("features.technology_and_data_implications", "--technology-and-data", &technology,
        "yes/no: technology or data implications");
    add("features.third_party_procurement", "--procurement", &procurement,
        "yes/no: needs a third-party procurement");
    add("features.public_or_political_interest", "--public-interest", &interest,
        "none | low | medium | high");
    options["features.impacted_stakeholder_groups"] = sub->add_option(
        "--stakeholder-groups", stakeholder_groups, "Number of impacted stakeholder groups");
    add("features.clarity_of_aims", "--aims", &aims, "clear | evolving | unclear");
  }

  bool Given(const std::string& path) const { return options.at(path)->count() > 0; }

  // Fills `a` from the flags given; `paths` receives their mask paths.
  absl::Status Apply(iv1::ChangeAttributes* a, std::vector<std::string>* paths) const {
    std::vector<std::string> errors;
    auto boolean = [&](const std::string& path, const std::string& text, auto set) {
      if (!Given(path)) return;
      auto v = ParseBool(text);
      if (v.ok()) {
        set(*v);
      } else {
        errors.push_back(absl::StrCat(options.at(path)->get_name(), ": ", v.status().message()));
      }
    };
    auto* x = a->mutable_features();
    if (Given("title")) a->set_title(title);
    if (Given("description")) a->set_description(description);
    if (Given("business_area")) a->set_business_area(business_area);
    if (Given("sponsor")) a->set_sponsor(sponsor);
    if (Given("teams")) {
      a->clear_teams();
      for (const auto& t : teams) a->add_teams(t);
    }
    boolean("data_and_digital", data_and_digital, [&](bool v) { a->set_data_and_digital(v); });
    if (Given("estimated_cost")) {
      auto m = ParseMoney(cost, currency);
      if (m.ok()) *a->mutable_estimated_cost() = *m;
      else errors.push_back(absl::StrCat("--cost: ", m.status().message()));
    }
    if (Given("planned_start")) {
      auto d = ParseDate(start);
      if (d.ok()) *a->mutable_planned_start() = *d;
      else errors.push_back(absl::StrCat("--start: ", d.status().message()));
    }
    if (Given("planned_end")) {
      auto d = ParseDate(end);
      if (d.ok()) *a->mutable_planned_end() = *d;
      else errors.push_back(absl::StrCat("--end: ", d.status().message()));
    }
    boolean("features.interdependent_projects", interdependent,
            [&](bool v) { x->set_interdependent_projects(v); });
    boolean("features.sro_led", sro_led, [&](bool v) { x->set_sro_led(v); });
    boolean("features.has_business_case", business_case, [&](bool v) { x->set_has_business_case(v); });
    boolean("features.tests_hypothesis", hypothesis, [&](bool v) { x->set_tests_hypothesis(v); });
    boolean("features.improves_established_service", improves,
            [&](bool v) { x->set_improves_established_service(v); });
    boolean("features.technology_and_data_implications", technology,
            [&](bool v) { x->set_technology_and_data_implications(v); });
    boolean("features.third_party_procurement", procurement,
            [&](bool v) { x->set_third_party_procurement(v); });
    if (Given("features.organisational_scope")) {
      auto v = ParseScope(scope);
      if (v.ok()) x->set_organisational_scope(*v);
      else errors.push_back(absl::StrCat("--scope: ", v.status().message()));
    }
    if (Given("features.public_or_political_interest")) {
      auto v = ParseInterest(interest);
      if (v.ok()) x->set_public_or_political_interest(*v);
      else errors.push_back(absl::StrCat("--public-interest: ", v.status().message()));
    }
    if (Given("features.clarity_of_aims")) {
      auto v = ParseAims(aims);
      if (v.ok()) x->set_clarity_of_aims(*v);
      else errors.push_back(absl::StrCat("--aims: ", v.status().message()));
    }
    if (Given("features.work_packages")) x->set_work_packages(work_packages);
    if (Given("features.impacted_stakeholder_groups")) {
      x->set_impacted_stakeholder_groups(stakeholder_groups);
    }
    if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
    for (const auto& [path, option] : options) {
      if (option->count() > 0) paths->push_back(path);
    }
    return absl::OkStatus();
  }
};

struct CommandFlags {
  std::string request_id;
  uint64_t expected_version = 0;
  void Register(CLI::App* sub, bool versioned = true) {
    sub->add_option("--request-id", request_id, kRequestIdHelp);
    if (versioned) {
      sub->add_option("--expected-version", expected_version,
                      "Fail with ABORTED unless the resource is at this version (0: do not check)");
    }
  }
};

std::string ProposalTable(const iv1::Proposal& p) { return RenderProposal(p); }
std::string ProposalName(const iv1::Proposal& p) { return p.name(); }
std::string ChangeTable(const iv1::Change& c) { return RenderChange(c); }
std::string ChangeName(const iv1::Change& c) { return c.name(); }

// Resolves NAME for `collection` or reports a usage error.
bool Name(App& app, const std::string& collection, const std::string& text, std::string* out,
          int* code) {
  auto name = ResourceName(collection, text);
  if (!name.ok()) {
    *code = app.Usage(std::string(name.status().message()));
    return false;
  }
  *out = *name;
  return true;
}

// The yes/no filters both list commands take: data and digital, and the
// tier-relevant features (ListProposalsRequest and ListChangesRequest name
// them alike).
struct FlagFilters {
  std::string data_and_digital, interdependent, sro_led, business_case, hypothesis,
      improves;

  void AddTo(CLI::App* sub) {
    sub->add_option("--data-and-digital", data_and_digital, "yes/no");
    sub->add_option("--interdependent-projects", interdependent, "yes/no");
    sub->add_option("--sro-led", sro_led, "yes/no");
    sub->add_option("--business-case", business_case, "yes/no");
    sub->add_option("--tests-hypothesis", hypothesis, "yes/no");
    sub->add_option("--improves-established-service", improves, "yes/no");
  }

  // Sets the filters given on `request`; an error names the flag.
  template <typename Request>
  absl::Status ApplyTo(Request& request) const {
    struct Filter {
      const std::string& text;
      const char* flag;
      void (Request::*set)(bool);
    };
    for (const Filter& f :
         {Filter{data_and_digital, "--data-and-digital", &Request::set_data_and_digital},
          Filter{interdependent, "--interdependent-projects",
                 &Request::set_interdependent_projects},
          Filter{sro_led, "--sro-led", &Request::set_sro_led},
          Filter{business_case, "--business-case", &Request::set_has_business_case},
          Filter{hypothesis, "--tests-hypothesis", &Request::set_tests_hypothesis},
          Filter{improves, "--improves-established-service",
                 &Request::set_improves_established_service}}) {
      if (f.text.empty()) continue;
      auto v = ParseBool(f.text);
      if (!v.ok())
        return absl::InvalidArgumentError(
            absl::StrCat(f.flag, ": ", v.status().message()));
      (request.*f.set)(*v);
    }
    return absl::OkStatus();
  }
};

const char* kProposalFooterCreate =
    "\nThe caller becomes the proposer. Only --title and --business-area are needed to\n"
    "create a draft; --description, --sponsor, --start, --end and --cost must be set\n"
    "before it can be submitted. Prints the proposal (-o name: just its name).\n";

void AddProposalCommands(CLI::App& cli, App& app) {
  auto* group = cli.add_subcommand("proposals", "The front door: change proposals (IntakeService)");
  group->alias("proposal");
  group->require_subcommand(1);
  group->footer(ExampleFooter({"changectl proposals list --state submitted",
                               "changectl proposals create --title 'NLP proof of concept' --area MO"}));

  {  // create
    auto* sub = group->add_subcommand("create", "Create a draft proposal (CreateProposal; role proposer)");
    auto attrs = std::make_shared<AttributeFlags>();
    auto flags = std::make_shared<CommandFlags>();
    attrs->Register(sub);
    flags->Register(sub, false);
    sub->footer(std::string(kProposalFooterCreate) +
                ExampleFooter({"changectl proposals create --request-id \"$(uuidgen)\" --title 'NLP "
                               "proof of concept' --area MO --tests-hypothesis yes --aims "
                               "evolving"}));
    app.Define(sub, [&app, attrs, flags] {
      iv1::CreateProposalRequest req;
      req.set_request_id(flags->request_id);
      std::vector<std::string> paths;
      if (auto s = attrs->Apply(req.mutable_attributes(), &paths); !s.ok()) {
        return app.Usage(std::string(s.message()));
      }
      return Call<iv1::Proposal>(
          app, "proposer",
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) { return s.CreateProposal(conn.NewCall().get(), req, r); },
          ProposalTable, ProposalName);
    });
  }
  {  // update
    auto* sub = group->add_subcommand(
        "update", "Amend a draft or returned proposal (UpdateProposal; role proposer, own only)");
    auto attrs = std::make_shared<AttributeFlags>();
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "proposals/<id> or <id>")->required();
    attrs->Register(sub);
    flags->Register(sub);
    sub->footer("\nOnly the attributes given are replaced (an update mask of their paths).\n" +
                ExampleFooter({"changectl proposals update 5f0c... --sponsor 'Cdr Jane Smith' "
                               "--start 2021-09-01 --end 2022-03-31 --cost 250000"}));
    app.Define(sub, [&app, attrs, flags, name] {
      int code = 0;
      iv1::UpdateProposalRequest req;
      if (!Name(app, "proposals", *name, req.mutable_name(), &code)) return code;
      req.set_request_id(flags->request_id);
      req.set_expected_version(flags->expected_version);
      std::vector<std::string> paths;
      if (auto s = attrs->Apply(req.mutable_attributes(), &paths); !s.ok()) {
        return app.Usage(std::string(s.message()));
      }
      if (paths.empty()) return app.Usage("nothing to update: give at least one attribute flag");
      for (const auto& p : paths) req.mutable_update_mask()->add_paths(p);
      return Call<iv1::Proposal>(
          app, "proposer",
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) { return s.UpdateProposal(conn.NewCall().get(), req, r); },
          ProposalTable, ProposalName);
    });
  }
  // Commands that take NAME and the common flags only.
  struct Simple {
    const char* command;
    const char* help;
    const char* role;
    const char* example;
  };
  for (const Simple& simple : {
           Simple{"submit", "Submit a draft or returned proposal to the front door "
                            "(SubmitProposal; role proposer)",
                  "proposer", "changectl proposals submit 5f0c... --request-id \"$(uuidgen)\""},
           Simple{"start-assessment", "Take a submitted or deferred proposal into assessment "
                                      "(StartAssessment; role panel)",
                  "panel", "changectl proposals start-assessment 5f0c..."},
           Simple{"get", "Show one proposal (GetProposal; every role)", "auditor",
                  "changectl proposals get 5f0c... -o json"},
       }) {
    auto* sub = group->add_subcommand(simple.command, simple.help);
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "proposals/<id> or <id>")->required();
    const std::string command = simple.command;
    if (command != "get") flags->Register(sub);
    sub->footer(ExampleFooter({simple.example}));
    const std::string role = simple.role;
    app.Define(sub, [&app, flags, name, command, role] {
      int code = 0;
      std::string resource;
      if (!Name(app, "proposals", *name, &resource, &code)) return code;
      return Call<iv1::Proposal>(
          app, role,
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) {
            if (command == "submit") {
              iv1::SubmitProposalRequest req;
              req.set_name(resource);
              req.set_request_id(flags->request_id);
              req.set_expected_version(flags->expected_version);
              return s.SubmitProposal(conn.NewCall().get(), req, r);
            }
            if (command == "start-assessment") {
              iv1::StartAssessmentRequest req;
              req.set_name(resource);
              req.set_request_id(flags->request_id);
              req.set_expected_version(flags->expected_version);
              return s.StartAssessment(conn.NewCall().get(), req, r);
            }
            iv1::GetProposalRequest req;
            req.set_name(resource);
            return s.GetProposal(conn.NewCall().get(), req, r);
          },
          ProposalTable, ProposalName);
    });
  }
  {  // withdraw
    auto* sub = group->add_subcommand(
        "withdraw", "Withdraw a proposal without a final decision (WithdrawProposal; role proposer)");
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "proposals/<id> or <id>")->required();
    sub->add_option("--reason", *reason, "Why (0..2000 characters)");
    flags->Register(sub);
    sub->footer(ExampleFooter({"changectl proposals withdraw 5f0c... --reason 'merged into CONNECT'"}));
    app.Define(sub, [&app, flags, name, reason] {
      int code = 0;
      iv1::WithdrawProposalRequest req;
      if (!Name(app, "proposals", *name, req.mutable_name(), &code)) return code;
      req.set_request_id(flags->request_id);
      req.set_expected_version(flags->expected_version);
      req.set_reason(*reason);
      return Call<iv1::Proposal>(
          app, "proposer",
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) { return s.WithdrawProposal(conn.NewCall().get(), req, r); },
          ProposalTable, ProposalName);
    });
  }
  {  // assess
    auto* sub = group->add_subcommand(
        "assess", "Record your desirable / deliverable / affordable scores (RecordAssessment; role panel)");
    sub->alias("record-assessment");
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    struct Scores {
      int desirable = 0, deliverable = 0, affordable = 0;
      std::string desirable_why, deliverable_why, affordable_why;
    };
    auto scores = std::make_shared<Scores>();
    sub->add_option("NAME", *name, "proposals/<id> or <id>")->required();
    sub->add_option("--desirable", scores->desirable, "1 (poor) .. 5 (strong)")->required();
    sub->add_option("--desirable-why", scores->desirable_why, "Rationale for the score")->required();
    sub->add_option("--deliverable", scores->deliverable, "1 .. 5")->required();
    sub->add_option("--deliverable-why", scores->deliverable_why, "Rationale")->required();
    sub->add_option("--affordable", scores->affordable, "1 .. 5")->required();
    sub->add_option("--affordable-why", scores->affordable_why, "Rationale")->required();
    flags->Register(sub);
    sub->footer("\nA panel member's second assessment replaces their first.\n" +
                ExampleFooter({"changectl proposals assess 5f0c... --desirable 4 --desirable-why "
                               "'fits Met Direction' --deliverable 3 --deliverable-why 'needs "
                               "data engineers' --affordable 4 --affordable-why 'within budget'"}));
    app.Define(sub, [&app, flags, name, scores] {
      int code = 0;
      iv1::RecordAssessmentRequest req;
      if (!Name(app, "proposals", *name, req.mutable_name(), &code)) return code;
      req.set_request_id(flags->request_id);
      req.set_expected_version(flags->expected_version);
      req.mutable_desirable()->set_score(scores->desirable);
      req.mutable_desirable()->set_rationale(scores->desirable_why);
      req.mutable_deliverable()->set_score(scores->deliverable);
      req.mutable_deliverable()->set_rationale(scores->deliverable_why);
      req.mutable_affordable()->set_score(scores->affordable);
      req.mutable_affordable()->set_rationale(scores->affordable_why);
      return Call<iv1::Proposal>(
          app, "panel",
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) { return s.RecordAssessment(conn.NewCall().get(), req, r); },
          ProposalTable, ProposalName);
    });
  }
  {  // decide
    auto* sub = group->add_subcommand(
        "decide", "Record the panel's decision on a proposal under assessment (DecideProposal; role panel)");
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    struct Decision {
      std::string outcome, meeting_date, chair, rationale;
      std::vector<std::string> conditions;
    };
    auto d = std::make_shared<Decision>();
    sub->add_option("NAME", *name, "proposals/<id> or <id>")->required();
    sub->add_option("--outcome", d->outcome, "approved | rejected | deferred | returned")->required();
    sub->add_option("--meeting-date", d->meeting_date, "Date of the panel meeting, YYYY-MM-DD")->required();
    sub->add_option("--chair", d->chair, "Who chaired the meeting")->required();
    sub->add_option("--rationale", d->rationale, "Why");
    sub->add_option("--condition", d->conditions, "A condition attached to the decision (repeat)");
    flags->Register(sub);
    sub->footer("\nApproval needs at least one assessment and registers a change at once.\n"
                "The meeting date may not be in the future or before the day the proposal\n"
                "was last submitted.\n" +
                ExampleFooter({"changectl proposals decide 5f0c... --outcome approved "
                               "--meeting-date \"$(date -u +%F)\" --chair 'DAC Corporate Services' "
                               "--condition 'benefits profile by Q3'"}));
    app.Define(sub, [&app, flags, name, d] {
      int code = 0;
      iv1::DecideProposalRequest req;
      if (!Name(app, "proposals", *name, req.mutable_name(), &code)) return code;
      auto outcome = ParseDecisionOutcome(d->outcome);
      if (!outcome.ok()) return app.Usage(absl::StrCat("--outcome: ", outcome.status().message()));
      auto date = ParseDate(d->meeting_date);
      if (!date.ok()) return app.Usage(absl::StrCat("--meeting-date: ", date.status().message()));
      req.set_request_id(flags->request_id);
      req.set_expected_version(flags->expected_version);
      req.set_outcome(*outcome);
      *req.mutable_meeting_date() = *date;
      req.set_chair(d->chair);
      req.set_rationale(d->rationale);
      for (const auto& c : d->conditions) req.add_conditions(c);
      return Call<iv1::Proposal>(
          app, "panel",
          [&](Stub& s, const Conn& conn, iv1::Proposal* r) { return s.DecideProposal(conn.NewCall().get(), req, r); },
          ProposalTable, ProposalName);
    });
  }
  {  // list
    auto* sub = group->add_subcommand("list", "List proposals, oldest first (ListProposals; every role)");
    struct ListFlags {
      std::string area, state, proposer, page_token;
      FlagFilters flags;
      int page_size = 0;
      bool one_page = false;
    };
    auto f = std::make_shared<ListFlags>();
    sub->add_option("--area,--business-area", f->area, "Only this business area");
    sub->add_option("--state", f->state,
                    "draft | submitted | under_assessment | approved | rejected | deferred | "
                    "returned | withdrawn");
    sub->add_option("--proposer", f->proposer, "Only this proposer's");
    f->flags.AddTo(sub);
    sub->add_option("--page-size", f->page_size,
                    "Proposals per page (default 50; more than 1000 means 1000)");
    sub->add_option("--page-token", f->page_token, "Continue from a previous page (implies --one-page)");
    sub->add_flag("--one-page", f->one_page, "Fetch one page only (default: every page)");
    sub->footer(ExampleFooter({"changectl proposals list --state under_assessment",
                               "changectl proposals list --area MO -o json"}));
    app.Define(sub, [&app, f] {
      iv1::ListProposalsRequest req;
      req.set_business_area(f->area);
      req.set_proposer(f->proposer);
      req.set_page_size(f->page_size);
      req.set_page_token(f->page_token);
      if (!f->state.empty()) {
        auto state = ParseProposalState(f->state);
        if (!state.ok()) return app.Usage(absl::StrCat("--state: ", state.status().message()));
        req.set_state(*state);
      }
      if (absl::Status s = f->flags.ApplyTo(req); !s.ok())
        return app.Usage(std::string(s.message()));
      const bool all = !f->one_page && f->page_token.empty();
      return Call<iv1::ListProposalsResponse>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, iv1::ListProposalsResponse* out) {
            grpc::Status status = s.ListProposals(conn.NewCall().get(), req, out);
            while (status.ok() && all && !out->next_page_token().empty()) {
              req.set_page_token(out->next_page_token());
              iv1::ListProposalsResponse page;
              status = s.ListProposals(conn.NewCall().get(), req, &page);
              out->mutable_proposals()->MergeFrom(page.proposals());
              out->set_next_page_token(page.next_page_token());
            }
            return status;
          },
          [](const iv1::ListProposalsResponse& r) {
            PrintNextPage(r.next_page_token());
            return RenderProposals(r);
          },
          [](const iv1::ListProposalsResponse& r) {
            PrintNextPage(r.next_page_token());
            std::vector<std::string> names;
            for (const auto& p : r.proposals()) names.push_back(p.name());
            return absl::StrJoin(names, "\n");
          });
    });
  }
}


void AddChangeCommands(CLI::App& cli, App& app) {
  auto* group = cli.add_subcommand("changes", "The register of change (IntakeService)");
  group->alias("change");
  group->require_subcommand(1);
  group->footer(ExampleFooter({"changectl changes list --area MO --data-and-digital yes",
                               "changectl changes get 7d1e... -o json"}));
  {  // register
    auto* sub = group->add_subcommand(
        "register", "Register a change directly, not through the front door (RegisterChange; "
                    "role portfolio_office)");
    auto attrs = std::make_shared<AttributeFlags>();
    auto flags = std::make_shared<CommandFlags>();
    auto note = std::make_shared<std::string>();
    attrs->Register(sub);
    flags->Register(sub, false);
    sub->add_option("--note", *note, "Why it is registered directly");
    sub->footer("\n--title, --area and --sponsor are required.\n" +
                ExampleFooter({"changectl changes register --request-id \"$(uuidgen)\" --title "
                               "'Update stop and search SOP' --area MO --sponsor 'Supt A. "
                               "Jones' --improves-established-service yes --scope local"}));
    app.Define(sub, [&app, attrs, flags, note] {
      iv1::RegisterChangeRequest req;
      req.set_request_id(flags->request_id);
      req.set_note(*note);
      std::vector<std::string> paths;
      if (auto s = attrs->Apply(req.mutable_attributes(), &paths); !s.ok()) {
        return app.Usage(std::string(s.message()));
      }
      return Call<iv1::Change>(
          app, "portfolio_office",
          [&](Stub& s, const Conn& conn, iv1::Change* r) {
            return s.RegisterChange(conn.NewCall().get(), req, r);
          },
          ChangeTable, ChangeName);
    });
  }
  {  // amend
    auto* sub = group->add_subcommand(
        "amend", "Amend a registered or in-delivery change (AmendChange; role portfolio_office)");
    auto attrs = std::make_shared<AttributeFlags>();
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    auto reason = std::make_shared<std::string>();
    sub->add_option("NAME", *name, "changes/<id> or <id>")->required();
    sub->add_option("--reason", *reason,
                    "Why the change is amended (required, 1..2000 characters); recorded with "
                    "the amendment and shown in the change's history")
        ->required();
    attrs->Register(sub);
    flags->Register(sub);
    sub->footer("\nOnly the attributes given are replaced (an update mask of their paths).\n" +
                ExampleFooter({"changectl changes amend 7d1e... --team 'Digital Policing' --team "
                               "'Met Operations' --work-packages 6 --reason 'Met Operations "
                               "joined at the June board'"}));
    app.Define(sub, [&app, attrs, flags, name, reason] {
      int code = 0;
      iv1::AmendChangeRequest req;
      if (!Name(app, "changes", *name, req.mutable_name(), &code)) return code;
      req.set_request_id(flags->request_id);
      req.set_expected_version(flags->expected_version);
      req.set_reason(*reason);
      std::vector<std::string> paths;
      if (auto s = attrs->Apply(req.mutable_attributes(), &paths); !s.ok()) {
        return app.Usage(std::string(s.message()));
      }
      if (paths.empty()) return app.Usage("nothing to amend: give at least one attribute flag");
      for (const auto& p : paths) req.mutable_update_mask()->add_paths(p);
      return Call<iv1::Change>(
          app, "portfolio_office",
          [&](Stub& s, const Conn& conn, iv1::Change* r) {
            return s.AmendChange(conn.NewCall().get(), req, r);
          },
          ChangeTable, ChangeName);
    });
  }
  struct Simple {
    const char* command;
    const char* help;
    const char* text_flag;  // "" when none
    const char* text_help;
    const char* example;
  };
  for (const Simple& simple : {
           Simple{"start-delivery", "registered -> in delivery (StartDelivery; role portfolio_office)",
                  "", "", "changectl changes start-delivery 7d1e..."},
           Simple{"close", "in delivery -> closed (CloseChange; role portfolio_office)", "--summary",
                  "What was delivered", "changectl changes close 7d1e... --summary 'live in all BCUs'"},
           Simple{"stop", "registered or in delivery -> stopped (StopChange; role portfolio_office)",
                  "--reason", "Why it was stopped (required)",
                  "changectl changes stop 7d1e... --reason 'superseded by CONNECT'"},
           Simple{"get", "Show one change (GetChange; every role)", "", "",
                  "changectl changes get 7d1e... -o json"},
       }) {
    auto* sub = group->add_subcommand(simple.command, simple.help);
    auto flags = std::make_shared<CommandFlags>();
    auto name = std::make_shared<std::string>();
    auto text = std::make_shared<std::string>();
    const std::string command = simple.command;
    sub->add_option("NAME", *name, "changes/<id> or <id>")->required();
    if (*simple.text_flag != '\0') {
      auto* opt = sub->add_option(simple.text_flag, *text, simple.text_help);
      if (command == "stop") opt->required();
    }
    if (command != "get") flags->Register(sub);
    sub->footer(ExampleFooter({simple.example}));
    app.Define(sub, [&app, flags, name, text, command] {
      int code = 0;
      std::string resource;
      if (!Name(app, "changes", *name, &resource, &code)) return code;
      return Call<iv1::Change>(
          app, command == "get" ? "auditor" : "portfolio_office",
          [&](Stub& s, const Conn& conn, iv1::Change* r) {
            if (command == "start-delivery") {
              iv1::StartDeliveryRequest req;
              req.set_name(resource);
              req.set_request_id(flags->request_id);
              req.set_expected_version(flags->expected_version);
              return s.StartDelivery(conn.NewCall().get(), req, r);
            }
            if (command == "close") {
              iv1::CloseChangeRequest req;
              req.set_name(resource);
              req.set_request_id(flags->request_id);
              req.set_expected_version(flags->expected_version);
              req.set_summary(*text);
              return s.CloseChange(conn.NewCall().get(), req, r);
            }
            if (command == "stop") {
              iv1::StopChangeRequest req;
              req.set_name(resource);
              req.set_request_id(flags->request_id);
              req.set_expected_version(flags->expected_version);
              req.set_reason(*text);
              return s.StopChange(conn.NewCall().get(), req, r);
            }
            iv1::GetChangeRequest req;
            req.set_name(resource);
            return s.GetChange(conn.NewCall().get(), req, r);
          },
          ChangeTable, ChangeName);
    });
  }
  {  // list
    auto* sub = group->add_subcommand(
        "list", "List changes in registration order (ListChanges; every role)");
    struct ListFlags {
      std::string area, status, return_reference, page_token;
      FlagFilters flags;
      int page_size = 0;
      bool one_page = false;
    };
    auto f = std::make_shared<ListFlags>();
    sub->add_option("--area,--business-area", f->area, "Only this business area");
    sub->add_option("--status", f->status, "registered | in_delivery | closed | stopped");
    sub->add_option("--return", f->return_reference, "Only changes imported from this return");
    f->flags.AddTo(sub);
    sub->add_option("--page-size", f->page_size,
                    "Changes per page (default 50; more than 1000 means 1000)");
    sub->add_option("--page-token", f->page_token, "Continue from a previous page (implies --one-page)");
    sub->add_flag("--one-page", f->one_page, "Fetch one page only (default: every page)");
    sub->footer(ExampleFooter({"changectl changes list --area MO --status in_delivery",
                               "changectl changes list --return example-baseline-2021-05-12 -o name"}));
    app.Define(sub, [&app, f] {
      iv1::ListChangesRequest req;
      req.set_business_area(f->area);
      req.set_return_reference(f->return_reference);
      req.set_page_size(f->page_size);
      req.set_page_token(f->page_token);
      if (!f->status.empty()) {
        auto status = ParseChangeStatus(f->status);
        if (!status.ok()) return app.Usage(absl::StrCat("--status: ", status.status().message()));
        req.set_status(*status);
      }
      if (absl::Status s = f->flags.ApplyTo(req); !s.ok())
        return app.Usage(std::string(s.message()));
      const bool all = !f->one_page && f->page_token.empty();
      return Call<iv1::ListChangesResponse>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, iv1::ListChangesResponse* out) {
            grpc::Status status = s.ListChanges(conn.NewCall().get(), req, out);
            while (status.ok() && all && !out->next_page_token().empty()) {
              req.set_page_token(out->next_page_token());
              iv1::ListChangesResponse page;
              status = s.ListChanges(conn.NewCall().get(), req, &page);
              out->mutable_changes()->MergeFrom(page.changes());
              out->set_next_page_token(page.next_page_token());
            }
            return status;
          },
          [](const iv1::ListChangesResponse& r) {
            PrintNextPage(r.next_page_token());
            return RenderChanges(r);
          },
          [](const iv1::ListChangesResponse& r) {
            PrintNextPage(r.next_page_token());
            std::vector<std::string> names;
            for (const auto& c : r.changes()) names.push_back(c.name());
            return absl::StrJoin(names, "\n");
          });
    });
  }
}

void AddBusinessAreasCommand(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "business-areas", "List the business areas a change may belong to (ListBusinessAreas; every role)");
  sub->footer(ExampleFooter({"changectl business-areas"}));
  app.Define(sub, [&app] {
    iv1::ListBusinessAreasRequest req;
    return Call<iv1::ListBusinessAreasResponse>(
        app, "auditor",
        [&](Stub& s, const Conn& conn, iv1::ListBusinessAreasResponse* r) {
          return s.ListBusinessAreas(conn.NewCall().get(), req, r);
        },
        [](const iv1::ListBusinessAreasResponse& r) {
          Table t({"CODE", "NAME", "DESCRIPTION"});
          for (const auto& a : r.business_areas()) t.AddRow({a.code(), a.name(), a.description()});
          return t.Render();
        },
        [](const iv1::ListBusinessAreasResponse& r) {
          std::vector<std::string> codes;
          for (const auto& a : r.business_areas()) codes.push_back(a.code());
          return absl::StrJoin(codes, "\n");
        });
  });
}

}  // namespace

void AddIntakeCommands(CLI::App& cli, App& app) {
  AddProposalCommands(cli, app);
  AddChangeCommands(cli, app);
  AddBusinessAreasCommand(cli, app);
}

}  // namespace changeledger::changectl
