#include "changeledger/portfolio/facts.h"

#include <algorithm>

namespace changeledger::portfolio {

std::string ShortNote(std::string_view text) {
  std::string out(text.substr(0, std::min(text.size(), kNoteBytes + 1)));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() <= kNoteBytes) return out;
  size_t cut = kNoteBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out.append("...");
  return out;
}

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kTransformational: return "TRANSFORMATIONAL";
    case Tier::kMandated: return "MANDATED";
    case Tier::kExperimental: return "EXPERIMENTAL";
    case Tier::kIncremental: return "INCREMENTAL";
    case Tier::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

const char* ComplexityName(Complexity c) {
  switch (c) {
    case Complexity::kHigh: return "HIGH";
    case Complexity::kMedium: return "MEDIUM";
    case Complexity::kLow: return "LOW";
    case Complexity::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

const char* ComplexityTypeName(int bit_index) {
  switch (bit_index) {
    case 0: return "STRUCTURAL";
    case 1: return "SOCIO_POLITICAL";
    case 2: return "EMERGENT";
    default: return "UNSPECIFIED";
  }
}

const char* StatusName(ChangeStatus status) {
  switch (status) {
    case ChangeStatus::kRegistered: return "REGISTERED";
    case ChangeStatus::kInDelivery: return "IN_DELIVERY";
    case ChangeStatus::kClosed: return "CLOSED";
    case ChangeStatus::kStopped: return "STOPPED";
    case ChangeStatus::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

const char* OutcomeName(ProposalOutcome outcome) {
  switch (outcome) {
    case ProposalOutcome::kApproved: return "APPROVED";
    case ProposalOutcome::kRejected: return "REJECTED";
    case ProposalOutcome::kDeferred: return "DEFERRED";
    case ProposalOutcome::kReturned: return "RETURNED";
    case ProposalOutcome::kUnspecified: break;
  }
  return "UNSPECIFIED";
}

const char* FactKindName(FactKind kind) {
  switch (kind) {
    case FactKind::kChangeRegistered: return "CHANGE_REGISTERED";
    case FactKind::kChangeAmended: return "CHANGE_AMENDED";
    case FactKind::kChangeStatusChanged: return "CHANGE_STATUS_CHANGED";
    case FactKind::kProposalSubmitted: return "PROPOSAL_SUBMITTED";
    case FactKind::kProposalDecided: return "PROPOSAL_DECIDED";
    case FactKind::kProposalOther: return "PROPOSAL_OTHER";
    case FactKind::kClassificationSuggested: return "CLASSIFICATION_SUGGESTED";
    case FactKind::kClassificationConfirmed: return "CLASSIFICATION_CONFIRMED";
    case FactKind::kClassificationOverridden: return "CLASSIFICATION_OVERRIDDEN";
    case FactKind::kProposalWithdrawn: return "PROPOSAL_WITHDRAWN";
    case FactKind::kClassificationClosed: return "CLASSIFICATION_CLOSED";
  }
  return "UNKNOWN";
}

}  // namespace changeledger::portfolio
