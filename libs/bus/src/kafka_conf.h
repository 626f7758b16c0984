// Builds a librdkafka configuration from key/value pairs (internal).
#ifndef CHANGELEDGER_BUS_SRC_KAFKA_CONF_H_
#define CHANGELEDGER_BUS_SRC_KAFKA_CONF_H_

#include <librdkafka/rdkafka.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace changeledger::bus::internal {

// A new rd_kafka_conf_t holding every pair in order (a later pair for the
// same key wins), owned by the caller. An unknown key or a bad value is
// INVALID_ARGUMENT naming the key, and nothing leaks.
inline absl::StatusOr<rd_kafka_conf_t*> MakeKafkaConf(
    const std::vector<std::pair<std::string, std::string>>& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [key, value] : props) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka_config ", key, ": ", errstr));
    }
  }
  return conf;
}

}  // namespace changeledger::bus::internal

#endif  // CHANGELEDGER_BUS_SRC_KAFKA_CONF_H_
