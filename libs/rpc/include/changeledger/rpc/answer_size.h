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

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_ANSWER_SIZE_H_
