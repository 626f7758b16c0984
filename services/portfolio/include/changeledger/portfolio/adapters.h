// Adapters: from the services' envelopes to the portfolio's facts.
//
// The registry maps an envelope's `type` (a payload's full proto name) to a
// decoder. Each writing service contributes the decoders of its own events
// (RegisterIntakeAdapters, RegisterClassificationAdapters, ...), so a new
// topic (recommendations, benefits) plugs in by registering its decoders
// and naming its topic; the projection and the runner do not change.
#ifndef CHANGELEDGER_PORTFOLIO_ADAPTERS_H_
#define CHANGELEDGER_PORTFOLIO_ADAPTERS_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "changeledger/eventlog/v1/envelope.pb.h"
#include "changeledger/portfolio/facts.h"

namespace changeledger::portfolio {

using Envelope = ::changeledger::eventlog::v1::Envelope;

// Decodes the payload of one envelope type into `fact` (whose meta the
// registry has filled already). Returns false when the event carries no
// fact for the portfolio. Errors: DATA_LOSS (payload does not parse).
using DecodeFn = std::function<absl::StatusOr<bool>(const Envelope& envelope, Fact& fact)>;

class AdapterRegistry {
 public:
  // Registers the decoder for envelopes of type `type`; a second
  // registration of the same type replaces the first.
  void Register(std::string type, DecodeFn decode);
  // A topic the portfolio consumes (for the Kafka source).
  void AddTopic(std::string topic);

  // The fact carried by `envelope`, or nullopt for a type without a
  // decoder or an event that carries none.
  // Errors: DATA_LOSS (a registered type whose payload does not parse or
  // lacks its id).
  absl::StatusOr<std::optional<Fact>> Decode(const Envelope& envelope) const;
  // Same as Decode, into `fact` (whatever it held is replaced; its strings'
  // storage is reused, which spares a rebuild an allocation per string).
  // Returns false where Decode returns nullopt; `fact` is then unspecified.
  absl::StatusOr<bool> DecodeInto(const Envelope& envelope, Fact& fact) const;

  const std::vector<std::string>& topics() const { return topics_; }
  bool Handles(const std::string& type) const { return decoders_.count(type) > 0; }

 private:
  absl::flat_hash_map<std::string, DecodeFn> decoders_;
  std::vector<std::string> topics_;
};

// Topic "changeledger.intake.v1": ChangeRegistered, ChangeAmended,
// ChangeDeliveryStarted/Closed/Stopped, ProposalSubmitted, ProposalDecided,
// ProposalWithdrawn, and the other proposal events (history only).
void RegisterIntakeAdapters(AdapterRegistry& registry);

// Topic "changeledger.classification.v1": ClassificationSuggested,
// ClassificationConfirmed, ClassificationOverridden, and ClassificationClosed
// (history only: intake's ChangeClosed/ChangeStopped carry the status).
void RegisterClassificationAdapters(AdapterRegistry& registry);

// Every adapter known to this build, with their topics.
AdapterRegistry DefaultAdapters();

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_ADAPTERS_H_
