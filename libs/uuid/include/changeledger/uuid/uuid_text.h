// UUIDs in canonical text form ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
// lower-case hex) packed into 16 bytes and back. Only the canonical form
// parses, so that formatting gives back exactly the text that was parsed
// (anything else, e.g. upper-case hex, is for the caller to keep as text).
// The portfolio model keeps ids packed and its fact codec stores them
// packed; WriteRandomUuid formats with it.
#ifndef CHANGELEDGER_UUID_UUID_TEXT_H_
#define CHANGELEDGER_UUID_UUID_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace changeledger::uuid {

inline constexpr size_t kUuidTextSize = 36;

struct PackedUuid {
  uint64_t hi = 0;
  uint64_t lo = 0;
};

namespace uuid_internal {

struct HexTable {
  int8_t value[256];
  constexpr HexTable() : value() {
    for (int i = 0; i < 256; ++i) value[i] = -1;
    for (int i = 0; i < 10; ++i) value['0' + i] = static_cast<int8_t>(i);
    for (int i = 0; i < 6; ++i) value['a' + i] = static_cast<int8_t>(10 + i);
  }
};
inline constexpr HexTable kHexTable;
inline constexpr char kHexDigits[] = "0123456789abcdef";

inline constexpr bool IsDash(size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

}  // namespace uuid_internal

// True (and `*out` set) when `s` is a UUID in canonical lower-case text.
inline bool ParseUuidText(std::string_view s, PackedUuid* out) {
  // Offsets of the 32 hex digits.
  static constexpr uint8_t kDigits[32] = {0,  1,  2,  3,  4,  5,  6,  7,  9,  10, 11,
                                          12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25,
                                          26, 27, 28, 29, 30, 31, 32, 33, 34, 35};
  if (s.size() != kUuidTextSize) return false;
  if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-') return false;
  const auto* table = uuid_internal::kHexTable.value;
  int bad = 0;
  uint64_t hi = 0, lo = 0;
  for (int i = 0; i < 16; ++i) {
    const int v = table[static_cast<unsigned char>(s[kDigits[i]])];
    bad |= v;  // negative if any digit is not lower-case hex
    hi = (hi << 4) | static_cast<uint64_t>(v & 0xf);
  }
  for (int i = 16; i < 32; ++i) {
    const int v = table[static_cast<unsigned char>(s[kDigits[i]])];
    bad |= v;
    lo = (lo << 4) | static_cast<uint64_t>(v & 0xf);
  }
  if (bad < 0) return false;
  out->hi = hi;
  out->lo = lo;
  return true;
}

// Writes the canonical text of `id` to `out[0..36)`.
inline void FormatUuidText(const PackedUuid& id, char* out) {
  int nibble = 0;
  for (size_t i = 0; i < kUuidTextSize; ++i) {
    if (uuid_internal::IsDash(i)) {
      out[i] = '-';
      continue;
    }
    const uint64_t word = nibble < 16 ? id.hi : id.lo;
    const int shift = 60 - 4 * (nibble & 15);
    out[i] = uuid_internal::kHexDigits[(word >> shift) & 0xf];
    ++nibble;
  }
}

inline std::string FormatUuidText(const PackedUuid& id) {
  std::string out(kUuidTextSize, '\0');
  FormatUuidText(id, out.data());
  return out;
}

}  // namespace changeledger::uuid

#endif  // CHANGELEDGER_UUID_UUID_TEXT_H_
