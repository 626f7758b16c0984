#include "append_common.h"

#include <algorithm>
#include <set>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
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

namespace {

// A random (version 4, RFC 4122 variant) UUID in its lowercase text form.
// The generator is per thread and seeded once from the OS: libuuid's
// uuid_generate_random re-seeded libc's random() on every call, which
// showed as a tenth of every appender's CPU.
void RandomUuid(char (&text)[36]) {
  thread_local absl::BitGen gen;
  uint8_t bytes[16];
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  size_t out = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[out++] = '-';
    text[out++] = kHex[bytes[i] >> 4];
    text[out++] = kHex[bytes[i] & 0x0f];
  }
}

}  // namespace

void PrepareEvents(AppendRequest& request) {
  for (StreamAppend& w : request.writes) {
    for (Envelope& e : w.events) {
      if (e.event_id().empty()) {
        char text[36];
        RandomUuid(text);
        e.set_event_id(text, 36);
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
