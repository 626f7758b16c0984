#include "read_model.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "changeledger/rpc/answer_size.h"
#include "changeledger/rpc/page_size.h"
#include "domain/intake_domain.h"

namespace changeledger::intake {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 1000;
constexpr size_t kTailBatch = 1000;
// Events applied per hold of the lock: handlers looking a stream up
// (StateAt) wait behind at most this many.
constexpr size_t kApplyChunk = 64;
// After a batch smaller than kTailBatch the tail naps this long before it
// reads again, unless a caller waits for it (WaitFor; lists do): it then
// reads the log and wakes once per few commits instead of once per commit
// (measured with intake_bench: a read and a wake-up per group commit were
// about half of this thread's CPU). Commands and gets do not wait: they
// read the stream from the store when the model is behind its head.
constexpr std::chrono::milliseconds kTailNap{2};

uint64_t CausationHash(std::string_view causation_id) {
  return std::hash<std::string_view>()(causation_id);
}

// FNV-1a 64: a stable fingerprint of a request's filters, so a page token
// cannot be replayed with other filters.
uint64_t Fingerprint(const std::string& bytes) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

std::string MakeToken(absl::string_view kind, uint64_t fingerprint, uint64_t after) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1:", kind, ":", fingerprint, ":", after));
}

// The creation position after which the page starts (0 = first page).
absl::StatusOr<uint64_t> ParseToken(const std::string& token, absl::string_view kind,
                                    uint64_t fingerprint) {
  if (token.empty()) return 0;
  std::string raw;
  const absl::Status bad = absl::InvalidArgumentError("page_token: malformed");
  if (!absl::WebSafeBase64Unescape(token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, ':');
  uint64_t got_fingerprint = 0;
  uint64_t after = 0;
  if (parts.size() != 4 || parts[0] != "v1" || parts[1] != kind ||
      !absl::SimpleAtoi(parts[2], &got_fingerprint) || !absl::SimpleAtoi(parts[3], &after)) {
    return bad;
  }
  if (got_fingerprint != fingerprint) {
    return absl::InvalidArgumentError("page_token: made for different filters");
  }
  return after;
}

// The flag filters ListProposalsRequest and ListChangesRequest share: each
// one set must equal the attribute's.
template <typename Request>
bool MatchesFlags(const Request& request, const v1::ChangeAttributes& a) {
  const v1::ChangeFeatures& f = a.features();
  return (!request.has_data_and_digital() ||
          a.data_and_digital() == request.data_and_digital()) &&
         (!request.has_interdependent_projects() ||
          f.interdependent_projects() == request.interdependent_projects()) &&
         (!request.has_sro_led() || f.sro_led() == request.sro_led()) &&
         (!request.has_has_business_case() ||
          f.has_business_case() == request.has_business_case()) &&
         (!request.has_tests_hypothesis() ||
          f.tests_hypothesis() == request.tests_hypothesis()) &&
         (!request.has_improves_established_service() ||
          f.improves_established_service() == request.improves_established_service());
}

template <typename Request>
uint64_t FilterFingerprint(Request request) {
  request.clear_page_size();
  request.clear_page_token();
  std::string bytes;
  request.SerializeToString(&bytes);
  return Fingerprint(bytes);
}

// Walks `order` after `after`, collecting up to `size` items that pass
// `keep` (fewer when they would pass rpc::kMaxAnswerBytes, at least one:
// 1000 changes with long descriptions would make a page of up to 40 MB that
// no client could read); returns the token for the next page ("" when none
// is left).
template <typename Entries, typename Keep, typename Add>
std::string Page(const std::map<uint64_t, std::string>& order, const Entries& items,
                 uint64_t after, int size, absl::string_view kind, uint64_t fingerprint,
                 Keep keep, Add add) {
  int taken = 0;
  size_t bytes = 0;
  uint64_t last = after;
  for (auto it = order.upper_bound(after); it != order.end(); ++it) {
    const auto& item = items.at(it->second).resource;
    if (!keep(item)) continue;
    const size_t item_bytes = rpc::AnswerItemBytes(item);
    if (taken == size || !rpc::FitsInAnswer(bytes, item_bytes, taken)) {
      return MakeToken(kind, fingerprint, last);
    }
    add(item);
    ++taken;
    bytes += item_bytes;
    last = it->first;
  }
  return "";
}

}  // namespace

ReadModel::ReadModel(eventstore::EventStore* store) : store_(store) {}

ReadModel::~ReadModel() { Stop(); }

void ReadModel::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stop_) return;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "read-model");
    Run();
  });
}

void ReadModel::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  nap_.notify_all();
  if (thread_.joinable()) thread_.join();
  applied_.notify_all();
}

void ReadModel::Run() {
  for (;;) {
    uint64_t next;
    {
      std::lock_guard lock(mu_);
      if (stop_ || !health_.ok()) return;
      next = position_ + 1;
    }
    auto batch = store_->ReadAll(next, kTailBatch);
    if (!batch.ok()) {
      std::lock_guard lock(mu_);
      health_ = batch.status();
      applied_.notify_all();
      return;
    }
    if (batch->empty()) {
      store_->WaitForPosition(next, absl::Now() + absl::Milliseconds(200));
      continue;
    }
    bool failed = false;
    for (size_t begin = 0; begin < batch->size() && !failed; begin += kApplyChunk) {
      const size_t end = std::min(batch->size(), begin + kApplyChunk);
      std::lock_guard lock(mu_);
      for (size_t i = begin; i < end; ++i) {
        absl::Status status = ApplyLocked((*batch)[i]);
        if (!status.ok()) {
          health_ = status;
          failed = true;
          break;
        }
      }
      applied_.notify_all();
    }
    if (!failed && batch->size() < kTailBatch) {
      std::unique_lock lock(mu_);
      nap_.wait_for(lock, kTailNap, [&] { return stop_ || waiters_ > 0; });
    }
  }
}

absl::Status ReadModel::Apply(const eventstore::Envelope& event) {
  std::lock_guard lock(mu_);
  absl::Status status = ApplyLocked(event);
  applied_.notify_all();
  return status;
}

absl::Status ReadModel::ApplyLocked(const eventstore::Envelope& event) {
  if (event.global_position() <= position_) return absl::OkStatus();
  const std::string& stream = event.stream();
  absl::Status status;
  if (stream.rfind("proposal-", 0) == 0) {
    auto [it, created] = proposals_.try_emplace(stream);
    if (created) proposal_order_.emplace(event.global_position(), stream);
    status = domain::ApplyProposalEvent(event, it->second.resource);
    if (!event.causation_id().empty()) {
      it->second.causations.push_back(CausationHash(event.causation_id()));
    }
    RecordArea(it->second.resource.attributes().business_area());
  } else if (stream.rfind("change-", 0) == 0) {
    auto [it, created] = changes_.try_emplace(stream);
    if (created) change_order_.emplace(event.global_position(), stream);
    status = domain::ApplyChangeEvent(event, it->second.resource);
    if (!event.causation_id().empty()) {
      it->second.causations.push_back(CausationHash(event.causation_id()));
    }
    RecordArea(it->second.resource.attributes().business_area());
  }
  if (!status.ok()) return status;
  position_ = event.global_position();
  return absl::OkStatus();
}

void ReadModel::RecordArea(const std::string& area) {
  if (!area.empty() && !recorded_areas_.contains(area)) recorded_areas_.insert(area);
}

bool ReadModel::HasRecordedArea(const std::string& area) const {
  std::lock_guard lock(mu_);
  return recorded_areas_.contains(area);
}

template <typename Resource>
bool ReadModel::StateAtLocked(const std::unordered_map<std::string, Entry<Resource>>& entries,
                              const std::string& stream, uint64_t version,
                              std::string_view causation_id, Resource* out,
                              bool* causation_maybe_seen) const {
  if (!health_.ok()) return false;
  auto it = entries.find(stream);
  if (it == entries.end() || it->second.resource.version() != version) return false;
  *out = it->second.resource;
  *causation_maybe_seen = !causation_id.empty() &&
                          absl::c_linear_search(it->second.causations,
                                                CausationHash(causation_id));
  return true;
}

bool ReadModel::StateAt(const std::string& stream, uint64_t version,
                        std::string_view causation_id, v1::Proposal* out,
                        bool* causation_maybe_seen) const {
  std::lock_guard lock(mu_);
  return StateAtLocked(proposals_, stream, version, causation_id, out, causation_maybe_seen);
}

bool ReadModel::StateAt(const std::string& stream, uint64_t version,
                        std::string_view causation_id, v1::Change* out,
                        bool* causation_maybe_seen) const {
  std::lock_guard lock(mu_);
  return StateAtLocked(changes_, stream, version, causation_id, out, causation_maybe_seen);
}

uint64_t ReadModel::position() const {
  std::lock_guard lock(mu_);
  return position_;
}

bool ReadModel::WaitFor(uint64_t position, absl::Time deadline) const {
  std::unique_lock lock(mu_);
  if (position_ >= position) return true;
  ++waiters_;
  nap_.notify_one();
  bool reached = true;
  while (position_ < position) {
    const absl::Duration left = deadline - absl::Now();
    if (!health_.ok() || stop_ || left <= absl::ZeroDuration()) {
      reached = false;
      break;
    }
    applied_.wait_for(lock, absl::ToChronoMilliseconds(std::min(left, absl::Milliseconds(50))));
  }
  --waiters_;
  return reached;
}

absl::Status ReadModel::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

absl::StatusOr<v1::ListProposalsResponse> ReadModel::ListProposals(
    const v1::ListProposalsRequest& request) const {
  auto size = rpc::PageSize(request.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  if (!v1::ProposalState_IsValid(request.state())) {
    return absl::InvalidArgumentError("state: unknown value");
  }
  const uint64_t fingerprint = FilterFingerprint(request);
  auto after = ParseToken(request.page_token(), "proposals", fingerprint);
  if (!after.ok()) return after.status();
  v1::ListProposalsResponse response;
  std::lock_guard lock(mu_);
  auto keep = [&](const v1::Proposal& p) {
    if (!request.business_area().empty() &&
        p.attributes().business_area() != request.business_area()) {
      return false;
    }
    if (request.state() != v1::PROPOSAL_STATE_UNSPECIFIED && p.state() != request.state()) {
      return false;
    }
    if (!request.proposer().empty() && p.proposer() != request.proposer()) return false;
    return MatchesFlags(request, p.attributes());
  };
  response.set_next_page_token(Page(proposal_order_, proposals_, *after, *size, "proposals",
                                    fingerprint, keep, [&](const v1::Proposal& p) {
                                      *response.add_proposals() = p;
                                    }));
  return response;
}

absl::StatusOr<v1::ListChangesResponse> ReadModel::ListChanges(
    const v1::ListChangesRequest& request) const {
  auto size = rpc::PageSize(request.page_size(), kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  if (!v1::ChangeStatus_IsValid(request.status())) {
    return absl::InvalidArgumentError("status: unknown value");
  }
  const uint64_t fingerprint = FilterFingerprint(request);
  auto after = ParseToken(request.page_token(), "changes", fingerprint);
  if (!after.ok()) return after.status();
  v1::ListChangesResponse response;
  std::lock_guard lock(mu_);
  auto keep = [&](const v1::Change& c) {
    const auto& a = c.attributes();
    if (!request.business_area().empty() && a.business_area() != request.business_area()) {
      return false;
    }
    if (request.status() != v1::CHANGE_STATUS_UNSPECIFIED && c.status() != request.status()) {
      return false;
    }
    if (!request.return_reference().empty() &&
        c.origin().return_record().return_reference() != request.return_reference()) {
      return false;
    }
    return MatchesFlags(request, a);
  };
  response.set_next_page_token(Page(change_order_, changes_, *after, *size, "changes",
                                    fingerprint, keep, [&](const v1::Change& c) {
                                      *response.add_changes() = c;
                                    }));
  return response;
}

}  // namespace changeledger::intake
