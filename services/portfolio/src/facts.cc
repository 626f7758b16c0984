#include "changeledger/portfolio/facts.h"

#include "absl/strings/string_view.h"
#include "changeledger/text/utf8.h"

namespace changeledger::portfolio {
namespace {

using ::changeledger::text::CodePoint;
using ::changeledger::text::DecodeUtf8;
using ::changeledger::text::IsControl;

constexpr std::string_view kEllipsis = "...";
constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Line breaks that are not control characters: LINE SEPARATOR, PARAGRAPH
// SEPARATOR.
bool IsLineSeparator(char32_t c) { return c == 0x2028 || c == 0x2029; }

// Appends code point `c` (whose bytes in the text are `bytes`) as the
// history shows it: on one line, and always as UTF-8 (a proto string must
// be), so a control character or line separator becomes a space and a byte
// that is not UTF-8 becomes U+FFFD.
void AppendShown(const CodePoint& c, std::string_view bytes, std::string& out) {
  if (!c.valid) {
    out.append(kReplacementCharacter);
  } else if (IsControl(c.value) || IsLineSeparator(c.value)) {
    out.push_back(' ');
  } else {
    out.append(bytes);
  }
}

}  // namespace

std::string ShortNote(std::string_view text) {
  const absl::string_view whole(text.data(), text.size());
  std::string out;
  // The longest start of `out`, in whole characters, that leaves room for
  // the ellipsis.
  size_t cut = 0;
  for (size_t i = 0; i < text.size();) {
    const CodePoint c = DecodeUtf8(whole, i);
    AppendShown(c, text.substr(i, c.length), out);
    i += c.length;
    if (out.size() > kNoteBytes) {
      out.resize(cut);
      out.append(kEllipsis);
      return out;
    }
    if (out.size() + kEllipsis.size() <= kNoteBytes) cut = out.size();
  }
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
