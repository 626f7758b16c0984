#include "changeledger/uuid/time_ordered_uuid.h"

#include <time.h>

#include "absl/random/random.h"

namespace changeledger::uuid {

PackedUuid TimeOrderedUuidAt(int64_t unix_nanos, uint64_t random) {
  const auto nanos = static_cast<uint64_t>(unix_nanos);
  const uint64_t millis = nanos / 1'000'000;
  // The fraction of the millisecond in 12 bits: 0 <= f < 4096.
  const uint64_t fraction = (nanos % 1'000'000) * 4096 / 1'000'000;
  PackedUuid id;
  id.hi = (millis << 16) | (uint64_t{7} << 12) | fraction;  // version 7
  id.lo = (random >> 2) | (uint64_t{2} << 62);              // variant 10xx
  return id;
}

void WriteTimeOrderedUuid(char* out) {
  thread_local absl::BitGen gen;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const int64_t unix_nanos = int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
  FormatUuidText(TimeOrderedUuidAt(unix_nanos, absl::Uniform<uint64_t>(gen)), out);
}

std::string TimeOrderedUuid() {
  std::string text(kUuidTextSize, '\0');
  WriteTimeOrderedUuid(text.data());
  return text;
}

}  // namespace changeledger::uuid
