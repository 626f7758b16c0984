// FactCodec: the portfolio's stored form of a fact (compact binary,
// versioned) and the key it is stored under.
#ifndef CHANGELEDGER_PORTFOLIO_FACT_CODEC_H_
#define CHANGELEDGER_PORTFOLIO_FACT_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "changeledger/portfolio/facts.h"

namespace changeledger::portfolio {

// "f/<source>/<global position as 16 hex digits>". Positions are unique
// per source and increase along each stream, so a scan in key order
// returns each stream's facts in version order, and a fact delivered twice
// (Kafka and log reader alike carry the store's position) has one key.
std::string FactKey(const Fact& fact);
// Prefix of every FactKey.
inline constexpr std::string_view kFactKeyPrefix = "f/";

// Writes format 3: ids that are canonical lower-case UUIDs (and streams
// ending in one) are stored as 16 bytes, the services' event types by
// number, times in nanoseconds; every other string as it is. Decoding
// gives the fact back exactly, whatever its strings hold.
std::string EncodeFact(const Fact& fact);
// Reads formats 1 (every string as text), 2 (ids packed) and 3. Facts of
// formats 1 and 2 come back with times cut to microseconds and without
// what those formats did not keep (currency, suggestion version, note,
// changed paths). Errors: DATA_LOSS (truncated, unknown format version,
// bad enum or tag).
absl::StatusOr<Fact> DecodeFact(std::string_view bytes);
// True when `bytes` were written in the format EncodeFact writes now.
bool IsCurrentFactFormat(std::string_view bytes);

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_FACT_CODEC_H_
