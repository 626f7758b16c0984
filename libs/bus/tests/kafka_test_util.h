// Helpers for the Kafka tests: read a whole topic with a plain consumer
// and check the delivery guarantees.
#ifndef CHANGELEDGER_BUS_TESTS_KAFKA_TEST_UTIL_H_
#define CHANGELEDGER_BUS_TESTS_KAFKA_TEST_UTIL_H_

#include <librdkafka/rdkafka.h>

#include <map>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "changeledger/eventlog/v1/envelope.pb.h"
#include "gtest/gtest.h"

namespace changeledger::bus::testing {

// Stream -> versions in the order they were read (duplicates included).
using Received = std::map<std::string, std::vector<uint64_t>>;

// Reads every partition of `topic` from the beginning (no group) until
// each stream in `expected` (stream -> last version) can be folded to its
// last version, or `timeout` passes.
inline Received ReadTopic(const std::string& bootstrap, const std::string& topic,
                          const std::map<std::string, uint64_t>& expected,
                          absl::Duration timeout = absl::Seconds(30));

// Folds `versions` with the consumer rule (apply only last + 1) and
// returns the last applied version.
inline uint64_t FoldVersions(const std::vector<uint64_t>& versions) {
  uint64_t last = 0;
  for (uint64_t v : versions) {
    if (v == last + 1) last = v;
  }
  return last;
}

inline bool AllFolded(const Received& got, const std::map<std::string, uint64_t>& expected) {
  for (const auto& [stream, last] : expected) {
    auto it = got.find(stream);
    if (it == got.end() || FoldVersions(it->second) != last) return false;
  }
  return true;
}

inline Received ReadTopic(const std::string& bootstrap, const std::string& topic,
                          const std::map<std::string, uint64_t>& expected,
                          absl::Duration timeout) {
  Received got;
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "group.id", "verifier", errstr, sizeof(errstr));
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    ADD_FAILURE() << errstr;
    return got;
  }
  rd_kafka_poll_set_consumer(rk);
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1) {
    ADD_FAILURE() << "metadata: " << rd_kafka_err2str(err);
    rd_kafka_destroy(rk);
    return got;
  }
  rd_kafka_topic_partition_list_t* parts = rd_kafka_topic_partition_list_new(0);
  for (int p = 0; p < md->topics[0].partition_cnt; ++p) {
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_metadata_destroy(md);
  rd_kafka_assign(rk, parts);
  rd_kafka_topic_partition_list_destroy(parts);
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline && !AllFolded(got, expected)) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 100);
    if (m == nullptr) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      eventlog::v1::Envelope e;
      EXPECT_TRUE(e.ParseFromArray(m->payload, static_cast<int>(m->len)));
      EXPECT_EQ(std::string(static_cast<const char*>(m->key), m->key_len), e.stream())
          << "key must be the stream";
      got[e.stream()].push_back(e.version());
    }
    rd_kafka_message_destroy(m);
  }
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return got;
}

// Every stream folds to its last version, and no version beyond it (or
// unknown stream) appears.
inline void ExpectDelivered(const Received& got,
                            const std::map<std::string, uint64_t>& expected) {
  for (const auto& [stream, last] : expected) {
    auto it = got.find(stream);
    ASSERT_NE(it, got.end()) << stream << " never arrived";
    EXPECT_EQ(FoldVersions(it->second), last) << stream << ": a version is missing";
  }
  for (const auto& [stream, versions] : got) {
    ASSERT_TRUE(expected.contains(stream)) << "unexpected stream " << stream;
    for (uint64_t v : versions) EXPECT_LE(v, expected.at(stream)) << stream;
  }
}

}  // namespace changeledger::bus::testing

#endif  // CHANGELEDGER_BUS_TESTS_KAFKA_TEST_UTIL_H_
