// Byte encodings of the RocksDB event store's keys and values. Numbers in
// keys are fixed-width big-endian so that bytewise key order is numeric
// order. The layout is described in docs/architecture.md.
#ifndef CHANGELEDGER_EVENTSTORE_SRC_ENCODING_H_
#define CHANGELEDGER_EVENTSTORE_SRC_ENCODING_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "changeledger/eventstore/event_store.h"

namespace changeledger::eventstore::internal {

// Key prefixes (one byte each).
inline constexpr char kEventPrefix = 'e';     // e<pos:8>            -> event record
inline constexpr char kIndexPrefix = 's';     // s<stream>\0<ver:8>  -> <pos:8>
                                              // (in the streams column family)
inline constexpr char kRequestPrefix = 'i';   // i<request_id>       -> request record
                                              // (in the requests column family)
inline constexpr char kMetaPrefix = 'm';      // m<name>             -> value
inline constexpr std::string_view kMetaLastPosition = "mlast_position";
// Every event at or below this position has been published (<pos:8>).
inline constexpr std::string_view kMetaOutboxAcked = "moutbox_acked";
inline constexpr std::string_view kMetaFormat = "mformat";
inline constexpr std::string_view kFormatVersion = "3";
// The stream index and the request records live in column families of
// their own (see StreamsFamilyOptions and RequestsFamilyOptions in
// rocksdb_event_store.cc); events and meta records in the default one.
inline constexpr std::string_view kStreamsFamily = "streams";
inline constexpr std::string_view kRequestsFamily = "requests";
// Format 2 kept everything in the default column family; opening a
// format-2 store moves the index and the request records.
inline constexpr std::string_view kFormat2 = "2";
// Format 1 also kept a head key per stream (h<stream> -> <ver:8>) and an
// outbox key per unpublished event (o<pos:8> -> recorded_at); opening a
// format-1 store converts it (see Load in rocksdb_event_store.cc).
inline constexpr std::string_view kFormat1 = "1";
inline constexpr char kFormat1HeadPrefix = 'h';
inline constexpr char kFormat1OutboxPrefix = 'o';

void PutFixed64BE(std::string* out, uint64_t v);
uint64_t GetFixed64BE(const char* p);
void PutFixed32BE(std::string* out, uint32_t v);
uint32_t GetFixed32BE(const char* p);
void PutVarint64(std::string* out, uint64_t v);
// Reads a varint at *in, advancing it; false if truncated or too long.
bool GetVarint64(std::string_view* in, uint64_t* v);

// Replaces *key with the key of the given record.
void EventKey(std::string* key, uint64_t position);
void IndexKey(std::string* key, std::string_view stream, uint64_t version);
void RequestKey(std::string* key, std::string_view request_id);

// The protobuf wire bytes of the Envelope fields the store assigns
// (stream = 2, version = 3, global_position = 4, recorded_at = 8),
// appended to *out. Appending them to the serialization of an Envelope in
// which these fields are unset yields the serialization of the complete
// Envelope (protobuf parsing merges concatenated messages).
void AppendStoreFields(std::string* out, std::string_view stream, uint64_t version,
                       uint64_t position, int64_t recorded_at_unix_nanos);

// An event record is <crc32c(envelope bytes + key):4 BE><envelope bytes>.
// Decodes and verifies it; DATA_LOSS on a checksum mismatch, a parse
// failure or an envelope whose position differs from `expected_position`.
absl::StatusOr<Envelope> DecodeEventRecord(std::string_view key, std::string_view value,
                                           uint64_t expected_position);

// A request record holds the AppendResult of a committed request_id, with
// the same checksum scheme.
std::string EncodeRequestRecord(std::string_view key, const AppendResult& result);
absl::StatusOr<AppendResult> DecodeRequestRecord(std::string_view key,
                                                 std::string_view value);

}  // namespace changeledger::eventstore::internal

#endif  // CHANGELEDGER_EVENTSTORE_SRC_ENCODING_H_
