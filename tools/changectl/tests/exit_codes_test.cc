#include "changeledger/changectl/exit_codes.h"

#include <gtest/gtest.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "changeledger/changectl/connection.h"

namespace changeledger::changectl {
namespace {

TEST(ExitCodesTest, MapsStatusClassesToDocumentedCodes) {
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::OK), 0);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::INVALID_ARGUMENT), 2);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::FAILED_PRECONDITION), 2);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::NOT_FOUND), 3);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNAUTHENTICATED), 4);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::PERMISSION_DENIED), 4);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::UNAVAILABLE), 5);
  EXPECT_EQ(ExitCodeFor(grpc::StatusCode::DEADLINE_EXCEEDED), 5);
}

CallTarget Intake() {
  return CallTarget{"intake", "127.0.0.1:50051", std::chrono::seconds(10), true};
}

TEST(ExitCodesTest, ErrorLinesNameTheProblemInOneLine) {
  EXPECT_EQ(ErrorLine(Intake(), grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token")),
            "changectl: the token was not accepted by intake (UNAUTHENTICATED)");
  CallTarget no_token = Intake();
  no_token.token_given = false;
  EXPECT_EQ(ErrorLine(no_token, grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "")),
            "changectl: no token given: use --token, CHANGELEDGER_TOKEN or --as ROLE (intake "
            "said UNAUTHENTICATED)");
  EXPECT_EQ(ErrorLine(Intake(), grpc::Status(grpc::StatusCode::NOT_FOUND,
                                             "changes/42 not found")),
            "changectl: intake: changes/42 not found (NOT_FOUND)");
  EXPECT_EQ(ErrorLine(Intake(), grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                             "title: required;\nplanned_end: before start")),
            "changectl: intake: title: required; planned_end: before start (INVALID_ARGUMENT)");
  EXPECT_EQ(ErrorLine(Intake(), grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "Deadline")),
            "changectl: no answer from intake at 127.0.0.1:50051 within 10s "
            "(DEADLINE_EXCEEDED; raise --timeout)");
  EXPECT_EQ(ErrorLine(Intake(), grpc::Status(grpc::StatusCode::UNAVAILABLE, "store is stopping")),
            "changectl: intake at 127.0.0.1:50051 is unavailable: store is stopping "
            "(UNAVAILABLE; retry later)");
}

// A server that requires a client certificate ends the handshake of a
// client without one; the client sees the connection closed.
TEST(ExitCodesTest, AConnectionClosedOverTlsWithoutAClientCertificateSuggestsOne) {
  const grpc::Status closed(grpc::StatusCode::UNAVAILABLE,
                            "failed to connect to all addresses; last error: UNKNOWN: "
                            "ipv4:127.0.0.1:50051: Socket closed");
  EXPECT_EQ(ErrorLine(Intake(), closed),
            "changectl: cannot reach intake at 127.0.0.1:50051 (connection closed)");
  CallTarget tls = Intake();
  tls.tls_without_client_certificate = true;
  EXPECT_EQ(ErrorLine(tls, closed),
            "changectl: cannot reach intake at 127.0.0.1:50051 (connection closed; if it "
            "requires a client certificate, give --tls-cert and --tls-key)");
  const grpc::Status refused(grpc::StatusCode::UNAVAILABLE,
                             "failed to connect to all addresses; last error: UNKNOWN: "
                             "ipv4:127.0.0.1:50051: Connection refused");
  EXPECT_EQ(ErrorLine(tls, refused),
            "changectl: cannot reach intake at 127.0.0.1:50051 (connection refused)");
}

// A real refused connection, as gRPC reports it, becomes one short line.
TEST(ExitCodesTest, RefusedConnectionBecomesCannotReach) {
  // A port that was free a moment ago and has no listener now.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);
  close(fd);

  const std::string address = absl::StrCat("127.0.0.1:", port);
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  HealthState state;
  grpc::Status status = CheckHealth(channel.get(), "", std::chrono::seconds(5), &state);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  CallTarget target{"intake", address, std::chrono::seconds(5), true};
  EXPECT_EQ(ErrorLine(target, status),
            absl::StrCat("changectl: cannot reach intake at ", address, " (connection refused)"));
  EXPECT_EQ(ExitCodeFor(status.error_code()), 5);
}

}  // namespace
}  // namespace changeledger::changectl
