// ReadModel: intake's in-process projection for ListProposals and
// ListChanges. It tails the service's own event store from position 1 on a
// thread of its own and folds every event into the Proposal / Change
// resources, kept in the order they were created (stable pagination).
// It is disposable: rebuilt from the log at every start.
//
// Commands and gets also start from it (StateAt): when the model has
// applied exactly the head of a stream that the store reports, its copy is
// the fold the handler would compute by reading the stream again. For the
// idempotency check it keeps a hash of each event's causation id per
// stream; a matching hash sends the caller to the stream itself.
//
// Thread safety: every method may be called from any thread.
#ifndef CHANGELEDGER_SERVICES_INTAKE_READ_MODEL_H_
#define CHANGELEDGER_SERVICES_INTAKE_READ_MODEL_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/intake/v1/intake.pb.h"

namespace changeledger::intake {

class ReadModel {
 public:
  // `store` is not owned and must outlive the model.
  explicit ReadModel(eventstore::EventStore* store);
  ~ReadModel();
  ReadModel(const ReadModel&) = delete;
  ReadModel& operator=(const ReadModel&) = delete;

  // Starts tailing. Idempotent.
  void Start();
  // Stops and joins the thread. Idempotent.
  void Stop();

  // Folds one event (the tail does this; tests may call it directly).
  // Events at or below position() are ignored. DATA_LOSS for an event
  // whose payload does not match its type; the model then stops applying.
  absl::Status Apply(const eventstore::Envelope& event);

  // Global position of the last event applied.
  uint64_t position() const;
  // Waits until position() >= `position` (true) or `deadline` (false).
  bool WaitFor(uint64_t position, absl::Time deadline) const;
  // OK, or the error that stopped the tail.
  absl::Status health() const;

  // AIP-158 pages, oldest first. INVALID_ARGUMENT for page_size outside
  // 0..1000, an unknown enum filter, or a page_token that is malformed or
  // was made for other filters.
  absl::StatusOr<v1::ListProposalsResponse> ListProposals(
      const v1::ListProposalsRequest& request) const;
  absl::StatusOr<v1::ListChangesResponse> ListChanges(const v1::ListChangesRequest& request) const;

  // Whether some proposal or change has, or once had, business area `area`
  // (so that an area retired from the catalog is still a known filter).
  bool HasRecordedArea(const std::string& area) const;

  // The resource of `stream` as folded from its events 1..`version`: true
  // and `out` set only while the model is healthy and has applied exactly
  // `version` events of that stream (false while it lags, or is ahead of
  // a `version` read earlier). `*causation_maybe_seen` is set when an
  // event of the stream may carry `causation_id` (its hash matches; false
  // for an empty id), so the caller must check the stream itself.
  bool StateAt(const std::string& stream, uint64_t version, std::string_view causation_id,
               v1::Proposal* out, bool* causation_maybe_seen) const;
  bool StateAt(const std::string& stream, uint64_t version, std::string_view causation_id,
               v1::Change* out, bool* causation_maybe_seen) const;

 private:
  template <typename Resource>
  struct Entry {
    Resource resource;
    // Hashes of the causation ids of the stream's events (empty ids left
    // out), in order.
    std::vector<uint64_t> causations;
  };
  template <typename Resource>
  bool StateAtLocked(const std::unordered_map<std::string, Entry<Resource>>& entries,
                     const std::string& stream, uint64_t version,
                     std::string_view causation_id, Resource* out,
                     bool* causation_maybe_seen) const;

  void Run();
  absl::Status ApplyLocked(const eventstore::Envelope& event);
  void RecordArea(const std::string& area);

  eventstore::EventStore* store_;
  mutable std::mutex mu_;
  mutable std::condition_variable applied_;
  // The tail naps on nap_ between small batches; WaitFor callers (counted
  // in waiters_) cut the nap short.
  mutable std::condition_variable nap_;
  mutable int waiters_ = 0;
  uint64_t position_ = 0;
  absl::Status health_;
  // stream -> resource, and creation position -> stream.
  std::unordered_map<std::string, Entry<v1::Proposal>> proposals_;
  std::unordered_map<std::string, Entry<v1::Change>> changes_;
  std::map<uint64_t, std::string> proposal_order_;
  std::map<uint64_t, std::string> change_order_;
  // Every business area a proposal or change has had.
  std::set<std::string, std::less<>> recorded_areas_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_READ_MODEL_H_
