// Name-based (SHA-1, RFC 4122 version 5) UUIDs: the same namespace and name
// give the same id on every machine, so a retried command, a re-imported
// record or an over-long key always lands on the same id.
//
// Thread safety: may be called from any thread at once.
#ifndef CHANGELEDGER_UUID_NAME_UUID_H_
#define CHANGELEDGER_UUID_NAME_UUID_H_

#include <string>
#include <string_view>

namespace changeledger::uuid {

// The version-5 UUID of `name` in `namespace_uuid` (a UUID in canonical
// text, fixed by the caller), in canonical lower-case text. A namespace
// that does not parse is a programming error and aborts.
std::string NameUuid(std::string_view namespace_uuid, std::string_view name);

}  // namespace changeledger::uuid

#endif  // CHANGELEDGER_UUID_NAME_UUID_H_
