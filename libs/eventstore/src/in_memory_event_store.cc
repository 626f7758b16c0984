#include "changeledger/eventstore/in_memory_event_store.h"

#include <set>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "append_common.h"

namespace changeledger::eventstore {
namespace {

using internal::ConflictError;
using internal::NextRecordedAt;
using internal::VersionMatches;

class InMemoryEventStore final : public EventStore {
 public:
  explicit InMemoryEventStore(InMemoryEventStoreOptions options)
      : options_(std::move(options)) {}
  ~InMemoryEventStore() override { Close(); }

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    if (absl::Status s = internal::ValidateAppendRequest(request); !s.ok()) return s;
    internal::PrepareEvents(request);
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("event store is closed");
    if (!request.request_id.empty()) {
      auto it = requests_.find(request.request_id);
      if (it != requests_.end()) {
        AppendResult replay = it->second;
        replay.replayed = true;
        return replay;
      }
    }
    for (const StreamAppend& w : request.writes) {
      uint64_t current = VersionLocked(w.stream);
      if (!VersionMatches(w.expected, current)) {
        return ConflictError(w.stream, current, w.expected);
      }
    }
    last_recorded_ = NextRecordedAt(options_.clock(), last_recorded_);
    AppendResult result;
    result.recorded_at = absl::FromUnixNanos(last_recorded_);
    result.first_position = events_.size() + 1;
    for (StreamAppend& w : request.writes) {
      std::vector<uint64_t>& positions = streams_[w.stream];
      StreamAppendResult sr{w.stream, positions.size() + 1, positions.size() + w.events.size()};
      for (Envelope& e : w.events) {
        e.set_stream(w.stream);
        e.set_version(positions.size() + 1);
        e.set_global_position(events_.size() + 1);
        internal::SetTimestamp(last_recorded_, e.mutable_recorded_at());
        positions.push_back(e.global_position());
        outbox_.insert(e.global_position());
        events_.push_back(std::move(e));
      }
      result.streams.push_back(std::move(sr));
    }
    result.last_position = events_.size();
    if (!request.request_id.empty()) requests_[request.request_id] = result;
    return result;
  }

  absl::StatusOr<uint64_t> StreamVersion(std::string_view stream) override {
    absl::MutexLock lock(&mu_);
    return VersionLocked(stream);
  }

  absl::StatusOr<std::vector<Envelope>> ReadStream(std::string_view stream,
                                                   uint64_t from_version,
                                                   size_t limit) override {
    absl::MutexLock lock(&mu_);
    std::vector<Envelope> out;
    auto it = streams_.find(internal::Av(stream));
    if (it == streams_.end()) return out;
    for (uint64_t v = std::max<uint64_t>(from_version, 1);
         v <= it->second.size() && out.size() < limit; ++v) {
      out.push_back(events_[it->second[v - 1] - 1]);
    }
    return out;
  }

  absl::StatusOr<std::vector<Envelope>> ReadAll(uint64_t from_position,
                                                size_t limit) override {
    absl::MutexLock lock(&mu_);
    std::vector<Envelope> out;
    for (uint64_t p = std::max<uint64_t>(from_position, 1);
         p <= events_.size() && out.size() < limit; ++p) {
      out.push_back(events_[p - 1]);
    }
    return out;
  }

  uint64_t LastPosition() const override {
    absl::MutexLock lock(&mu_);
    return events_.size();
  }

  absl::Status WriteStatus() override { return absl::OkStatus(); }  // writes cannot fail

  bool WaitForPosition(uint64_t position, absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return closed_ || events_.size() >= position; };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    return events_.size() >= position;
  }

  absl::StatusOr<std::vector<OutboxEntry>> ReadOutbox(size_t limit) override {
    absl::MutexLock lock(&mu_);
    std::vector<OutboxEntry> out;
    for (auto it = outbox_.begin(); it != outbox_.end() && out.size() < limit; ++it) {
      out.push_back(OutboxEntry{*it, events_[*it - 1]});
    }
    return out;
  }

  absl::Status AckOutbox(const std::vector<uint64_t>& positions) override {
    absl::MutexLock lock(&mu_);
    for (uint64_t p : positions) outbox_.erase(p);
    return absl::OkStatus();
  }

  OutboxStats GetOutboxStats() override {
    absl::MutexLock lock(&mu_);
    OutboxStats stats;
    stats.depth = outbox_.size();
    stats.oldest_recorded_at = absl::InfinitePast();
    if (!outbox_.empty()) {
      stats.oldest_recorded_at =
          internal::FromTimestamp(events_[*outbox_.begin() - 1].recorded_at());
    }
    return stats;
  }

  bool WaitForOutbox(absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return closed_ || !outbox_.empty(); };
    mu_.AwaitWithDeadline(absl::Condition(&ready), deadline);
    return !outbox_.empty() && !closed_;
  }

  void Close() override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }

 private:
  uint64_t VersionLocked(std::string_view stream) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = streams_.find(internal::Av(stream));
    return it == streams_.end() ? 0 : it->second.size();
  }

  const InMemoryEventStoreOptions options_;
  mutable absl::Mutex mu_;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Envelope> events_ ABSL_GUARDED_BY(mu_);  // position p at p - 1
  absl::flat_hash_map<std::string, std::vector<uint64_t>> streams_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, AppendResult> requests_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> outbox_ ABSL_GUARDED_BY(mu_);
  int64_t last_recorded_ ABSL_GUARDED_BY(mu_) = INT64_MIN;
};

}  // namespace

std::unique_ptr<EventStore> NewInMemoryEventStore(InMemoryEventStoreOptions options) {
  return std::make_unique<InMemoryEventStore>(std::move(options));
}

}  // namespace changeledger::eventstore
