#include "encoding.h"

#include "absl/strings/str_cat.h"
#include "append_common.h"
#include "crc32c.h"

namespace changeledger::eventstore::internal {

void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  out->append(buf, 8);
}

uint64_t GetFixed64BE(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutFixed32BE(std::string* out, uint32_t v) {
  char buf[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 8), static_cast<char>(v)};
  out->append(buf, 4);
}

uint32_t GetFixed32BE(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

void PutVarint64(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint64(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    auto byte = static_cast<unsigned char>(in->front());
    in->remove_prefix(1);
    result |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

void EventKey(std::string* key, uint64_t position) {
  key->assign(1, kEventPrefix);
  PutFixed64BE(key, position);
}

void IndexKey(std::string* key, std::string_view stream, uint64_t version) {
  key->assign(1, kIndexPrefix);
  key->append(stream);
  key->push_back('\0');
  PutFixed64BE(key, version);
}

void RequestKey(std::string* key, std::string_view request_id) {
  key->assign(1, kRequestPrefix);
  key->append(request_id);
}

void AppendStoreFields(std::string* out, std::string_view stream, uint64_t version,
                       uint64_t position, int64_t recorded_at_unix_nanos) {
  out->push_back(0x12);  // field 2, length-delimited
  PutVarint64(out, stream.size());
  out->append(stream);
  out->push_back(0x18);  // field 3, varint
  PutVarint64(out, version);
  out->push_back(0x20);  // field 4, varint
  PutVarint64(out, position);
  // google.protobuf.Timestamp normalized: nanos in [0, 1e9).
  int64_t seconds = recorded_at_unix_nanos / 1000000000;
  int64_t nanos = recorded_at_unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    seconds -= 1;
  }
  std::string ts;
  if (seconds != 0) {
    ts.push_back(0x08);
    PutVarint64(&ts, static_cast<uint64_t>(seconds));
  }
  if (nanos != 0) {
    ts.push_back(0x10);
    PutVarint64(&ts, static_cast<uint64_t>(nanos));
  }
  out->push_back(0x42);  // field 8, length-delimited
  PutVarint64(out, ts.size());
  out->append(ts);
}

absl::StatusOr<Envelope> DecodeEventRecord(std::string_view key, std::string_view value,
                                           uint64_t expected_position) {
  if (value.size() < 4) {
    return absl::DataLossError(
        absl::StrCat("event record at position ", expected_position, " is truncated"));
  }
  uint32_t stored = GetFixed32BE(value.data());
  std::string_view body = value.substr(4);
  if (Crc32cExtend(Crc32c(body), key) != stored) {
    return absl::DataLossError(absl::StrCat("event record at position ", expected_position,
                                            " fails its checksum"));
  }
  Envelope envelope;
  if (!envelope.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::DataLossError(
        absl::StrCat("event record at position ", expected_position, " does not parse"));
  }
  if (envelope.global_position() != expected_position) {
    return absl::DataLossError(absl::StrCat("event record at position ", expected_position,
                                            " holds position ", envelope.global_position()));
  }
  return envelope;
}

std::string EncodeRequestRecord(std::string_view key, const AppendResult& result) {
  std::string body;
  PutVarint64(&body, result.first_position);
  PutVarint64(&body, result.last_position);
  PutFixed64BE(&body, static_cast<uint64_t>(absl::ToUnixNanos(result.recorded_at)));
  PutVarint64(&body, result.streams.size());
  for (const StreamAppendResult& s : result.streams) {
    PutVarint64(&body, s.stream.size());
    body.append(s.stream);
    PutVarint64(&body, s.first_version);
    PutVarint64(&body, s.last_version);
  }
  std::string out;
  out.reserve(4 + body.size());
  PutFixed32BE(&out, Crc32cExtend(Crc32c(body), key));
  out.append(body);
  return out;
}

absl::StatusOr<AppendResult> DecodeRequestRecord(std::string_view key,
                                                 std::string_view value) {
  auto corrupt = [&] {
    return absl::DataLossError(
        absl::StrCat("request record \"", Av(key.substr(1)), "\" is corrupted"));
  };
  if (value.size() < 4) return corrupt();
  uint32_t stored = GetFixed32BE(value.data());
  std::string_view in = value.substr(4);
  if (Crc32cExtend(Crc32c(in), key) != stored) return corrupt();
  AppendResult result;
  uint64_t count = 0;
  if (!GetVarint64(&in, &result.first_position) || !GetVarint64(&in, &result.last_position) ||
      in.size() < 8) {
    return corrupt();
  }
  result.recorded_at = absl::FromUnixNanos(static_cast<int64_t>(GetFixed64BE(in.data())));
  in.remove_prefix(8);
  if (!GetVarint64(&in, &count) || count > in.size()) return corrupt();
  for (uint64_t i = 0; i < count; ++i) {
    StreamAppendResult s;
    uint64_t len = 0;
    if (!GetVarint64(&in, &len) || len > in.size()) return corrupt();
    s.stream.assign(in.substr(0, len));
    in.remove_prefix(len);
    if (!GetVarint64(&in, &s.first_version) || !GetVarint64(&in, &s.last_version)) {
      return corrupt();
    }
    result.streams.push_back(std::move(s));
  }
  if (!in.empty()) return corrupt();
  return result;
}

}  // namespace changeledger::eventstore::internal
