// Who may call what on the intake service (enforced by rpc::Server before
// a handler runs).
//
//   proposer          CreateProposal, UpdateProposal, SubmitProposal,
//                     WithdrawProposal (the domain further limits the last
//                     three to the proposal's own proposer)
//   panel             StartAssessment, RecordAssessment, DecideProposal
//   portfolio_office  RegisterChange, AmendChange, StartDelivery,
//                     CloseChange, StopChange, ImportReturn
//   every role        GetProposal, ListProposals, GetChange, ListChanges,
//                     ListBusinessAreas
//   auditor, admin, service, portfolio_office
//                     LogReader.ReadLog, LogReader.GetLogHead
// `admin` administers the deployment and reads; it gives no business
// commands (separation of duties: an administrator cannot approve a
// proposal or register a change). `auditor` reads everything and writes
// nothing.
#ifndef CHANGELEDGER_SERVICES_INTAKE_POLICY_H_
#define CHANGELEDGER_SERVICES_INTAKE_POLICY_H_

#include "changeledger/rpc/auth.h"

namespace changeledger::intake {

rpc::MethodPolicy IntakeServicePolicy();
rpc::MethodPolicy LogReaderPolicy();

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_POLICY_H_
