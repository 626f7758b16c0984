// Random (version 4) UUIDs in their canonical lower-case text form, for
// event ids, aggregate ids and correlation ids.
//
// Each thread has its own generator, seeded once from the operating
// system (absl::BitGen). libuuid's uuid_generate_random, used before,
// re-seeded libc's random() on every call, which cost a tenth of an
// appending thread's CPU. The ids are unique, not secret: never use them
// as tokens.
//
// Thread safety: both functions may be called from any thread at once.
#ifndef CHANGELEDGER_UUID_RANDOM_UUID_H_
#define CHANGELEDGER_UUID_RANDOM_UUID_H_

#include <string>

#include "changeledger/uuid/uuid_text.h"  // kUuidTextSize

namespace changeledger::uuid {

// Writes a new random UUID to out[0..36) (no terminating NUL).
void WriteRandomUuid(char* out);

// A new random UUID, e.g. "0b5c8f8e-6a5e-4a57-9d0b-4c7a3f1f2f10".
std::string RandomUuid();

}  // namespace changeledger::uuid

#endif  // CHANGELEDGER_UUID_RANDOM_UUID_H_
