// FNV-1a 64-bit: a tiny, stable, unseeded hash. Not cryptographic; used to
// compare projection states (equal inputs give equal hashes everywhere).
#ifndef CHANGELEDGER_BUS_SRC_FNV1A_H_
#define CHANGELEDGER_BUS_SRC_FNV1A_H_

#include <cstdint>
#include <string_view>

namespace changeledger::bus {

class Fnv1a64 {
 public:
  void Add(std::string_view bytes) {
    for (unsigned char c : bytes) {
      h_ ^= c;
      h_ *= kPrime;
    }
  }
  // The length (8 bytes, little-endian) then the bytes, so ("ab","c") and
  // ("a","bc") hash differently.
  void AddLengthPrefixed(std::string_view bytes) {
    uint64_t n = bytes.size();
    char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    Add(std::string_view(len, 8));
    Add(bytes);
  }
  uint64_t value() const { return h_; }

 private:
  static constexpr uint64_t kPrime = 0x100000001b3ull;
  uint64_t h_ = 0xcbf29ce484222325ull;
};

}  // namespace changeledger::bus

#endif  // CHANGELEDGER_BUS_SRC_FNV1A_H_
