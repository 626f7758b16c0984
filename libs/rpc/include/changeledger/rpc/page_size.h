// The page size of a paged list (AIP-158): 0 means the method's default;
// a size above its maximum is lowered to the maximum, so that a generic
// client that asks for more than a page may hold still reads every item,
// page by page; a negative one is INVALID_ARGUMENT.
#ifndef CHANGELEDGER_RPC_PAGE_SIZE_H_
#define CHANGELEDGER_RPC_PAGE_SIZE_H_

#include <algorithm>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace changeledger::rpc {

inline absl::StatusOr<int32_t> PageSize(int64_t requested, int32_t default_size,
                                        int32_t max_size) {
  if (requested < 0) return absl::InvalidArgumentError("page_size: must not be negative");
  if (requested == 0) return default_size;
  return static_cast<int32_t>(std::min<int64_t>(requested, max_size));
}

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_PAGE_SIZE_H_
