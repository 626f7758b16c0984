#include "changeledger/uuid/random_uuid.h"

#include <cstdint>

#include "absl/random/random.h"

namespace changeledger::uuid {

void WriteRandomUuid(char* out) {
  thread_local absl::BitGen gen;
  PackedUuid id{absl::Uniform<uint64_t>(gen), absl::Uniform<uint64_t>(gen)};
  id.hi = (id.hi & ~uint64_t{0xf000}) | 0x4000;                       // version 4
  id.lo = (id.lo & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);  // variant 10xx (RFC 4122)
  FormatUuidText(id, out);
}

std::string RandomUuid() {
  std::string text(kUuidTextSize, '\0');
  WriteRandomUuid(text.data());
  return text;
}

}  // namespace changeledger::uuid
