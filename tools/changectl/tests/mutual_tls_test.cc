// changectl (the binary) against a server that requires client
// certificates, served as the services serve (rpc::Server with
// tls.client_ca_file): --tls-cert/--tls-key and the config keys
// tls_client_cert_file/tls_client_key_file, and the checks of the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "changeledger/intake/v1/intake.grpc.pb.h"
#include "changeledger/rpc/command_output.h"
#include "changeledger/rpc/server.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/rpc/test_certificates.h"

namespace changeledger {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;
namespace iv1 = ::changeledger::intake::v1;

constexpr char kToken[] = "auditor-token-0123456789";

// Intake's ListBusinessAreas, answered with one area; the rest of the
// service is not served.
class FakeIntake final : public iv1::IntakeService::Service {
 public:
  grpc::Status ListBusinessAreas(grpc::ServerContext*,
                                 const iv1::ListBusinessAreasRequest*,
                                 iv1::ListBusinessAreasResponse* response) override {
    ++calls;
    response->add_business_areas()->set_code("MO");
    return grpc::Status::OK;
  }
  std::atomic<int> calls{0};
};

using Outcome = rpc::testing::CommandOutput;

class ChangectlMutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!rpc::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
    ASSERT_EQ(rpc::testing::MakeServerAndClientCertificates(dir_.path()),
              absl::OkStatus());
    // Without a config of its own changectl would look for .run/changectl.yaml
    // above the working directory, which a developer's stack may have left.
    dir_.Write("empty.yaml", "{}\n");

    auto tokens = rpc::TokenTable::FromYaml(absl::StrCat(
        "tokens:\n  - {principal: audit, token: \"", kToken, "\", roles: [auditor]}\n"));
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    rpc::ServerOptions options;
    options.tokens = *tokens;
    options.tls.cert_file = File("server.pem");
    options.tls.key_file = File("server.key");
    options.tls.client_ca_file = File("ca.pem");
    auto server = rpc::Server::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_EQ(server_->AddService(
                  &intake_, {{"/changeledger.intake.v1.IntakeService/ListBusinessAreas",
                              {rpc::Role::kAuditor}}}),
              absl::OkStatus());
    ASSERT_EQ(server_->Start(), absl::OkStatus());
    address_ = absl::StrCat("127.0.0.1:", server_->port());
  }

  void TearDown() override {
    if (server_) server_->Shutdown(std::chrono::seconds(1));
  }

  std::string File(const std::string& name) const { return dir_.File(name); }

  // changectl with `args` after the connection flags every call shares.
  Outcome Changectl(const std::vector<std::string>& args,
                    const std::string& config = "empty.yaml") const {
    std::string command =
        absl::StrCat(CHANGECTL_PATH, " --config '", File(config), "' --intake ", address_,
                     " --token ", kToken, " --timeout 5s");
    for (const std::string& arg : args) absl::StrAppend(&command, " '", arg, "'");
    return rpc::testing::RunShellCommand(command);
  }

  rpc::testing::TempDir dir_;
  FakeIntake intake_;
  std::unique_ptr<rpc::Server> server_;
  std::string address_;
};

TEST_F(ChangectlMutualTlsTest, TlsCertAndKeyReachAServerThatRequiresThem) {
  const Outcome areas =
      Changectl({"--tls-ca", File("ca.pem"), "--tls-cert", File("client.pem"),
                 "--tls-key", File("client.key"), "-o", "name", "business-areas"});
  EXPECT_EQ(areas.exit_code, 0) << areas.output;
  EXPECT_EQ(areas.output, "MO\n");
  EXPECT_EQ(intake_.calls.load(), 1);

  // The readiness probes' command.
  const Outcome health =
      Changectl({"--tls-ca", File("ca.pem"), "--tls-cert", File("client.pem"),
                 "--tls-key", File("client.key"), "health", "--services", "intake"});
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_THAT(health.output, HasSubstr("serving"));
}

TEST_F(ChangectlMutualTlsTest, ConfigKeysGiveTheCertificateAndFlagsOverrideThem) {
  dir_.Write("mtls.yaml",
             absl::StrCat("tls_ca_file: ", File("ca.pem"), "\n",
                          "tls_client_cert_file: ", File("client.pem"), "\n",
                          "tls_client_key_file: ", File("client.key"), "\n"));
  const Outcome from_config = Changectl({"-o", "name", "business-areas"}, "mtls.yaml");
  EXPECT_EQ(from_config.exit_code, 0) << from_config.output;
  EXPECT_EQ(from_config.output, "MO\n");

  // A config naming files that do not exist, corrected on the command line.
  dir_.Write("stale.yaml",
             absl::StrCat("tls_ca_file: ", File("ca.pem"), "\n",
                          "tls_client_cert_file: /nonexistent/client.pem\n",
                          "tls_client_key_file: /nonexistent/client.key\n"));
  const Outcome overridden =
      Changectl({"--tls-cert", File("client.pem"), "--tls-key", File("client.key"), "-o",
                 "name", "business-areas"},
                "stale.yaml");
  EXPECT_EQ(overridden.exit_code, 0) << overridden.output;
  EXPECT_EQ(overridden.output, "MO\n");
  EXPECT_EQ(intake_.calls.load(), 2);
}

TEST_F(ChangectlMutualTlsTest, WithoutAClientCertificateTheServerIsNotReached) {
  const Outcome outcome = Changectl({"--tls-ca", File("ca.pem"), "business-areas"});
  EXPECT_EQ(outcome.exit_code, 5) << outcome.output;
  EXPECT_THAT(outcome.output, HasSubstr("changectl: cannot reach intake at " + address_));
  EXPECT_THAT(
      outcome.output,
      HasSubstr("if it requires a client certificate, give --tls-cert and --tls-key"));
  EXPECT_EQ(intake_.calls.load(), 0);
}

TEST_F(ChangectlMutualTlsTest, AKeyOtherUsersMayReadIsRefusedBeforeConnecting) {
  for (const fs::perms mode : {fs::perms(0644), fs::perms(0604), fs::perms(0602)}) {
    fs::permissions(dir_.path() / "client.key", mode);
    const Outcome outcome =
        Changectl({"--tls-ca", File("ca.pem"), "--tls-cert", File("client.pem"),
                   "--tls-key", File("client.key"), "business-areas"});
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_THAT(
        outcome.output,
        HasSubstr(absl::StrCat("changectl: TLS client key ", File("client.key"),
                               " (--tls-key, config tls_client_key_file): expected a "
                               "file other users can neither read nor write")));
    EXPECT_THAT(outcome.output, HasSubstr("chmod o-rwx"));
  }
  EXPECT_EQ(intake_.calls.load(), 0);

  // The services' rule: the group may read it (a Kubernetes secret mounted
  // 0440 for the pod's fsGroup, as the readiness probes read theirs).
  fs::permissions(dir_.path() / "client.key", fs::perms(0440));
  const Outcome group_readable =
      Changectl({"--tls-ca", File("ca.pem"), "--tls-cert", File("client.pem"),
                 "--tls-key", File("client.key"), "-o", "name", "business-areas"});
  EXPECT_EQ(group_readable.exit_code, 0) << group_readable.output;
  EXPECT_EQ(intake_.calls.load(), 1);
}

TEST_F(ChangectlMutualTlsTest, CertificateAndKeyTogetherAndOnlyWithTheCa) {
  const Outcome cert_only = Changectl(
      {"--tls-ca", File("ca.pem"), "--tls-cert", File("client.pem"), "business-areas"});
  EXPECT_EQ(cert_only.exit_code, 1) << cert_only.output;
  EXPECT_THAT(cert_only.output, HasSubstr("give both --tls-cert and --tls-key"));

  const Outcome without_ca = Changectl({"--tls-cert", File("client.pem"), "--tls-key",
                                        File("client.key"), "business-areas"});
  EXPECT_EQ(without_ca.exit_code, 1) << without_ca.output;
  EXPECT_THAT(without_ca.output, HasSubstr("(--tls-ca, config tls_ca_file)"));
  EXPECT_EQ(intake_.calls.load(), 0);
}

}  // namespace
}  // namespace changeledger
