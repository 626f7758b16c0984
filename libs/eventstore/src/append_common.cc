#include "append_common.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "changeledger/uuid/random_uuid.h"
#include "google/protobuf/stubs/common.h"

namespace changeledger::eventstore::internal {

absl::Status ValidateAppendRequest(const AppendRequest& request) {
  if (request.writes.empty()) {
    return absl::InvalidArgumentError("writes: at least one stream is required");
  }
  if (request.request_id.size() > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("request_id: longer than ", kMaxRequestIdBytes, " bytes"));
  }
  std::set<std::string_view> seen;
  for (size_t i = 0; i < request.writes.size(); ++i) {
    const StreamAppend& w = request.writes[i];
    const std::string field = absl::StrCat("writes[", i, "]");
    if (w.stream.empty()) return absl::InvalidArgumentError(field + ".stream: empty");
    if (w.stream.size() > kMaxStreamBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".stream: longer than ", kMaxStreamBytes, " bytes"));
    }
    if (w.stream.find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(field + ".stream: contains a NUL byte");
    }
    // The stream is stored in each Envelope's string field, which could
    // not be read back if it were not UTF-8.
    if (!google::protobuf::internal::IsStructurallyValidUTF8(w.stream)) {
      return absl::InvalidArgumentError(field + ".stream: not valid UTF-8");
    }
    if (!seen.insert(w.stream).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".stream: \"", w.stream, "\" appears more than once"));
    }
    if (w.events.empty()) return absl::InvalidArgumentError(field + ".events: empty");
    for (size_t j = 0; j < w.events.size(); ++j) {
      if (w.events[j].event_id().size() > kMaxEventIdBytes) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ".events[", j, "].event_id: longer than ", kMaxEventIdBytes, " bytes"));
      }
      if (!google::protobuf::internal::IsStructurallyValidUTF8(w.events[j].event_id())) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".events[", j, "].event_id: not valid UTF-8"));
      }
    }
  }
  return absl::OkStatus();
}

void PrepareEvents(AppendRequest& request) {
  for (StreamAppend& w : request.writes) {
    for (Envelope& e : w.events) {
      if (e.event_id().empty()) {
        char text[uuid::kUuidTextSize];
        uuid::WriteRandomUuid(text);
        e.set_event_id(text, sizeof(text));
      }
      e.clear_stream();
      e.clear_version();
      e.clear_global_position();
      e.clear_recorded_at();
    }
  }
}

absl::Status ConflictError(std::string_view stream, uint64_t current,
                           ExpectedVersion expected) {
  return absl::AbortedError(absl::StrCat("stream \"", Av(stream), "\" is at version ", current,
                                         ", expected ", expected.version()));
}

int64_t NextRecordedAt(absl::Time now, int64_t previous_unix_nanos) {
  return std::max(absl::ToUnixNanos(now), previous_unix_nanos);
}

void SetTimestamp(int64_t unix_nanos, google::protobuf::Timestamp* ts) {
  int64_t seconds = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds -= 1;
  }
  ts->set_seconds(seconds);
  ts->set_nanos(static_cast<int32_t>(nanos));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace changeledger::eventstore::internal
