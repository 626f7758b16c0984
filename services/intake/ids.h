// Identifiers of the intake service: time-ordered UUIDs for new aggregates
// and correlations, and name-based (SHA-1, RFC 4122 version 5) UUIDs where
// a retry must land on the same aggregate (returns imports, long
// idempotency keys).
#ifndef CHANGELEDGER_SERVICES_INTAKE_IDS_H_
#define CHANGELEDGER_SERVICES_INTAKE_IDS_H_

#include <string>

#include "absl/strings/string_view.h"

namespace changeledger::intake {

// A time-ordered (RFC 9562 version 7) UUID, lower-case text. A new
// aggregate's stream keys then go at the end of the store's stream index,
// next to the other recent streams, instead of at a random place in it:
// the store's committer spent about a sixth of its CPU searching the
// index's memtable for random ids (docs/performance.md, seventeenth round).
// The id shows when it was made; creation times are visible to every
// reader anyway.
std::string NewUuid();

// The version-5 UUID of `name` in the intake namespace: the same name always
// gives the same id, on every machine.
std::string NameUuid(absl::string_view name);

// The change id of record `record_reference` of return `return_reference`.
std::string ImportedChangeId(absl::string_view return_reference,
                             absl::string_view record_reference);

// The store's idempotency key of a command: scoped by principal, method and
// the resource the command names (its stream; empty for a create), so two
// callers' request ids never collide and one key used on two resources is
// two commands, not a retry. At most 256 bytes (longer keys are replaced by
// their NameUuid). A create's key is the same as before keys named the
// resource, so a create retried across that upgrade is still recognised.
std::string IdempotencyKey(absl::string_view principal, absl::string_view method,
                           absl::string_view resource, absl::string_view request_id);

}  // namespace changeledger::intake

#endif  // CHANGELEDGER_SERVICES_INTAKE_IDS_H_
