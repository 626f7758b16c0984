#include "changeledger/uuid/random_uuid.h"

#include <cstdint>

#include "absl/random/random.h"

namespace changeledger::uuid {

void WriteRandomUuid(char* out) {
  thread_local absl::BitGen gen;
  uint8_t bytes[16];
  const uint64_t hi = absl::Uniform<uint64_t>(gen);
  const uint64_t lo = absl::Uniform<uint64_t>(gen);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // variant 10xx (RFC 4122)
  static constexpr char kHex[] = "0123456789abcdef";
  size_t at = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[at++] = '-';
    out[at++] = kHex[bytes[i] >> 4];
    out[at++] = kHex[bytes[i] & 0x0f];
  }
}

std::string RandomUuid() {
  std::string text(kUuidTextSize, '\0');
  WriteRandomUuid(text.data());
  return text;
}

}  // namespace changeledger::uuid
