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

std::string EncodeFact(const Fact& fact);
// Errors: DATA_LOSS (truncated, unknown format version, bad enum).
absl::StatusOr<Fact> DecodeFact(std::string_view bytes);

}  // namespace changeledger::portfolio

#endif  // CHANGELEDGER_PORTFOLIO_FACT_CODEC_H_
