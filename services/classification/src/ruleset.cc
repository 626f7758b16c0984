#include "changeledger/classification/ruleset.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"

namespace changeledger::classification {
namespace {

// Feature table: the only place that knows how a rule's feature name maps
// onto ChangeFacts. Every value is read as a double (bool: 0/1, enum: its
// ordinal) so one comparison routine serves all kinds.
struct FeatureDef {
  FeatureInfo info;
  std::function<double(const ChangeFacts&)> get;
};

const std::vector<std::string> kScopeValues = {"UNSPECIFIED", "LOCAL", "BUSINESS_AREA",
                                               "CROSS_BUSINESS_AREA", "ORGANISATION_WIDE"};
const std::vector<std::string> kInterestValues = {"UNSPECIFIED", "NONE", "LOW", "MEDIUM",
                                                  "HIGH"};
const std::vector<std::string> kClarityValues = {"UNSPECIFIED", "CLEAR", "EVOLVING",
                                                 "UNCLEAR"};

const std::vector<FeatureDef>& FeatureDefs() {
  using K = FeatureInfo::Kind;
  static const std::vector<FeatureDef>* defs = new std::vector<FeatureDef>{
      {{"interdependent_projects", K::kBool, {},
        "a formal programme of interdependent projects"},
       [](const ChangeFacts& f) { return f.interdependent_projects ? 1.0 : 0.0; }},
      {{"sro_led", K::kBool, {}, "led by a senior responsible owner under formal governance"},
       [](const ChangeFacts& f) { return f.sro_led ? 1.0 : 0.0; }},
      {{"has_business_case", K::kBool, {}, "agreed mandate and business case"},
       [](const ChangeFacts& f) { return f.has_business_case ? 1.0 : 0.0; }},
      {{"tests_hypothesis", K::kBool, {}, "experiment, proof of concept or pilot"},
       [](const ChangeFacts& f) { return f.tests_hypothesis ? 1.0 : 0.0; }},
      {{"improves_established_service", K::kBool, {},
        "local improvement to an established service"},
       [](const ChangeFacts& f) { return f.improves_established_service ? 1.0 : 0.0; }},
      {{"organisational_scope", K::kEnum, kScopeValues, "how far the change reaches"},
       [](const ChangeFacts& f) { return static_cast<double>(f.organisational_scope); }},
      {{"work_packages", K::kNumber, {}, "number of projects or work packages (0: not stated)"},
       [](const ChangeFacts& f) { return static_cast<double>(f.work_packages); }},
      {{"technology_and_data_implications", K::kBool, {},
        "new systems, data or integration"},
       [](const ChangeFacts& f) { return f.technology_and_data_implications ? 1.0 : 0.0; }},
      {{"third_party_procurement", K::kBool, {}, "needs a third-party procurement or contract"},
       [](const ChangeFacts& f) { return f.third_party_procurement ? 1.0 : 0.0; }},
      {{"public_or_political_interest", K::kEnum, kInterestValues,
        "political or public interest"},
       [](const ChangeFacts& f) {
         return static_cast<double>(f.public_or_political_interest);
       }},
      {{"impacted_stakeholder_groups", K::kNumber, {},
        "distinct stakeholder groups impacted (0: not stated)"},
       [](const ChangeFacts& f) { return static_cast<double>(f.impacted_stakeholder_groups); }},
      {{"clarity_of_aims", K::kEnum, kClarityValues, "how clear and settled the aims are"},
       [](const ChangeFacts& f) { return static_cast<double>(f.clarity_of_aims); }},
      {{"data_and_digital", K::kBool, {}, "data and digital / technology change"},
       [](const ChangeFacts& f) { return f.data_and_digital ? 1.0 : 0.0; }},
      {{"estimated_cost_gbp", K::kNumber, {}, "estimated cost in whole pounds (0: not stated)"},
       [](const ChangeFacts& f) { return static_cast<double>(f.estimated_cost_gbp); }},
      {{"teams", K::kNumber, {}, "number of teams or departments involved"},
       [](const ChangeFacts& f) { return static_cast<double>(f.teams); }},
      {{"planned_duration_months", K::kNumber, {},
        "months from planned start to planned end (0: not stated)"},
       [](const ChangeFacts& f) { return static_cast<double>(f.planned_duration_months); }},
  };
  return *defs;
}

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn };

std::optional<Op> ParseOp(std::string_view s) {
  if (s == "==") return Op::kEq;
  if (s == "!=") return Op::kNe;
  if (s == "<") return Op::kLt;
  if (s == "<=") return Op::kLe;
  if (s == ">") return Op::kGt;
  if (s == ">=") return Op::kGe;
  if (s == "in") return Op::kIn;
  if (s == "not_in") return Op::kNotIn;
  return std::nullopt;
}

std::string FormatValue(const FeatureDef& def, double v) {
  switch (def.info.kind) {
    case FeatureInfo::Kind::kBool:
      return v != 0 ? "true" : "false";
    case FeatureInfo::Kind::kEnum: {
      size_t i = static_cast<size_t>(v);
      return i < def.info.values.size() ? def.info.values[i] : absl::StrCat(v);
    }
    case FeatureInfo::Kind::kNumber:
      break;
  }
  if (std::floor(v) == v && std::fabs(v) < 1e15) {
    return absl::StrCat(static_cast<int64_t>(v));
  }
  return absl::StrFormat("%g", v);
}

struct Condition {
  enum class Kind { kAll, kAny, kNot, kLeaf };
  Kind kind = Kind::kLeaf;
  std::vector<Condition> children;
  const FeatureDef* feature = nullptr;
  Op op = Op::kEq;
  std::vector<double> operands;
  std::string text;
};

bool Holds(const Condition& c, const ChangeFacts& facts,
           std::vector<MatchedCondition>* matched) {
  switch (c.kind) {
    case Condition::Kind::kAll: {
      std::vector<MatchedCondition> all;
      for (const Condition& child : c.children) {
        if (!Holds(child, facts, &all)) return false;
      }
      if (matched) matched->insert(matched->end(), all.begin(), all.end());
      return true;
    }
    case Condition::Kind::kAny: {
      bool any = false;
      for (const Condition& child : c.children) {
        // Every child that holds is reported, not only the first.
        if (Holds(child, facts, matched)) any = true;
      }
      return any;
    }
    case Condition::Kind::kNot: {
      if (Holds(c.children[0], facts, nullptr)) return false;
      if (matched) {
        // Report the values the negated condition looked at.
        std::vector<std::string> features;
        std::vector<std::string> actuals;
        std::function<void(const Condition&)> walk = [&](const Condition& n) {
          if (n.kind == Condition::Kind::kLeaf) {
            features.push_back(n.feature->info.name);
            actuals.push_back(absl::StrCat(n.feature->info.name, "=",
                                           FormatValue(*n.feature, n.feature->get(facts))));
          }
          for (const Condition& ch : n.children) walk(ch);
        };
        walk(c.children[0]);
        matched->push_back({absl::StrJoin(features, ","), c.text, absl::StrJoin(actuals, ", ")});
      }
      return true;
    }
    case Condition::Kind::kLeaf:
      break;
  }
  const double v = c.feature->get(facts);
  bool ok = false;
  switch (c.op) {
    case Op::kEq: ok = v == c.operands[0]; break;
    case Op::kNe: ok = v != c.operands[0]; break;
    case Op::kLt: ok = v < c.operands[0]; break;
    case Op::kLe: ok = v <= c.operands[0]; break;
    case Op::kGt: ok = v > c.operands[0]; break;
    case Op::kGe: ok = v >= c.operands[0]; break;
    case Op::kIn:
    case Op::kNotIn: {
      bool found = false;
      for (double o : c.operands) found = found || v == o;
      ok = (c.op == Op::kIn) == found;
      break;
    }
  }
  if (ok && matched) {
    matched->push_back({c.feature->info.name, c.text, FormatValue(*c.feature, v)});
  }
  return ok;
}

// Every feature `c` reads, each once, in the order first read.
void CollectFeatures(const Condition& c, std::vector<const FeatureDef*>& out) {
  if (c.kind == Condition::Kind::kLeaf) {
    if (std::find(out.begin(), out.end(), c.feature) == out.end()) out.push_back(c.feature);
    return;
  }
  for (const Condition& child : c.children) CollectFeatures(child, out);
}

struct TierProfile {
  std::string description;
  std::string change_approach;
  std::string governance;
  std::string leadership;
  std::string resourcing_demand;
  Complexity complexity_floor = Complexity::kUnspecified;
};

struct TierRule {
  std::string id;
  std::string description;
  Condition when;
  Tier tier;
};

struct ComplexityRule {
  std::string id;
  std::string description;
  Condition when;
  ComplexityType type;
  int32_t points;
};

// Parse errors carry their location; thrown only inside this file and
// caught in LoadRuleset (yaml-cpp reports through exceptions too).
struct RulesetError {
  std::string where;
  std::string message;
};

[[noreturn]] void Fail(const std::string& where, const std::string& message) {
  throw RulesetError{where, message};
}

std::string Join(const std::string& where, const std::string& key) {
  return where.empty() ? key : absl::StrCat(where, ".", key);
}

void CheckKeys(const YAML::Node& node, const std::string& where,
               const std::set<std::string>& allowed) {
  if (!node.IsMap()) Fail(where, "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) {
      Fail(where, absl::StrCat("unknown key \"", key, "\" (allowed: ",
                               absl::StrJoin(allowed, ", "), ")"));
    }
  }
}

const YAML::Node Required(const YAML::Node& node, const std::string& where,
                          const std::string& key) {
  YAML::Node child = node[key];
  if (!child || child.IsNull()) Fail(Join(where, key), "required");
  return child;
}

std::string String(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) Fail(where, "must be a string");
  std::string s = node.as<std::string>();
  if (s.empty()) Fail(where, "must not be empty");
  return s;
}

std::string RequiredString(const YAML::Node& node, const std::string& where,
                           const std::string& key) {
  return String(Required(node, where, key), Join(where, key));
}

std::string OptionalString(const YAML::Node& node, const std::string& where,
                           const std::string& key) {
  YAML::Node child = node[key];
  if (!child || child.IsNull()) return "";
  return String(child, Join(where, key));
}

int64_t Integer(const YAML::Node& node, const std::string& where, int64_t min, int64_t max) {
  if (!node.IsScalar()) Fail(where, "must be an integer");
  int64_t v = 0;
  if (!YAML::convert<int64_t>::decode(node, v)) {
    Fail(where, absl::StrCat("must be an integer, got \"", node.Scalar(), "\""));
  }
  if (v < min || v > max) Fail(where, absl::StrCat("must be in ", min, "..", max, ", got ", v));
  return v;
}

std::string RuleWhere(const std::string& list, size_t index, const std::string& id) {
  return id.empty() ? absl::StrFormat("%s[%d]", list, index)
                    : absl::StrFormat("%s[%d] (id \"%s\")", list, index, id);
}

double ParseOperand(const FeatureDef& def, const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) Fail(where, "must be a single value");
  const std::string& s = node.Scalar();
  switch (def.info.kind) {
    case FeatureInfo::Kind::kBool: {
      bool b = false;
      if (!YAML::convert<bool>::decode(node, b)) {
        Fail(where, absl::StrCat("feature \"", def.info.name,
                                 "\" is true/false, got \"", s, "\""));
      }
      return b ? 1.0 : 0.0;
    }
    case FeatureInfo::Kind::kNumber: {
      double d = 0;
      if (!YAML::convert<double>::decode(node, d) || !std::isfinite(d)) {
        Fail(where, absl::StrCat("feature \"", def.info.name, "\" is a number, got \"", s, "\""));
      }
      return d;
    }
    case FeatureInfo::Kind::kEnum:
      break;
  }
  for (size_t i = 0; i < def.info.values.size(); ++i) {
    if (def.info.values[i] == s) return static_cast<double>(i);
  }
  Fail(where, absl::StrCat("\"", s, "\" is not a value of feature \"", def.info.name,
                           "\" (values: ", absl::StrJoin(def.info.values, ", "), ")"));
}

// Conditions in a whole ruleset, counted as parsed. YAML aliases let a few
// lines name one condition many times over (`any: [*a, *a, *a]` with `a`
// itself such a list), so a 10 KiB WhatIfRuleset, which any role may call,
// could ask for billions of them. The shipped ruleset has about 50.
constexpr size_t kMaxConditions = 10000;

Condition ParseCondition(const YAML::Node& node, const std::string& where, int depth,
                         size_t& conditions) {
  if (depth > 16) Fail(where, "conditions nested deeper than 16 levels");
  if (++conditions > kMaxConditions) {
    Fail(where, absl::StrCat("more than ", kMaxConditions,
                             " conditions in the ruleset (counting each use of a YAML alias)"));
  }
  if (!node.IsMap()) {
    Fail(where, "a condition must be a mapping with one of: all, any, not, feature");
  }
  const bool has_all = node["all"].IsDefined();
  const bool has_any = node["any"].IsDefined();
  const bool has_not = node["not"].IsDefined();
  const bool has_feature = node["feature"].IsDefined();
  if (has_all + has_any + has_not + has_feature != 1) {
    Fail(where, "a condition needs exactly one of: all, any, not, feature");
  }
  Condition c;
  if (has_all || has_any) {
    const std::string key = has_all ? "all" : "any";
    CheckKeys(node, where, {key});
    const YAML::Node list = node[key];
    const std::string w = Join(where, key);
    if (!list.IsSequence() || list.size() == 0) Fail(w, "must be a non-empty list of conditions");
    c.kind = has_all ? Condition::Kind::kAll : Condition::Kind::kAny;
    std::vector<std::string> texts;
    for (size_t i = 0; i < list.size(); ++i) {
      c.children.push_back(
          ParseCondition(list[i], absl::StrFormat("%s[%d]", w, i), depth + 1, conditions));
      texts.push_back(c.children.back().children.empty()
                          ? c.children.back().text
                          : absl::StrCat("(", c.children.back().text, ")"));
    }
    c.text = absl::StrJoin(texts, has_all ? " and " : " or ");
    return c;
  }
  if (has_not) {
    CheckKeys(node, where, {"not"});
    c.kind = Condition::Kind::kNot;
    c.children.push_back(ParseCondition(node["not"], Join(where, "not"), depth + 1, conditions));
    c.text = absl::StrCat("not (", c.children[0].text, ")");
    return c;
  }
  CheckKeys(node, where, {"feature", "op", "value", "values"});
  const std::string name = RequiredString(node, where, "feature");
  for (const FeatureDef& def : FeatureDefs()) {
    if (def.info.name == name) c.feature = &def;
  }
  if (c.feature == nullptr) {
    std::vector<std::string> names;
    for (const FeatureDef& def : FeatureDefs()) names.push_back(def.info.name);
    Fail(Join(where, "feature"), absl::StrCat("unknown feature \"", name, "\" (known: ",
                                              absl::StrJoin(names, ", "), ")"));
  }
  const std::string op_text = RequiredString(node, where, "op");
  std::optional<Op> op = ParseOp(op_text);
  if (!op) {
    Fail(Join(where, "op"), absl::StrCat("unknown operator \"", op_text,
                                         "\" (operators: ==, !=, <, <=, >, >=, in, not_in)"));
  }
  c.op = *op;
  const bool is_set = c.op == Op::kIn || c.op == Op::kNotIn;
  if (c.op != Op::kEq && c.op != Op::kNe && c.feature->info.kind == FeatureInfo::Kind::kBool) {
    Fail(Join(where, "op"), absl::StrCat("operator \"", op_text, "\" does not apply to true/false",
                                         " feature \"", name, "\" (use == or !=)"));
  }
  std::vector<std::string> shown;
  if (is_set) {
    if (node["value"].IsDefined()) Fail(Join(where, "value"), "use \"values\" (a list) with in/not_in");
    const YAML::Node values = Required(node, where, "values");
    if (!values.IsSequence() || values.size() == 0) {
      Fail(Join(where, "values"), "must be a non-empty list");
    }
    for (size_t i = 0; i < values.size(); ++i) {
      c.operands.push_back(
          ParseOperand(*c.feature, values[i], absl::StrFormat("%s.values[%d]", where, i)));
      shown.push_back(FormatValue(*c.feature, c.operands.back()));
    }
    c.text = absl::StrCat(name, " ", op_text, " [", absl::StrJoin(shown, ", "), "]");
  } else {
    if (node["values"].IsDefined()) Fail(Join(where, "values"), "only in/not_in take \"values\"");
    c.operands.push_back(
        ParseOperand(*c.feature, Required(node, where, "value"), Join(where, "value")));
    c.text = absl::StrCat(name, " ", op_text, " ", FormatValue(*c.feature, c.operands[0]));
  }
  return c;
}

}  // namespace

const std::vector<FeatureInfo>& Features() {
  static const std::vector<FeatureInfo>* infos = [] {
    auto* v = new std::vector<FeatureInfo>;
    for (const FeatureDef& def : FeatureDefs()) v->push_back(def.info);
    return v;
  }();
  return *infos;
}

struct Ruleset::Impl {
  std::string id;
  uint32_t version = 0;
  std::string title;
  std::string source;
  std::map<Tier, TierProfile> tiers;
  std::vector<TierRule> tier_rules;
  // The features the tier rules read: what the default tier explains.
  std::vector<const FeatureDef*> tier_features;
  Tier default_tier = Tier::kUnspecified;
  std::string default_description;
  int32_t medium_from = 0;
  int32_t high_from = 0;
  int32_t type_present_from = 1;
  // From this level up a complexity names a type (kUnspecified: no such
  // level, as in rulesets before the key existed).
  Complexity types_required_from = Complexity::kUnspecified;
  std::vector<ComplexityRule> complexity_rules;
  std::map<ComplexityType, std::string> type_guidance;
};

Ruleset::Ruleset(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ruleset::~Ruleset() = default;
const std::string& Ruleset::id() const { return impl_->id; }
uint32_t Ruleset::version() const { return impl_->version; }
const std::string& Ruleset::title() const { return impl_->title; }
const std::string& Ruleset::source() const { return impl_->source; }
size_t Ruleset::tier_rule_count() const { return impl_->tier_rules.size(); }
TierGuidance Ruleset::GuidanceFor(Tier tier) const {
  auto it = impl_->tiers.find(tier);
  if (it == impl_->tiers.end()) return {};
  const TierProfile& p = it->second;
  return {p.change_approach, p.governance, p.leadership, p.resourcing_demand};
}
std::vector<std::string> Ruleset::TypeGuidanceFor(const std::vector<ComplexityType>& types) const {
  std::vector<std::string> lines;
  for (ComplexityType t : types) {
    auto it = impl_->type_guidance.find(t);
    if (it != impl_->type_guidance.end()) {
      lines.push_back(absl::StrCat(ComplexityTypeName(t), ": ", it->second));
    }
  }
  return lines;
}
Complexity Ruleset::ComplexityFloor(Tier tier) const {
  auto it = impl_->tiers.find(tier);
  return it == impl_->tiers.end() ? Complexity::kUnspecified : it->second.complexity_floor;
}
size_t Ruleset::complexity_rule_count() const { return impl_->complexity_rules.size(); }
std::vector<std::string> Ruleset::rule_ids() const {
  std::vector<std::string> ids;
  for (const TierRule& r : impl_->tier_rules) ids.push_back(r.id);
  for (const ComplexityRule& r : impl_->complexity_rules) ids.push_back(r.id);
  return ids;
}

namespace {

// YAML aliases repeat a node wherever they are used, so a small text can
// stand for a huge document: a long description aliased by thousands of
// rules, or a list of lists of itself. What ParseInto reads, aliases
// expanded, stays within these bounds (the shipped ruleset: about 500
// nodes, 7 KB of text, 8 levels).
constexpr size_t kMaxExpandedNodes = 100000;
constexpr size_t kMaxExpandedBytes = 4 << 20;
constexpr int kMaxNesting = 64;

void CheckExpandedSize(const YAML::Node& node, int depth, size_t& nodes, size_t& bytes) {
  if (depth > kMaxNesting) {
    Fail("", absl::StrCat("nested deeper than ", kMaxNesting, " levels"));
  }
  if (++nodes > kMaxExpandedNodes) {
    Fail("", absl::StrCat("more than ", kMaxExpandedNodes,
                          " YAML nodes, counting each use of an alias"));
  }
  if (node.IsScalar()) {
    bytes += node.Scalar().size();
    if (bytes > kMaxExpandedBytes) {
      Fail("", absl::StrCat("more than ", kMaxExpandedBytes,
                            " bytes of text, counting each use of an alias"));
    }
    return;
  }
  if (node.IsMap()) {
    for (const auto& kv : node) {
      CheckExpandedSize(kv.first, depth + 1, nodes, bytes);
      CheckExpandedSize(kv.second, depth + 1, nodes, bytes);
    }
  } else if (node.IsSequence()) {
    for (const auto& child : node) CheckExpandedSize(child, depth + 1, nodes, bytes);
  }
}

// A complexity level under `key` of `node`; kUnspecified when absent.
Complexity OptionalComplexity(const YAML::Node& node, const std::string& where,
                              const std::string& key) {
  const std::string name = OptionalString(node, where, key);
  if (name.empty()) return Complexity::kUnspecified;
  std::optional<Complexity> c = ParseComplexity(name);
  if (!c) {
    Fail(Join(where, key), absl::StrCat("unknown complexity \"", name, "\" (LOW, MEDIUM, HIGH)"));
  }
  return *c;
}

void ParseInto(const YAML::Node& root, Ruleset::Impl& r) {
  if (!root.IsMap()) Fail("", "the ruleset must be a YAML mapping");
  size_t nodes = 0;
  size_t bytes = 0;
  CheckExpandedSize(root, 0, nodes, bytes);
  CheckKeys(root, "", {"id", "version", "title", "description", "source", "tiers", "tier_rules",
                       "default_tier", "complexity", "complexity_rules", "type_guidance"});
  r.id = RequiredString(root, "", "id");
  for (char ch : r.id) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.') {
      Fail("id", "use letters, digits, '-', '_' and '.' only");
    }
  }
  r.version = static_cast<uint32_t>(Integer(Required(root, "", "version"), "version", 1, 1000000));
  r.title = OptionalString(root, "", "title");

  // Tier profiles: all four tiers, each with its likely approach.
  const YAML::Node tiers = Required(root, "", "tiers");
  CheckKeys(tiers, "tiers", {"TRANSFORMATIONAL", "MANDATED", "EXPERIMENTAL", "INCREMENTAL"});
  for (Tier t : {Tier::kTransformational, Tier::kMandated, Tier::kExperimental,
                 Tier::kIncremental}) {
    const std::string name(TierName(t));
    const std::string w = Join("tiers", name);
    const YAML::Node p = Required(tiers, "tiers", name);
    CheckKeys(p, w, {"description", "change_approach", "governance", "leadership",
                     "resourcing_demand", "complexity_floor"});
    TierProfile profile;
    profile.description = OptionalString(p, w, "description");
    profile.change_approach = RequiredString(p, w, "change_approach");
    profile.governance = RequiredString(p, w, "governance");
    profile.leadership = RequiredString(p, w, "leadership");
    profile.resourcing_demand = RequiredString(p, w, "resourcing_demand");
    profile.complexity_floor = OptionalComplexity(p, w, "complexity_floor");
    r.tiers[t] = profile;
  }

  std::set<std::string> ids;
  auto rule_id = [&](const YAML::Node& rule, const std::string& list, size_t i) {
    const std::string w = RuleWhere(list, i, "");
    if (!rule.IsMap()) Fail(w, "a rule must be a mapping");
    const std::string id = RequiredString(rule, w, "id");
    if (id.size() > 64) Fail(Join(w, "id"), "at most 64 characters");
    if (!ids.insert(id).second) {
      Fail(Join(RuleWhere(list, i, id), "id"), absl::StrCat("duplicate rule id \"", id, "\""));
    }
    return id;
  };

  size_t conditions = 0;  // see kMaxConditions
  const YAML::Node tier_rules = Required(root, "", "tier_rules");
  if (!tier_rules.IsSequence()) Fail("tier_rules", "must be a list of rules");
  for (size_t i = 0; i < tier_rules.size(); ++i) {
    const YAML::Node rule = tier_rules[i];
    TierRule tr;
    tr.id = rule_id(rule, "tier_rules", i);
    const std::string w = RuleWhere("tier_rules", i, tr.id);
    CheckKeys(rule, w, {"id", "description", "when", "tier"});
    tr.description = RequiredString(rule, w, "description");
    const std::string tier = RequiredString(rule, w, "tier");
    std::optional<Tier> t = ParseTier(tier);
    if (!t) {
      Fail(Join(w, "tier"), absl::StrCat("unknown tier \"", tier, "\" (TRANSFORMATIONAL, MANDATED,",
                                         " EXPERIMENTAL, INCREMENTAL)"));
    }
    tr.tier = *t;
    tr.when = ParseCondition(Required(rule, w, "when"), Join(w, "when"), 0, conditions);
    CollectFeatures(tr.when, r.tier_features);
    r.tier_rules.push_back(std::move(tr));
  }

  const YAML::Node def = Required(root, "", "default_tier");
  CheckKeys(def, "default_tier", {"tier", "description"});
  const std::string def_tier = RequiredString(def, "default_tier", "tier");
  std::optional<Tier> dt = ParseTier(def_tier);
  if (!dt) Fail("default_tier.tier", absl::StrCat("unknown tier \"", def_tier, "\""));
  r.default_tier = *dt;
  r.default_description = RequiredString(def, "default_tier", "description");

  const YAML::Node cx = Required(root, "", "complexity");
  CheckKeys(cx, "complexity",
            {"medium_from", "high_from", "type_present_from", "types_required_from"});
  r.medium_from = static_cast<int32_t>(
      Integer(Required(cx, "complexity", "medium_from"), "complexity.medium_from", 1, 10000));
  r.high_from = static_cast<int32_t>(
      Integer(Required(cx, "complexity", "high_from"), "complexity.high_from", 1, 10000));
  if (r.high_from <= r.medium_from) {
    Fail("complexity.high_from", absl::StrCat("must be greater than medium_from (", r.medium_from,
                                              "), got ", r.high_from));
  }
  r.type_present_from = static_cast<int32_t>(Integer(
      Required(cx, "complexity", "type_present_from"), "complexity.type_present_from", 1, 10000));
  r.types_required_from = OptionalComplexity(cx, "complexity", "types_required_from");

  const YAML::Node cx_rules = Required(root, "", "complexity_rules");
  if (!cx_rules.IsSequence()) Fail("complexity_rules", "must be a list of rules");
  for (size_t i = 0; i < cx_rules.size(); ++i) {
    const YAML::Node rule = cx_rules[i];
    ComplexityRule cr;
    cr.id = rule_id(rule, "complexity_rules", i);
    const std::string w = RuleWhere("complexity_rules", i, cr.id);
    CheckKeys(rule, w, {"id", "description", "when", "type", "points"});
    cr.description = RequiredString(rule, w, "description");
    const std::string type = RequiredString(rule, w, "type");
    std::optional<ComplexityType> t = ParseComplexityType(type);
    if (!t) {
      Fail(Join(w, "type"), absl::StrCat("unknown complexity type \"", type,
                                         "\" (STRUCTURAL, SOCIO_POLITICAL, EMERGENT)"));
    }
    cr.type = *t;
    cr.points = static_cast<int32_t>(Integer(Required(rule, w, "points"), Join(w, "points"), -100, 100));
    if (cr.points == 0) Fail(Join(w, "points"), "must not be 0");
    cr.when = ParseCondition(Required(rule, w, "when"), Join(w, "when"), 0, conditions);
    r.complexity_rules.push_back(std::move(cr));
  }

  const YAML::Node guidance = root["type_guidance"];
  if (guidance && !guidance.IsNull()) {
    CheckKeys(guidance, "type_guidance", {"STRUCTURAL", "SOCIO_POLITICAL", "EMERGENT"});
    for (const auto& kv : guidance) {
      const std::string key = kv.first.as<std::string>();
      r.type_guidance[*ParseComplexityType(key)] = String(kv.second, Join("type_guidance", key));
    }
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ruleset>> LoadRuleset(std::string_view yaml_text,
                                                     std::string_view source_name) {
  auto impl = std::make_unique<Ruleset::Impl>();
  const std::string source(source_name);
  impl->source = source;
  try {
    YAML::Node root = YAML::Load(std::string(yaml_text));
    ParseInto(root, *impl);
  } catch (const RulesetError& e) {
    return absl::InvalidArgumentError(
        e.where.empty() ? absl::StrCat(source, ": ", e.message)
                        : absl::StrCat(source, ": ", e.where, ": ", e.message));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": YAML error at line ", e.mark.line + 1, ", column ", e.mark.column + 1,
        ": ", e.msg));
  }
  return std::unique_ptr<Ruleset>(new Ruleset(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<Ruleset>> LoadRulesetFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open ruleset file"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": cannot read ruleset file"));
  return LoadRuleset(buffer.str(), path);
}

namespace {

// The types whose points reach type_present_from. From types_required_from
// up, a complexity names at least one type: when no type reaches the
// threshold, the types holding the most points (more than none) are
// present, those whose features raised the complexity most, and
// `*from_most_points` says so.
std::vector<ComplexityType> PresentTypes(const Ruleset::Impl& r,
                                         const std::map<ComplexityType, int32_t>& points,
                                         Complexity complexity, bool* from_most_points) {
  std::vector<ComplexityType> types;
  for (const auto& [type, p] : points) {
    if (p >= r.type_present_from) types.push_back(type);
  }
  const bool type_required = r.types_required_from != Complexity::kUnspecified &&
                             complexity >= r.types_required_from;
  if (types.empty() && type_required) {
    int32_t most = 0;
    for (const auto& [type, p] : points) most = std::max(most, p);
    for (const auto& [type, p] : points) {
      if (most > 0 && p == most) types.push_back(type);
    }
    *from_most_points = !types.empty();
  }
  NormalizeTypes(types);
  return types;
}

}  // namespace

Suggestion Ruleset::Evaluate(const ChangeFacts& facts) const {
  const Impl& r = *impl_;
  Suggestion s;
  s.ruleset_id = r.id;
  s.ruleset_version = r.version;

  Tier tier = Tier::kUnspecified;
  for (const TierRule& rule : r.tier_rules) {
    FiredRule fired;
    if (!Holds(rule.when, facts, &fired.matched)) continue;
    fired.rule_id = rule.id;
    fired.description = rule.description;
    fired.effect = absl::StrCat("tier ", TierName(rule.tier));
    if (tier == Tier::kUnspecified) {
      tier = rule.tier;
      fired.decisive = true;
    }
    s.fired_rules.push_back(std::move(fired));
  }
  if (tier == Tier::kUnspecified) {
    tier = r.default_tier;
    FiredRule fired;
    fired.rule_id = "default-tier";
    fired.description = r.default_description;
    fired.effect = absl::StrCat("tier ", TierName(tier));
    fired.decisive = true;
    // No rule held: show what the tier rules saw, and which of it was
    // never stated (a count, cost or level left at zero).
    for (const FeatureDef* def : r.tier_features) {
      const double v = def->get(facts);
      const std::string& name = def->info.name;
      const std::string shown = FormatValue(*def, v);
      const bool unstated = v == 0 && def->info.kind != FeatureInfo::Kind::kBool;
      fired.matched.push_back(
          {name, unstated ? absl::StrCat(name, " not stated") : absl::StrCat(name, " == ", shown),
           shown});
    }
    s.fired_rules.push_back(std::move(fired));
  }

  std::map<ComplexityType, int32_t> points;
  for (const ComplexityRule& rule : r.complexity_rules) {
    FiredRule fired;
    if (!Holds(rule.when, facts, &fired.matched)) continue;
    fired.rule_id = rule.id;
    fired.description = rule.description;
    fired.effect = absl::StrCat(ComplexityTypeName(rule.type), rule.points > 0 ? " +" : " ",
                                rule.points);
    points[rule.type] += rule.points;
    s.complexity_points += rule.points;
    s.fired_rules.push_back(std::move(fired));
  }

  Classification& c = s.classification;
  c.tier = tier;
  for (const auto& [type, p] : points) s.type_points[std::string(ComplexityTypeName(type))] = p;
  c.complexity = s.complexity_points >= r.high_from     ? Complexity::kHigh
                 : s.complexity_points >= r.medium_from ? Complexity::kMedium
                                                        : Complexity::kLow;
  const TierProfile& profile = r.tiers.at(tier);
  if (profile.complexity_floor != Complexity::kUnspecified && c.complexity < profile.complexity_floor) {
    c.complexity = profile.complexity_floor;
    s.complexity_raised_to_floor = true;
  }
  c.types = PresentTypes(r, points, c.complexity, &s.types_from_most_points);
  s.change_approach = profile.change_approach;
  s.governance = profile.governance;
  s.leadership = profile.leadership;
  s.resourcing_demand = profile.resourcing_demand;
  s.type_guidance = TypeGuidanceFor(c.types);
  return s;
}

}  // namespace changeledger::classification
