#include "intake_service.h"

#include <optional>
#include <set>
#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "changeledger/errors/grpc_status.h"
#include "changeledger/errors/status_macros.h"
#include "domain/attributes.h"
#include "domain/validation.h"
#include "google/protobuf/util/time_util.h"
#include "ids.h"

namespace changeledger::intake {
namespace {

using eventstore::Envelope;
using google::protobuf::util::TimeUtil;

constexpr char kSource[] = "intake";
constexpr uint32_t kSchemaVersion = 1;
constexpr size_t kMaxStreamEvents = 1'000'000;
constexpr int kMaxRecordsPerMessage = 1000;
// Retries of a read-decide-append that lost a race, when the client did
// not ask for a specific version.
constexpr int kMaxAttempts = 5;

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(time));
}

absl::Status Fold(const Envelope& event, v1::Proposal& state) {
  return domain::ApplyProposalEvent(event, state);
}
absl::Status Fold(const Envelope& event, v1::Change& state) {
  return domain::ApplyChangeEvent(event, state);
}

Envelope MakeEnvelope(const domain::PendingEvent& pending, const std::string& actor,
                      const std::string& key, const std::string& correlation_id) {
  Envelope envelope;
  envelope.set_type(pending.type);
  envelope.set_schema_version(kSchemaVersion);
  *envelope.mutable_occurred_at() = ToTimestamp(pending.occurred_at);
  envelope.set_actor(actor);
  envelope.set_correlation_id(correlation_id);
  envelope.set_causation_id(key);
  *envelope.mutable_payload() = pending.payload;
  envelope.set_source(kSource);
  return envelope;
}

// Folds the events just committed on `stream` into `state`, numbering them
// as the store did, instead of reading the stream again.
template <typename State>
absl::Status FoldCommitted(const std::vector<domain::PendingEvent>& events,
                           const std::string& stream, const eventstore::AppendResult& result,
                           const std::string& actor, State& state) {
  uint64_t version = 0;
  for (const auto& s : result.streams) {
    if (s.stream == stream) version = s.first_version;
  }
  for (const auto& pending : events) {
    if (pending.stream != stream) continue;
    Envelope envelope = MakeEnvelope(pending, actor, "", "");
    envelope.set_stream(stream);
    envelope.set_version(version++);
    *envelope.mutable_recorded_at() = ToTimestamp(result.recorded_at);
    CL_RETURN_IF_ERROR(Fold(envelope, state));
  }
  return absl::OkStatus();
}

// The domain knows only that "proposal" or "change" is missing; the caller
// is told which one.
absl::Status NamedNotFound(const absl::Status& status, const std::string& name) {
  if (status.code() != absl::StatusCode::kNotFound) return status;
  return absl::NotFoundError(absl::StrCat(name, " not found"));
}

// Whether two imports of a record stated the same as-of date for its
// return (neither stating one is the same).
bool SameAsOf(const v1::ReturnOrigin& a, const v1::ReturnOrigin& b) {
  if (a.has_as_of() != b.has_as_of()) return false;
  return !a.has_as_of() || domain::SameDate(a.as_of(), b.as_of());
}

// `resource` is the stream the command acts on, empty for a create.
std::string KeyFor(const std::string& actor, absl::string_view method, absl::string_view resource,
                   const std::string& request_id) {
  return request_id.empty() ? std::string()
                            : IdempotencyKey(actor, method, resource, request_id);
}

}  // namespace

IntakeServiceImpl::IntakeServiceImpl(eventstore::EventStore* store, const ReadModel* read_model,
                                     const domain::BusinessAreaCatalog* areas,
                                     IntakeProbe* probe, IntakeServiceOptions options)
    : store_(store),
      read_model_(read_model),
      areas_(areas),
      probe_(probe),
      options_(std::move(options)) {}

class IntakeServiceImpl::StreamTurn {
 public:
  StreamTurn(IntakeServiceImpl* service, const std::string& stream)
      : service_(service), stream_(stream) {
    {
      std::lock_guard lock(service_->stream_locks_mu_);
      auto& entry = service_->stream_locks_[stream_];
      if (entry == nullptr) entry = std::make_unique<StreamLock>();
      ++entry->holders;
      lock_ = entry.get();
    }
    lock_->mu.lock();
  }
  ~StreamTurn() {
    lock_->mu.unlock();
    std::lock_guard lock(service_->stream_locks_mu_);
    if (--lock_->holders == 0) service_->stream_locks_.erase(stream_);
  }
  StreamTurn(const StreamTurn&) = delete;
  StreamTurn& operator=(const StreamTurn&) = delete;

 private:
  IntakeServiceImpl* const service_;
  const std::string& stream_;
  StreamLock* lock_ = nullptr;
};

absl::StatusOr<IntakeServiceImpl::Caller> IntakeServiceImpl::CallerOf(
    const grpc::ServerContext* context) const {
  CL_ASSIGN_OR_RETURN(std::string actor, options_.principal_of(context));
  Caller caller;
  caller.actor = actor;
  caller.context = {.actor = std::move(actor), .now = options_.clock(), .areas = areas_};
  return caller;
}

template <typename State>
absl::StatusOr<State> IntakeServiceImpl::Load(const std::string& stream, const std::string& key,
                                              bool* already_done) const {
  *already_done = false;
  // The read model's copy, when it has applied exactly the stream's head,
  // is the fold of the events the store would return below.
  CL_ASSIGN_OR_RETURN(const uint64_t head, store_->StreamVersion(stream));
  if (head == 0) return State();
  State cached;
  bool key_maybe_seen = false;
  if (read_model_->StateAt(stream, head, key, &cached, &key_maybe_seen) && !key_maybe_seen) {
    return cached;
  }
  CL_ASSIGN_OR_RETURN(std::vector<Envelope> events,
                      store_->ReadStream(stream, 1, kMaxStreamEvents));
  State state;
  for (const auto& event : events) {
    if (!key.empty() && event.causation_id() == key) *already_done = true;
    CL_RETURN_IF_ERROR(Fold(event, state));
  }
  return state;
}

absl::StatusOr<eventstore::AppendResult> IntakeServiceImpl::Commit(
    const std::vector<domain::PendingEvent>& events, const std::string& primary_stream,
    uint64_t primary_version, const std::string& key, const std::string& actor) {
  eventstore::AppendRequest request;
  request.request_id = key;
  const std::string correlation_id = key.empty() ? NewUuid() : key;
  for (const auto& pending : events) {
    eventstore::StreamAppend* write = nullptr;
    for (auto& w : request.writes) {
      if (w.stream == pending.stream) write = &w;
    }
    if (write == nullptr) {
      write = &request.writes.emplace_back();
      write->stream = pending.stream;
      // Secondary streams (the change an approval registers) are new.
      write->expected = pending.stream == primary_stream
                            ? eventstore::ExpectedVersion::Exactly(primary_version)
                            : eventstore::ExpectedVersion::NoStream();
    }
    write->events.push_back(MakeEnvelope(pending, actor, key, correlation_id));
  }
  return store_->Append(std::move(request));
}

template <typename State, typename Decide>
absl::StatusOr<State> IntakeServiceImpl::Run(const std::string& stream, const std::string& key,
                                             uint64_t client_expected, const std::string& actor,
                                             Decide&& decide) {
  // Commands on this stream, e.g. concurrent amendments of one change, run
  // one at a time: without it, each would read the same version and all
  // but one be refused by the store, again and again under sustained load.
  const StreamTurn turn(this, stream);
  for (int attempt = 1;; ++attempt) {
    bool already_done = false;
    CL_ASSIGN_OR_RETURN(State state, Load<State>(stream, key, &already_done));
    if (already_done) return state;  // a retry of a command that went in
    CL_ASSIGN_OR_RETURN(std::vector<domain::PendingEvent> events, decide(state));
    if (events.empty()) return state;
    auto result = Commit(events, stream, state.version(), key, actor);
    if (!result.ok()) {
      if (result.status().code() == absl::StatusCode::kAborted && client_expected == 0 &&
          attempt < kMaxAttempts) {
        continue;  // a concurrent writer got in first: decide again
      }
      return result.status();
    }
    if (result->replayed) return Load<State>(stream, "", &already_done);
    CL_RETURN_IF_ERROR(FoldCommitted(events, stream, *result, actor, state));
    return state;
  }
}

template <typename State, typename Decide>
absl::StatusOr<State> IntakeServiceImpl::Create(const std::string& stream, const std::string& key,
                                                const std::string& actor, Decide&& decide) {
  CL_ASSIGN_OR_RETURN(std::vector<domain::PendingEvent> events, decide());
  CL_ASSIGN_OR_RETURN(eventstore::AppendResult result, Commit(events, stream, 0, key, actor));
  bool unused = false;
  if (result.replayed) {
    // The first attempt created the aggregate under another id.
    return Load<State>(result.streams.at(0).stream, "", &unused);
  }
  State state;
  CL_RETURN_IF_ERROR(FoldCommitted(events, stream, result, actor, state));
  return state;
}

// --- proposals -----------------------------------------------------------------

grpc::Status IntakeServiceImpl::CreateProposal(grpc::ServerContext* context,
                                               const v1::CreateProposalRequest* request,
                                               v1::Proposal* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(Caller caller, CallerOf(context));
    const std::string id = NewUuid();
    CL_ASSIGN_OR_RETURN(
        *response,
        Create<v1::Proposal>(domain::ProposalStream(id),
                             KeyFor(caller.actor, "CreateProposal", "", request->request_id()),
                             caller.actor, [&] {
                               return domain::DecideCreateProposal(id, *request, caller.context);
                             }));
    return absl::OkStatus();
  }());
}

template <typename State, typename Request, typename Decide>
grpc::Status IntakeServiceImpl::Command(grpc::ServerContext* context, absl::string_view method,
                                        const Request& request, Decide decide,
                                        State* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    constexpr bool kProposal = std::is_same_v<State, v1::Proposal>;
    CL_ASSIGN_OR_RETURN(std::string id, kProposal ? domain::ParseProposalName(request.name())
                                                  : domain::ParseChangeName(request.name()));
    CL_ASSIGN_OR_RETURN(Caller caller, CallerOf(context));
    const std::string stream = kProposal ? domain::ProposalStream(id) : domain::ChangeStream(id);
    absl::StatusOr<State> result =
        Run<State>(stream, KeyFor(caller.actor, method, stream, request.request_id()),
                   request.expected_version(), caller.actor, [&](const State& state) {
                     return decide(state, request, caller.context);
                   });
    if (!result.ok()) return NamedNotFound(result.status(), request.name());
    *response = *std::move(result);
    return absl::OkStatus();
  }());
}

grpc::Status IntakeServiceImpl::UpdateProposal(grpc::ServerContext* context,
                                               const v1::UpdateProposalRequest* request,
                                               v1::Proposal* response) {
  return Command(context, "UpdateProposal", *request, &domain::DecideUpdateProposal, response);
}
grpc::Status IntakeServiceImpl::SubmitProposal(grpc::ServerContext* context,
                                               const v1::SubmitProposalRequest* request,
                                               v1::Proposal* response) {
  return Command(context, "SubmitProposal", *request, &domain::DecideSubmitProposal, response);
}
grpc::Status IntakeServiceImpl::WithdrawProposal(grpc::ServerContext* context,
                                                 const v1::WithdrawProposalRequest* request,
                                                 v1::Proposal* response) {
  return Command(context, "WithdrawProposal", *request, &domain::DecideWithdrawProposal,
                 response);
}
grpc::Status IntakeServiceImpl::StartAssessment(grpc::ServerContext* context,
                                                const v1::StartAssessmentRequest* request,
                                                v1::Proposal* response) {
  return Command(context, "StartAssessment", *request, &domain::DecideStartAssessment,
                 response);
}
grpc::Status IntakeServiceImpl::RecordAssessment(grpc::ServerContext* context,
                                                 const v1::RecordAssessmentRequest* request,
                                                 v1::Proposal* response) {
  return Command(context, "RecordAssessment", *request, &domain::DecideRecordAssessment,
                 response);
}

grpc::Status IntakeServiceImpl::DecideProposal(grpc::ServerContext* context,
                                               const v1::DecideProposalRequest* request,
                                               v1::Proposal* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(std::string id, domain::ParseProposalName(request->name()));
    CL_ASSIGN_OR_RETURN(Caller caller, CallerOf(context));
    const std::string change_id = NewUuid();
    absl::StatusOr<v1::Proposal> result =
        Run<v1::Proposal>(domain::ProposalStream(id),
                          KeyFor(caller.actor, "DecideProposal", domain::ProposalStream(id),
                                 request->request_id()),
                          request->expected_version(), caller.actor,
                          [&](const v1::Proposal& state) {
                            return domain::DecideProposalDecision(state, *request, change_id,
                                                                  caller.context);
                          });
    if (!result.ok()) return NamedNotFound(result.status(), request->name());
    *response = *std::move(result);
    return absl::OkStatus();
  }());
}

grpc::Status IntakeServiceImpl::GetProposal(grpc::ServerContext* context,
                                            const v1::GetProposalRequest* request,
                                            v1::Proposal* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(std::string id, domain::ParseProposalName(request->name()));
    CL_RETURN_IF_ERROR(CallerOf(context).status());
    bool unused = false;
    CL_ASSIGN_OR_RETURN(*response, Load<v1::Proposal>(domain::ProposalStream(id), "", &unused));
    if (response->version() == 0) {
      return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
    }
    return absl::OkStatus();
  }());
}

namespace {

// Read-your-writes for lists: wait until the read model holds everything
// committed before the call.
absl::Status CatchUp(const ReadModel& model, const eventstore::EventStore& store,
                     absl::Duration budget) {
  CL_RETURN_IF_ERROR(model.health());
  if (!model.WaitFor(store.LastPosition(), absl::Now() + budget)) {
    CL_RETURN_IF_ERROR(model.health());
    return absl::UnavailableError("the list read model is catching up with the log; retry");
  }
  return absl::OkStatus();
}

// A filter on a business area that neither the catalog nor any record has
// ever had is a mistake (a typo, a code in the wrong case), not an empty
// answer; a code retired from the catalog still lists what was recorded
// under it. Checked only after an empty first page, the only answer an
// unknown area can give.
absl::Status CheckAreaFilter(const domain::BusinessAreaCatalog& areas, const ReadModel& records,
                             const std::string& area, const std::string& page_token,
                             bool empty) {
  if (area.empty() || !page_token.empty() || !empty || areas.Contains(area) ||
      records.HasRecordedArea(area)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "business_area: unknown business area \"", area, "\" (ListBusinessAreas lists them)"));
}

}  // namespace

grpc::Status IntakeServiceImpl::ListProposals(grpc::ServerContext* context,
                                              const v1::ListProposalsRequest* request,
                                              v1::ListProposalsResponse* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_RETURN_IF_ERROR(CallerOf(context).status());
    CL_RETURN_IF_ERROR(CatchUp(*read_model_, *store_, options_.list_catch_up));
    CL_ASSIGN_OR_RETURN(*response, read_model_->ListProposals(*request));
    CL_RETURN_IF_ERROR(CheckAreaFilter(*areas_, *read_model_, request->business_area(),
                                       request->page_token(), response->proposals().empty()));
    return absl::OkStatus();
  }());
}

// --- changes -------------------------------------------------------------------

grpc::Status IntakeServiceImpl::RegisterChange(grpc::ServerContext* context,
                                               const v1::RegisterChangeRequest* request,
                                               v1::Change* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(Caller caller, CallerOf(context));
    const std::string id = NewUuid();
    CL_ASSIGN_OR_RETURN(
        *response,
        Create<v1::Change>(domain::ChangeStream(id),
                           KeyFor(caller.actor, "RegisterChange", "", request->request_id()),
                           caller.actor, [&] {
                             return domain::DecideRegisterChange(id, *request, caller.context);
                           }));
    return absl::OkStatus();
  }());
}

grpc::Status IntakeServiceImpl::AmendChange(grpc::ServerContext* context,
                                            const v1::AmendChangeRequest* request,
                                            v1::Change* response) {
  return Command(context, "AmendChange", *request, &domain::DecideAmendChange, response);
}
grpc::Status IntakeServiceImpl::StartDelivery(grpc::ServerContext* context,
                                              const v1::StartDeliveryRequest* request,
                                              v1::Change* response) {
  return Command(context, "StartDelivery", *request, &domain::DecideStartDelivery, response);
}
grpc::Status IntakeServiceImpl::CloseChange(grpc::ServerContext* context,
                                            const v1::CloseChangeRequest* request,
                                            v1::Change* response) {
  return Command(context, "CloseChange", *request, &domain::DecideCloseChange, response);
}
grpc::Status IntakeServiceImpl::StopChange(grpc::ServerContext* context,
                                           const v1::StopChangeRequest* request,
                                           v1::Change* response) {
  return Command(context, "StopChange", *request, &domain::DecideStopChange, response);
}

grpc::Status IntakeServiceImpl::GetChange(grpc::ServerContext* context,
                                          const v1::GetChangeRequest* request,
                                          v1::Change* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(std::string id, domain::ParseChangeName(request->name()));
    CL_RETURN_IF_ERROR(CallerOf(context).status());
    bool unused = false;
    CL_ASSIGN_OR_RETURN(*response, Load<v1::Change>(domain::ChangeStream(id), "", &unused));
    if (response->version() == 0) {
      return absl::NotFoundError(absl::StrCat(request->name(), " not found"));
    }
    return absl::OkStatus();
  }());
}

grpc::Status IntakeServiceImpl::ListChanges(grpc::ServerContext* context,
                                            const v1::ListChangesRequest* request,
                                            v1::ListChangesResponse* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_RETURN_IF_ERROR(CallerOf(context).status());
    CL_RETURN_IF_ERROR(CatchUp(*read_model_, *store_, options_.list_catch_up));
    CL_ASSIGN_OR_RETURN(*response, read_model_->ListChanges(*request));
    CL_RETURN_IF_ERROR(CheckAreaFilter(*areas_, *read_model_, request->business_area(),
                                       request->page_token(), response->changes().empty()));
    return absl::OkStatus();
  }());
}

// --- returns -------------------------------------------------------------------

absl::StatusOr<std::vector<std::string>> IntakeServiceImpl::DiffersFromImported(
    const std::string& change_id, const std::vector<domain::PendingEvent>& again) const {
  CL_ASSIGN_OR_RETURN(std::vector<Envelope> first,
                      store_->ReadStream(domain::ChangeStream(change_id), 1, 2));
  v1::ChangeRegistered imported, registration;
  if (first.empty() || !first.front().payload().UnpackTo(&imported) ||
      !again.front().payload.UnpackTo(&registration)) {
    return absl::InternalError(
        absl::StrCat("change ", change_id, ": its first event is not a ChangeRegistered"));
  }
  std::vector<std::string> differs =
      domain::ChangedPaths(imported.attributes(), registration.attributes());
  // An import that started delivery appended ChangeDeliveryStarted in the
  // same commit, so with the registration's correlation id; a later start
  // (StartDelivery) has its own.
  const bool imported_in_delivery =
      first.size() == 2 && first[1].payload().Is<v1::ChangeDeliveryStarted>() &&
      first[1].correlation_id() == first[0].correlation_id();
  const bool asks_in_delivery = again.size() == 2;
  if (imported_in_delivery != asks_in_delivery) differs.emplace_back("status");
  if (!SameAsOf(imported.origin().return_record(), registration.origin().return_record())) {
    differs.emplace_back("as_of");
  }
  return differs;
}

namespace {

struct OutcomeCounts {
  uint64_t registered = 0;
  uint64_t already_imported = 0;
  uint64_t rejected = 0;
};

// The outcomes of `response`'s results from index `from` on (a result
// without one, of an import that a store error ended, is not counted).
OutcomeCounts CountOutcomes(const v1::ImportReturnResponse& response, int from) {
  OutcomeCounts counts;
  for (int i = from; i < response.results_size(); ++i) {
    switch (response.results(i).outcome()) {
      case v1::IMPORT_OUTCOME_REGISTERED:
        ++counts.registered;
        break;
      case v1::IMPORT_OUTCOME_ALREADY_IMPORTED:
        ++counts.already_imported;
        break;
      case v1::IMPORT_OUTCOME_REJECTED:
        ++counts.rejected;
        break;
      default:  // the import ended before this record
        break;
    }
  }
  return counts;
}

}  // namespace

absl::Status IntakeServiceImpl::SetAlreadyImported(
    const std::string& change_id, const std::vector<domain::PendingEvent>& again,
    v1::ImportRecordResult* result) const {
  result->set_outcome(v1::IMPORT_OUTCOME_ALREADY_IMPORTED);
  CL_ASSIGN_OR_RETURN(std::vector<std::string> differs,
                      DiffersFromImported(change_id, again));
  for (auto& path : differs) result->add_differs(std::move(path));
  return absl::OkStatus();
}

absl::Status IntakeServiceImpl::ImportBatch(const domain::ReturnHeader& header,
                                            const std::vector<v1::ReturnRecord>& records,
                                            const Caller& caller,
                                            v1::ImportReturnResponse* response) {
  struct New {
    int result_index;
    std::string change_id;
    std::vector<domain::PendingEvent> events;
  };
  std::vector<New> fresh;
  const int first_index = response->results_size() - static_cast<int>(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const v1::ReturnRecord& record = records[i];
    const int index = first_index + static_cast<int>(i);
    v1::ImportRecordResult* result = response->mutable_results(index);
    if (result->outcome() == v1::IMPORT_OUTCOME_REJECTED) continue;  // repeated reference
    const std::string change_id = ImportedChangeId(header.reference, record.record_reference());
    // A record imported before is compared with its change, not checked
    // again: today's catalog may have retired the business area it was
    // registered under.
    CL_ASSIGN_OR_RETURN(uint64_t version,
                        store_->StreamVersion(domain::ChangeStream(change_id)));
    if (version > 0) {
      result->set_change(domain::ChangeName(change_id));
      CL_RETURN_IF_ERROR(SetAlreadyImported(
          change_id,
          domain::ImportRecordEvents(header, record, change_id, caller.context), result));
      continue;
    }
    auto events = domain::DecideImportRecord(header, record, change_id, caller.context);
    if (!events.ok()) {
      result->set_outcome(v1::IMPORT_OUTCOME_REJECTED);
      result->set_error(std::string(events.status().message()));
      continue;
    }
    result->set_change(domain::ChangeName(change_id));
    fresh.push_back({index, change_id, *std::move(events)});
  }

  const std::string correlation_id = NewUuid();
  for (size_t start = 0; start < fresh.size(); start += options_.import_batch) {
    const size_t end = std::min(fresh.size(), start + options_.import_batch);
    eventstore::AppendRequest request;
    for (size_t i = start; i < end; ++i) {
      auto& write = request.writes.emplace_back();
      write.stream = fresh[i].events.front().stream;
      write.expected = eventstore::ExpectedVersion::NoStream();
      for (const auto& pending : fresh[i].events) {
        write.events.push_back(MakeEnvelope(pending, caller.actor, "", correlation_id));
      }
    }
    auto batch = store_->Append(request);
    if (batch.ok()) {
      for (size_t i = start; i < end; ++i) {
        response->mutable_results(fresh[i].result_index)
            ->set_outcome(v1::IMPORT_OUTCOME_REGISTERED);
      }
      continue;
    }
    if (batch.status().code() != absl::StatusCode::kAborted) return batch.status();
    // A concurrent import of the same return registered some of these:
    // go one by one.
    for (size_t i = start; i < end; ++i) {
      eventstore::AppendRequest one;
      one.writes.push_back(std::move(request.writes[i - start]));
      auto single = store_->Append(std::move(one));
      auto* result = response->mutable_results(fresh[i].result_index);
      if (single.ok()) {
        result->set_outcome(v1::IMPORT_OUTCOME_REGISTERED);
      } else if (single.status().code() == absl::StatusCode::kAborted) {
        CL_RETURN_IF_ERROR(
            SetAlreadyImported(fresh[i].change_id, fresh[i].events, result));
      } else {
        return single.status();
      }
    }
  }
  return absl::OkStatus();
}

grpc::Status IntakeServiceImpl::ImportReturn(grpc::ServerContext* context,
                                             grpc::ServerReader<v1::ImportReturnRequest>* reader,
                                             v1::ImportReturnResponse* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_ASSIGN_OR_RETURN(Caller caller, CallerOf(context));
    v1::ImportReturnRequest message;
    std::optional<domain::ReturnHeader> header;  // from the first message
    std::set<std::string> seen;
    size_t total = 0;
    // Each message's records are stored as it is read, so they are counted
    // then: an import that a later message ends still counts them.
    const auto count = [&](int from) {
      if (probe_ == nullptr) return;
      const OutcomeCounts counts = CountOutcomes(*response, from);
      probe_->ImportRecords(v1::IMPORT_OUTCOME_REGISTERED, counts.registered);
      probe_->ImportRecords(v1::IMPORT_OUTCOME_ALREADY_IMPORTED, counts.already_imported);
      probe_->ImportRecords(v1::IMPORT_OUTCOME_REJECTED, counts.rejected);
    };
    while (reader->Read(&message)) {
      if (!header.has_value()) {
        CL_ASSIGN_OR_RETURN(header, domain::ReadReturnHeader(message, caller.context.now));
        response->set_return_reference(header->reference);
      } else {
        CL_RETURN_IF_ERROR(domain::CheckSameReturn(*header, message));
      }
      if (message.records_size() > kMaxRecordsPerMessage) {
        return absl::InvalidArgumentError(
            absl::StrCat("records: more than ", kMaxRecordsPerMessage, " in one message"));
      }
      total += message.records_size();
      if (total > options_.max_import_records) {
        return absl::InvalidArgumentError(absl::StrCat(
            "records: more than ", options_.max_import_records, " in one import"));
      }
      std::vector<v1::ReturnRecord> records(message.records().begin(), message.records().end());
      const int first_result = response->results_size();
      for (const auto& record : records) {
        auto* result = response->add_results();
        result->set_record_reference(record.record_reference());
        if (!record.record_reference().empty() && !seen.insert(record.record_reference()).second) {
          result->set_outcome(v1::IMPORT_OUTCOME_REJECTED);
          result->set_error("record_reference: repeated in this return");
        }
      }
      const absl::Status imported = ImportBatch(*header, records, caller, response);
      count(first_result);
      CL_RETURN_IF_ERROR(imported);
    }
    if (!header.has_value()) {
      return absl::InvalidArgumentError("return_reference: required (no message received)");
    }
    const OutcomeCounts counts = CountOutcomes(*response, 0);
    response->set_registered_count(static_cast<int32_t>(counts.registered));
    response->set_already_imported_count(static_cast<int32_t>(counts.already_imported));
    response->set_rejected_count(static_cast<int32_t>(counts.rejected));
    return absl::OkStatus();
  }());
}

grpc::Status IntakeServiceImpl::ListBusinessAreas(grpc::ServerContext* context,
                                                  const v1::ListBusinessAreasRequest* /*request*/,
                                                  v1::ListBusinessAreasResponse* response) {
  return errors::ToGrpcStatus([&]() -> absl::Status {
    CL_RETURN_IF_ERROR(CallerOf(context).status());
    for (const auto& area : areas_->areas()) *response->add_business_areas() = area;
    return absl::OkStatus();
  }());
}

}  // namespace changeledger::intake
