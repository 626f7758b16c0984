// IntakeServiceImpl: the gRPC handlers of changeledger.intake.v1.IntakeService.
//
// A command loads its aggregate (the read model's copy when it has applied
// exactly the head the store reports for the stream, else the stream read
// from the event store and folded), asks the pure domain
// (domain/intake_domain.h) for events, and appends them
// with the folded version as the expected version; it answers only after
// the append is durable. Commands on one stream take turns (a lock per
// stream with a command in flight; commands on other streams do not wait),
// so a command without a client expected_version never loses that race
// to another command, however many keep coming; an ABORTED from the store
// all the same is retried (re-read, re-decide) a few times.
//
// Idempotency: a command's request_id becomes the store's request id,
// scoped by principal, method and resource (ids.h); the same key is also recorded as
// each event's causation_id, so a retry of a command on an existing
// aggregate is recognised before deciding again (and answered with the
// resource as it stands), not rejected for the state the first attempt
// produced.
//
// Authentication and role policies are the RPC runtime's (policy.h); the
// handlers take the actor from `principal_of`.
#ifndef CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVICE_H_
#define CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVICE_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "domain/business_areas.h"
#include "domain/intake_domain.h"
#include "probe.h"
#include "read_model.h"

namespace changeledger::intake {

struct IntakeServiceOptions {
  // The actor of a call: the authenticated principal's name.
  // UNAUTHENTICATED when there is none. Required.
  std::function<absl::StatusOr<std::string>(const grpc::ServerContext*)> principal_of;
  // Clock for occurred_at and date checks. Default: absl::Now.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
  // How long List waits for the read model to reach the store's head
  // (read-your-writes). Default: 5 s.
  absl::Duration list_catch_up = absl::Seconds(5);
  // Most records in one ImportReturn call. Default: 100000.
  size_t max_import_records = 100000;
  // Records registered per atomic append during an import. Default: 500.
  size_t import_batch = 500;
};

class IntakeServiceImpl final : public v1::IntakeService::Service {
 public:
  // Nothing is owned; all must outlive the service. `probe` may be null.
  IntakeServiceImpl(eventstore::EventStore* store, const ReadModel* read_model,
                    const domain::BusinessAreaCatalog* areas, IntakeProbe* probe,
                    IntakeServiceOptions options);

  grpc::Status CreateProposal(grpc::ServerContext* context,
                              const v1::CreateProposalRequest* request,
                              v1::Proposal* response) override;
  grpc::Status UpdateProposal(grpc::ServerContext* context,
                              const v1::UpdateProposalRequest* request,
                              v1::Proposal* response) override;
  grpc::Status SubmitProposal(grpc::ServerContext* context,
                              const v1::SubmitProposalRequest* request,
                              v1::Proposal* response) override;
  grpc::Status WithdrawProposal(grpc::ServerContext* context,
                                const v1::WithdrawProposalRequest* request,
                                v1::Proposal* response) override;
  grpc::Status StartAssessment(grpc::ServerContext* context,
                               const v1::StartAssessmentRequest* request,
                               v1::Proposal* response) override;
  grpc::Status RecordAssessment(grpc::ServerContext* context,
                                const v1::RecordAssessmentRequest* request,
                                v1::Proposal* response) override;
  grpc::Status DecideProposal(grpc::ServerContext* context,
                              const v1::DecideProposalRequest* request,
                              v1::Proposal* response) override;
  grpc::Status GetProposal(grpc::ServerContext* context, const v1::GetProposalRequest* request,
                           v1::Proposal* response) override;
  grpc::Status ListProposals(grpc::ServerContext* context,
                             const v1::ListProposalsRequest* request,
                             v1::ListProposalsResponse* response) override;

  grpc::Status RegisterChange(grpc::ServerContext* context,
                              const v1::RegisterChangeRequest* request,
                              v1::Change* response) override;
  grpc::Status AmendChange(grpc::ServerContext* context, const v1::AmendChangeRequest* request,
                           v1::Change* response) override;
  grpc::Status StartDelivery(grpc::ServerContext* context,
                             const v1::StartDeliveryRequest* request,
                             v1::Change* response) override;
  grpc::Status CloseChange(grpc::ServerContext* context, const v1::CloseChangeRequest* request,
                           v1::Change* response) override;
  grpc::Status StopChange(grpc::ServerContext* context, const v1::StopChangeRequest* request,
                          v1::Change* response) override;
  grpc::Status GetChange(grpc::ServerContext* context, const v1::GetChangeRequest* request,
                         v1::Change* response) override;
  grpc::Status ListChanges(grpc::ServerContext* context, const v1::ListChangesRequest* request,
                           v1::ListChangesResponse* response) override;

  grpc::Status ImportReturn(grpc::ServerContext* context,
                            grpc::ServerReader<v1::ImportReturnRequest>* reader,
                            v1::ImportReturnResponse* response) override;

  grpc::Status ListBusinessAreas(grpc::ServerContext* context,
                                 const v1::ListBusinessAreasRequest* request,
                                 v1::ListBusinessAreasResponse* response) override;

 private:
  struct Caller {
    std::string actor;
    domain::CommandContext context;
  };
  absl::StatusOr<Caller> CallerOf(const grpc::ServerContext* context) const;

  // A stream's turn for one command (see Run): held from load to append.
  class StreamTurn;
  struct StreamLock {
    std::mutex mu;
    int holders = 0;  // commands holding or waiting for `mu`
  };

  template <typename State>
  absl::StatusOr<State> Load(const std::string& stream, const std::string& key,
                             bool* already_done) const;
  template <typename State, typename Decide>
  absl::StatusOr<State> Run(const std::string& stream, const std::string& key,
                            uint64_t client_expected, const std::string& actor,
                            Decide&& decide);
  template <typename State, typename Decide>
  absl::StatusOr<State> Create(const std::string& stream, const std::string& key,
                               const std::string& actor, Decide&& decide);
  template <typename State, typename Request, typename Decide>
  grpc::Status Command(grpc::ServerContext* context, absl::string_view method,
                       const Request& request, Decide decide, State* response);
  absl::StatusOr<eventstore::AppendResult> Commit(
      const std::vector<domain::PendingEvent>& events, const std::string& primary_stream,
      uint64_t primary_version, const std::string& key, const std::string& actor);

  absl::Status ImportBatch(const domain::ReturnHeader& header,
                           const std::vector<v1::ReturnRecord>& records, const Caller& caller,
                           v1::ImportReturnResponse* response);
  // Attribute paths in which `again` (what a record would register now)
  // differs from the import that registered `change_id`, plus "status" when
  // the record asks for another starting status than that import did, and
  // "as_of" when the return states another as-of date than it did.
  absl::StatusOr<std::vector<std::string>> DiffersFromImported(
      const std::string& change_id, const std::vector<domain::PendingEvent>& again) const;
  // Marks `result` ALREADY_IMPORTED, with what DiffersFromImported finds.
  absl::Status SetAlreadyImported(const std::string& change_id,
                                  const std::vector<domain::PendingEvent>& again,
                                  v1::ImportRecordResult* result) const;

  eventstore::EventStore* store_;
  const ReadModel* read_model_;
  const domain::BusinessAreaCatalog* areas_;
  IntakeProbe* probe_;
  IntakeServiceOptions options_;
  std::mutex stream_locks_mu_;  // guards stream_locks_ (not the locks' mu)
  std::unordered_map<std::string, std::unique_ptr<StreamLock>> stream_locks_;
};

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_INTAKE_SERVICE_H_
