// The byte formats of the RocksDB store: key order, checksums, records.
#include "encoding.h"

#include <string>

#include "crc32c.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace changeledger::eventstore::internal {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
}

TEST(Crc32cTest, ExtendEqualsTheWhole) {
  const std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(Crc32cExtend(Crc32c(text.substr(0, cut)), text.substr(cut)), Crc32c(text));
  }
}

TEST(EncodingTest, NumericKeysSortInNumericOrder) {
  const uint64_t values[] = {0, 1, 255, 256, 65535, 1ull << 32, UINT64_MAX - 1, UINT64_MAX};
  std::string prev;
  for (uint64_t v : values) {
    std::string key;
    EventKey(&key, v);
    EXPECT_EQ(GetFixed64BE(key.data() + 1), v);
    if (!prev.empty()) {
      EXPECT_LT(prev, key) << v;
    }
    prev = key;
  }
  std::string a, b;
  IndexKey(&a, "s", 300);
  IndexKey(&b, "s", 2);
  EXPECT_LT(b, a);
  IndexKey(&b, "s2", 1);  // a longer stream name never lands inside "s"'s range
  std::string end;
  IndexKey(&end, "s", UINT64_MAX);
  EXPECT_GT(b, end);
}

TEST(EncodingTest, VarintsRoundTrip) {
  for (uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 40, UINT64_MAX}) {
    std::string s;
    PutVarint64(&s, v);
    std::string_view in = s;
    uint64_t out = 0;
    ASSERT_TRUE(GetVarint64(&in, &out));
    EXPECT_EQ(out, v);
    EXPECT_TRUE(in.empty());
  }
  std::string_view truncated("\x80\x80", 2);
  uint64_t out = 0;
  EXPECT_FALSE(GetVarint64(&truncated, &out));
}

TEST(EncodingTest, StoreFieldsAppendedToWriterBytesParseAsTheFullEnvelope) {
  Envelope writer = testing::Event("test.v1.Happened", "body");
  writer.set_event_id("id-1");
  std::string bytes;
  ASSERT_TRUE(writer.SerializeToString(&bytes));
  const int64_t recorded = -1500000000;  // before 1970, with nanos
  AppendStoreFields(&bytes, "stream-1", 7, 42, recorded);
  std::string key;
  EventKey(&key, 42);
  std::string value;
  PutFixed32BE(&value, Crc32cExtend(Crc32c(bytes), key));
  value += bytes;

  auto decoded = DecodeEventRecord(key, value, 42);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  Envelope expected = writer;
  expected.set_stream("stream-1");
  expected.set_version(7);
  expected.set_global_position(42);
  expected.mutable_recorded_at()->set_seconds(-2);
  expected.mutable_recorded_at()->set_nanos(500000000);
  EXPECT_EQ(decoded->SerializeAsString(), expected.SerializeAsString());

  // The record is bound to its key: moved elsewhere it fails the checksum.
  std::string other;
  EventKey(&other, 43);
  EXPECT_EQ(DecodeEventRecord(other, value, 43).status().code(), absl::StatusCode::kDataLoss);
  // Every single-bit flip is detected.
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] ^= 0x10;
    EXPECT_EQ(DecodeEventRecord(key, bad, 42).status().code(), absl::StatusCode::kDataLoss)
        << i;
  }
  EXPECT_EQ(DecodeEventRecord(key, "abc", 42).status().code(), absl::StatusCode::kDataLoss);
}

TEST(EncodingTest, RequestRecordRoundTripsAndDetectsDamage) {
  AppendResult r;
  r.first_position = 10;
  r.last_position = 14;
  r.recorded_at = absl::FromUnixNanos(1760000000123456789);
  r.streams = {{"a", 1, 3}, {"bb", 4, 5}};
  std::string key;
  RequestKey(&key, "req");
  std::string value = EncodeRequestRecord(key, r);
  auto back = DecodeRequestRecord(key, value);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->first_position, 10u);
  EXPECT_EQ(back->last_position, 14u);
  EXPECT_EQ(back->recorded_at, r.recorded_at);
  ASSERT_EQ(back->streams.size(), 2u);
  EXPECT_EQ(back->streams[1].stream, "bb");
  EXPECT_EQ(back->streams[1].first_version, 4u);
  EXPECT_EQ(back->streams[1].last_version, 5u);
  EXPECT_FALSE(back->replayed);
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] ^= 0x01;
    EXPECT_EQ(DecodeRequestRecord(key, bad).status().code(), absl::StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace changeledger::eventstore::internal
