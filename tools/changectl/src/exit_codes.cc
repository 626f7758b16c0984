#include "changeledger/changectl/exit_codes.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace changeledger::changectl {

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      return kExitAccessDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitUnavailable;
    default:
      return kExitServerError;
  }
}

std::string ExitCodeHelp() {
  return "Exit codes:\n"
         "  0  success\n"
         "  1  usage: bad flags or arguments, unreadable or malformed input file\n"
         "  2  the server rejected the request (INVALID_ARGUMENT, FAILED_PRECONDITION,\n"
         "     ABORTED, ... and server-side failures)\n"
         "  3  NOT_FOUND\n"
         "  4  UNAUTHENTICATED or PERMISSION_DENIED (token missing, not accepted, or\n"
         "     its role may not call this)\n"
         "  5  the server could not be reached or did not answer in time\n"
         "     (UNAVAILABLE, DEADLINE_EXCEEDED)\n"
         "  6  partial: an import finished but some rows were rejected\n";
}

absl::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    default: return "UNKNOWN";
  }
}

namespace {

std::string OneLine(std::string text) {
  absl::StrReplaceAll({{"\r\n", " "}, {"\n", " "}, {"\r", " "}}, &text);
  return std::string(absl::StripAsciiWhitespace(text));
}

// gRPC's connection failures read like "failed to connect to all addresses;
// last error: UNKNOWN: ipv4:127.0.0.1:1: Failed to connect to remote host:
// Connection refused". People need only the last part.
bool IsConnectFailure(const std::string& message) {
  const std::string lower = absl::AsciiStrToLower(message);
  return absl::StrContains(lower, "failed to connect") ||
         absl::StrContains(lower, "connection refused") ||
         absl::StrContains(lower, "dns resolution failed") ||
         absl::StrContains(lower, "name resolution") ||
         absl::StrContains(lower, "no route to host") ||
         absl::StrContains(lower, "connection reset") ||
         absl::StrContains(lower, "socket closed") ||
         absl::StrContains(lower, "handshake failed") ||
         absl::StrContains(lower, "ssl_error");
}

std::string ConnectReason(const std::string& message) {
  const std::string lower = absl::AsciiStrToLower(message);
  struct Known {
    const char* needle;
    const char* reason;
  };
  static constexpr Known kKnown[] = {
      {"connection refused", "connection refused"},
      {"no route to host", "no route to host"},
      {"dns resolution failed", "name not resolved"},
      {"name resolution", "name not resolved"},
      {"connection reset", "connection reset"},
      {"handshake failed", "TLS handshake failed"},
      {"ssl_error", "TLS handshake failed"},
      {"socket closed", "connection closed"},
      {"timeout", "connection timed out"},
  };
  for (const Known& k : kKnown) {
    if (absl::StrContains(lower, k.needle)) return k.reason;
  }
  return "unavailable";
}

std::string Seconds(std::chrono::milliseconds timeout) {
  if (timeout.count() % 1000 == 0) return absl::StrCat(timeout.count() / 1000, "s");
  return absl::StrCat(timeout.count(), "ms");
}

}  // namespace

std::string ErrorLine(const CallTarget& target, const grpc::Status& status) {
  const std::string message = OneLine(status.error_message());
  const std::string code(StatusCodeName(status.error_code()));
  const std::string& svc = target.service;
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      if (IsConnectFailure(message) || message.empty()) {
        const std::string reason = ConnectReason(message);
        const bool ended_by_server = reason == "connection closed" ||
                                     reason == "connection reset" ||
                                     reason == "TLS handshake failed";
        const char* hint = target.tls_without_client_certificate && ended_by_server
                               ? "; if it requires a client certificate, give --tls-cert "
                                 "and --tls-key"
                               : "";
        return absl::StrCat("changectl: cannot reach ", svc, " at ", target.address, " (",
                            reason, hint, ")");
      }
      return absl::StrCat("changectl: ", svc, " at ", target.address,
                          " is unavailable: ", message, " (UNAVAILABLE; retry later)");
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::StrCat("changectl: no answer from ", svc, " at ", target.address, " within ",
                          Seconds(target.timeout), " (DEADLINE_EXCEEDED; raise --timeout)");
    case grpc::StatusCode::UNAUTHENTICATED:
      if (!target.token_given) {
        return absl::StrCat("changectl: no token given: use --token, CHANGELEDGER_TOKEN or --as ROLE"
                            " (", svc, " said UNAUTHENTICATED)");
      }
      return absl::StrCat("changectl: the token was not accepted by ", svc, " (UNAUTHENTICATED)");
    case grpc::StatusCode::PERMISSION_DENIED:
      return absl::StrCat("changectl: ", svc, " refused: ",
                          message.empty() ? "the token's roles may not do this" : message,
                          " (PERMISSION_DENIED)");
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::StrCat("changectl: ", svc, " at ", target.address,
                          " does not offer this call; is the address right? (UNIMPLEMENTED)");
    default:
      if (message.empty()) return absl::StrCat("changectl: ", svc, ": ", code);
      return absl::StrCat("changectl: ", svc, ": ", message, " (", code, ")");
  }
}

}  // namespace changeledger::changectl
