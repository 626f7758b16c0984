// CRC-32C (Castagnoli), the checksum stored with every event record.
#ifndef CHANGELEDGER_EVENTSTORE_SRC_CRC32C_H_
#define CHANGELEDGER_EVENTSTORE_SRC_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace changeledger::eventstore::internal {

// The CRC-32C of `data` appended to a string whose CRC-32C is `crc`
// (0 for the empty string): Crc32cExtend(Crc32cExtend(0, a), b) equals
// the CRC of a + b.
uint32_t Crc32cExtend(uint32_t crc, std::string_view data);

inline uint32_t Crc32c(std::string_view data) { return Crc32cExtend(0, data); }

}  // namespace changeledger::eventstore::internal

#endif  // CHANGELEDGER_EVENTSTORE_SRC_CRC32C_H_
