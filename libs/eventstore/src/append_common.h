// Rules both EventStore implementations share, so that they answer the
// same requests with the same codes and messages.
#ifndef CHANGELEDGER_EVENTSTORE_SRC_APPEND_COMMON_H_
#define CHANGELEDGER_EVENTSTORE_SRC_APPEND_COMMON_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"
#include "google/protobuf/timestamp.pb.h"

namespace changeledger::eventstore::internal {

// Debian's abseil has its own string_view type; StrCat and the hash maps'
// heterogeneous lookup take that one.
inline absl::string_view Av(std::string_view s) { return {s.data(), s.size()}; }

inline constexpr size_t kMaxStreamBytes = 256;
inline constexpr size_t kMaxEventIdBytes = 256;

// INVALID_ARGUMENT naming the offending field, or OK.
absl::Status ValidateAppendRequest(const AppendRequest& request);

// Gives every event without an event_id a random UUID and clears the
// fields the store assigns (stream, version, global_position,
// recorded_at).
void PrepareEvents(AppendRequest& request);

inline bool VersionMatches(ExpectedVersion expected, uint64_t current) {
  return expected.is_any() || expected.version() == current;
}

// ABORTED: "stream "x" is at version 3, expected 2".
absl::Status ConflictError(std::string_view stream, uint64_t current,
                           ExpectedVersion expected);

// recorded_at of the next commit in Unix nanoseconds: the clock's time,
// but never earlier than the previous commit's.
int64_t NextRecordedAt(absl::Time now, int64_t previous_unix_nanos);

// Conversions between Unix nanoseconds and google.protobuf.Timestamp
// (normalized: nanos in [0, 1e9)).
void SetTimestamp(int64_t unix_nanos, google::protobuf::Timestamp* ts);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

}  // namespace changeledger::eventstore::internal

#endif  // CHANGELEDGER_EVENTSTORE_SRC_APPEND_COMMON_H_
