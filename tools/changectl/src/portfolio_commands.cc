// changectl portfolio ... (and the shortcuts baseline, history, provenance,
// rebuild): one subcommand per PortfolioService RPC.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "app.h"
#include "changeledger/changectl/client_config.h"
#include "changeledger/changectl/progress.h"
#include "changeledger/changectl/table.h"
#include "changeledger/changectl/values.h"
#include "changeledger/portfolio/v1/portfolio.grpc.pb.h"
#include "render.h"

namespace changeledger::changectl {
namespace {

namespace pv1 = ::changeledger::portfolio::v1;
namespace cv1 = ::changeledger::classification::v1;
namespace iv1 = ::changeledger::intake::v1;
using Stub = pv1::PortfolioService::Stub;

template <typename Resp>
int Call(App& app, const std::string& role,
         const std::function<grpc::Status(Stub&, const Conn&, Resp*)>& rpc,
         const std::function<std::string(const Resp&)>& table,
         const std::function<std::string(const Resp&)>& name = nullptr) {
  return CallService<pv1::PortfolioService, Resp>(app, "portfolio", role, rpc, table, name);
}

std::string Tier(int t) { return t == 0 ? "unclassified" : EnumWord(cv1::Tier_descriptor(), t); }
std::string Complexity(int c) { return c == 0 ? "" : EnumWord(cv1::Complexity_descriptor(), c); }
std::string Type(int t) { return EnumWord(cv1::ComplexityType_descriptor(), t); }
// 0% and 100% only when exact: 319 of 320 is ">99%", 1 of 320 "<1%".
std::string Percent(double share) {
  const long rounded = std::lround(share * 100);
  if (rounded == 0 && share > 0) return "<1%";
  if (rounded == 100 && share < 1) return ">99%";
  return absl::StrCat(rounded, "%");
}

// "1 change", "2 changes".
std::string Count(int64_t n, const std::string& one, const std::string& many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string Stands(const pv1::FigureTime& t) {
  std::string out = t.has_as_of() ? absl::StrCat("as of ", FormatExactTimestamp(t.as_of()))
                                  : std::string("as known now");
  if (t.has_latest_recorded_at()) {
    absl::StrAppend(&out, " (latest event recorded ", FormatExactTimestamp(t.latest_recorded_at()), ")");
  } else {
    absl::StrAppend(&out, " (no events yet)");
  }
  return out;
}

std::string StatusesText(const google::protobuf::RepeatedField<int>& statuses) {
  if (statuses.empty()) return "ongoing changes (registered, in_delivery)";
  std::vector<std::string> words;
  for (int s : statuses) words.push_back(EnumWord(iv1::ChangeStatus_descriptor(), s));
  return absl::StrCat("changes ", absl::StrJoin(words, ", "));
}

std::string StateText(const pv1::ChangeState& s) {
  if (!s.known() || !s.registered()) return "-";
  std::vector<std::string> parts = {s.business_area(),
                                    EnumWord(iv1::ChangeStatus_descriptor(), s.status())};
  if (s.tier() != 0) {
    parts.push_back(absl::StrCat(Tier(s.tier()), "/", Complexity(s.complexity()),
                                 s.classification_confirmed() ? "" : " (suggested)"));
  }
  if (!s.in_baseline()) parts.push_back("not in baseline");
  return absl::StrJoin(parts, " ");
}

std::string RenderBaseline(const pv1::Baseline& b) {
  std::string out = absl::StrCat("Change baseline ", Stands(b.stands()), "\n",
                                 StatusesText(b.statuses()), ": ", Count(b.total(), "change", "changes"), ", ",
                                 b.unclassified(), " not yet classified, ", b.unconfirmed(),
                                 " classified by suggestion only (", Percent(b.unconfirmed_share()),
                                 ")\n\n");
  // Tier x complexity (Figure 4), with data and digital.
  Table t({"TIER", "HIGH", "MEDIUM", "LOW", "TOTAL", "DATA&DIGITAL", "SHARE"});
  for (size_t i = 1; i <= 5; ++i) t.AlignRight(i);
  for (const auto& tier : b.tiers()) {
    std::map<int, int64_t> by_level;
    for (const auto& cell : b.tier_complexity()) {
      if (cell.tier() == tier.tier()) by_level[cell.complexity()] += cell.changes();
    }
    if (tier.tier() == 0) {
      t.AddRow({Tier(0), "", "", "", absl::StrCat(tier.changes()),
                absl::StrCat(tier.data_and_digital()), Percent(tier.data_and_digital_share())});
      continue;
    }
    t.AddRow({Tier(tier.tier()), absl::StrCat(by_level[cv1::COMPLEXITY_HIGH]),
              absl::StrCat(by_level[cv1::COMPLEXITY_MEDIUM]),
              absl::StrCat(by_level[cv1::COMPLEXITY_LOW]), absl::StrCat(tier.changes()),
              absl::StrCat(tier.data_and_digital()), Percent(tier.data_and_digital_share())});
  }
  absl::StrAppend(&out, t.Render());
  if (!b.pyramid().summary().empty()) absl::StrAppend(&out, "\n", b.pyramid().summary(), "\n");

  if (b.complexity_levels_size() > 0) {
    Table c({"COMPLEXITY", "CHANGES", "STRUCTURAL", "SOCIO_POLITICAL", "EMERGENT", "NO TYPE"});
    for (size_t i = 1; i <= 5; ++i) c.AlignRight(i);
    for (const auto& level : b.complexity_levels()) {
      std::map<int, int64_t> types;
      for (const auto& tc : level.types()) types[tc.type()] = tc.changes();
      c.AddRow({Complexity(level.complexity()), absl::StrCat(level.changes()),
                absl::StrCat(types[cv1::COMPLEXITY_TYPE_STRUCTURAL]),
                absl::StrCat(types[cv1::COMPLEXITY_TYPE_SOCIO_POLITICAL]),
                absl::StrCat(types[cv1::COMPLEXITY_TYPE_EMERGENT]),
                absl::StrCat(level.without_types())});
    }
    absl::StrAppend(&out, "\n", c.Render());
  }
  if (b.areas_size() > 0) {
    Table a({"AREA", "CHANGES", "TRANSFORMATIONAL", "MANDATED", "EXPERIMENTAL", "INCREMENTAL",
             "UNCLASSIFIED", "DATA&DIGITAL"});
    for (size_t i = 1; i <= 7; ++i) a.AlignRight(i);
    for (const auto& area : b.areas()) {
      std::map<int, int64_t> tiers;
      for (const auto& tc : area.tiers()) tiers[tc.tier()] = tc.changes();
      a.AddRow({area.business_area(), absl::StrCat(area.changes()),
                absl::StrCat(tiers[cv1::TIER_TRANSFORMATIONAL]), absl::StrCat(tiers[cv1::TIER_MANDATED]),
                absl::StrCat(tiers[cv1::TIER_EXPERIMENTAL]), absl::StrCat(tiers[cv1::TIER_INCREMENTAL]),
                absl::StrCat(tiers[0]), absl::StrCat(area.data_and_digital())});
    }
    absl::StrAppend(&out, "\n", a.Render());
  }
  bool any_top = false;
  Table top({"AREA", "CHANGE", "COST", "COMPLEXITY", "TITLE"});
  for (const auto& area : b.top_mandated()) {
    for (const auto& m : area.changes()) {
      any_top = true;
      top.AddRow({area.business_area(), m.change_id(), FormatMoney(m.estimated_cost()),
                  Complexity(m.complexity()), m.title()});
    }
  }
  if (any_top) absl::StrAppend(&out, "\ntop mandated changes per area (by cost):\n", top.Render());
  if (b.top_mandated_truncated()) {
    absl::StrAppend(&out, "(fewer per area than asked: that many would not fit one answer; "
                          "changectl provenance --tier mandated lists them all)\n");
  }
  return out;
}

std::string DiffKindsText(const pv1::ChangeDiff& d) {
  std::vector<std::string> kinds;
  for (int k : d.kinds()) kinds.push_back(EnumWord(pv1::DiffKind_descriptor(), k));
  return absl::StrJoin(kinds, ", ");
}

std::string RenderDiff(const pv1::BaselineDiff& d) {
  std::string out = absl::StrCat(
      "Baseline from ", Stands(d.from()), "\n          to ", Stands(d.to()), "\n", d.entered(),
      " entered, ", d.left(), " left, ", d.reclassified(), " reclassified, ", d.area_changed(),
      " changed business area, ", d.status_changed(), " changed status\n");
  if (d.changes_size() == 0) return out;
  Table t({"CHANGE", "WHAT", "BEFORE", "AFTER", "EVENTS"});
  t.AlignRight(4);
  bool any_truncated = false;
  for (const auto& c : d.changes()) {
    // Servers before event_count sent every event.
    std::string events = absl::StrCat(c.events_size());
    if (c.events_truncated()) {
      events = absl::StrCat(c.events_size(), " of ", c.event_count());
      any_truncated = true;
    }
    t.AddRow({c.change_id(), DiffKindsText(c), StateText(c.before()), StateText(c.after()), events});
  }
  out += "\n" + t.Render();
  if (any_truncated) {
    out += "(\"N of M\": only the latest events fit; changectl history CHANGE lists them all)\n";
  }
  return out;
}

std::string EventRows(const google::protobuf::RepeatedPtrField<pv1::Event>& events) {
  Table t({"RECORDED", "SOURCE", "EVENT", "ACTOR", "SUMMARY"});
  for (const auto& e : events) {
    std::string type = e.type();
    if (size_t dot = type.rfind('.'); dot != std::string::npos) type = type.substr(dot + 1);
    t.AddRow({FormatExactTimestamp(e.recorded_at()), e.source(), type, e.actor(), e.summary()});
  }
  return t.Render();
}

// Every page of `req`'s answer in one: `first` is the first page; each
// next page's `Items` are appended. Returns the first error.
template <typename Req, typename Resp, typename Rpc, typename Items>
grpc::Status FollowPages(Req req, Resp* first, grpc::Status status, Rpc rpc, Items items) {
  while (status.ok() && !first->next_page_token().empty()) {
    req.set_page_token(first->next_page_token());
    Resp page;
    status = rpc(req, &page);
    if (!status.ok()) break;
    items(first)->MergeFrom(*items(&page));
    first->set_next_page_token(page.next_page_token());
  }
  return status;
}

std::string RenderHistory(const pv1::ChangeHistory& h) {
  std::vector<std::pair<std::string, std::string>> f = {
      {"change", h.change_id()}, {"title", h.title()}, {"now", StateText(h.current())}};
  if (!h.proposal_id().empty()) f.push_back({"proposal", h.proposal_id()});
  f.push_back({"stands", Stands(h.stands())});
  return RenderFields(f) + "\n" + EventRows(h.events());
}

std::string RenderProvenance(const pv1::Provenance& p) {
  std::string out = absl::StrCat(Count(p.count(), "change", "changes"), " in this figure, ",
                                 Stands(p.stands()), "\n");
  Table t({"CHANGE", "STATE", "TITLE", "EVENTS"});
  t.AlignRight(3);
  for (const auto& c : p.changes()) {
    t.AddRow({c.change_id(), StateText(c.state()), c.title(), absl::StrCat(c.events_size())});
  }
  return out + t.Render();
}

// Servers before events_total_known sent a total whenever they had one.
bool TotalKnown(const pv1::RebuildStatus& s) {
  return s.events_total_known() || s.events_total() > s.events_applied() || !s.rebuilding();
}

std::string RenderRebuild(const pv1::RebuildStatus& s) {
  const std::string events = TotalKnown(s) ? absl::StrCat(s.events_applied(), " of ", s.events_total())
                                           : absl::StrCat(s.events_applied(), " (total not known yet)");
  return RenderFields({{"rebuilding", s.rebuilding() ? "yes" : "no"},
                       {"source", EnumWord(pv1::RebuildSource_descriptor(), s.source())},
                       {"events", events},
                       {"started", s.has_started_at() ? FormatExactTimestamp(s.started_at()) : ""},
                       {"finished", s.has_finished_at() ? FormatExactTimestamp(s.finished_at()) : ""},
                       {"message", s.message()}});
}

// --status flags shared by the baseline-like commands.
bool ParseStatuses(App& app, const std::vector<std::string>& words,
                   google::protobuf::RepeatedField<int>* out, int* code) {
  for (const auto& w : words) {
    auto s = ParseChangeStatus(w);
    if (!s.ok()) {
      *code = app.Usage(absl::StrCat("--status: ", s.status().message()));
      return false;
    }
    out->Add(*s);
  }
  return true;
}

// A duration that may be zero ("0", "0s": do not wait); ParseDuration
// takes positive durations only.
absl::StatusOr<std::chrono::milliseconds> DurationOrZero(const std::string& text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  if (t == "0" || t == "0ms" || t == "0s" || t == "0m") return std::chrono::milliseconds(0);
  return ParseDuration(t);
}

// Sets the field `mutable_field()` returns from `text` unless it is empty
// (an unset as_of means "now"; an empty Timestamp would mean 1970).
template <typename MutableField>
bool AsOf(App& app, const std::string& flag, const std::string& text, MutableField mutable_field,
          int* code) {
  if (text.empty()) return true;
  auto ts = ParseAsOf(text);
  if (!ts.ok()) {
    *code = app.Usage(absl::StrCat(flag, ": ", ts.status().message()));
    return false;
  }
  *mutable_field() = *ts;
  return true;
}

// ---------------------------------------------------------------------------

void AddBaseline(CLI::App* parent, App& app) {
  auto* sub = parent->add_subcommand(
      "baseline", "The change baseline: tier x complexity, data and digital, complexity types, "
                  "business areas, top mandated (GetBaseline; with --diff: DiffBaseline)");
  struct Flags {
    std::string as_of, settle;
    std::vector<std::string> diff, statuses;
    int top = 0;
    int page_size = 1000;
  };
  auto f = std::make_shared<Flags>();
  sub->add_option("--as-of", f->as_of,
                  "As known on this date (YYYY-MM-DD: the end of that day, UTC) or at this "
                  "RFC 3339 time; default now");
  sub->add_option("--diff", f->diff, "FROM TO: what changed between two dates or times")
      ->expected(2);
  sub->add_option("--status", f->statuses,
                  "Count changes with these statuses (repeat); default the ongoing baseline "
                  "(registered, in_delivery)");
  sub->add_option("--top", f->top, "Top mandated changes listed per area (default 5)");
  sub->add_option("--page-size", f->page_size,
                  "With --diff: changes per DiffBaseline call, 1..1000; every page is read "
                  "and printed as one diff")
      ->capture_default_str();
  sub->add_option("--settle", f->settle,
                  "First wait, up to this long (e.g. 30s; 0s: not at all), until the figures stop "
                  "moving: the view has caught up with what the services have recorded");
  sub->footer(
      "\nEvery figure says as of when it stands. The view is folded from the intake and\n"
      "classification logs, so an as-of answer is what was known then. A diff comes from\n"
      "the service in pages (DiffBaseline ends one at --page-size changes or 3 MiB); the\n"
      "command reads them all and prints one diff, every change of it.\n" +
      ExampleFooter({"changectl baseline", "changectl baseline --as-of 2021-05-12 -o json",
                     "changectl baseline --diff 2021-05-01 2021-06-01"}));
  app.Define(sub, [&app, f] {
    int code = 0;
    if (!f->diff.empty()) {
      pv1::DiffBaselineRequest req;
      if (!AsOf(app, "--diff FROM", f->diff[0], [&] { return req.mutable_from(); }, &code)) return code;
      if (!AsOf(app, "--diff TO", f->diff[1], [&] { return req.mutable_to(); }, &code)) return code;
      if (!ParseStatuses(app, f->statuses, req.mutable_statuses(), &code)) return code;
      if (f->page_size < 1 || f->page_size > 1000) return app.Usage("--page-size: must be in 1..1000");
      req.set_page_size(f->page_size);
      return Call<pv1::BaselineDiff>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, pv1::BaselineDiff* r) {
            // Every page (at most --page-size changes or 3 MiB each): the
            // whole diff. The counts are the same on every page.
            auto rpc = [&](const pv1::DiffBaselineRequest& q, pv1::BaselineDiff* out) {
              return s.DiffBaseline(conn.NewCall().get(), q, out);
            };
            return FollowPages(req, r, rpc(req, r), rpc,
                               [](pv1::BaselineDiff* d) { return d->mutable_changes(); });
          },
          RenderDiff);
    }
    pv1::GetBaselineRequest req;
    if (!AsOf(app, "--as-of", f->as_of, [&] { return req.mutable_as_of(); }, &code)) return code;
    if (!ParseStatuses(app, f->statuses, req.mutable_statuses(), &code)) return code;
    req.set_top_mandated_per_area(f->top);
    std::chrono::milliseconds settle{0};
    if (!f->settle.empty()) {
      auto d = DurationOrZero(f->settle);
      if (!d.ok()) return app.Usage(absl::StrCat("--settle: ", d.status().message()));
      settle = *d;
    }
    return Call<pv1::Baseline>(
        app, "auditor",
        [&](Stub& s, const Conn& conn, pv1::Baseline* r) {
          grpc::Status status = s.GetBaseline(conn.NewCall().get(), req, r);
          if (settle.count() == 0) return status;
          // Settled: two answers a second apart with the same events, and
          // none of the counted changes waiting for a classification.
          const auto start = std::chrono::steady_clock::now();
          const auto until = start + settle;
          while (std::chrono::steady_clock::now() < until) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            pv1::Baseline next;
            grpc::Status again = s.GetBaseline(conn.NewCall().get(), req, &next);
            const bool unavailable = again.error_code() == grpc::StatusCode::UNAVAILABLE;
            if (!again.ok() && !unavailable) return again;
            const bool any = next.stands().has_latest_recorded_at() ||
                             std::chrono::steady_clock::now() - start > std::chrono::seconds(5);
            if (again.ok() && status.ok() && any &&
                next.change_events_included() == r->change_events_included() &&
                next.unclassified() == 0) {
              *r = next;
              return again;
            }
            if (again.ok()) *r = next;
            status = again;
          }
          return status;
        },
        RenderBaseline);
  });
}

void AddHistory(CLI::App* parent, App& app) {
  auto* sub = parent->add_subcommand(
      "history", "Every event about one change, from every service, in recorded order "
                 "(GetChangeHistory)");
  auto id = std::make_shared<std::string>();
  sub->add_option("CHANGE", *id, "Change id or changes/<id>")->required();
  sub->footer("\nThe service answers in pages of at most 1000 events (or 3 MiB); the command\n"
              "reads them all and prints the whole history.\n" +
              ExampleFooter({"changectl history 7d1e...", "changectl history 7d1e... -o json"}));
  app.Define(sub, [&app, id] {
    pv1::GetChangeHistoryRequest req;
    req.set_change_id(ResourceId(*id));
    return Call<pv1::ChangeHistory>(
        app, "auditor",
        [&](Stub& s, const Conn& conn, pv1::ChangeHistory* r) {
          // Every page: the whole history.
          auto rpc = [&](const pv1::GetChangeHistoryRequest& q, pv1::ChangeHistory* out) {
            return s.GetChangeHistory(conn.NewCall().get(), q, out);
          };
          return FollowPages(req, r, rpc(req, r), rpc,
                             [](pv1::ChangeHistory* h) { return h->mutable_events(); });
        },
        RenderHistory,
        [](const pv1::ChangeHistory& h) { return absl::StrCat("changes/", h.change_id()); });
  });
}

void AddProvenance(CLI::App* parent, App& app) {
  auto* sub = parent->add_subcommand(
      "provenance", "The changes behind one figure of the baseline, with the events that put "
                    "each there (GetProvenance)");
  struct Flags {
    std::string tier, complexity, area, type, data_and_digital, as_of, page_token;
    std::vector<std::string> statuses;
    int page_size = 0;
    bool one_page = false;
  };
  auto f = std::make_shared<Flags>();
  sub->add_option("--tier", f->tier,
                  "transformational | mandated | experimental | incremental | unclassified");
  sub->add_option("--complexity", f->complexity, "low | medium | high");
  auto* area_option = sub->add_option("--area", f->area, "Business area code ('' for none)");
  sub->add_option("--type", f->type, "structural | socio_political | emergent");
  sub->add_option("--data-and-digital", f->data_and_digital, "yes/no");
  sub->add_option("--as-of", f->as_of, "As known on this date or at this time");
  sub->add_option("--status", f->statuses, "Statuses counted (repeat); default ongoing");
  sub->add_option("--page-size", f->page_size, "Per page, 1..1000 (default 100)");
  sub->add_option("--page-token", f->page_token, "Continue from a previous page (implies --one-page)");
  sub->add_flag("--one-page", f->one_page, "Fetch one page only (default: every page)");
  sub->footer(ExampleFooter({"changectl provenance --tier mandated --complexity medium",
                             "changectl provenance --area MO --data-and-digital yes -o json"}));
  app.Define(sub, [&app, f, area_option] {
    int code = 0;
    pv1::GetProvenanceRequest req;
    auto* cell = req.mutable_cell();
    auto word = [](const std::string& s) {
      std::string t = absl::AsciiStrToLower(s);
      for (char& c : t) {
        if (c == '-' || c == ' ') c = '_';
      }
      return t;
    };
    if (!f->tier.empty()) {
      bool found = false;
      // 0: "unclassified", the baseline's row of changes without a tier.
      for (int i = 0; i <= 4; ++i) {
        if (word(f->tier) == Tier(i)) cell->set_tier(static_cast<cv1::Tier>(i)), found = true;
      }
      if (!found) return app.Usage(absl::StrCat("--tier: \"", f->tier, "\" is not one of "
                                                "transformational, mandated, experimental, incremental, "
                                                "unclassified"));
    }
    if (!f->complexity.empty()) {
      bool found = false;
      for (int i = 1; i <= 3; ++i) {
        if (word(f->complexity) == Complexity(i)) cell->set_complexity(static_cast<cv1::Complexity>(i)), found = true;
      }
      if (!found) return app.Usage(absl::StrCat("--complexity: \"", f->complexity, "\" is not one of low, medium, high"));
    }
    if (!f->type.empty()) {
      bool found = false;
      for (int i = 1; i <= 3; ++i) {
        if (word(f->type) == Type(i)) cell->set_complexity_type(static_cast<cv1::ComplexityType>(i)), found = true;
      }
      if (!found) return app.Usage(absl::StrCat("--type: \"", f->type, "\" is not one of structural, socio_political, emergent"));
    }
    // Given, even empty: '' selects the changes with no business area.
    if (area_option->count() > 0) cell->set_business_area(f->area);
    if (!f->data_and_digital.empty()) {
      auto v = ParseBool(f->data_and_digital);
      if (!v.ok()) return app.Usage(absl::StrCat("--data-and-digital: ", v.status().message()));
      cell->set_data_and_digital(*v);
    }
    if (!AsOf(app, "--as-of", f->as_of, [&] { return req.mutable_as_of(); }, &code)) return code;
    if (!ParseStatuses(app, f->statuses, req.mutable_statuses(), &code)) return code;
    req.set_page_size(f->page_size);
    req.set_page_token(f->page_token);
    const bool all = !f->one_page && f->page_token.empty();
    return Call<pv1::Provenance>(
        app, "auditor",
        [&](Stub& s, const Conn& conn, pv1::Provenance* out) {
          grpc::Status status = s.GetProvenance(conn.NewCall().get(), req, out);
          while (status.ok() && all && !out->next_page_token().empty()) {
            req.set_page_token(out->next_page_token());
            pv1::Provenance page;
            status = s.GetProvenance(conn.NewCall().get(), req, &page);
            out->mutable_changes()->MergeFrom(page.changes());
            out->set_next_page_token(page.next_page_token());
          }
          return status;
        },
        RenderProvenance,
        [](const pv1::Provenance& p) {
          std::vector<std::string> names;
          for (const auto& c : p.changes()) names.push_back(absl::StrCat("changes/", c.change_id()));
          return absl::StrJoin(names, "\n");
        });
  });
}

void AddRebuild(CLI::App* parent, App& app) {
  auto* sub = parent->add_subcommand(
      "rebuild", "Drop the portfolio view and rebuild it from the logs, with progress "
                 "(Rebuild, then GetRebuildStatus; roles admin, portfolio_office)");
  struct Flags {
    std::string source = "log-reader";
    bool no_wait = false;
    bool wait = true;
    bool wait_running = false;
    std::string timeout = "10m";
  };
  auto f = std::make_shared<Flags>();
  sub->add_option("--source", f->source,
                  "log-reader (each service's own log; works with a new or emptied Kafka) | "
                  "kafka (the topics from the earliest offsets)")
      ->capture_default_str();
  sub->add_flag("--no-wait", f->no_wait, "Start the rebuild and return at once");
  sub->add_option("--wait-timeout", f->timeout, "Give up waiting after this long")
      ->capture_default_str();
  // --wait is accepted for symmetry with --no-wait (waiting is the default).
  sub->add_flag("--wait", f->wait, "Wait until the rebuild has finished (the default)");
  sub->add_flag("--wait-running", f->wait_running,
                "When a rebuild is already running, wait for it to finish instead of failing "
                "(the server does not restart a running rebuild)");
  sub->footer("\nA progress bar is drawn on stderr when it is a terminal; reads of the view answer\n"
              "UNAVAILABLE until the rebuild has finished. A rebuild already running is not\n"
              "restarted: the command fails saying which one runs, or with --wait-running waits\n"
              "for it.\n" +
              ExampleFooter({"changectl rebuild", "changectl rebuild --source kafka --no-wait",
                             "changectl rebuild --wait-running"}));
  app.Define(sub, [&app, f] {
    pv1::RebuildRequest req;
    std::string source = absl::AsciiStrToLower(f->source);
    for (char& c : source) {
      if (c == '_') c = '-';
    }
    if (source == "log-reader") {
      req.set_source(pv1::REBUILD_SOURCE_LOG_READER);
    } else if (source == "kafka") {
      req.set_source(pv1::REBUILD_SOURCE_KAFKA);
    } else {
      return app.Usage(absl::StrCat("--source: \"", f->source, "\" is not log-reader or kafka"));
    }
    auto limit = ParseDuration(f->timeout);
    if (!limit.ok()) return app.Usage(absl::StrCat("--wait-timeout: ", limit.status().message()));
    const bool wait = !f->no_wait;
    return Call<pv1::RebuildStatus>(
        app, "portfolio_office",
        [&](Stub& s, const Conn& conn, pv1::RebuildStatus* r) {
          grpc::Status status = s.Rebuild(conn.NewCall().get(), req, r);
          if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
            // Refused because one is running? Then that one is what to wait for.
            pv1::RebuildStatus running;
            const grpc::Status st =
                s.GetRebuildStatus(conn.NewCall().get(), pv1::GetRebuildStatusRequest(), &running);
            if (st.ok() && running.rebuilding()) {
              if (!f->wait_running) {
                return grpc::Status(status.error_code(),
                                    absl::StrCat(status.error_message(),
                                                 " (changectl rebuild --wait-running waits for it)"));
              }
              std::cerr << "changectl: a rebuild from "
                        << EnumWord(pv1::RebuildSource_descriptor(), running.source()) << " started "
                        << FormatExactTimestamp(running.started_at())
                        << " is running; waiting for it instead of starting another\n";
              *r = running;
              status = grpc::Status::OK;
            }
          }
          if (!status.ok() || !wait) return status;
          ProgressBar bar("rebuilding the portfolio view", "events",
                          StderrIsTerminal() && !app.json());
          const auto until = std::chrono::steady_clock::now() + *limit;
          while (r->rebuilding()) {
            if (std::chrono::steady_clock::now() >= until) {
              return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                                  "the rebuild did not finish in time");
            }
            // A total of 0 draws the count alone: the total is not known yet.
            bar.Update(r->events_applied(), TotalKnown(*r) ? r->events_total() : 0);
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            status = s.GetRebuildStatus(conn.NewCall().get(), pv1::GetRebuildStatusRequest(), r);
            if (!status.ok()) return status;
          }
          return status;
        },
        RenderRebuild);
  });
}

}  // namespace

void AddPortfolioCommands(CLI::App& cli, App& app) {
  auto* group = cli.add_subcommand(
      "portfolio", "The enterprise-wide view: baseline, diff, provenance, history, overlaps, "
                   "front door activity, rebuild (PortfolioService)");
  group->require_subcommand(1);
  group->footer(ExampleFooter({"changectl portfolio baseline --as-of 2021-05-12",
                               "changectl portfolio overlaps"}));
  AddBaseline(group, app);
  AddHistory(group, app);
  AddProvenance(group, app);
  AddRebuild(group, app);
  // Top-level shortcuts for the commands people use most.
  AddBaseline(&cli, app);
  AddHistory(&cli, app);
  AddProvenance(&cli, app);
  AddRebuild(&cli, app);

  {  // overlaps
    auto* sub = group->add_subcommand(
        "overlaps", "Teams shared by changes, and business areas linked through them (GetOverlaps)");
    auto as_of = std::make_shared<std::string>();
    auto max_teams = std::make_shared<int>(0);
    auto statuses = std::make_shared<std::vector<std::string>>();
    sub->add_option("--as-of", *as_of, "As known on this date or at this time");
    sub->add_option("--max-teams", *max_teams, "Teams listed at most, 1..10000 (default 100)");
    sub->add_option("--status", *statuses,
                    "Count changes with these statuses (repeat); default the ongoing baseline "
                    "(registered, in_delivery)");
    sub->footer(ExampleFooter({"changectl portfolio overlaps --max-teams 10",
                               "changectl portfolio overlaps --status closed --status stopped"}));
    app.Define(sub, [&app, as_of, max_teams, statuses] {
      int code = 0;
      pv1::GetOverlapsRequest req;
      if (!AsOf(app, "--as-of", *as_of, [&] { return req.mutable_as_of(); }, &code)) return code;
      if (!ParseStatuses(app, *statuses, req.mutable_statuses(), &code)) return code;
      req.set_max_teams(*max_teams);
      return Call<pv1::Overlaps>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, pv1::Overlaps* r) {
            // The top --max-teams teams: an answer ends early at 3 MiB,
            // so ask on for the rest until there are that many.
            const int wanted = *max_teams == 0 ? 100 : *max_teams;
            grpc::Status status = s.GetOverlaps(conn.NewCall().get(), req, r);
            while (status.ok() && !r->next_page_token().empty() && r->teams_size() < wanted) {
              req.set_page_token(r->next_page_token());
              req.set_max_teams(wanted - r->teams_size());
              pv1::Overlaps page;
              status = s.GetOverlaps(conn.NewCall().get(), req, &page);
              if (!status.ok()) break;
              r->mutable_teams()->MergeFrom(page.teams());
              r->set_next_page_token(page.next_page_token());
            }
            r->clear_next_page_token();
            return status;
          },
          [](const pv1::Overlaps& o) {
            std::string out = absl::StrCat("Overlaps ", Stands(o.stands()), ": ",
                                           Count(o.total_teams(), "team", "teams"),
                                           " on two or more changes\n\n");
            Table t({"TEAM", "CHANGES", "AREAS"});
            t.AlignRight(1);
            for (const auto& team : o.teams()) {
              // Servers before change_count: the ids are all there.
              const int changes = std::max(team.change_count(), team.change_ids_size());
              t.AddRow({team.team(), absl::StrCat(changes), absl::StrJoin(team.business_areas(), ", ")});
            }
            absl::StrAppend(&out, t.Render());
            if (o.teams_size() < o.total_teams()) {
              absl::StrAppend(&out, "(the first ", o.teams_size(), " of ", o.total_teams(),
                              " teams: --max-teams lists more)\n");
            }
            if (o.interactions_size() > 0) {
              Table i({"AREAS", "SHARED CHANGES", "THROUGH TEAMS"});
              i.AlignRight(1);
              for (const auto& x : o.interactions()) {
                i.AddRow({absl::StrCat(x.area_a(), " - ", x.area_b()), absl::StrCat(x.shared_changes()),
                          absl::StrJoin(x.teams(), ", ")});
              }
              absl::StrAppend(&out, "\n", i.Render());
            }
            if (o.interactions_truncated()) {
              absl::StrAppend(&out, "(the pairs of areas with the fewest shared changes are left out: "
                                    "they would not fit one answer)\n");
            }
            return out;
          });
    });
  }
  {  // front-door
    auto* sub = group->add_subcommand(
        "front-door", "Proposals through the front door per month, with outcomes and time to "
                      "decision (ListFrontDoorActivity)");
    auto as_of = std::make_shared<std::string>();
    auto from = std::make_shared<std::string>();
    auto to = std::make_shared<std::string>();
    sub->add_option("--as-of", *as_of, "As known on this date or at this time");
    sub->add_option("--from", *from, "First month, YYYY-MM");
    sub->add_option("--to", *to, "Last month, YYYY-MM");
    auto area = std::make_shared<std::string>();
    auto* area_option = sub->add_option(
        "--area", *area,
        "Only proposals whose latest submission names this business area ('' for submissions "
        "that named none)");
    sub->footer(ExampleFooter({"changectl portfolio front-door --from 2021-04",
                               "changectl portfolio front-door --area MO"}));
    app.Define(sub, [&app, as_of, from, to, area, area_option] {
      int code = 0;
      pv1::ListFrontDoorActivityRequest req;
      if (!AsOf(app, "--as-of", *as_of, [&] { return req.mutable_as_of(); }, &code)) return code;
      req.set_from_month(*from);
      req.set_to_month(*to);
      // Given, even empty: '' selects submissions that named no area.
      if (area_option->count() > 0) req.set_business_area(*area);
      return Call<pv1::FrontDoorActivity>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, pv1::FrontDoorActivity* r) {
            return s.ListFrontDoorActivity(conn.NewCall().get(), req, r);
          },
          [req](const pv1::FrontDoorActivity& a) {
            Table t({"MONTH", "SUBMITTED", "APPROVED", "REJECTED", "DEFERRED", "RETURNED",
                     "PENDING", "WITHDRAWN", "MEAN DAYS", "MEDIAN DAYS"});
            for (size_t i = 1; i <= 9; ++i) t.AlignRight(i);
            for (const auto& p : a.periods()) {
              t.AddRow({p.month(), absl::StrCat(p.submitted()), absl::StrCat(p.approved()),
                        absl::StrCat(p.rejected()), absl::StrCat(p.deferred()),
                        absl::StrCat(p.returned()), absl::StrCat(p.pending()),
                        absl::StrCat(p.withdrawn()),
                        absl::StrFormat("%.1f", p.mean_days_to_decision()),
                        absl::StrFormat("%.1f", p.median_days_to_decision())});
            }
            std::string scope;
            if (req.has_business_area()) {
              scope = req.business_area().empty()
                          ? "(no business area) "
                          : absl::StrCat("(business area ", req.business_area(), ") ");
            }
            return absl::StrCat("Front door ", scope, Stands(a.stands()), "\n\n", t.Render());
          });
    });
  }
  {  // rebuild-status
    auto* sub = group->add_subcommand(
        "rebuild-status", "Progress of the current or last rebuild (GetRebuildStatus)");
    sub->footer(ExampleFooter({"changectl portfolio rebuild-status"}));
    app.Define(sub, [&app] {
      return Call<pv1::RebuildStatus>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, pv1::RebuildStatus* r) {
            return s.GetRebuildStatus(conn.NewCall().get(), pv1::GetRebuildStatusRequest(), r);
          },
          RenderRebuild);
    });
  }
  {  // state-hash
    auto* sub = group->add_subcommand(
        "state-hash", "Hashes of the view's state, to compare replicas and rebuilds (GetStateHash)");
    sub->footer(ExampleFooter({"changectl portfolio state-hash"}));
    app.Define(sub, [&app] {
      return Call<pv1::StateHash>(
          app, "auditor",
          [&](Stub& s, const Conn& conn, pv1::StateHash* r) {
            return s.GetStateHash(conn.NewCall().get(), pv1::GetStateHashRequest(), r);
          },
          [](const pv1::StateHash& h) {
            return RenderFields({{"view hash", h.view_hash()},
                                 {"store hash", h.store_hash()},
                                 {"events", absl::StrCat(h.events())},
                                 {"changes", absl::StrCat(h.changes())},
                                 {"rebuilding", h.rebuilding() ? "yes" : "no"},
                                 {"stands", Stands(h.stands())}});
          });
    });
  }
}

}  // namespace changeledger::changectl
