// Early-return helpers for absl::Status and absl::StatusOr.
//
// Debian's abseil (20220623) lacks RETURN_IF_ERROR / ASSIGN_OR_RETURN, so
// these are ours. Use them to propagate errors without exceptions:
//
//   CL_RETURN_IF_ERROR(store->Write(batch));
//   CL_ASSIGN_OR_RETURN(auto events, store->ReadStream(id, 1, 100));
#ifndef CHANGELEDGER_ERRORS_STATUS_MACROS_H_
#define CHANGELEDGER_ERRORS_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CL_STATUS_CONCAT_INNER_(a, b) a##b
#define CL_STATUS_CONCAT_(a, b) CL_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status) once; returns it from the enclosing
// function if it is not OK.
#define CL_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    ::absl::Status cl_status_ = (expr);                   \
    if (!cl_status_.ok()) return cl_status_;              \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>) once; on error returns its
// status from the enclosing function, otherwise moves the value into `lhs`
// (which may be a declaration such as `auto x` or an existing variable).
#define CL_ASSIGN_OR_RETURN(lhs, rexpr) \
  CL_ASSIGN_OR_RETURN_IMPL_(CL_STATUS_CONCAT_(cl_statusor_, __LINE__), lhs, rexpr)

#define CL_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                              \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // CHANGELEDGER_ERRORS_STATUS_MACROS_H_
