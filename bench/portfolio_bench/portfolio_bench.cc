// portfolio_bench: rebuild of the portfolio view from a deterministically
// generated log, then baseline queries (now and as of random dates).
//
// The rebuild measures the path a real rebuild takes for each event once a
// runner has received it: parse the Envelope from bytes, decode its payload
// (intake or classification proto) into a fact, fold it into the model,
// encode the fact and put it in a kv::Transaction; every 500 events (the
// runner's default group) the transaction is committed to RocksDB
// (unsynced, as the runner does). It does not include the network (Kafka or
// the log reader) nor the runner's own bookkeeping keys (dedupe versions,
// offsets). Building the envelopes happens outside the timed sections.
//
// Usage: portfolio_bench [--events=1000000] [--queries=300] [--seed=42]
//                        [--dir=<an existing, empty directory>]
// Last line: RESULT rebuild_events_per_s=<n> baseline_p99_ms=<x>
//            asof_p99_ms=<x> rss_mib=<n>
#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "changeledger/bench/cpu_time.h"
#include "changeledger/bench/percentile.h"
#include "changeledger/bench/scratch_dir.h"
#include "changeledger/bus/projection.h"
#include "changeledger/classification/v1/events.pb.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "changeledger/portfolio/adapters.h"
#include "changeledger/portfolio/portfolio_projection.h"
#include "changeledger/portfolio/prefixed_store.h"

namespace {

namespace cl = ::changeledger;
namespace pf = ::changeledger::portfolio;
namespace intake = ::changeledger::intake::v1;
namespace cls = ::changeledger::classification::v1;
using Clock = std::chrono::steady_clock;
using cl::bench::Percentile;

enum GenKind : uint8_t {
  kDrafted, kSubmitted, kDecided, kRegistered, kAmended, kSuggested, kConfirmed,
  kOverridden, kStarted, kClosed, kStopped
};

struct Desc {
  int64_t t_us;
  uint32_t change;
  uint8_t kind;
  uint8_t arg;  // amendment / suggestion number
};

constexpr int kAreas = 12;
constexpr int kTeams = 300;
const char* const kAreaCodes[kAreas] = {"MO", "FLP", "SPO", "DI", "PS", "CS",
                                        "MPS", "DLP", "ECS", "HR", "PRO", "DPS"};

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

std::string Uuid(uint64_t kind, uint64_t n) {
  const uint64_t h = Mix(n * 0x9e3779b97f4a7c15ULL + kind);
  return absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", static_cast<uint32_t>(h >> 32),
                         static_cast<uint32_t>(h >> 16) & 0xffff, static_cast<uint32_t>(kind) & 0xfff,
                         static_cast<uint32_t>(n >> 48) & 0xfff, n & 0xffffffffffffULL);
}

// Everything about change `c` after amendment `k` is a function of (c, k).
struct Gen {
  uint64_t seed;

  uint64_t H(uint32_t c, uint64_t salt) const { return Mix(seed ^ (uint64_t{c} << 20) ^ salt); }

  int Area(uint32_t c, int k) const {
    // One amendment in ten moves the change to another area.
    int area = static_cast<int>(H(c, 1) % kAreas);
    for (int i = 1; i <= k; ++i) {
      if (H(c, 100 + i) % 10 == 0) area = static_cast<int>(H(c, 200 + i) % kAreas);
    }
    return area;
  }

  void Attributes(uint32_t c, int k, intake::ChangeAttributes* a) const {
    a->set_title(absl::StrFormat("Change %u revision %d", c, k));
    a->set_description(absl::StrFormat(
        "Deliver the improvement described in return record %u; scope, benefits and "
        "dependencies as agreed with the business area (revision %d).", c, k));
    a->set_business_area(kAreaCodes[Area(c, k)]);
    a->set_sponsor(absl::StrFormat("sro-%u", static_cast<uint32_t>(H(c, 3) % 400)));
    const int teams = 1 + static_cast<int>(H(c, 4 + k) % 3);
    for (int i = 0; i < teams; ++i) {
      a->add_teams(absl::StrFormat("team-%03d", static_cast<int>(H(c, 10 + i + 7 * k) % kTeams)));
    }
    a->set_data_and_digital(H(c, 5) % 10 < 4);
    a->mutable_estimated_cost()->set_currency_code("GBP");
    a->mutable_estimated_cost()->set_amount_minor(static_cast<int64_t>(H(c, 6 + k) % 500000000));
    a->mutable_features()->set_has_business_case(H(c, 7) % 2);
    a->mutable_features()->set_work_packages(static_cast<uint32_t>(H(c, 8) % 12));
  }

  void Classify(uint32_t c, int variant, cls::Classification* out) const {
    const uint64_t h = H(c, 300 + variant);
    const int w = static_cast<int>(h % 100);
    cls::Tier tier = w < 5 ? cls::TIER_TRANSFORMATIONAL
                     : w < 50 ? cls::TIER_MANDATED
                     : w < 70 ? cls::TIER_EXPERIMENTAL
                              : cls::TIER_INCREMENTAL;
    const int x = static_cast<int>((h >> 8) % 10);
    cls::Complexity complexity;
    switch (tier) {
      case cls::TIER_TRANSFORMATIONAL: complexity = x < 6 ? cls::COMPLEXITY_HIGH : cls::COMPLEXITY_MEDIUM; break;
      case cls::TIER_MANDATED: complexity = x < 2 ? cls::COMPLEXITY_HIGH : x < 8 ? cls::COMPLEXITY_MEDIUM : cls::COMPLEXITY_LOW; break;
      case cls::TIER_EXPERIMENTAL: complexity = x < 5 ? cls::COMPLEXITY_MEDIUM : cls::COMPLEXITY_LOW; break;
      default: complexity = x < 3 ? cls::COMPLEXITY_MEDIUM : cls::COMPLEXITY_LOW; break;
    }
    out->set_tier(tier);
    out->set_complexity(complexity);
    const uint64_t types = (h >> 16) % 8;
    if (types & 1) out->add_types(cls::COMPLEXITY_TYPE_STRUCTURAL);
    if (types & 2) out->add_types(cls::COMPLEXITY_TYPE_SOCIO_POLITICAL);
    if (types & 4) out->add_types(cls::COMPLEXITY_TYPE_EMERGENT);
  }
};

// The generated log: descriptors in recorded order.
std::vector<Desc> Generate(const Gen& g, size_t events, int64_t start_us, int64_t span_us) {
  std::vector<Desc> out;
  out.reserve(events + 64);
  std::mt19937_64 rng(g.seed);
  const int64_t day = 86400LL * 1000000;
  auto uni = [&rng](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo));
  };
  for (uint32_t c = 0; out.size() < events; ++c) {
    const int64_t t0 = start_us + uni(0, span_us);
    if (rng() % 10 < 3) {
      out.push_back({t0 - 20 * day, c, kDrafted, 0});
      out.push_back({t0 - 15 * day, c, kSubmitted, 0});
      out.push_back({t0 - 1, c, kDecided, 0});
    }
    out.push_back({t0, c, kRegistered, 0});
    out.push_back({t0 + 60000000, c, kSuggested, 0});
    const int amendments = static_cast<int>(rng() % 8);
    std::vector<int64_t> at;
    for (int k = 0; k < amendments; ++k) at.push_back(t0 + uni(day / 24, 300 * day));
    std::sort(at.begin(), at.end());
    for (int k = 0; k < amendments; ++k) {
      out.push_back({at[k] + k, c, kAmended, static_cast<uint8_t>(k + 1)});
      if (rng() % 2) out.push_back({at[k] + k + 60000000, c, kSuggested, static_cast<uint8_t>(k + 1)});
    }
    const int decision = static_cast<int>(rng() % 10);
    if (decision < 7) {
      out.push_back({t0 + uni(day, 30 * day), c, kConfirmed, 0});
    } else if (decision < 9) {
      out.push_back({t0 + uni(day, 30 * day), c, kOverridden, 1});
    }
    if (rng() % 100 < 15) out.push_back({t0 + uni(31 * day, 400 * day), c, kOverridden, 2});
    if (rng() % 10 < 6) {
      const int64_t started = t0 + uni(10 * day, 100 * day);
      out.push_back({started, c, kStarted, 0});
      const int end = static_cast<int>(rng() % 100);
      if (end < 35) {
        out.push_back({started + uni(30 * day, 300 * day), c, kClosed, 0});
      } else if (end < 43) {
        out.push_back({started + uni(30 * day, 300 * day), c, kStopped, 0});
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const Desc& a, const Desc& b) {
    return a.t_us != b.t_us ? a.t_us < b.t_us : a.change < b.change;
  });
  out.resize(events);
  return out;
}

// Turns descriptors into envelope bytes, assigning stream versions and
// global positions in recorded order (as the stores would).
class Emitter {
 public:
  Emitter(const Gen& g, size_t changes) : g_(g), versions_(changes * 3, 0) {}

  std::string Emit(const Desc& d) {
    cl::eventlog::v1::Envelope e;
    const std::string change_id = Uuid(1, d.change);
    const std::string proposal_id = Uuid(2, d.change);
    int stream_slot = 0;
    std::string stream;
    const bool classification = d.kind == kSuggested || d.kind == kConfirmed || d.kind == kOverridden;
    const bool proposal = d.kind <= kDecided;
    if (classification) {
      stream = "classification-" + change_id;
      stream_slot = 1;
    } else if (proposal) {
      stream = "proposal-" + proposal_id;
      stream_slot = 2;
    } else {
      stream = "change-" + change_id;
    }
    const uint64_t version = ++versions_[size_t{d.change} * 3 + stream_slot];
    const uint64_t position = classification ? ++classification_position_ : ++intake_position_;
    const uint64_t n = ++events_;
    e.set_event_id(Uuid(3, n));
    e.set_stream(stream);
    e.set_version(version);
    e.set_global_position(position);
    e.set_schema_version(1);
    const int64_t recorded_s = d.t_us / 1000000, recorded_ns = (d.t_us % 1000000) * 1000;
    e.mutable_recorded_at()->set_seconds(recorded_s);
    e.mutable_recorded_at()->set_nanos(static_cast<int32_t>(recorded_ns));
    e.mutable_occurred_at()->set_seconds(recorded_s - 3600);
    e.set_correlation_id(Uuid(4, d.change));
    e.set_causation_id(Uuid(3, n - 1));
    e.set_source(classification ? "classification" : "intake");
    e.set_actor(classification ? (d.kind == kSuggested ? "svc-classification"
                                                        : absl::StrFormat("officer-%d", d.change % 20))
                               : absl::StrFormat("proposer-%d", d.change % 500));
    switch (d.kind) {
      case kDrafted: {
        intake::ProposalDrafted m;
        m.set_proposal_id(proposal_id);
        m.set_proposer(e.actor());
        g_.Attributes(d.change, 0, m.mutable_attributes());
        Pack(e, m);
        break;
      }
      case kSubmitted: {
        intake::ProposalSubmitted m;
        m.set_proposal_id(proposal_id);
        Pack(e, m);
        break;
      }
      case kDecided: {
        intake::ProposalDecided m;
        m.set_proposal_id(proposal_id);
        m.set_outcome(intake::DECISION_OUTCOME_APPROVED);
        m.set_chair("DAC Corporate Services");
        m.set_rationale("Desirable, deliverable and affordable.");
        m.set_change_id(change_id);
        Pack(e, m);
        break;
      }
      case kRegistered: {
        intake::ChangeRegistered m;
        m.set_change_id(change_id);
        g_.Attributes(d.change, 0, m.mutable_attributes());
        m.mutable_origin()->mutable_return_record()->set_return_reference("RET-2021-05-12");
        m.mutable_origin()->mutable_return_record()->set_record_reference(absl::StrFormat("%u", d.change));
        Pack(e, m);
        break;
      }
      case kAmended: {
        intake::ChangeAmended m;
        m.set_change_id(change_id);
        g_.Attributes(d.change, d.arg, m.mutable_attributes());
        m.add_changed_paths("teams");
        Pack(e, m);
        break;
      }
      case kSuggested: {
        cls::ClassificationSuggested m;
        m.set_change_id(change_id);
        g_.Classify(d.change, d.arg, m.mutable_suggestion()->mutable_classification());
        m.mutable_suggestion()->set_change_approach("Business-led project with an agreed mandate");
        m.mutable_suggestion()->set_ruleset_id("differentiated-model");
        m.mutable_suggestion()->set_ruleset_version(1);
        auto* rule = m.mutable_suggestion()->add_fired_rules();
        rule->set_rule_id("M1-business-case");
        rule->set_description("Has an agreed mandate and business case");
        rule->set_effect("tier MANDATED");
        rule->set_decisive(true);
        m.mutable_trigger()->set_stream("change-" + change_id);
        Pack(e, m);
        break;
      }
      case kConfirmed: {
        cls::ClassificationConfirmed m;
        m.set_change_id(change_id);
        g_.Classify(d.change, 0, m.mutable_classification());
        m.set_suggestion_version(1);
        Pack(e, m);
        break;
      }
      case kOverridden: {
        cls::ClassificationOverridden m;
        m.set_change_id(change_id);
        g_.Classify(d.change, 50 + d.arg, m.mutable_classification());
        m.set_rationale("Portfolio office review");
        Pack(e, m);
        break;
      }
      case kStarted: {
        intake::ChangeDeliveryStarted m;
        m.set_change_id(change_id);
        Pack(e, m);
        break;
      }
      case kClosed: {
        intake::ChangeClosed m;
        m.set_change_id(change_id);
        Pack(e, m);
        break;
      }
      default: {
        intake::ChangeStopped m;
        m.set_change_id(change_id);
        m.set_reason("Superseded");
        Pack(e, m);
        break;
      }
    }
    return e.SerializeAsString();
  }

 private:
  template <typename Msg>
  static void Pack(cl::eventlog::v1::Envelope& e, const Msg& m) {
    e.mutable_payload()->PackFrom(m);
    e.set_type(std::string(Msg::descriptor()->full_name()));
  }

  const Gen& g_;
  std::vector<uint64_t> versions_;
  uint64_t intake_position_ = 0;
  uint64_t classification_position_ = 0;
  uint64_t events_ = 0;
};

long RssKib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A failed step: thrown so that main removes the scratch directory.
struct StepFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) throw StepFailed(std::string(what) + ": " + s.ToString());
}

// A whole number of at least 1 (the log and the query lists must not be
// empty).
bool ParseCount(const char* v, uint64_t* out) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n == 0 || v[0] == '-') return false;
  *out = n;
  return true;
}

// Generate, rebuild, query and reload, printing the figures; the KvStore
// lives in dir/kv. Exit status: 0, or 1 if the reloaded state differs.
int Run(size_t events, int queries, uint64_t seed, const std::string& dir) {
  const Gen gen{seed};
  const int64_t start_us = absl::ToUnixMicros(absl::FromCivil(absl::CivilDay(2019, 1, 1), absl::UTCTimeZone()));
  const int64_t span_us = int64_t{900} * 86400 * 1000000;
  std::vector<Desc> log = Generate(gen, events, start_us, span_us);
  uint32_t changes = 0;
  for (const Desc& d : log) changes = std::max(changes, d.change + 1);
  const int64_t first_us = log.front().t_us, last_us = log.back().t_us;

  cl::kv::RocksDbKvStoreOptions kv_options;
  kv_options.path = dir + "/kv";
  // As the portfolio service configures it.
  kv_options.write_buffer_size = 64u << 20;
  kv_options.insert_hints_by_key_directory = true;
  auto store = cl::kv::OpenRocksDbKvStore(kv_options);
  Check(store.status(), "open kv");
  pf::PrefixedStore view(**store, cl::bus::ProjectionKeyPrefix(pf::PortfolioProjection::kName));

  const pf::AdapterRegistry adapters = pf::DefaultAdapters();
  pf::ModelHolder holder;
  pf::PortfolioProjection projection(&adapters, &holder);
  Emitter emitter(gen, changes);

  constexpr size_t kGroup = 500;
  std::vector<std::string> group;
  Clock::duration rebuild_time{};
  double rebuild_cpu_s = 0, rebuild_thread_cpu_s = 0;
  cl::bus::Envelope envelope;
  for (size_t i = 0; i < log.size(); i += kGroup) {
    group.clear();
    for (size_t j = i; j < std::min(log.size(), i + kGroup); ++j) group.push_back(emitter.Emit(log[j]));
    const auto t0 = Clock::now();
    const double c0 = cl::bench::ProcessCpuMicros(), tc0 = cl::bench::ThreadCpuMicros();
    cl::kv::Transaction txn(view);
    for (const std::string& bytes : group) {
      if (!envelope.ParseFromString(bytes)) Check(absl::DataLossError("envelope"), "parse");
      Check(projection.Apply(envelope, txn), "apply");
    }
    Check(txn.Commit(/*sync=*/false), "commit");
    rebuild_time += Clock::now() - t0;
    rebuild_cpu_s += (cl::bench::ProcessCpuMicros() - c0) / 1e6;
    rebuild_thread_cpu_s += (cl::bench::ThreadCpuMicros() - tc0) / 1e6;
  }
  const double rebuild_s = std::chrono::duration<double>(rebuild_time).count();
  const double events_per_s = static_cast<double>(log.size()) / rebuild_s;
  std::vector<Desc>().swap(log);
  std::vector<std::string>().swap(group);

  const std::string hash = holder.Read([](const pf::PortfolioModel& m) { return m.StateHash(); });
  const auto counts = holder.Read([](const pf::PortfolioModel& m) {
    return std::make_tuple(m.events_applied(), m.change_count(), m.proposal_count());
  });

  std::vector<double> baseline_ms, asof_ms;
  int64_t sink = 0;
  for (int q = 0; q < queries; ++q) {
    const auto t0 = Clock::now();
    auto b = holder.Read([](const pf::PortfolioModel& m) { return m.GetBaseline({}); });
    baseline_ms.push_back(Ms(Clock::now() - t0));
    Check(b.status(), "baseline");
    sink += b->total;
  }
  std::mt19937_64 rng(seed + 1);
  for (int q = 0; q < queries; ++q) {
    pf::BaselineQuery query;
    query.as_of = absl::FromUnixMicros(first_us + static_cast<int64_t>(rng() % static_cast<uint64_t>(last_us - first_us)));
    const auto t0 = Clock::now();
    auto b = holder.Read([&query](const pf::PortfolioModel& m) { return m.GetBaseline(query); });
    asof_ms.push_back(Ms(Clock::now() - t0));
    Check(b.status(), "as-of baseline");
    sink += b->total;
  }
  const long rss_mib = RssKib() / 1024;

  // Restart path: a fresh model loaded from the stored facts.
  pf::ModelHolder reloaded;
  const auto l0 = Clock::now();
  auto loaded = pf::PortfolioProjection::Load(**store, reloaded);
  const double load_s = std::chrono::duration<double>(Clock::now() - l0).count();
  Check(loaded.status(), "load");
  const std::string reloaded_hash = reloaded.Read([](const pf::PortfolioModel& m) { return m.StateHash(); });

  std::printf("events=%zu changes=%zu proposals=%zu facts_stored=%llu\n",
              static_cast<size_t>(std::get<0>(counts)), std::get<1>(counts), std::get<2>(counts),
              static_cast<unsigned long long>(*loaded));
  std::printf("rebuild: %.2f s, %.0f events/s (parse + decode + fold + encode + kv put, commit per %zu)\n",
              rebuild_s, events_per_s, kGroup);
  std::printf("rebuild cpu: %.2f s of process CPU (all threads, incl. RocksDB flushes), %.0f events per CPU second;"
              " applying thread %.2f s, %.0f events per CPU second\n",
              rebuild_cpu_s, static_cast<double>(std::get<0>(counts)) / rebuild_cpu_s, rebuild_thread_cpu_s,
              static_cast<double>(std::get<0>(counts)) / rebuild_thread_cpu_s);
  std::printf("current baseline: p50 %.3f ms, p99 %.3f ms (%d queries)\n", Percentile(baseline_ms, 0.5),
              Percentile(baseline_ms, 0.99), queries);
  std::printf("as-of baseline:   p50 %.3f ms, p99 %.3f ms (%d random dates)\n", Percentile(asof_ms, 0.5),
              Percentile(asof_ms, 0.99), queries);
  std::printf("restart load from kv: %.2f s (%.0f facts/s); hash %s %s\n", load_s,
              static_cast<double>(*loaded) / load_s, reloaded_hash.c_str(),
              reloaded_hash == hash ? "equals the rebuilt state" : "DIFFERS from the rebuilt state");
  std::printf("state hash %s, checksum %lld\n", hash.c_str(), static_cast<long long>(sink));
  store->reset();
  std::printf("RESULT rebuild_events_per_s=%.0f baseline_p99_ms=%.3f asof_p99_ms=%.3f rss_mib=%ld\n",
              events_per_s, Percentile(baseline_ms, 0.99), Percentile(asof_ms, 0.99), rss_mib);
  return reloaded_hash == hash ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t events = 1000000;
  uint64_t queries = 300;
  uint64_t seed = 42;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&a](const char* flag) -> const char* {
      const size_t n = std::strlen(flag);
      return a.compare(0, n, flag) == 0 ? a.c_str() + n : nullptr;
    };
    bool ok = true;
    if (const char* v = value("--events=")) ok = ParseCount(v, &events);
    else if (const char* v = value("--queries=")) ok = ParseCount(v, &queries) && queries <= 1000000;
    else if (const char* v = value("--seed=")) ok = absl::SimpleAtoi(v, &seed);
    else if (const char* v = value("--dir=")) dir = v;
    else ok = false;
    if (!ok) {
      std::fprintf(stderr,
                   "usage: %s [--events=N>0] [--queries=1..1000000] [--seed=N] [--dir=PATH]\n",
                   argv[0]);
      return 2;
    }
  }
  bool remove_dir = false;
  if (dir.empty()) {
    dir = cl::bench::MakeScratchDir("portfolio_bench");
    if (dir.empty()) return 1;
    remove_dir = true;
  }
  int status = 1;
  try {
    status = Run(events, static_cast<int>(queries), seed, dir);
  } catch (const StepFailed& e) {
    std::fprintf(stderr, "portfolio_bench: %s\n", e.what());
  }
  if (remove_dir) std::filesystem::remove_all(dir);
  return status;
}
