// changectl classification ...: one subcommand per ClassificationService RPC.
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "app.h"
#include "changeledger/changectl/client_config.h"
#include "changeledger/changectl/table.h"
#include "changeledger/changectl/values.h"
#include "changeledger/classification/v1/classification.grpc.pb.h"
#include "render.h"

namespace changeledger::changectl {
namespace {

namespace cv1 = ::changeledger::classification::v1;
using Stub = cv1::ClassificationService::Stub;

template <typename Resp>
int Call(App& app, const std::string& role,
         const std::function<grpc::Status(Stub&, const Conn&, Resp*)>& rpc,
         const std::function<std::string(const Resp&)>& table,
         const std::function<std::string(const Resp&)>& name = nullptr) {
  return CallService<cv1::ClassificationService, Resp>(app, "classification", role, rpc, table,
                                                       name);
}

std::string TierWord(int t) { return EnumWord(cv1::Tier_descriptor(), t); }
std::string ComplexityWord(int c) { return EnumWord(cv1::Complexity_descriptor(), c); }
std::string StatusWord(int s) { return EnumWord(cv1::ClassificationStatus_descriptor(), s); }

std::string TypesText(const cv1::Classification& c) {
  std::vector<std::string> words;
  for (int t : c.types()) words.push_back(EnumWord(cv1::ComplexityType_descriptor(), t));
  return absl::StrJoin(words, ", ");
}

std::string ClassificationText(const cv1::Classification& c) {
  if (c.tier() == 0) return "";
  std::string out = absl::StrCat(TierWord(c.tier()), ", ", ComplexityWord(c.complexity()));
  if (c.types_size() > 0) absl::StrAppend(&out, " (", TypesText(c), ")");
  return out;
}

std::string RenderClassification(const cv1::ChangeClassification& c) {
  std::vector<std::pair<std::string, std::string>> f;
  f.push_back({"name", c.name()});
  f.push_back({"change", c.change()});
  f.push_back({"status", StatusWord(c.status())});
  f.push_back({"tier", TierWord(c.classification().tier())});
  f.push_back({"complexity", ComplexityWord(c.classification().complexity())});
  f.push_back({"complexity types", TypesText(c.classification())});
  // How a change of the tier shown is run: the overriding tier's after an override.
  if (!c.guidance().change_approach().empty()) {
    f.push_back({"change approach", c.guidance().change_approach()});
    f.push_back({"governance", c.guidance().governance()});
    f.push_back({"leadership", c.guidance().leadership()});
    f.push_back({"resourcing demand", c.guidance().resourcing_demand()});
    for (const std::string& line : c.guidance().type_guidance()) f.push_back({"type guidance", line});
  }
  if (c.has_decision() && c.decision().kind() != 0) {
    f.push_back({"decided", absl::StrCat(StatusWord(c.decision().kind()), " by ",
                                         c.decision().decided_by(), " at ",
                                         FormatTimestamp(c.decision().decide_time()))});
    if (!c.decision().rationale().empty()) f.push_back({"rationale", c.decision().rationale()});
  }
  if (c.review_pending()) {
    f.push_back({"in the queue since", FormatTimestamp(c.awaiting_since())});
  }
  if (c.end() != 0) f.push_back({"change ended", EnumWord(cv1::ChangeEnd_descriptor(), c.end())});
  const auto& s = c.latest_suggestion();
  if (s.classification().tier() != 0) {
    f.push_back({"suggested", ClassificationText(s.classification())});
  }
  f.push_back({"version", absl::StrCat(c.version())});
  std::string out = RenderFields(f);
  if (s.fired_rules_size() > 0) {
    absl::StrAppend(&out, "\nwhy (ruleset ", s.ruleset_id(), " v", s.ruleset_version(), ", ",
                    s.complexity_points(), " complexity points", 
                    s.complexity_raised_to_floor() ? ", raised to the tier's floor" : "",
                    s.types_from_most_points() ? ", types from the most points" : "", "):\n");
    Table t({"RULE", "EFFECT", "BECAUSE"});
    for (const auto& r : s.fired_rules()) {
      std::vector<std::string> because;
      for (const auto& m : r.matched()) because.push_back(absl::StrCat(m.condition(), " (", m.actual(), ")"));
      t.AddRow({absl::StrCat(r.rule_id(), r.decisive() ? " *" : ""), r.effect(),
                absl::StrJoin(because, "; ")});
    }
    absl::StrAppend(&out, t.Render());
  }
  if (c.history_size() > 0) {
    absl::StrAppend(&out, "\nhistory:\n");
    Table t({"VERSION", "WHEN", "EVENT", "ACTOR", "CLASSIFICATION", "RATIONALE"});
    t.AlignRight(0);
    for (const auto& h : c.history()) {
      t.AddRow({absl::StrCat(h.version()), FormatTimestamp(h.record_time()), h.event_type(),
                h.actor(), ClassificationText(h.classification()), h.rationale()});
    }
    absl::StrAppend(&out, t.Render());
  }
  return out;
}

// A change in review with a decision in force is listed under the decision
// (it stands until reviewed); what the office is asked to review is the
// newer suggestion, so the row names it too.
std::string ReviewText(const cv1::ChangeClassification& c) {
  if (!c.review_pending()) return "";
  if (!c.has_decision() || c.decision().kind() == 0) return "pending";
  return absl::StrCat("pending: suggested ",
                      ClassificationText(c.latest_suggestion().classification()));
}

template <typename List>
std::string RenderList(const List& list) {
  Table t({"CHANGE", "TIER", "COMPLEXITY", "TYPES", "STATUS", "REVIEW"});
  for (const auto& c : list.classifications()) {
    t.AddRow({ResourceId(c.change()), TierWord(c.classification().tier()),
              ComplexityWord(c.classification().complexity()), TypesText(c.classification()),
              StatusWord(c.status()), ReviewText(c)});
  }
  return t.Render() + absl::StrCat("(", list.classifications_size(), " of ", list.total_size(), ")\n");
}

template <typename List>
std::string ListNames(const List& list) {
  std::vector<std::string> names;
  for (const auto& c : list.classifications()) names.push_back(c.name());
  return absl::StrJoin(names, "\n");
}

// NAME may be a change id, "changes/<id>" or "classifications/<id>".
bool Name(App& app, const std::string& text, std::string* out, int* code) {
  std::string id = ResourceId(text);
  auto name = ResourceName("classifications", id);
  if (!name.ok() || text.empty()) {
    *code = app.Usage(absl::StrCat("\"", text, "\" is not a change id or classification name"));
    return false;
  }
  *out = *name;
  return true;
}

absl::StatusOr<cv1::Tier> ParseTier(const std::string& text) {
  for (int i = 1; i <= 4; ++i) {
    if (absl::AsciiStrToLower(text) == TierWord(i)) return static_cast<cv1::Tier>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not one of transformational, mandated, experimental, incremental"));
}
absl::StatusOr<cv1::Complexity> ParseComplexity(const std::string& text) {
  for (int i = 1; i <= 3; ++i) {
    if (absl::AsciiStrToLower(text) == ComplexityWord(i)) return static_cast<cv1::Complexity>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not one of low, medium, high"));
}
absl::StatusOr<cv1::ComplexityType> ParseType(const std::string& text) {
  std::string t = absl::AsciiStrToLower(text);
  for (char& ch : t) {
    if (ch == '-' || ch == ' ') ch = '_';
  }
  for (int i = 1; i <= 3; ++i) {
    if (t == EnumWord(cv1::ComplexityType_descriptor(), i)) return static_cast<cv1::ComplexityType>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not one of structural, socio_political, emergent"));
}
absl::StatusOr<cv1::ClassificationStatus> ParseStatus(const std::string& text) {
  std::string t = absl::AsciiStrToLower(text);
  for (char& ch : t) {
    if (ch == '-' || ch == ' ') ch = '_';
  }
  for (int i = 1; i <= 3; ++i) {
    if (t == StatusWord(i)) return static_cast<cv1::ClassificationStatus>(i);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not one of awaiting_confirmation, confirmed, overridden"));
}

}  // namespace

void AddClassificationCommands(CLI::App& cli, App& app) {
  auto* group = cli.add_subcommand(
      "classification", "The differentiated model: tier, complexity and types of each change "
                        "(ClassificationService)");
  group->alias("classifications");
  group->require_subcommand(1);
  group->footer(ExampleFooter({"changectl classification queue",
                               "changectl classification get 7d1e...",
                               "changectl classification list --tier mandated --complexity medium"}));
  {  // get
    auto* sub = group->add_subcommand(
        "get", "Show a change's classification, why the ruleset suggested it, and its history "
               "(GetClassification; every role)");
    auto name = std::make_shared<std::string>();
    auto wait = std::make_shared<std::string>();
    sub->add_option("CHANGE", *name, "Change id, changes/<id> or classifications/<id>")->required();
    sub->add_option("--wait", *wait,
                    "Keep asking while NOT_FOUND (the suggestion is made asynchronously after "
                    "the change is registered), up to this long, e.g. 20s");
    sub->footer(ExampleFooter({"changectl classification get 7d1e...",
                               "changectl classification get changes/7d1e... --wait 20s -o json"}));
    app.Define(sub, [&app, name, wait] {
      int code = 0;
      cv1::GetClassificationRequest req;
      if (!Name(app, *name, req.mutable_name(), &code)) return code;
      std::chrono::milliseconds patience{0};
      if (!wait->empty()) {
        auto d = ParseDuration(*wait);
        if (!d.ok()) return app.Usage(absl::StrCat("--wait: ", d.status().message()));
        patience = *d;
      }
      const auto until = std::chrono::steady_clock::now() + patience;
      return Call<cv1::ChangeClassification>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, cv1::ChangeClassification* r) {
            for (;;) {
              grpc::Status status = s.GetClassification(conn.NewCall().get(), req, r);
              if (status.error_code() != grpc::StatusCode::NOT_FOUND ||
                  std::chrono::steady_clock::now() >= until) {
                return status;
              }
              std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
          },
          RenderClassification, [](const cv1::ChangeClassification& c) { return c.name(); });
    });
  }
  {  // list
    auto* sub = group->add_subcommand(
        "list", "List classifications, filtered (ListClassifications; every role)");
    struct ListFlags {
      std::string tier, complexity, status, page_token;
      bool include_closed = false, one_page = false;
      int page_size = 0;
    };
    auto f = std::make_shared<ListFlags>();
    sub->add_option("--tier", f->tier, "transformational | mandated | experimental | incremental");
    sub->add_option("--complexity", f->complexity, "low | medium | high");
    sub->add_option("--status", f->status, "awaiting_confirmation | confirmed | overridden");
    sub->add_flag("--include-closed", f->include_closed, "Include closed and stopped changes");
    sub->add_option("--page-size", f->page_size,
                    "Per page (default 50; more than 500 means 500)");
    sub->add_option("--page-token", f->page_token, "Continue from a previous page (implies --one-page)");
    sub->add_flag("--one-page", f->one_page, "Fetch one page only (default: every page)");
    sub->footer(ExampleFooter({"changectl classification list --tier transformational",
                               "changectl classification list --status overridden -o json"}));
    app.Define(sub, [&app, f] {
      cv1::ListClassificationsRequest req;
      req.set_page_size(f->page_size);
      req.set_page_token(f->page_token);
      req.set_include_closed(f->include_closed);
      if (!f->tier.empty()) {
        auto v = ParseTier(f->tier);
        if (!v.ok()) return app.Usage(absl::StrCat("--tier: ", v.status().message()));
        req.set_tier(*v);
      }
      if (!f->complexity.empty()) {
        auto v = ParseComplexity(f->complexity);
        if (!v.ok()) return app.Usage(absl::StrCat("--complexity: ", v.status().message()));
        req.set_complexity(*v);
      }
      if (!f->status.empty()) {
        auto v = ParseStatus(f->status);
        if (!v.ok()) return app.Usage(absl::StrCat("--status: ", v.status().message()));
        req.set_status(*v);
      }
      const bool all = !f->one_page && f->page_token.empty();
      return Call<cv1::ListClassificationsResponse>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, cv1::ListClassificationsResponse* out) {
            grpc::Status status = s.ListClassifications(conn.NewCall().get(), req, out);
            while (status.ok() && all && !out->next_page_token().empty()) {
              req.set_page_token(out->next_page_token());
              cv1::ListClassificationsResponse page;
              status = s.ListClassifications(conn.NewCall().get(), req, &page);
              out->mutable_classifications()->MergeFrom(page.classifications());
              out->set_next_page_token(page.next_page_token());
            }
            return status;
          },
          RenderList<cv1::ListClassificationsResponse>,
          ListNames<cv1::ListClassificationsResponse>);
    });
  }
  {  // queue
    auto* sub = group->add_subcommand(
        "queue", "Changes awaiting a confirmed classification, oldest first "
                 "(ListClassificationQueue; every role)");
    auto one_page = std::make_shared<bool>(false);
    sub->add_flag("--one-page", *one_page, "Fetch one page only");
    sub->footer(ExampleFooter({"changectl classification queue"}));
    app.Define(sub, [&app, one_page] {
      cv1::ListClassificationQueueRequest req;
      return Call<cv1::ListClassificationQueueResponse>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, cv1::ListClassificationQueueResponse* out) {
            grpc::Status status = s.ListClassificationQueue(conn.NewCall().get(), req, out);
            while (status.ok() && !*one_page && !out->next_page_token().empty()) {
              req.set_page_token(out->next_page_token());
              cv1::ListClassificationQueueResponse page;
              status = s.ListClassificationQueue(conn.NewCall().get(), req, &page);
              out->mutable_classifications()->MergeFrom(page.classifications());
              out->set_next_page_token(page.next_page_token());
            }
            return status;
          },
          RenderList<cv1::ListClassificationQueueResponse>,
          ListNames<cv1::ListClassificationQueueResponse>);
    });
  }
  {  // confirm
    auto* sub = group->add_subcommand(
        "confirm", "Accept the latest suggestion (ConfirmClassification; role portfolio_office)");
    auto name = std::make_shared<std::string>();
    auto note = std::make_shared<std::string>();
    auto request_id = std::make_shared<std::string>();
    auto version = std::make_shared<uint64_t>(0);
    sub->add_option("CHANGE", *name, "Change id, changes/<id> or classifications/<id>")->required();
    sub->add_option("--expected-version", *version,
                    "The classification's version you read (see `get`); required")->required();
    sub->add_option("--note", *note, "A note kept with the confirmation");
    sub->add_option("--request-id", *request_id, kRequestIdHelp);
    sub->footer(ExampleFooter({"changectl classification confirm 7d1e... --expected-version 1"}));
    app.Define(sub, [&app, name, note, request_id, version] {
      int code = 0;
      cv1::ConfirmClassificationRequest req;
      if (!Name(app, *name, req.mutable_name(), &code)) return code;
      req.set_expected_version(*version);
      req.set_note(*note);
      req.set_request_id(*request_id);
      return Call<cv1::ChangeClassification>(
          app, "portfolio_office",
          [&](Stub& s, const Conn& conn, cv1::ChangeClassification* r) {
            return s.ConfirmClassification(conn.NewCall().get(), req, r);
          },
          RenderClassification, [](const cv1::ChangeClassification& c) { return c.name(); });
    });
  }
  {  // override
    auto* sub = group->add_subcommand(
        "override", "Set the classification yourself, with a rationale "
                    "(OverrideClassification; role portfolio_office)");
    struct OverrideFlags {
      std::string name, tier, complexity, rationale, request_id;
      std::vector<std::string> types;
      uint64_t version = 0;
    };
    auto f = std::make_shared<OverrideFlags>();
    sub->add_option("CHANGE", f->name, "Change id, changes/<id> or classifications/<id>")->required();
    sub->add_option("--tier", f->tier, "transformational | mandated | experimental | incremental")
        ->required();
    sub->add_option("--complexity", f->complexity, "low | medium | high")->required();
    sub->add_option("--type", f->types, "structural | socio_political | emergent (repeat)");
    sub->add_option("--rationale", f->rationale, "Why (required)")->required();
    sub->add_option("--expected-version", f->version,
                    "The classification's version you read (see `get`); required")->required();
    sub->add_option("--request-id", f->request_id, kRequestIdHelp);
    sub->footer(ExampleFooter({"changectl classification override 7d1e... --tier mandated "
                               "--complexity high --type structural --type socio_political "
                               "--rationale 'public interest is high' --expected-version 2"}));
    app.Define(sub, [&app, f] {
      int code = 0;
      cv1::OverrideClassificationRequest req;
      if (!Name(app, f->name, req.mutable_name(), &code)) return code;
      auto tier = ParseTier(f->tier);
      if (!tier.ok()) return app.Usage(absl::StrCat("--tier: ", tier.status().message()));
      auto complexity = ParseComplexity(f->complexity);
      if (!complexity.ok()) return app.Usage(absl::StrCat("--complexity: ", complexity.status().message()));
      req.mutable_classification()->set_tier(*tier);
      req.mutable_classification()->set_complexity(*complexity);
      for (const auto& t : f->types) {
        auto type = ParseType(t);
        if (!type.ok()) return app.Usage(absl::StrCat("--type: ", type.status().message()));
        req.mutable_classification()->add_types(*type);
      }
      req.set_rationale(f->rationale);
      req.set_expected_version(f->version);
      req.set_request_id(f->request_id);
      return Call<cv1::ChangeClassification>(
          app, "portfolio_office",
          [&](Stub& s, const Conn& conn, cv1::ChangeClassification* r) {
            return s.OverrideClassification(conn.NewCall().get(), req, r);
          },
          RenderClassification, [](const cv1::ChangeClassification& c) { return c.name(); });
    });
  }
  {  // what-if
    auto* sub = group->add_subcommand(
        "what-if", "Show whose classification a proposed ruleset would change; writes nothing "
                   "(WhatIfRuleset; every role)");
    auto file = std::make_shared<std::string>();
    auto max_items = std::make_shared<int>(0);
    sub->add_option("RULESET", *file, "The proposed ruleset, a YAML file")->required();
    sub->add_option("--max-items", *max_items, "List at most this many changed classifications");
    sub->footer(ExampleFooter({"changectl classification what-if my-ruleset-v2.yaml"}));
    app.Define(sub, [&app, file, max_items] {
      std::ifstream in(*file);
      if (!in) return app.Usage(absl::StrCat("cannot read ", *file));
      std::stringstream text;
      text << in.rdbuf();
      cv1::WhatIfRulesetRequest req;
      req.set_ruleset_yaml(text.str());
      req.set_max_items(*max_items);
      return Call<cv1::WhatIfRulesetResponse>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, cv1::WhatIfRulesetResponse* r) {
            return s.WhatIfRuleset(conn.NewCall().get(), req, r);
          },
          [](const cv1::WhatIfRulesetResponse& r) {
            std::string out = absl::StrCat(
                "ruleset ", r.ruleset_id(), " v", r.ruleset_version(), " (now ",
                r.current_ruleset_id(), " v", r.current_ruleset_version(), "): ", r.changed(),
                " of ", r.evaluated(), " open changes would be classified differently",
                r.truncated() ? " (list truncated)" : "", "\n");
            if (r.items_size() == 0) return out;
            Table t({"CHANGE", "SUGGESTED NOW", "PROPOSED", "STATUS", "IN FORCE", "REVIEW"});
            for (const auto& i : r.items()) {
              t.AddRow({ResourceId(i.name()), ClassificationText(i.current()),
                        ClassificationText(i.proposed().classification()), StatusWord(i.status()),
                        ClassificationText(i.in_force()),
                        i.would_need_review() ? "would need review" : ""});
            }
            return out + t.Render();
          });
    });
  }
  {  // ruleset
    auto* sub = group->add_subcommand(
        "ruleset", "Show the ruleset the service runs with (GetRuleset; every role)");
    auto yaml = std::make_shared<bool>(false);
    sub->add_flag("--yaml", *yaml, "Print the ruleset's YAML text only");
    sub->footer(ExampleFooter({"changectl classification ruleset",
                               "changectl classification ruleset --yaml > current.yaml"}));
    app.Define(sub, [&app, yaml] {
      cv1::GetRulesetRequest req;
      return Call<cv1::RulesetInfo>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, cv1::RulesetInfo* r) {
            return s.GetRuleset(conn.NewCall().get(), req, r);
          },
          [yaml](const cv1::RulesetInfo& r) {
            if (*yaml) return r.yaml();
            return RenderFields({{"id", r.id()},
                                 {"version", absl::StrCat(r.version())},
                                 {"title", r.title()},
                                 {"source", r.source()}});
          });
    });
  }
}

}  // namespace changeledger::changectl
