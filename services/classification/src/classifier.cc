#include "changeledger/classification/classifier.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "changeledger/classification/codec.h"
#include "changeledger/errors/status_macros.h"
#include "changeledger/uuid/random_uuid.h"
#include "google/protobuf/util/time_util.h"

namespace changeledger::classification {
namespace {

constexpr char kChangeKey[] = "change/";
constexpr char kInboxKey[] = "inbox/";
constexpr size_t kPage = 1000;

google::protobuf::Timestamp ToTimestamp(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

std::string InboxKey(const std::string& change_id, uint64_t version) {
  return absl::StrFormat("%s%s/%020d", kInboxKey, change_id, version);
}

std::string FullInboxPrefix() {
  return bus::ProjectionKeyPrefix(kIntakeProjectionName) + kInboxKey;
}

intake::v1::ChangeStatus StatusAfter(IntakeFact::Kind kind, intake::v1::ChangeStatus before) {
  switch (kind) {
    case IntakeFact::Kind::kClosed: return intake::v1::CHANGE_STATUS_CLOSED;
    case IntakeFact::Kind::kStopped: return intake::v1::CHANGE_STATUS_STOPPED;
    case IntakeFact::Kind::kRegistered: return intake::v1::CHANGE_STATUS_REGISTERED;
    case IntakeFact::Kind::kAmended: break;
  }
  return before;
}

bool IsCommandEvent(const Event& e) {
  return std::holds_alternative<ClassificationConfirmed>(e) ||
         std::holds_alternative<ClassificationOverridden>(e);
}

}  // namespace

absl::Status IntakeProjection::Apply(const bus::Envelope& event, kv::Transaction& txn) {
  CL_ASSIGN_OR_RETURN(std::optional<IntakeFact> fact, IntakeFactFromEnvelope(event));
  if (!fact) return absl::OkStatus();
  if (fact->change_id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("intake event ", event.stream(), "@", event.version(), ": no change_id"));
  }
  const std::string view_key = absl::StrCat(kChangeKey, fact->change_id);
  pb::IntakeChangeView view;
  CL_ASSIGN_OR_RETURN(std::optional<std::string> existing, txn.Get(view_key));
  if (existing && !view.ParseFromString(*existing)) {
    return absl::DataLossError(absl::StrCat("unreadable ", view_key));
  }
  view.set_change_id(fact->change_id);
  if (fact->kind == IntakeFact::Kind::kRegistered || fact->kind == IntakeFact::Kind::kAmended) {
    *view.mutable_facts() = ToProto(fact->facts);
  } else if (view.has_facts()) {
    // Closing carries no attributes: the queued fact keeps the last known.
    fact->facts = FromProto(view.facts());
  }
  view.set_status(StatusAfter(fact->kind, view.status()));
  view.set_version(event.version());
  txn.Put(view_key, view.SerializeAsString());
  txn.Put(InboxKey(fact->change_id, event.version()), ToProto(*fact).SerializeAsString());
  if (on_fact_) on_fact_();
  return absl::OkStatus();
}

Classifier::Classifier(eventstore::EventStore* store, kv::KvStore* kv,
                       std::shared_ptr<const Ruleset> ruleset, ClassifierOptions options)
    : store_(store), kv_(kv), ruleset_(std::move(ruleset)), options_(std::move(options)) {}

Classifier::~Classifier() { Stop(); }

absl::StatusOr<std::unique_ptr<Classifier>> Classifier::Create(
    eventstore::EventStore* store, kv::KvStore* kv, std::shared_ptr<const Ruleset> ruleset,
    ClassifierOptions options) {
  if (store == nullptr || kv == nullptr || ruleset == nullptr) {
    return absl::InvalidArgumentError("Classifier needs a store, a kv store and a ruleset");
  }
  std::unique_ptr<Classifier> c(new Classifier(store, kv, std::move(ruleset), std::move(options)));
  CL_RETURN_IF_ERROR(c->Load());
  return c;
}

absl::Status Classifier::Load() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t from = 1;
  while (true) {
    CL_ASSIGN_OR_RETURN(std::vector<eventstore::Envelope> page, store_->ReadAll(from, kPage));
    for (const eventstore::Envelope& e : page) {
      CL_ASSIGN_OR_RETURN(RecordedEvent r, ToRecorded(e));
      const std::string id = std::visit([](const auto& ev) { return ev.change_id; }, r.event);
      Apply(states_[id], r);
      // The causation id is the command's key; the correlation id is a
      // fresh UUID for a command without one.
      if (IsCommandEvent(r.event) && !e.causation_id().empty()) {
        request_index_[e.causation_id()] = id;
      }
      from = e.global_position() + 1;
    }
    if (page.size() < kPage) break;
  }
  return absl::OkStatus();
}

void Classifier::Start() {
  std::lock_guard<std::mutex> lock(worker_mu_);
  if (worker_.joinable() || stopping_) return;
  worker_ = std::thread([this] { Run(); });
}

void Classifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(worker_mu_);
    stopping_ = true;
    wake_ = true;
  }
  worker_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void Classifier::Notify() {
  {
    std::lock_guard<std::mutex> lock(worker_mu_);
    wake_ = true;
  }
  worker_cv_.notify_all();
}

absl::Status Classifier::worker_status() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return worker_status_;
}

void Classifier::Run() {
  while (!stopping_) {
    absl::Status st = DrainInbox();
    {
      std::lock_guard<std::mutex> lock(status_mu_);
      worker_status_ = st;
    }
    std::unique_lock<std::mutex> lock(worker_mu_);
    worker_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.idle_poll),
                        [this] { return wake_; });
    wake_ = false;
  }
}

absl::Status Classifier::DrainInbox() {
  // Collect first, then handle: the scan must not hold the store while we
  // append and delete.
  std::vector<std::pair<std::string, IntakeFact>> entries;
  const std::string prefix = FullInboxPrefix();
  absl::Status parse_error;
  CL_RETURN_IF_ERROR(kv::ScanPrefix(*kv_, prefix, [&](std::string_view key, std::string_view value) {
    pb::PendingIntakeFact p;
    if (!p.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      parse_error = absl::DataLossError(absl::StrCat("unreadable inbox entry ", std::string(key)));
      return false;
    }
    entries.emplace_back(std::string(key), FromProto(p));
    return !stopping_;
  }));
  CL_RETURN_IF_ERROR(parse_error);
  for (const auto& [key, fact] : entries) {
    if (stopping_) break;
    CL_RETURN_IF_ERROR(HandleInboxEntry(key, fact));
  }
  return absl::OkStatus();
}

absl::Status Classifier::HandleInboxEntry(const std::string& key, const IntakeFact& fact) {
  const std::string request_id =
      absl::StrCat("intake/", fact.trigger.stream, "/", fact.trigger.version);
  for (int attempt = 0;; ++attempt) {
    absl::Status st;
    {
      std::lock_guard<std::mutex> lock(mu_);
      const State state = states_.count(fact.change_id) ? states_.at(fact.change_id) : State{};
      absl::StatusOr<std::vector<Event>> events = DecideOnIntake(state, fact, *ruleset_);
      if (!events.ok()) {
        // A fact the domain refuses (e.g. no change id) can never succeed:
        // drop it rather than block the inbox.
        st = absl::OkStatus();
      } else if (!events->empty()) {
        absl::StatusOr<State> after =
            AppendAndApply(fact.change_id, state.version, *events, options_.service_actor,
                           request_id, {fact.correlation_id, fact.trigger.event_id});
        st = after.status();
      }
    }
    if (st.ok()) break;
    if (st.code() != absl::StatusCode::kAborted || attempt >= options_.max_conflict_retries) {
      return st;
    }
  }
  kv::WriteBatch batch;
  batch.Delete(key);
  return kv_->Write(batch, /*sync=*/false);
}

absl::StatusOr<State> Classifier::AppendAndApply(const std::string& change_id, uint64_t expected,
                                                 const std::vector<Event>& events,
                                                 const std::string& actor,
                                                 const std::string& request_id,
                                                 const Causes& causes) {
  eventstore::AppendRequest req;
  req.request_id = request_id;
  eventstore::StreamAppend& w = req.writes.emplace_back();
  w.stream = StreamFor(change_id);
  w.expected = eventstore::ExpectedVersion::Exactly(expected);
  const google::protobuf::Timestamp occurred_at = ToTimestamp(options_.clock());
  for (const Event& e : events) {
    eventstore::Envelope env = ToEnvelope(e, actor);
    *env.mutable_occurred_at() = occurred_at;
    env.set_correlation_id(causes.correlation_id);
    env.set_causation_id(causes.causation_id);
    w.events.push_back(std::move(env));
  }
  absl::StatusOr<eventstore::AppendResult> result = store_->Append(std::move(req));
  if (!result.ok()) {
    if (result.status().code() == absl::StatusCode::kAborted) {
      // Someone else wrote the stream: refresh it from the store.
      State fresh;
      CL_ASSIGN_OR_RETURN(std::vector<eventstore::Envelope> stored,
                          store_->ReadStream(StreamFor(change_id), 1, SIZE_MAX));
      for (const eventstore::Envelope& e : stored) {
        CL_ASSIGN_OR_RETURN(RecordedEvent r, ToRecorded(e));
        Apply(fresh, r);
      }
      states_[change_id] = std::move(fresh);
    }
    return result.status();
  }
  State& state = states_[change_id];
  if (result->replayed) {
    // An earlier identical request was committed; if it is not folded in
    // yet (it always is, as this process folded its own log at start),
    // refresh from the store.
    if (state.version < result->streams[0].last_version) {
      State fresh;
      CL_ASSIGN_OR_RETURN(std::vector<eventstore::Envelope> stored,
                          store_->ReadStream(StreamFor(change_id), 1, SIZE_MAX));
      for (const eventstore::Envelope& e : stored) {
        CL_ASSIGN_OR_RETURN(RecordedEvent r, ToRecorded(e));
        Apply(fresh, r);
      }
      state = std::move(fresh);
    }
    return state;
  }
  uint64_t version = result->streams[0].first_version;
  for (const Event& e : events) {
    if (IsCommandEvent(e) && !causes.causation_id.empty()) {
      request_index_[causes.causation_id] = change_id;
    }
    Apply(state, RecordedEvent{version++, result->recorded_at, actor, e});
  }
  return state;
}

absl::StatusOr<State> Classifier::Confirm(const ConfirmClassification& cmd,
                                          const std::string& actor,
                                          const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto replay = Replayed(request_id); replay) return *replay;
  const State state = states_.count(cmd.change_id) ? states_.at(cmd.change_id) : State{};
  CL_ASSIGN_OR_RETURN(std::vector<Event> events, Decide(state, cmd));
  return AppendAndApply(cmd.change_id, state.version, events, actor, request_id,
                        CommandCauses(request_id));
}

absl::StatusOr<State> Classifier::Override(const OverrideClassification& cmd,
                                           const std::string& actor,
                                           const std::string& request_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto replay = Replayed(request_id); replay) return *replay;
  const State state = states_.count(cmd.change_id) ? states_.at(cmd.change_id) : State{};
  CL_ASSIGN_OR_RETURN(std::vector<Event> events, Decide(state, cmd, *ruleset_));
  return AppendAndApply(cmd.change_id, state.version, events, actor, request_id,
                        CommandCauses(request_id));
}

Classifier::Causes Classifier::CommandCauses(const std::string& request_id) {
  // As intake does: the key names the command for a retry (causation) and
  // ties its events together (correlation); without one, a fresh UUID still
  // tells one command's events from another's.
  return {request_id.empty() ? uuid::RandomUuid() : request_id, request_id};
}

std::optional<State> Classifier::Replayed(const std::string& request_id) const {
  if (request_id.empty()) return std::nullopt;
  auto it = request_index_.find(request_id);
  if (it == request_index_.end()) return std::nullopt;
  return states_.at(it->second);
}

std::optional<State> Classifier::Get(const std::string& change_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = states_.find(change_id);
  if (it == states_.end() || it->second.version == 0) return std::nullopt;
  return it->second;
}

absl::StatusOr<std::vector<RecordedEvent>> Classifier::History(const std::string& change_id) const {
  std::vector<RecordedEvent> out;
  CL_ASSIGN_OR_RETURN(std::vector<eventstore::Envelope> stored,
                      store_->ReadStream(StreamFor(change_id), 1, SIZE_MAX));
  for (const eventstore::Envelope& e : stored) {
    CL_ASSIGN_OR_RETURN(RecordedEvent r, ToRecorded(e));
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<State> Classifier::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<State> out;
  out.reserve(states_.size());
  for (const auto& [id, s] : states_) {
    if (s.version > 0) out.push_back(s);
  }
  return out;
}

std::vector<State> Classifier::QueueSnapshot() const {
  const std::vector<State> all = All();
  std::vector<State> out;
  for (const State* s : Queue(all)) out.push_back(*s);
  return out;
}

WhatIfReport Classifier::WhatIf(const Ruleset& proposed) const {
  return classification::WhatIf(*ruleset_, proposed, All());
}

absl::StatusOr<size_t> Classifier::InboxDepth() const {
  size_t n = 0;
  CL_RETURN_IF_ERROR(kv::ScanPrefix(*kv_, FullInboxPrefix(), [&](std::string_view, std::string_view) {
    ++n;
    return true;
  }));
  return n;
}

}  // namespace changeledger::classification
