// Classifier: the classification service's core, without gRPC.
//
//  * IntakeProjection (a bus::Projection fed by a ProjectionRunner from
//    `changeledger.intake.v1`) keeps the service's own view of each change
//    and its facts in the KvStore, and queues every change event it sees in
//    an inbox in the same batch. Apply stays pure (no I/O): it only writes
//    through the runner's transaction.
//  * Classifier drains the inbox on its own thread: for each intake fact it
//    decides (domain.h) and appends the result to the event store with
//    request id "intake/<stream>/<version>", then deletes the inbox entry.
//    A crash between the two is harmless: the append is idempotent and the
//    aggregate ignores an intake version it has already handled, so a
//    change never gets a duplicate suggestion (also after a Rebuild).
//  * Portfolio-office commands (Confirm, Override) and all queries go
//    through the Classifier. Its read side is an in-memory fold of its own
//    event store, rebuilt at Create and updated after each append (the
//    service is the only writer of its store).
//
// Thread safety: every public method may be called from any thread.
#ifndef CHANGELEDGER_CLASSIFICATION_CLASSIFIER_H_
#define CHANGELEDGER_CLASSIFICATION_CLASSIFIER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "changeledger/bus/projection.h"
#include "changeledger/classification/domain.h"
#include "changeledger/classification/ruleset.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/kv/kv_store.h"

namespace changeledger::classification {

// Name of the intake projection (its keys live under "p/<name>/").
inline constexpr char kIntakeProjectionName[] = "classification-intake";

class IntakeProjection final : public bus::Projection {
 public:
  // `on_fact` (optional) is called after Apply queued an inbox entry; the
  // Classifier uses it to wake its worker.
  explicit IntakeProjection(std::function<void()> on_fact = nullptr)
      : on_fact_(std::move(on_fact)) {}
  std::string name() const override { return kIntakeProjectionName; }
  // ChangeRegistered / ChangeAmended / ChangeClosed / ChangeStopped update
  // "change/<id>" and add "inbox/<id>/<20-digit intake version>"; other
  // intake events are ignored. Errors: INVALID_ARGUMENT for an unreadable
  // payload (the runner stops).
  absl::Status Apply(const bus::Envelope& event, kv::Transaction& txn) override;

 private:
  std::function<void()> on_fact_;
};

struct ClassifierOptions {
  // Actor recorded on suggestions and closures. Default: "classification".
  std::string service_actor = "classification";
  // How long the worker sleeps when the inbox is empty. Default: 100 ms.
  absl::Duration idle_poll = absl::Milliseconds(100);
  // Retries of one inbox entry on ABORTED (a command raced). Default: 5.
  int max_conflict_retries = 5;
  // The occurred_at of every event written: a command's when it is
  // handled, a suggestion's or closure's when the worker makes it (which
  // may be well after the intake event, e.g. after a restart).
  // Default: absl::Now.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

// A change's classification with its stream's events, for GetClassification.
struct ClassificationView {
  State state;
  std::vector<RecordedEvent> history;  // empty unless asked for
};

class Classifier {
 public:
  // Folds the whole store into memory. `store` and `kv` are not owned and
  // must outlive the Classifier. Errors: from the store; INVALID_ARGUMENT
  // for an event it cannot read.
  static absl::StatusOr<std::unique_ptr<Classifier>> Create(
      eventstore::EventStore* store, kv::KvStore* kv, std::shared_ptr<const Ruleset> ruleset,
      ClassifierOptions options = {});
  ~Classifier();

  // Starts / stops the inbox worker. Stop is idempotent.
  void Start();
  void Stop();
  // Wakes the worker (new inbox entries).
  void Notify();
  // Handles every inbox entry present now, on the calling thread. Errors:
  // the first store or kv failure (the entry stays in the inbox).
  absl::Status DrainInbox();
  // Last error of the worker, or OK.
  absl::Status worker_status() const;

  // Portfolio-office commands. `request_id` (may be empty) is the client's
  // idempotency key, already scoped by principal, RPC and change: a key
  // seen before answers with the state of the change it was first used
  // on, so one that did not name the change could answer for another. The
  // events carry it as causation id and as correlation id (a fresh UUID
  // without one). Errors: as domain.h Decide; ABORTED also when the store
  // saw a newer version.
  absl::StatusOr<State> Confirm(const ConfirmClassification& cmd, const std::string& actor,
                                const std::string& request_id);
  absl::StatusOr<State> Override(const OverrideClassification& cmd, const std::string& actor,
                                 const std::string& request_id);

  // Queries.
  std::optional<State> Get(const std::string& change_id) const;
  // Every stream's events, for GetClassification's history.
  absl::StatusOr<std::vector<RecordedEvent>> History(const std::string& change_id) const;
  // Every classification, ordered by change id.
  std::vector<State> All() const;
  // Changes awaiting a confirmed classification, oldest first.
  std::vector<State> QueueSnapshot() const;
  WhatIfReport WhatIf(const Ruleset& proposed) const;

  const Ruleset& ruleset() const { return *ruleset_; }
  // Number of inbox entries waiting.
  absl::StatusOr<size_t> InboxDepth() const;

 private:
  Classifier(eventstore::EventStore* store, kv::KvStore* kv,
             std::shared_ptr<const Ruleset> ruleset, ClassifierOptions options);
  absl::Status Load();
  absl::Status HandleInboxEntry(const std::string& key, const IntakeFact& fact);
  // Appends `events` for `change_id` at `expected` and folds them in.
  // Returns the state afterwards; on a replayed request id, the current one.
  struct Causes {
    std::string correlation_id;
    std::string causation_id;
  };
  absl::StatusOr<State> AppendAndApply(const std::string& change_id, uint64_t expected,
                                       const std::vector<Event>& events, const std::string& actor,
                                       const std::string& request_id, const Causes& causes);
  // Correlation and causation ids of a command's events.
  static Causes CommandCauses(const std::string& request_id);
  // The state answered to a retried command (same scoped request id).
  std::optional<State> Replayed(const std::string& request_id) const;
  void Run();

  eventstore::EventStore* store_;
  kv::KvStore* kv_;
  std::shared_ptr<const Ruleset> ruleset_;
  ClassifierOptions options_;

  // Serialises decide + append per service (one writer); guards states_.
  mutable std::mutex mu_;
  std::map<std::string, State> states_;
  // Scoped request id of each committed command -> change id (from the
  // events' causation ids), so a retry answers with the state as it is.
  std::map<std::string, std::string> request_index_;

  std::mutex worker_mu_;
  std::condition_variable worker_cv_;
  bool wake_ = false;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
  mutable std::mutex status_mu_;
  absl::Status worker_status_;
};

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_CLASSIFIER_H_
