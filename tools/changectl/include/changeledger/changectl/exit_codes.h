// Exit codes of changectl and the one-line error messages it prints.
//
// Scripts depend on these numbers; they are listed in `changectl --help`
// and tools/changectl/README.md:
//   0  success
//   1  usage: bad flags or arguments, unreadable or malformed input file
//   2  the server rejected the request (INVALID_ARGUMENT,
//      FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS, RESOURCE_EXHAUSTED,
//      OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, DATA_LOSS, UNKNOWN, CANCELLED)
//   3  NOT_FOUND
//   4  UNAUTHENTICATED or PERMISSION_DENIED
//   5  the server could not be reached or did not answer in time
//      (UNAVAILABLE, DEADLINE_EXCEEDED)
//   6  partial: an import finished but some rows were rejected
#ifndef CHANGELEDGER_CHANGECTL_EXIT_CODES_H_
#define CHANGELEDGER_CHANGECTL_EXIT_CODES_H_

#include <chrono>
#include <string>
#include "absl/strings/string_view.h"

#include <grpcpp/support/status.h>

namespace changeledger::changectl {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,
  kExitServerError = 2,
  kExitNotFound = 3,
  kExitAccessDenied = 4,
  kExitUnavailable = 5,
  kExitPartial = 6,
};

// The exit code for a failed call's status code (kExitOk for OK).
int ExitCodeFor(grpc::StatusCode code);

// The text of the exit-code table above, for --help and the README.
std::string ExitCodeHelp();

// "INVALID_ARGUMENT", "NOT_FOUND", ...
absl::string_view StatusCodeName(grpc::StatusCode code);

// Where a failed call went, to name it in the error line.
struct CallTarget {
  // Service name as people know it: "intake", "classification", "portfolio".
  std::string service;
  // The address dialled, "host:port".
  std::string address;
  // The call's deadline.
  std::chrono::milliseconds timeout{0};
  // Whether a token was sent at all.
  bool token_given = true;
  // TLS without a client certificate: a server that requires one (mutual
  // TLS) closes the connection during the handshake, which the client sees
  // only as a connection closed or a failed handshake.
  bool tls_without_client_certificate = false;
};

// One line (no newline, starting "changectl: ") saying what went wrong,
// without gRPC internals. Examples:
//   changectl: cannot reach intake at 127.0.0.1:50051 (connection refused)
//   changectl: cannot reach intake at 10.0.0.7:50051 (connection closed; if it
//     requires a client certificate, give --tls-cert and --tls-key)
//   changectl: the token was not accepted by intake (UNAUTHENTICATED)
//   changectl: intake: proposals/1a2b... not found (NOT_FOUND)
std::string ErrorLine(const CallTarget& target, const grpc::Status& status);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_EXIT_CODES_H_
