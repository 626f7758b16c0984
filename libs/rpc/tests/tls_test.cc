// TLS and mutual TLS with certificates made by the openssl CLI at test time.
#include <grpcpp/grpcpp.h>

#include "changeledger/rpc/client.h"
#include "changeledger/rpc/server.h"
#include "changeledger/rpc/test_certificates.h"
#include "gtest/gtest.h"
#include "test_service.h"

namespace changeledger::rpc {
namespace {

using testing::HaveOpensslCli;
using testing::MakeCa;
using testing::MakeCert;
using testing::MakeServerAndClientCertificates;
using testing::TempDir;
namespace pb = ::changeledger::testing::v1;

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
    ASSERT_EQ(MakeServerAndClientCertificates(dir_.path()), absl::OkStatus());
    // A CA the server does not trust, and a client certificate it signed.
    ASSERT_EQ(MakeCa(dir_.path(), "other_ca"), absl::OkStatus());
    ASSERT_EQ(MakeCert(dir_.path(), "other_ca", "stranger", "stranger",
                       "extendedKeyUsage=clientAuth"),
              absl::OkStatus());
    auto tokens = TokenTable::FromYaml(testing::kTokensYaml);
    ASSERT_TRUE(tokens.ok());
    tokens_ = *tokens;
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::seconds(1));
  }

  std::string File(const std::string& name) { return (dir_.path() / name).string(); }

  void StartServer(bool mutual) {
    ServerOptions options;
    options.tokens = tokens_;
    options.tls.cert_file = File("server.pem");
    options.tls.key_file = File("server.key");
    if (mutual) options.tls.client_ca_file = File("ca.pem");
    auto server = Server::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    ASSERT_TRUE(server_->AddService(&service_, testing::TestPolicy()).ok());
    ASSERT_TRUE(server_->Start().ok());
  }

  grpc::Status Echo(ClientOptions client) {
    client.target = "127.0.0.1:" + std::to_string(server_->port());
    client.token = testing::kAliceToken;
    client.timeout = std::chrono::seconds(5);
    client.tls_server_name = "localhost";
    auto channel = MakeChannel(client);
    if (!channel.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "no channel");
    auto stub = pb::TestService::NewStub(*channel);
    pb::EchoRequest request;
    pb::EchoResponse response;
    return stub->Echo(ClientContextFactory(client).New().get(), request, &response);
  }

  TempDir dir_;
  std::shared_ptr<const TokenTable> tokens_;
  testing::TestServiceImpl service_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsTest, TlsServerAcceptsVerifyingClientsOnly) {
  StartServer(/*mutual=*/false);
  EXPECT_TRUE(Echo({.tls_root_cert_file = File("ca.pem")}).ok());
  EXPECT_EQ(Echo({}).error_code(), grpc::StatusCode::UNAVAILABLE);  // plaintext
  EXPECT_EQ(Echo({.tls_root_cert_file = File("other_ca.pem")}).error_code(),
            grpc::StatusCode::UNAVAILABLE);  // does not trust the server
}

TEST_F(TlsTest, MutualTlsRequiresAClientCertificateFromTheCa) {
  StartServer(/*mutual=*/true);
  EXPECT_TRUE(Echo({.tls_root_cert_file = File("ca.pem"),
                    .tls_client_cert_file = File("client.pem"),
                    .tls_client_key_file = File("client.key")})
                  .ok());
  EXPECT_EQ(Echo({.tls_root_cert_file = File("ca.pem")}).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Echo({.tls_root_cert_file = File("ca.pem"),
                  .tls_client_cert_file = File("stranger.pem"),
                  .tls_client_key_file = File("stranger.key")})
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(service_.calls.load(), 1);
}

TEST_F(TlsTest, TokenIsStillRequiredOverMutualTls) {
  StartServer(/*mutual=*/true);
  ClientOptions client{.target = "127.0.0.1:" + std::to_string(server_->port()),
                       .tls_root_cert_file = File("ca.pem"),
                       .tls_client_cert_file = File("client.pem"),
                       .tls_client_key_file = File("client.key"),
                       .tls_server_name = "localhost"};
  auto channel = MakeChannel(client);
  ASSERT_TRUE(channel.ok());
  auto stub = pb::TestService::NewStub(*channel);
  pb::EchoRequest request;
  pb::EchoResponse response;
  EXPECT_EQ(stub->Echo(ClientContextFactory(client).New().get(), request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(TlsTest, AKeyOfAnotherCertificateOrABadFileIsNamedAtCreate) {
  // gRPC alone reports these only as a port it cannot listen on.
  auto create = [&](const std::string& cert, const std::string& key) {
    ServerOptions options;
    options.tokens = tokens_;
    options.tls.cert_file = File(cert);
    options.tls.key_file = File(key);
    return Server::Create(options).status();
  };
  EXPECT_TRUE(create("server.pem", "server.key").ok());

  absl::Status other_key = create("server.pem", "client.key");
  EXPECT_EQ(other_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other_key.message(), "TLS key " + File("client.key") +
                                     " is not the key of the certificate " + File("server.pem"));

  dir_.Write("garbage.pem", "not a certificate\n");
  absl::Status bad_cert = create("garbage.pem", "server.key");
  EXPECT_EQ(bad_cert.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_cert.message(), "TLS certificate " + File("garbage.pem") + ": not a PEM certificate");

  absl::Status bad_key = create("server.pem", "garbage.pem");
  EXPECT_EQ(bad_key.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_key.message(),
            "TLS key " + File("garbage.pem") + ": not an unencrypted PEM private key");
}

TEST(ClientOptionsTest, InvalidCombinations) {
  EXPECT_EQ(MakeChannel({}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeChannel({.target = "x:1", .tls_client_cert_file = "c.pem"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeChannel({.target = "x:1", .tls_root_cert_file = "/nonexistent.pem"})
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace changeledger::rpc
