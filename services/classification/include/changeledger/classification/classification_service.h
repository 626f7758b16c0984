// ClassificationServiceImpl: changeledger.classification.v1.ClassificationService
// over a Classifier. Authentication and role checks happen in the rpc
// runtime before a call arrives; this class takes the principal from the
// call context (never from the request) as the actor.
#ifndef CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVICE_H_
#define CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVICE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "changeledger/classification/classifier.h"
#include "changeledger/classification/v1/classification.grpc.pb.h"
#include "changeledger/rpc/auth.h"

namespace changeledger::classification {

struct ClassificationServiceOptions {
  // The running ruleset's YAML text, returned by GetRuleset. Default: "".
  std::string ruleset_yaml;
  // Largest ruleset_yaml accepted by WhatIfRuleset. Default: 256 KiB.
  size_t max_what_if_bytes = 256 * 1024;
};

// The store's idempotency key of a command that carries a request id:
// "classification:<length>:<principal>:<RPC>:<length>:<change id>:<request
// id>", or "classification-hashed:<UUID>" (a name-based UUID of that text)
// when it would pass eventstore::kMaxRequestIdBytes. Scoped by principal,
// RPC and change, so the same request id from another principal, or on
// another RPC or change, is another command; the lengths keep the parts
// apart whatever characters a principal's name holds. It is also the
// command's events' causation id, by which a retry is recognised after a
// restart.
std::string ScopedRequestId(absl::string_view principal, absl::string_view rpc,
                            absl::string_view change_id, absl::string_view request_id);

// The method policy: portfolio_office writes, every role reads.
rpc::MethodPolicy ClassificationServicePolicy();
// LogReader: auditor, admin, service and portfolio_office.
rpc::MethodPolicy LogReaderPolicy();

class ClassificationServiceImpl final : public v1::ClassificationService::Service {
 public:
  // `classifier` is not owned and must outlive the service.
  ClassificationServiceImpl(Classifier* classifier, ClassificationServiceOptions options);

  grpc::Status GetClassification(grpc::ServerContext* context,
                                 const v1::GetClassificationRequest* request,
                                 v1::ChangeClassification* response) override;
  grpc::Status ListClassifications(grpc::ServerContext* context,
                                   const v1::ListClassificationsRequest* request,
                                   v1::ListClassificationsResponse* response) override;
  grpc::Status ConfirmClassification(grpc::ServerContext* context,
                                     const v1::ConfirmClassificationRequest* request,
                                     v1::ChangeClassification* response) override;
  grpc::Status OverrideClassification(grpc::ServerContext* context,
                                      const v1::OverrideClassificationRequest* request,
                                      v1::ChangeClassification* response) override;
  grpc::Status ListClassificationQueue(grpc::ServerContext* context,
                                       const v1::ListClassificationQueueRequest* request,
                                       v1::ListClassificationQueueResponse* response) override;
  grpc::Status WhatIfRuleset(grpc::ServerContext* context,
                             const v1::WhatIfRulesetRequest* request,
                             v1::WhatIfRulesetResponse* response) override;
  grpc::Status GetRuleset(grpc::ServerContext* context, const v1::GetRulesetRequest* request,
                          v1::RulesetInfo* response) override;

 private:
  Classifier* classifier_;
  ClassificationServiceOptions options_;
};

// The API view of one classification; `history` may be empty.
v1::ChangeClassification ToApi(const State& state, const std::vector<RecordedEvent>& history);

}  // namespace changeledger::classification

#endif  // CHANGELEDGER_CLASSIFICATION_CLASSIFICATION_SERVICE_H_
