#include "changeledger/classification/classification_service.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "changeledger/classification/codec.h"
#include "changeledger/errors/grpc_status.h"
#include "changeledger/eventlog/v1/log_reader.grpc.pb.h"
#include "changeledger/eventstore/event_store.h"
#include "changeledger/rpc/answer_size.h"
#include "changeledger/rpc/page_size.h"
#include "changeledger/text/checks.h"
#include "changeledger/uuid/name_uuid.h"
#include "google/protobuf/util/time_util.h"

namespace changeledger::classification {
namespace {

using ::google::protobuf::Timestamp;
using ::google::protobuf::util::TimeUtil;

constexpr int32_t kDefaultPageSize = 50;
constexpr int32_t kMaxPageSize = 500;
// Namespace of the name-based ids that stand in for longer keys (a fixed
// random UUID).
constexpr char kRequestKeyNamespace[] = "9e2f4c1a-7b3d-4e58-a6c0-d1f2e3b4a596";

Timestamp ToTimestamp(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

grpc::Status Invalid(const std::string& message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message);
}

std::string Method(const char* service, const char* method) {
  return std::string("/") + service + "/" + method;
}

v1::ClassificationStatus ToApi(Status s) {
  return static_cast<v1::ClassificationStatus>(static_cast<int>(s));
}

// The principal of the call, and the request id scoped by it, the RPC and
// the change the request names (ScopedRequestId). The request id was
// checked with the request's other fields.
absl::StatusOr<std::pair<std::string, std::string>> Caller(const grpc::ServerContext* context,
                                                           const char* rpc,
                                                           const std::string& change_id,
                                                           const std::string& request_id) {
  const rpc::Principal* principal = rpc::GetPrincipal(context);
  if (principal == nullptr) return absl::UnauthenticatedError("no authenticated principal");
  std::string scoped = request_id.empty()
                           ? ""
                           : ScopedRequestId(principal->name, rpc, change_id, request_id);
  return std::make_pair(principal->name, std::move(scoped));
}

// The change id `name` names, or "" with the problem added to `errors`.
// Change ids are intake's UUIDs: "classifications/xyz" is malformed, not
// the name of an unknown change.
std::string ChangeIdOf(const std::string& name, std::vector<std::string>& errors) {
  if (name.empty()) {
    errors.push_back("name: required");
    return "";
  }
  std::optional<std::string> id = ChangeIdFromName(name);
  if (!id) {
    errors.push_back("name: must look like \"classifications/{change_id}\", the change id a UUID");
    return "";
  }
  return *id;
}

// Intake's rule for the same field (libs/text): at most 128 characters, no
// control character.
void CheckRequestId(const std::string& request_id, std::vector<std::string>& errors) {
  if (std::optional<std::string> problem = text::RequestIdProblem(request_id)) {
    errors.push_back(absl::StrCat("request_id: ", *problem));
  }
}

// Every problem in `errors` in one answer ("a: x; b: y"); OK when none.
grpc::Status InvalidIfAny(const std::vector<std::string>& errors) {
  return errors.empty() ? grpc::Status::OK : Invalid(absl::StrJoin(errors, "; "));
}

// A page or a what-if report ends early rather than pass
// rpc::kMaxAnswerBytes: 500 classifications with long override rationales,
// or 10000 what-if items, would not fit what a client receives.
using rpc::AnswerItemBytes;
using rpc::FitsInAnswer;
using rpc::kMaxAnswerBytes;

// Page tokens: web-safe base64 of "<fingerprint of the filters>\n<cursor>".
std::string MakeToken(const std::string& fingerprint, const std::string& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat(fingerprint, "\n", cursor));
}

absl::StatusOr<std::string> ReadToken(const std::string& token, const std::string& fingerprint) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return absl::InvalidArgumentError("page_token: malformed");
  }
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('\n', 1));
  if (parts.size() != 2 || parts[0] != fingerprint) {
    return absl::InvalidArgumentError(
        "page_token: not from this listing (the filters must stay the same)");
  }
  return parts[1];
}

}  // namespace

std::string ScopedRequestId(absl::string_view principal, absl::string_view rpc,
                            absl::string_view change_id, absl::string_view request_id) {
  // Principal names come from the tokens file and may hold any character,
  // ':' and '/' included: the lengths before the principal and the change
  // id keep every part apart, so no two (principal, request id) pairs make
  // one key. RPC names hold no ':', and the request id is the rest.
  std::string key =
      absl::StrCat("classification:", principal.size(), ":", principal, ":", rpc, ":",
                   change_id.size(), ":", change_id, ":", request_id);
  // A long principal name with a long request id would exceed what the
  // store keeps; such a key is replaced by its name-based UUID, which a
  // retry computes again.
  if (key.size() > eventstore::kMaxRequestIdBytes) {
    key =
        absl::StrCat("classification-hashed:", uuid::NameUuid(kRequestKeyNamespace, key));
  }
  return key;
}

rpc::MethodPolicy ClassificationServicePolicy() {
  const char* service = v1::ClassificationService::service_full_name();
  const std::set<rpc::Role> office = {rpc::Role::kPortfolioOffice};
  const std::set<rpc::Role> everyone(rpc::AllRoles().begin(), rpc::AllRoles().end());
  rpc::MethodPolicy policy;
  for (const char* m : {"ConfirmClassification", "OverrideClassification"}) {
    policy[Method(service, m)] = office;
  }
  for (const char* m : {"GetClassification", "ListClassifications", "ListClassificationQueue",
                        "WhatIfRuleset", "GetRuleset"}) {
    policy[Method(service, m)] = everyone;
  }
  return policy;
}

rpc::MethodPolicy LogReaderPolicy() {
  const char* service = eventlog::v1::LogReader::service_full_name();
  const std::set<rpc::Role> readers = {rpc::Role::kAuditor, rpc::Role::kAdmin,
                                       rpc::Role::kService, rpc::Role::kPortfolioOffice};
  return {{Method(service, "ReadLog"), readers}, {Method(service, "GetLogHead"), readers}};
}

v1::ChangeClassification ToApi(const State& s, const std::vector<RecordedEvent>& history,
                               const Ruleset& ruleset) {
  v1::ChangeClassification out;
  out.set_name(ResourceName(s.change_id));
  out.set_change(absl::StrCat("changes/", s.change_id));
  out.set_status(ToApi(s.status));
  if (auto effective = s.Effective()) {
    *out.mutable_classification() = ToProto(*effective);
    const TierGuidance g = ruleset.GuidanceFor(effective->tier);
    v1::TierGuidance* guidance = out.mutable_guidance();
    guidance->set_change_approach(g.change_approach);
    guidance->set_governance(g.governance);
    guidance->set_leadership(g.leadership);
    guidance->set_resourcing_demand(g.resourcing_demand);
    for (std::string& line : ruleset.TypeGuidanceFor(effective->types)) {
      guidance->add_type_guidance(std::move(line));
    }
  }
  if (s.in_force) {
    v1::ClassificationDecision* d = out.mutable_decision();
    d->set_kind(ToApi(s.status));
    *d->mutable_classification() = ToProto(s.in_force->classification);
    d->set_rationale(s.in_force->rationale);
    d->set_decided_by(s.in_force->actor);
    *d->mutable_decide_time() = ToTimestamp(s.in_force->recorded_at);
    d->set_version(s.in_force->version);
  }
  if (s.latest_suggestion) {
    *out.mutable_latest_suggestion() = ToProto(s.latest_suggestion->suggestion);
    *out.mutable_facts() = ToProto(s.latest_suggestion->facts);
    out.set_latest_suggestion_version(s.latest_suggestion->version);
  }
  out.set_review_pending(s.review_pending);
  if (s.review_pending) *out.mutable_awaiting_since() = ToTimestamp(s.awaiting_since);
  out.set_end(static_cast<v1::ChangeEnd>(s.end));
  out.set_version(s.version);
  for (const RecordedEvent& r : history) {
    v1::HistoryEntry* h = out.add_history();
    h->set_version(r.version);
    *h->mutable_record_time() = ToTimestamp(r.recorded_at);
    h->set_actor(r.actor);
    std::visit(
        [&](const auto& ev) {
          using T = std::decay_t<decltype(ev)>;
          if constexpr (std::is_same_v<T, ClassificationSuggested>) {
            h->set_event_type("ClassificationSuggested");
            *h->mutable_classification() = ToProto(ev.suggestion.classification);
            h->set_ruleset_id(ev.suggestion.ruleset_id);
            h->set_ruleset_version(ev.suggestion.ruleset_version);
          } else if constexpr (std::is_same_v<T, ClassificationConfirmed>) {
            h->set_event_type("ClassificationConfirmed");
            *h->mutable_classification() = ToProto(ev.classification);
            h->set_rationale(ev.note);
          } else if constexpr (std::is_same_v<T, ClassificationOverridden>) {
            h->set_event_type("ClassificationOverridden");
            *h->mutable_classification() = ToProto(ev.classification);
            h->set_rationale(ev.rationale);
          } else {
            h->set_event_type("ClassificationClosed");
          }
        },
        r.event);
  }
  return out;
}

ClassificationServiceImpl::ClassificationServiceImpl(Classifier* classifier,
                                                     ClassificationServiceOptions options)
    : classifier_(classifier), options_(std::move(options)) {}

grpc::Status ClassificationServiceImpl::GetClassification(
    grpc::ServerContext*, const v1::GetClassificationRequest* request,
    v1::ChangeClassification* response) {
  std::vector<std::string> errors;
  const std::string id = ChangeIdOf(request->name(), errors);
  if (grpc::Status invalid = InvalidIfAny(errors); !invalid.ok()) return invalid;
  std::optional<State> state = classifier_->Get(id);
  if (!state) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        absl::StrCat("no classification for change ", id));
  }
  absl::StatusOr<std::vector<RecordedEvent>> history = classifier_->History(id);
  if (!history.ok()) return errors::ToGrpcStatus(history.status());
  *response = ToApi(*state, *history, classifier_->ruleset());
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::ListClassifications(
    grpc::ServerContext*, const v1::ListClassificationsRequest* request,
    v1::ListClassificationsResponse* response) {
  std::vector<std::string> errors;
  absl::StatusOr<int32_t> page_size =
      rpc::PageSize(request->page_size(), kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) errors.emplace_back(page_size.status().message());
  if (!v1::Tier_IsValid(request->tier())) errors.push_back("tier: unknown value");
  if (!v1::Complexity_IsValid(request->complexity())) errors.push_back("complexity: unknown value");
  if (!v1::ClassificationStatus_IsValid(request->status())) {
    errors.push_back("status: unknown value");
  }
  const std::string fingerprint = absl::StrCat("list:", request->tier(), ":", request->complexity(),
                                               ":", request->status(), ":",
                                               request->include_closed());
  absl::StatusOr<std::string> after = ReadToken(request->page_token(), fingerprint);
  if (!after.ok()) errors.emplace_back(after.status().message());
  if (!errors.empty()) return Invalid(absl::StrJoin(errors, "; "));

  std::vector<const State*> matching;
  const std::vector<State> all = classifier_->All();  // ordered by change id
  for (const State& s : all) {
    if (s.closed() && !request->include_closed()) continue;
    const std::optional<Classification> c = s.Effective();
    if (request->tier() != v1::TIER_UNSPECIFIED &&
        (!c || static_cast<int>(c->tier) != request->tier())) {
      continue;
    }
    if (request->complexity() != v1::COMPLEXITY_UNSPECIFIED &&
        (!c || static_cast<int>(c->complexity) != request->complexity())) {
      continue;
    }
    if (request->status() != v1::CLASSIFICATION_STATUS_UNSPECIFIED &&
        static_cast<int>(s.status) != request->status()) {
      continue;
    }
    matching.push_back(&s);
  }
  response->set_total_size(static_cast<int32_t>(matching.size()));
  size_t bytes = 0;
  for (const State* s : matching) {
    if (!after->empty() && s->change_id <= *after) continue;
    v1::ChangeClassification item = ToApi(*s, {}, classifier_->ruleset());
    const size_t item_bytes = AnswerItemBytes(item);
    if (response->classifications_size() == *page_size ||
        !FitsInAnswer(bytes, item_bytes, response->classifications_size())) {
      response->set_next_page_token(
          MakeToken(fingerprint, response->classifications().rbegin()->name().substr(16)));
      break;
    }
    *response->add_classifications() = std::move(item);
    bytes += item_bytes;
  }
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::ConfirmClassification(
    grpc::ServerContext* context, const v1::ConfirmClassificationRequest* request,
    v1::ChangeClassification* response) {
  // Every bad field in one answer: the name, the command's own fields, the
  // request id.
  std::vector<std::string> errors;
  const classification::ConfirmClassification cmd{ChangeIdOf(request->name(), errors),
                                                   request->expected_version(), request->note()};
  for (std::string& e : FieldErrors(cmd)) errors.push_back(std::move(e));
  CheckRequestId(request->request_id(), errors);
  if (grpc::Status invalid = InvalidIfAny(errors); !invalid.ok()) return invalid;
  auto caller = Caller(context, "ConfirmClassification", cmd.change_id, request->request_id());
  if (!caller.ok()) return errors::ToGrpcStatus(caller.status());
  absl::StatusOr<State> state = classifier_->Confirm(cmd, caller->first, caller->second);
  if (!state.ok()) return errors::ToGrpcStatus(state.status());
  *response = ToApi(*state, {}, classifier_->ruleset());
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::OverrideClassification(
    grpc::ServerContext* context, const v1::OverrideClassificationRequest* request,
    v1::ChangeClassification* response) {
  // Every bad field in one answer, as for a confirmation.
  std::vector<std::string> errors;
  const classification::OverrideClassification cmd{
      ChangeIdOf(request->name(), errors), request->expected_version(),
      FromProto(request->classification()), request->rationale()};
  for (std::string& e : FieldErrors(cmd, classifier_->ruleset())) errors.push_back(std::move(e));
  CheckRequestId(request->request_id(), errors);
  if (grpc::Status invalid = InvalidIfAny(errors); !invalid.ok()) return invalid;
  auto caller = Caller(context, "OverrideClassification", cmd.change_id, request->request_id());
  if (!caller.ok()) return errors::ToGrpcStatus(caller.status());
  absl::StatusOr<State> state = classifier_->Override(cmd, caller->first, caller->second);
  if (!state.ok()) return errors::ToGrpcStatus(state.status());
  *response = ToApi(*state, {}, classifier_->ruleset());
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::ListClassificationQueue(
    grpc::ServerContext*, const v1::ListClassificationQueueRequest* request,
    v1::ListClassificationQueueResponse* response) {
  std::vector<std::string> errors;
  absl::StatusOr<int32_t> page_size =
      rpc::PageSize(request->page_size(), kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) errors.emplace_back(page_size.status().message());
  absl::StatusOr<std::string> after = ReadToken(request->page_token(), "queue");
  if (!after.ok()) errors.emplace_back(after.status().message());
  // Cursor: "<awaiting_since unix nanos>/<change id>", the queue's order.
  auto cursor = [](const State& s) {
    return std::make_pair(absl::ToUnixNanos(s.awaiting_since), s.change_id);
  };
  std::optional<std::pair<int64_t, std::string>> from;
  if (after.ok() && !after->empty()) {
    std::vector<std::string> parts = absl::StrSplit(*after, absl::MaxSplits('/', 1));
    int64_t nanos = 0;
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &nanos)) {
      errors.push_back("page_token: malformed");
    } else {
      from = std::make_pair(nanos, parts[1]);
    }
  }
  if (grpc::Status invalid = InvalidIfAny(errors); !invalid.ok()) return invalid;
  const std::vector<State> queue = classifier_->QueueSnapshot();
  response->set_total_size(static_cast<int32_t>(queue.size()));
  const State* last = nullptr;
  size_t bytes = 0;
  for (const State& s : queue) {
    if (from && cursor(s) <= *from) continue;
    v1::ChangeClassification item = ToApi(s, {}, classifier_->ruleset());
    const size_t item_bytes = AnswerItemBytes(item);
    if (response->classifications_size() == *page_size ||
        (last != nullptr && bytes + item_bytes > kMaxAnswerBytes)) {
      response->set_next_page_token(MakeToken(
          "queue", absl::StrCat(absl::ToUnixNanos(last->awaiting_since), "/", last->change_id)));
      break;
    }
    *response->add_classifications() = std::move(item);
    bytes += item_bytes;
    last = &s;
  }
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::WhatIfRuleset(grpc::ServerContext*,
                                                      const v1::WhatIfRulesetRequest* request,
                                                      v1::WhatIfRulesetResponse* response) {
  if (request->ruleset_yaml().size() > options_.max_what_if_bytes) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                        absl::StrCat("ruleset_yaml: at most ", options_.max_what_if_bytes, " bytes"));
  }
  // The ruleset's own error and max_items' are answered together.
  std::vector<std::string> errors;
  absl::StatusOr<std::unique_ptr<Ruleset>> proposed =
      absl::InvalidArgumentError("ruleset_yaml: required");
  if (!request->ruleset_yaml().empty()) {
    proposed = LoadRuleset(request->ruleset_yaml(), "ruleset_yaml");
  }
  if (!proposed.ok()) errors.emplace_back(proposed.status().message());
  if (request->max_items() < 0 || request->max_items() > 10000) {
    errors.push_back("max_items: 0..10000");
  }
  if (grpc::Status invalid = InvalidIfAny(errors); !invalid.ok()) return invalid;
  const size_t max_items = request->max_items() == 0 ? 1000 : request->max_items();
  const WhatIfReport report = classifier_->WhatIf(**proposed);
  response->set_ruleset_id(report.ruleset_id);
  response->set_ruleset_version(report.ruleset_version);
  response->set_evaluated(static_cast<int32_t>(report.evaluated));
  response->set_changed(static_cast<int32_t>(report.changed));
  response->set_current_ruleset_id(classifier_->ruleset().id());
  response->set_current_ruleset_version(classifier_->ruleset().version());
  size_t bytes = response->ByteSizeLong();
  for (const WhatIfItem& item : report.items) {
    v1::WhatIfItem out;
    out.set_name(ResourceName(item.change_id));
    *out.mutable_current() = ToProto(item.current);
    if (item.in_force) *out.mutable_in_force() = ToProto(*item.in_force);
    out.set_status(ToApi(item.status));
    out.set_would_need_review(item.would_need_review);
    *out.mutable_proposed() = ToProto(item.proposed);
    out.set_tier_changed(item.tier_changed);
    out.set_complexity_changed(item.complexity_changed);
    out.set_types_changed(item.types_changed);
    const size_t item_bytes = AnswerItemBytes(out);
    if (static_cast<size_t>(response->items_size()) == max_items ||
        !FitsInAnswer(bytes, item_bytes, response->items_size())) {
      response->set_truncated(true);
      break;
    }
    *response->add_items() = std::move(out);
    bytes += item_bytes;
  }
  return grpc::Status::OK;
}

grpc::Status ClassificationServiceImpl::GetRuleset(grpc::ServerContext*,
                                                   const v1::GetRulesetRequest*,
                                                   v1::RulesetInfo* response) {
  const Ruleset& r = classifier_->ruleset();
  response->set_id(r.id());
  response->set_version(r.version());
  response->set_title(r.title());
  response->set_source(r.source());
  response->set_yaml(options_.ruleset_yaml);
  return grpc::Status::OK;
}

}  // namespace changeledger::classification
