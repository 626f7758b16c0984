#include "policy.h"

#include <set>
#include <string>

#include "changeledger/eventlog/v1/log_reader.grpc.pb.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"

namespace changeledger::intake {
namespace {

using rpc::Role;

std::string Method(const char* service, const char* method) {
  return std::string("/") + service + "/" + method;
}

}  // namespace

rpc::MethodPolicy IntakeServicePolicy() {
  const char* service = v1::IntakeService::service_full_name();
  const std::set<Role> proposer = {Role::kProposer};
  const std::set<Role> panel = {Role::kPanel};
  const std::set<Role> office = {Role::kPortfolioOffice};
  const std::set<Role> everyone(rpc::AllRoles().begin(), rpc::AllRoles().end());
  rpc::MethodPolicy policy;
  for (const char* m : {"CreateProposal", "UpdateProposal", "SubmitProposal", "WithdrawProposal"}) {
    policy[Method(service, m)] = proposer;
  }
  for (const char* m : {"StartAssessment", "RecordAssessment", "DecideProposal"}) {
    policy[Method(service, m)] = panel;
  }
  for (const char* m : {"RegisterChange", "AmendChange", "StartDelivery", "CloseChange",
                        "StopChange", "ImportReturn"}) {
    policy[Method(service, m)] = office;
  }
  for (const char* m :
       {"GetProposal", "ListProposals", "GetChange", "ListChanges", "ListBusinessAreas"}) {
    policy[Method(service, m)] = everyone;
  }
  return policy;
}

rpc::MethodPolicy LogReaderPolicy() {
  const char* service = eventlog::v1::LogReader::service_full_name();
  const std::set<Role> readers = {Role::kAuditor, Role::kAdmin, Role::kService,
                                  Role::kPortfolioOffice};
  return {{Method(service, "ReadLog"), readers}, {Method(service, "GetLogHead"), readers}};
}

}  // namespace changeledger::intake
