// Rendering of intake resources for people.
#ifndef CHANGELEDGER_CHANGECTL_RENDER_H_
#define CHANGELEDGER_CHANGECTL_RENDER_H_

#include <string>

#include <google/protobuf/timestamp.pb.h>

#include "changeledger/intake/v1/intake.pb.h"

namespace changeledger::changectl {

// Whole seconds, for the times of a resource ("" when unset).
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);
// RFC 3339 in UTC to the nanosecond (protobuf's form: 0, 3, 6 or 9
// fractional digits, a four-digit year), for the times a figure stands at:
// typed back as --as-of it selects the same events.
std::string FormatExactTimestamp(const google::protobuf::Timestamp& ts);
std::string RenderProposal(const intake::v1::Proposal& proposal);
std::string RenderChange(const intake::v1::Change& change);
std::string RenderProposals(const intake::v1::ListProposalsResponse& list);
std::string RenderChanges(const intake::v1::ListChangesResponse& list);
std::string OriginText(const intake::v1::ChangeOrigin& origin);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_RENDER_H_
