// Time-ordered (RFC 9562 version 7) UUIDs in canonical lower-case text, for
// the ids of new aggregates. The first 48 bits are the Unix time in
// milliseconds and the next 12 the fraction of that millisecond (RFC 9562
// method 3, about 244 ns a step), so ids sort, as text and packed, in the
// order they were made, up to clock steps. Keys that begin with them land
// next to each other in an index: a new stream's keys go at the end of the
// event store's stream index instead of at a random place in it. The other
// 62 bits are random (a per-thread absl::BitGen, as for RandomUuid).
//
// An id shows when its aggregate was created, to the sub-millisecond;
// aggregates' creation times are visible to every reader anyway. Never use
// the ids as tokens.
//
// Thread safety: both functions may be called from any thread at once.
#ifndef CHANGELEDGER_UUID_TIME_ORDERED_UUID_H_
#define CHANGELEDGER_UUID_TIME_ORDERED_UUID_H_

#include <cstdint>
#include <string>

#include "changeledger/uuid/uuid_text.h"  // kUuidTextSize, PackedUuid

namespace changeledger::uuid {

// The version-7 UUID of `unix_nanos` (nanoseconds since the Unix epoch,
// before the year 10889) with the random bits `random`. Exposed for tests;
// callers want WriteTimeOrderedUuid.
PackedUuid TimeOrderedUuidAt(int64_t unix_nanos, uint64_t random);

// Writes a new version-7 UUID of the current time to out[0..36) (no
// terminating NUL).
void WriteTimeOrderedUuid(char* out);

// A new version-7 UUID, e.g. "019ac5e1-7c4b-7a3e-9d0b-4c7a3f1f2f10".
std::string TimeOrderedUuid();

}  // namespace changeledger::uuid

#endif  // CHANGELEDGER_UUID_TIME_ORDERED_UUID_H_
