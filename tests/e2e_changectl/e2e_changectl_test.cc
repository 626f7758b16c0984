// End to end: the stack as tools/run.sh starts it (dev broker and every
// service built, generated config, example portfolio loaded through the
// public API), and what changectl prints against it.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "changeledger/rpc/test_certificates.h"
#include "stack.h"

namespace changeledger::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

size_t Lines(const std::string& text) {
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

class ChangectlE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(std::filesystem::temp_directory_path() /
                           ("e2e_changectl_" + std::to_string(getpid())));
    std::filesystem::remove_all(*dir_);
    stack_ = new Stack(*dir_);
    std::string why;
    started_ = stack_->Start({}, 600, &why);
    if (!started_) start_error_ = new std::string(why);
  }
  static void TearDownTestSuite() {
    delete stack_;  // stops run.sh and everything it started
    stack_ = nullptr;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(started_) << (start_error_ ? *start_error_ : "");
  }

  static inline std::string* dir_ = nullptr;
  static inline Stack* stack_ = nullptr;
  static inline bool started_ = false;
  static inline std::string* start_error_ = nullptr;
};

TEST_F(ChangectlE2eTest, NamedExampleReturnListsAsTableAndJson) {
  auto table = stack_->Ctl({"changes", "list", "--return", "example-named-2021-05-12"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, testing::StartsWith("ID"));
  EXPECT_THAT(table.out, testing::ContainsRegex("\n[0-9a-f-]{36}  in_delivery  MO +yes  "
                                                "CONNECT: one integrated records system +"
                                                "return example-named-2021-05-12 #CONNECT "
                                                "\\(as of 2021-05-12\\)\n"));
  EXPECT_EQ(Lines(table.out), 1u + 17u);  // header + the 17 named changes

  auto json = stack_->Ctl({"changes", "list", "--return", "example-named-2021-05-12", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["changes"].size(), 17u);
  std::set<std::string> titles;
  for (const auto& c : doc["changes"]) titles.insert(c["attributes"]["title"].get<std::string>());
  EXPECT_TRUE(titles.contains("Pilot: machine translation for investigations"));
  EXPECT_TRUE(titles.contains("Procurement: 24 additional EasyLift terminals (forensics)"));
  const auto& first = doc["changes"][0];
  EXPECT_EQ(first["origin"]["return_record"]["return_reference"], "example-named-2021-05-12");
  EXPECT_EQ(first["origin"]["return_record"]["as_of"]["day"], 12);
  EXPECT_EQ(first["attributes"]["estimated_cost"]["currency_code"], "GBP");
}

TEST_F(ChangectlE2eTest, SyntheticBaselineIsLoadedOnce) {
  auto names = stack_->Ctl(
      {"changes", "list", "--return", "example-baseline-2021-05-12", "-o", "name"});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  EXPECT_EQ(Lines(names.out), 300u);
  EXPECT_THAT(names.out, testing::StartsWith("changes/"));
}

TEST_F(ChangectlE2eTest, ProposalsExistInEveryState) {
  auto json = stack_->Ctl({"proposals", "list", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::set<std::string> states;
  const auto doc = nlohmann::json::parse(json.out);
  for (const auto& p : doc["proposals"]) {
    states.insert(p["state"].get<std::string>());
  }
  EXPECT_EQ(states, (std::set<std::string>{
                        "PROPOSAL_STATE_DRAFT", "PROPOSAL_STATE_SUBMITTED",
                        "PROPOSAL_STATE_UNDER_ASSESSMENT", "PROPOSAL_STATE_APPROVED",
                        "PROPOSAL_STATE_REJECTED", "PROPOSAL_STATE_DEFERRED",
                        "PROPOSAL_STATE_RETURNED", "PROPOSAL_STATE_WITHDRAWN"}));

  auto table = stack_->Ctl({"proposals", "list", "--state", "approved"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, testing::ContainsRegex(
                             "\n[0-9a-f-]{36}  approved  CS +dev-proposer +[0-9]+  "
                             "Frontline innovation fund\n"));
}

// Lists filter on the tier-relevant flags: the example has three proposals
// that test a hypothesis (examples/load.sh).
TEST_F(ChangectlE2eTest, ProposalsListFiltersOnTierFlags) {
  auto json =
      stack_->Ctl({"proposals", "list", "--tests-hypothesis", "yes", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  std::set<std::string> titles;
  const auto doc = nlohmann::json::parse(json.out);
  for (const auto& p : doc["proposals"])
    titles.insert(p["attributes"]["title"].get<std::string>());
  EXPECT_EQ(titles, (std::set<std::string>{"Body-worn video auto-redaction",
                                           "Drone support for missing person searches",
                                           "Chatbot for 101 non-emergency contact"}))
      << json.out;
  auto bad = stack_->Ctl({"proposals", "list", "--sro-led", "maybe"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, testing::HasSubstr("--sro-led: "));
}

// The example takes seven proposals through submission (examples/load.sh):
// three for CS, two for MO, one each for FP and PS.
TEST_F(ChangectlE2eTest, FrontDoorCountsSubmissionsOverallAndPerArea) {
  ASSERT_EQ(stack_->Ctl({"baseline", "--settle", "60s"}).exit_code, 0);  // the view caught up
  auto submitted = [&](std::vector<std::string> args) -> int64_t {
    args.insert(args.begin(), {"portfolio", "front-door", "-o", "json"});
    auto result = stack_->Ctl(args);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    int64_t n = 0;
    const auto doc = nlohmann::json::parse(result.out);
    for (const auto& period : doc["periods"]) {
      n += std::stoll(period["submitted"].get<std::string>());  // int64 is a JSON string
      EXPECT_GE(period["mean_days_to_decision"].get<double>(), 0) << period;
    }
    return n;
  };
  EXPECT_EQ(submitted({}), 7);
  EXPECT_EQ(submitted({"--area", "CS"}), 3);
  EXPECT_EQ(submitted({"--area", "MO"}), 2);
  EXPECT_EQ(submitted({"--area", "DI"}), 0);

  auto table = stack_->Ctl({"portfolio", "front-door", "--area", "CS"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, testing::StartsWith("Front door (business area CS) as known now"));
  EXPECT_THAT(table.out, HasSubstr("PENDING  WITHDRAWN"));

  // Every submission counts once, where it stands.
  auto json = stack_->Ctl({"portfolio", "front-door", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json answer = nlohmann::json::parse(json.out);
  for (const auto& period : answer["periods"]) {
    auto n = [&](const char* field) {
      return period.contains(field) ? std::stoll(period[field].get<std::string>()) : 0;
    };
    EXPECT_EQ(n("submitted"), n("approved") + n("rejected") + n("deferred") + n("returned") +
                                  n("pending") + n("withdrawn"))
        << period;
  }
}

TEST_F(ChangectlE2eTest, ImportWithBadRowsReportsEveryRowAndExits6) {
  const std::string file = SourceDir() + "/examples/returns/example-bad-rows.csv";
  const std::string reference = "e2e-bad-rows";
  auto table = stack_->Ctl({"import", file, "--reference", reference});
  EXPECT_EQ(table.exit_code, 6) << table.err;
  EXPECT_THAT(table.err, HasSubstr("the return states no date its data stands at; give "
                                   "--as-of DATE"));
  EXPECT_THAT(table.out, HasSubstr("return e2e-bad-rows: 1 registered, 0 already imported, "
                                   "2 rejected, 3 unreadable (of 6 rows)\n"));
  EXPECT_THAT(table.out, HasSubstr("\nrows not imported:\nWHERE   RECORD  ERROR\n"));
  EXPECT_THAT(table.out, HasSubstr(
      "\nline 4  BAD-2   planned_start: \"2021-02-30\" is not a date (expected YYYY-MM-DD)\n"));
  EXPECT_THAT(table.out, testing::ContainsRegex("\nline 5  BAD-3   .*business_area"));
  EXPECT_THAT(table.out, HasSubstr("\nline 7  BAD-1   record_reference repeats the one at line 3\n"));
  EXPECT_THAT(table.out, testing::ContainsRegex("\nline 8  BAD-6   .*XX"));

  // Again, as JSON: the good row is already there, the bad ones still bad.
  auto json = stack_->Ctl({"import", file, "--reference", reference, "-o", "json"});
  EXPECT_EQ(json.exit_code, 6) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc["registered"], 0);
  EXPECT_EQ(doc["already_imported"], 1);
  EXPECT_EQ(doc["rejected"], 2);
  EXPECT_EQ(doc["unreadable"], 3);
  ASSERT_EQ(doc["errors"].size(), 5u);
  EXPECT_EQ(doc["errors"][0]["where"], "line 4");
  EXPECT_EQ(doc["errors"][1]["record_reference"], "BAD-3");
}

TEST_F(ChangectlE2eTest, ReimportListsRowsThatDifferFromTheFirstImport) {
  const std::string file = *dir_ + "/e2e-corrected.csv";
  auto write = [&](const std::string& title) {
    std::ofstream out(file);
    out << "record_reference,title,business_area,sponsor\n"
        << "C-1," << title << ",MO,Supt A\n"
        << "C-2,Unchanged,MO,Supt B\n";
  };
  write("Before");
  auto first = stack_->Ctl({"import", file, "--reference", "e2e-corrected"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  write("After");
  auto again = stack_->Ctl({"import", file, "--reference", "e2e-corrected"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("0 registered, 2 already imported"));
  EXPECT_THAT(again.out, testing::ContainsRegex(
                             "\nrows already imported that differ from the first import .*\n"
                             "WHERE +RECORD +CHANGE +DIFFERS IN\n"
                             "line 2 +C-1 +[0-9a-f-]{36} +title\n$"));
}

// Registered changes known to intake now (none of them closed or stopped,
// so all of them are in the ongoing baseline): the example's 317 returned
// changes, the one the front door approved, and whatever other tests added.
int RegisteredChanges(const Stack& stack) {
  auto names = stack.Ctl({"changes", "list", "-o", "name"});
  EXPECT_EQ(names.exit_code, 0) << names.err;
  return static_cast<int>(Lines(names.out));
}

TEST_F(ChangectlE2eTest, BaselineTableAndJsonShowThePapersShape) {
  auto table = stack_->Ctl({"baseline", "--settle", "60s"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  const int changes = RegisteredChanges(*stack_);
  EXPECT_GE(changes, 318);
  EXPECT_THAT(table.out, testing::ContainsRegex(
                             "^Change baseline as known now \\(latest event recorded "
                             "[0-9-]+T[0-9:]+(\\.[0-9]+)?Z\\)\n"));
  EXPECT_THAT(table.out, HasSubstr("changes registered, in_delivery: " + std::to_string(changes) +
                                   " changes, 0 not yet classified, " + std::to_string(changes) +
                                   " classified by suggestion only (100%)\n"));
  EXPECT_THAT(table.out, HasSubstr("\nTIER              HIGH  MEDIUM  LOW  TOTAL  DATA&DIGITAL  SHARE\n"));
  EXPECT_THAT(table.out, testing::ContainsRegex("\nmandated +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+  [0-9]+%\n"));
  EXPECT_THAT(table.out, HasSubstr("\nnot a pyramid: MANDATED ("));
  EXPECT_THAT(table.out, HasSubstr("\ntop mandated changes per area (by cost):\n"));

  auto json = stack_->Ctl({"baseline", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto b = nlohmann::json::parse(json.out);
  EXPECT_EQ(b["total"], std::to_string(changes));  // int64: a string in JSON
  EXPECT_EQ(b["unclassified"], "0");
  EXPECT_FALSE(b["pyramid"]["holds"].get<bool>());
  EXPECT_EQ(b["pyramid"]["most_common"], "TIER_MANDATED");
  std::map<std::string, std::map<std::string, int>> cells;
  for (const auto& c : b["tier_complexity"]) {
    cells[c["tier"]][c["complexity"]] = std::stoi(c["changes"].get<std::string>());
  }
  // Complexity grows with the tier: transformational never low, incremental never high.
  EXPECT_EQ(cells["TIER_TRANSFORMATIONAL"]["COMPLEXITY_LOW"], 0);
  EXPECT_GT(cells["TIER_TRANSFORMATIONAL"]["COMPLEXITY_HIGH"], 0);
  EXPECT_EQ(cells["TIER_INCREMENTAL"]["COMPLEXITY_HIGH"], 0);
  EXPECT_EQ(cells["TIER_EXPERIMENTAL"]["COMPLEXITY_HIGH"], 0);
  // Mandated mostly medium.
  EXPECT_GT(cells["TIER_MANDATED"]["COMPLEXITY_MEDIUM"],
            cells["TIER_MANDATED"]["COMPLEXITY_HIGH"] + cells["TIER_MANDATED"]["COMPLEXITY_LOW"]);
}

TEST_F(ChangectlE2eTest, AsOfAndDiffSeeOnlyWhatWasKnownThen) {
  ASSERT_EQ(stack_->Ctl({"baseline", "--settle", "60s", "-o", "json"}).exit_code, 0);
  const int known = RegisteredChanges(*stack_);
  auto now = RunCommand({"/bin/date", "-u", "+%Y-%m-%dT%H:%M:%S.%NZ"});
  const std::string before = now.out.substr(0, now.out.size() - 1);
  auto registered = stack_->Ctl({"-o", "name", "changes", "register", "--request-id", "e2e-as-of",
                                 "--title", "E2E: a change registered after T", "--area", "CS",
                                 "--sponsor", "Test", "--business-case", "yes"});
  ASSERT_EQ(registered.exit_code, 0) << registered.err;
  const std::string id = registered.out.substr(std::string("changes/").size(),
                                               registered.out.size() - 1 - std::string("changes/").size());

  auto current = stack_->Ctl({"baseline", "--settle", "60s", "-o", "json"});
  ASSERT_EQ(current.exit_code, 0) << current.err;
  EXPECT_EQ(nlohmann::json::parse(current.out)["total"], std::to_string(known + 1));

  auto then = stack_->Ctl({"baseline", "--as-of", before, "-o", "json"});
  ASSERT_EQ(then.exit_code, 0) << then.err;
  auto t = nlohmann::json::parse(then.out);
  EXPECT_EQ(t["total"], std::to_string(known));
  EXPECT_EQ(t["stands"]["as_of"].get<std::string>().substr(0, 19), before.substr(0, 19));

  auto table = stack_->Ctl({"baseline", "--as-of", before});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, testing::StartsWith("Change baseline as of " + before.substr(0, 19)));
  EXPECT_THAT(table.out, HasSubstr(": " + std::to_string(known) + " changes,"));

  auto diff = stack_->Ctl({"baseline", "--diff", before, "now"});
  ASSERT_EQ(diff.exit_code, 0) << diff.err;
  EXPECT_THAT(diff.out, HasSubstr("\n1 entered, 0 left, 0 reclassified, 0 changed business area, "
                                  "0 changed status\n"));
  EXPECT_THAT(diff.out, testing::ContainsRegex("\n" + id + "  entered  - +CS registered"));

  auto history = stack_->Ctl({"history", id});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("title:   E2E: a change registered after T\n"));
  EXPECT_THAT(history.out, testing::ContainsRegex("intake +ChangeRegistered +dev-portfolio-office"));
  EXPECT_THAT(history.out, testing::ContainsRegex("classification +ClassificationSuggested"));
}

// The diff since before the example is every change in the baseline,
// entered: read in pages of 7, it is the same diff as in pages of 1000,
// each change once.
TEST_F(ChangectlE2eTest, DiffReadsEveryPage) {
  auto settled = stack_->Ctl({"baseline", "--settle", "60s", "-o", "json"});
  ASSERT_EQ(settled.exit_code, 0) << settled.err;
  auto small = stack_->Ctl({"baseline", "--diff", "2000-01-01", "now", "--page-size", "7", "-o", "json"});
  ASSERT_EQ(small.exit_code, 0) << small.err;
  auto paged = nlohmann::json::parse(small.out);
  EXPECT_EQ(paged.value("next_page_token", std::string()), "");  // every page read
  std::vector<std::string> ids;
  for (const auto& c : paged["changes"]) ids.push_back(c["change_id"]);
  ASSERT_GT(ids.size(), 100u);  // the example's baseline: many pages
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  EXPECT_EQ(paged["entered"], std::to_string(ids.size()));

  // As of the same time, in pages of 1000: the same diff.
  auto big = stack_->Ctl({"baseline", "--diff", "2000-01-01", paged["to"]["as_of"],
                          "--page-size", "1000", "-o", "json"});
  ASSERT_EQ(big.exit_code, 0) << big.err;
  auto whole = nlohmann::json::parse(big.out);
  std::vector<std::string> again;
  for (const auto& c : whole["changes"]) again.push_back(c["change_id"]);
  EXPECT_EQ(again, ids);

  auto table = stack_->Ctl({"baseline", "--diff", "2000-01-01", "now", "--page-size", "7"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const auto& id : {ids.front(), ids.back()}) EXPECT_THAT(table.out, HasSubstr("\n" + id + "  "));

  auto bad = stack_->Ctl({"baseline", "--diff", "2000-01-01", "now", "--page-size", "0"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("--page-size"));
}

TEST_F(ChangectlE2eTest, StoppedServerGivesOneClearLine) {
  const std::string address = "127.0.0.1:" + std::to_string(FreePort());
  auto r = stack_->Ctl({"--intake", address, "changes", "list"});
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_EQ(r.err, "changectl: cannot reach intake at " + address + " (connection refused)\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(ChangectlE2eTest, BadTokenAndRefusedRoleGiveOneClearLine) {
  auto bad = stack_->Ctl({"--token", "not-a-token-of-this-stack", "changes", "list"});
  EXPECT_EQ(bad.exit_code, 4);
  EXPECT_EQ(bad.err, "changectl: the token was not accepted by intake (UNAUTHENTICATED)\n");

  auto env = stack_->Ctl({"changes", "list"}, {"CHANGELEDGER_TOKEN=also-not-a-token-here"});
  EXPECT_EQ(env.exit_code, 4);

  auto refused = stack_->Ctl({"--as", "auditor", "changes", "register", "--title", "x", "--area",
                              "MO", "--sponsor", "y"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_THAT(refused.err, testing::StartsWith("changectl: intake refused: "));
  EXPECT_THAT(refused.err, testing::EndsWith(" (PERMISSION_DENIED)\n"));
  EXPECT_EQ(Lines(refused.err), 1u);
}

TEST_F(ChangectlE2eTest, NotFoundAndInvalidArgumentExitCodes) {
  auto missing = stack_->Ctl({"changes", "get", "00000000-0000-4000-8000-000000000000"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_THAT(missing.err, testing::MatchesRegex("changectl: intake: .* \\(NOT_FOUND\\)\n"));

  auto invalid = stack_->Ctl({"proposals", "create", "--area", "MO"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_THAT(invalid.err, testing::MatchesRegex("changectl: intake: .*title.* \\(INVALID_ARGUMENT\\)\n"));
}

TEST_F(ChangectlE2eTest, LoadingTheExampleAgainCreatesNothing) {
  auto before = stack_->Ctl({"proposals", "list", "-o", "name"});
  auto load = RunCommand({"/bin/bash", SourceDir() + "/examples/load.sh"},
                         {"CHANGECTL=" + ChangectlPath(), "CHANGECTL_CONFIG=" + stack_->config()});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_THAT(load.out, HasSubstr("return example-named-2021-05-12 (as of 2021-05-12): "
                                  "0 registered, 17 already imported, 0 rejected"));
  EXPECT_THAT(load.out, HasSubstr("return example-baseline-2021-05-12 (as of 2021-05-12): "
                                  "0 registered, 300 already imported, 0 rejected"));
  EXPECT_THAT(load.out, Not(HasSubstr("differ from the first import")));
  auto after = stack_->Ctl({"proposals", "list", "-o", "name"});
  EXPECT_EQ(after.out, before.out);
  EXPECT_EQ(Lines(after.out), 8u);
}

// The stack runs the default ruleset, version 2: every medium change of the
// example names its complexity types (version 1 left some without), and
// the paper's "less complex" facial-recognition programme comes out a
// mandated, medium change.
TEST_F(ChangectlE2eTest, EveryMediumExampleChangeNamesItsComplexityTypes) {
  ASSERT_EQ(stack_->Ctl({"baseline", "--settle", "60s", "-o", "json"}).exit_code, 0);
  auto json = stack_->Ctl({"classification", "list", "--complexity", "medium", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_GT(doc["classifications"].size(), 100u);
  std::string named_by_most_points;
  for (const auto& c : doc["classifications"]) {
    const auto& suggestion = c["latest_suggestion"];
    EXPECT_EQ(suggestion["ruleset_version"], 2) << c["name"];
    EXPECT_TRUE(c["classification"].contains("types")) << c["name"] << " names no type";
    if (suggestion.value("types_from_most_points", false)) {
      named_by_most_points = c["name"].get<std::string>();
    }
  }
  ASSERT_FALSE(named_by_most_points.empty()) << "the example has changes of one point per type";
  auto get = stack_->Ctl({"classification", "get", named_by_most_points});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr(" complexity points, types from the most points):\n"));

  auto named = stack_->Ctl({"changes", "list", "--return", "example-named-2021-05-12", "-o", "json"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  std::string facial_recognition;
  const auto named_doc = nlohmann::json::parse(named.out);
  for (const auto& c : named_doc["changes"]) {
    if (c["origin"]["return_record"]["record_reference"] == "FACIAL-RECOGNITION") {
      facial_recognition = c["name"].get<std::string>();
    }
  }
  ASSERT_FALSE(facial_recognition.empty());
  auto fr = stack_->Ctl({"classification", "get", facial_recognition, "-o", "json"});
  ASSERT_EQ(fr.exit_code, 0) << fr.err;
  const auto classification = nlohmann::json::parse(fr.out)["classification"];
  EXPECT_EQ(classification["tier"], "TIER_MANDATED");
  EXPECT_EQ(classification["complexity"], "COMPLEXITY_MEDIUM");
}

// The tests below register changes of their own; they come after the ones
// that check the example portfolio's baseline, which they would change.
TEST_F(ChangectlE2eTest, ImportReportsCellsNotUtf8AndImportsTheOtherRows) {
  const std::string file = *dir_ + "/e2e-latin1.csv";
  {
    std::ofstream out(file, std::ios::binary);
    out << "record_reference,title,business_area,sponsor\n"
        << "L-1,Good one,MO,S\n"
        << "L-2,Caf\xE9 latin1,MO,S\n"  // Latin-1, not UTF-8
        << "L-3,Good three,MO,S\n";
  }
  auto dry = stack_->Ctl({"import", file, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 6) << dry.err;
  EXPECT_THAT(dry.out, HasSubstr("2 rows readable, 1 unreadable\n"));
  EXPECT_THAT(dry.out, HasSubstr("\nline 3  L-2     title: not valid UTF-8 (byte 0xE9 at character 4)\n"));

  auto first = stack_->Ctl({"import", file, "--batch-size", "1", "--as-of", "2021-05-12"});
  EXPECT_EQ(first.exit_code, 6) << first.err;
  EXPECT_EQ(first.err, "");  // no progress bar where stderr is not a terminal
  EXPECT_THAT(first.out, HasSubstr("return e2e-latin1 (as of 2021-05-12): 2 registered, "
                                   "0 already imported, "
                                   "0 rejected, 1 unreadable (of 3 rows)\n"));
  EXPECT_THAT(first.out, HasSubstr("\nline 3  L-2     title: not valid UTF-8 (byte 0xE9 at character 4)\n"));

  auto again = stack_->Ctl(
      {"import", file, "--batch-size", "1", "--as-of", "2021-05-12", "-o", "json"});
  EXPECT_EQ(again.exit_code, 6) << again.err;
  auto doc = nlohmann::json::parse(again.out);
  EXPECT_EQ(doc["already_imported"], 2);
  EXPECT_EQ(doc["unreadable"], 1);
}

TEST_F(ChangectlE2eTest, ImportOfLongRowsSplitsBatchesUnderTheMessageLimit) {
  // 450 rows of 10,000-character descriptions: 4.5 MB in one batch of
  // --batch-size 1000, over the services' 4 MiB per message.
  const std::string file = *dir_ + "/e2e-long-rows.csv";
  {
    std::ofstream out(file);
    out << "record_reference,title,description,business_area,sponsor\n";
    for (int i = 1; i <= 450; ++i) {
      out << "LONG-" << i << ",Long row " << i << "," << std::string(10'000, 'd') << ",MO,S\n";
    }
  }
  auto r = stack_->Ctl({"import", file, "--batch-size", "1000"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("return e2e-long-rows: 450 registered, 0 already imported, "
                               "0 rejected, 0 unreadable (of 450 rows)\n"));
}

TEST_F(ChangectlE2eTest, ImportSkipsRowsOfEmptyCells) {
  const std::string file = *dir_ + "/e2e-trailing-commas.csv";
  {
    std::ofstream out(file);
    out << "record_reference,title,business_area,sponsor\nE-1,One,MO,S\n,,,\n,,,\n";
  }
  auto r = stack_->Ctl({"import", file});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_THAT(r.out, HasSubstr("1 registered, 0 already imported, 0 rejected, 0 unreadable "
                               "(of 1 rows)\n"));
}

// The date a return stands at goes in with --as-of, and an amendment needs
// --reason; the change and its history show both.
TEST_F(ChangectlE2eTest, ImportAsOfAndAmendReasonReachTheHistory) {
  const std::string file = *dir_ + "/e2e-as-of.csv";
  std::ofstream(file) << "record_reference,title,business_area,sponsor\nA-1,Radio upgrade,MO,S\n";
  auto imported = stack_->Ctl(
      {"import", file, "--reference", "e2e-as-of", "--as-of", "2021-05-12", "-o", "json"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err << imported.out;
  EXPECT_THAT(imported.err, Not(HasSubstr("states no date")));
  const auto doc = nlohmann::json::parse(imported.out);
  EXPECT_EQ(doc["as_of"], "2021-05-12");
  ASSERT_EQ(doc["registered"], 1);
  const std::string name = doc["results"][0]["change"].get<std::string>();
  auto get = stack_->Ctl({"changes", "get", name});
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_THAT(get.out, HasSubstr("return e2e-as-of #A-1 (as of 2021-05-12)\n"));

  auto unexplained = stack_->Ctl({"changes", "amend", name, "--team", "Radio"});
  EXPECT_EQ(unexplained.exit_code, 1);
  EXPECT_THAT(unexplained.err, HasSubstr("--reason"));
  auto amended = stack_->Ctl(
      {"changes", "amend", name, "--team", "Radio", "--reason", "Radio team joined in June"});
  ASSERT_EQ(amended.exit_code, 0) << amended.err;

  ASSERT_EQ(stack_->Ctl({"baseline", "--settle", "60s"}).exit_code, 0);  // the view caught up
  auto history = stack_->Ctl({"history", name});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  EXPECT_THAT(history.out, HasSubstr("return=\"e2e-as-of\" record=\"A-1\" as_of=2021-05-12"));
  EXPECT_THAT(history.out, HasSubstr("changed=teams reason=\"Radio team joined in June\""));
}

TEST_F(ChangectlE2eTest, ImportSaysWhatIsWrongWithTheFileOrItsName) {
  auto directory = stack_->Ctl({"import", *dir_});
  EXPECT_EQ(directory.exit_code, 1);
  EXPECT_EQ(directory.err, "changectl: " + *dir_ + " is a directory, not a returns file\n");

  const std::string stem(129, 'r');
  const std::string file = *dir_ + "/" + stem + ".csv";
  std::ofstream(file) << "record_reference,title,business_area,sponsor\nN-1,One,MO,S\n";
  auto named = stack_->Ctl({"import", file});
  EXPECT_EQ(named.exit_code, 1);
  EXPECT_EQ(named.err, "changectl: the return reference \"" + stem +
                           "\" comes from the file name and is longer than 128 characters; "
                           "give one with --reference\n");
}

TEST_F(ChangectlE2eTest, ChangesGetTakesAnUpperCaseId) {
  auto names = stack_->Ctl({"changes", "list", "--one-page", "--page-size", "1", "-o", "name"});
  ASSERT_EQ(names.exit_code, 0) << names.err;
  ASSERT_EQ(Lines(names.out), 1u);
  const std::string name = names.out.substr(0, names.out.size() - 1);
  std::string id = name.substr(std::string("changes/").size());
  std::transform(id.begin(), id.end(), id.begin(), ::toupper);
  auto get = stack_->Ctl({"changes", "get", id, "-o", "name"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.out, name + "\n");
}

TEST_F(ChangectlE2eTest, OnePageListsGiveTheNextPageTokenOnStderr) {
  for (const char* output : {"table", "name"}) {
    auto page = stack_->Ctl({"changes", "list", "--one-page", "--page-size", "2", "-o", output});
    ASSERT_EQ(page.exit_code, 0) << page.err;
    std::smatch token;
    ASSERT_TRUE(std::regex_match(page.err, token, std::regex("next page: --page-token (\\S+)\n")))
        << output << ": " << page.err;
    if (std::string(output) == "name") {
      EXPECT_EQ(Lines(page.out), 2u);
      auto next = stack_->Ctl({"changes", "list", "--page-size", "2", "--page-token", token[1],
                               "-o", "name"});
      ASSERT_EQ(next.exit_code, 0) << next.err;
      EXPECT_EQ(Lines(next.out), 2u);
      EXPECT_NE(next.out, page.out);
    }
  }
  auto proposals = stack_->Ctl({"proposals", "list", "--one-page", "--page-size", "1"});
  ASSERT_EQ(proposals.exit_code, 0) << proposals.err;
  EXPECT_THAT(proposals.err, testing::StartsWith("next page: --page-token "));

  auto all = stack_->Ctl({"changes", "list", "--area", "MO", "-o", "name"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(all.err, "");
}

TEST_F(ChangectlE2eTest, EmptyListPrintsNoNames) {
  auto none = stack_->Ctl({"changes", "list", "--return", "e2e-no-such-return", "-o", "name"});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");
}

TEST_F(ChangectlE2eTest, UnknownCommandIsNamed) {
  auto top = stack_->Ctl({"nonsense"});
  EXPECT_EQ(top.exit_code, 1);
  EXPECT_EQ(top.err, "changectl: unknown command \"nonsense\"; see changectl --help\n");
  auto nested = stack_->Ctl({"changes", "nonsense"});
  EXPECT_EQ(nested.exit_code, 1);
  EXPECT_EQ(nested.err, "changectl: unknown command \"nonsense\"; see changectl changes --help\n");
}

// The readiness probe of k8s/base: inside the pod changectl reaches the
// service at 127.0.0.1 over TLS, whose certificate names the service
// ("intake"), not that address. Without the stack: intake alone, with TLS.
TEST(ChangectlTlsProbeTest, HealthOverTlsChecksTheCertificateAgainstTheNameGiven) {
  if (!rpc::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("e2e_tls_probe_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  std::ofstream(dir / "tokens.yaml")
      << "tokens:\n  - {principal: a, token: \"auditor-token-0123456789\", roles: [auditor]}\n";
  // The service refuses a tokens file other users may read.
  std::filesystem::permissions(dir / "tokens.yaml", std::filesystem::perms(0600));
  ASSERT_TRUE(rpc::testing::MakeCa(dir, "ca").ok());
  const absl::Status made =
      rpc::testing::MakeCert(dir, "ca", "tls", "intake", "subjectAltName=DNS:intake");
  ASSERT_TRUE(made.ok()) << made;
  const std::string address = "127.0.0.1:" + std::to_string(FreePort());
  std::vector<std::string> server = {BuildDir() + "/services/intake/intake",
                                     "--grpc-listen", address,
                                     "--metrics-listen", "",
                                     "--data-dir", d + "/data",
                                     "--auth-tokens-file", d + "/tokens.yaml",
                                     "--tls-cert-file", d + "/tls.pem",
                                     "--tls-key-file", d + "/tls.key"};
  std::vector<char*> server_argv;
  for (std::string& arg : server) server_argv.push_back(arg.data());
  server_argv.push_back(nullptr);
  const int log = open((d + "/intake.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(log, 0);
  const pid_t intake = fork();
  ASSERT_GE(intake, 0);
  if (intake == 0) {
    dup2(log, STDOUT_FILENO);
    dup2(log, STDERR_FILENO);
    execv(server_argv[0], server_argv.data());
    _exit(127);
  }
  close(log);
  // Whatever fails below, the server does not outlive the test.
  struct Reaper {
    pid_t pid;
    ~Reaper() {
      if (pid <= 0) return;
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
  } reaper{intake};
  const std::vector<std::string> probe = {ChangectlPath(), "--intake", address, "--tls-ca",
                                          d + "/ca.pem", "--timeout", "2s"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = probe;
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunCommand(argv);
  };
  const CommandResult ready =
      with({"--tls-server-name", "intake", "health", "--services", "intake", "--wait", "60s"});
  EXPECT_EQ(ready.exit_code, 0) << ready.out << ready.err;
  EXPECT_THAT(ready.out, HasSubstr("serving"));
  // The address alone is not a name the certificate carries.
  const CommandResult unnamed = with({"health", "--services", "intake"});
  EXPECT_EQ(unnamed.exit_code, 5) << unnamed.out << unnamed.err;
  const CommandResult wrong = with({"--tls-server-name", "portfolio", "health", "--services",
                                    "intake"});
  EXPECT_EQ(wrong.exit_code, 5) << wrong.out << wrong.err;

  kill(intake, SIGTERM);
  int status = 0;
  ASSERT_EQ(waitpid(intake, &status, 0), intake);
  reaper.pid = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  std::filesystem::remove_all(dir);
}

// Last: stops the stack, checks the clean shutdown, starts it again on the
// same data and checks nothing was loaded twice.
TEST_F(ChangectlE2eTest, ZzRestartKeepsDataAndDoesNotLoadTwice) {
  auto before = stack_->Ctl({"changes", "list", "-o", "name"});
  ASSERT_EQ(before.exit_code, 0) << before.err;
  EXPECT_EQ(stack_->Stop(), 0) << stack_->Output();
  EXPECT_THAT(stack_->Output(), HasSubstr("run.sh: stopped intake (exit 0)"));
  EXPECT_THAT(stack_->Output(), HasSubstr("run.sh: stopped devbroker (exit 0)"));

  auto down = stack_->Ctl({"changes", "list"});
  EXPECT_EQ(down.exit_code, 5);
  EXPECT_THAT(down.err, testing::MatchesRegex(
                            "changectl: cannot reach intake at 127\\.0\\.0\\.1:[0-9]+ "
                            "\\(connection refused\\)\n"));

  std::string why;
  ASSERT_TRUE(stack_->Start({}, 300, &why)) << why;
  EXPECT_THAT(stack_->Output(), HasSubstr("example portfolio already loaded"));
  EXPECT_THAT(stack_->Output(), Not(HasSubstr("loading the example portfolio")));
  auto after = stack_->Ctl({"changes", "list", "-o", "name"});
  ASSERT_EQ(after.exit_code, 0) << after.err;
  EXPECT_EQ(after.out, before.out);
}

}  // namespace
}  // namespace changeledger::e2e
