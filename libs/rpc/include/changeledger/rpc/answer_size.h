// How large a list page or report may grow. gRPC clients refuse answers
// over 4 MiB unless told otherwise (Python's and C++'s defaults), so a
// service ends a page early rather than pass kMaxAnswerBytes, leaving room
// for the answer's other fields; the client reads on with next_page_token.
#ifndef CHANGELEDGER_RPC_ANSWER_SIZE_H_
#define CHANGELEDGER_RPC_ANSWER_SIZE_H_

#include <cstddef>

#include <google/protobuf/message_lite.h>

namespace changeledger::rpc {

inline constexpr size_t kMaxAnswerBytes = 3 << 20;

// The bytes `item` adds to an answer as one element of a repeated field:
// its own, and at most 16 more for the field's tag and length.
inline size_t AnswerItemBytes(const google::protobuf::MessageLite& item) {
  return item.ByteSizeLong() + 16;
}

// Whether an item of `item_bytes` joins an answer of `bytes` so far that
// lists `listed` items: the first always does, so that a page is never
// empty; the others only within kMaxAnswerBytes.
inline bool FitsInAnswer(size_t bytes, size_t item_bytes, size_t listed) {
  return listed == 0 || bytes + item_bytes <= kMaxAnswerBytes;
}

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_ANSWER_SIZE_H_
