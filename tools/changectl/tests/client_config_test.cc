#include "changeledger/changectl/client_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace changeledger::changectl {
namespace {

TEST(ClientConfigTest, ParsesAddressesAndResolvesTokensFileRelativeToTheConfig) {
  auto config = ParseClientConfig(
      "server: 10.0.0.1:7000\nintake: 127.0.0.1:6001\ntokens_file: tokens.yaml\ntimeout: 2s\n",
      "/srv/run");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->AddressOf("intake"), "127.0.0.1:6001");
  EXPECT_EQ(config->AddressOf("portfolio"), "10.0.0.1:7000");
  EXPECT_EQ(config->tokens_file, "/srv/run/tokens.yaml");
  EXPECT_EQ(config->timeout, std::chrono::seconds(2));
}

TEST(ClientConfigTest, ParsesTheClientCertificateAndKey) {
  auto config = ParseClientConfig(
      "tls_ca_file: /etc/ca.pem\ntls_client_cert_file: /etc/me.pem\n"
      "tls_client_key_file: /etc/me.key\n",
      "/srv/run");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls_ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->tls_client_cert_file, "/etc/me.pem");
  EXPECT_EQ(config->tls_client_key_file, "/etc/me.key");
}

TEST(ClientConfigTest, ResolvesTlsFilesRelativeToTheConfig) {
  auto config = ParseClientConfig(
      "tls_ca_file: tls/ca.pem\ntls_client_cert_file: ./tls/me.pem\n"
      "tls_client_key_file: ../keys/me.key\n",
      "/srv/run");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls_ca_file, "/srv/run/tls/ca.pem");
  EXPECT_EQ(config->tls_client_cert_file, "/srv/run/tls/me.pem");
  EXPECT_EQ(config->tls_client_key_file, "/srv/keys/me.key");
}

TEST(ClientConfigTest, DefaultsToDevelopmentPorts) {
  ClientConfig config;
  EXPECT_EQ(config.AddressOf("intake"), "127.0.0.1:50051");
  EXPECT_EQ(config.AddressOf("classification"), "127.0.0.1:50052");
  EXPECT_EQ(config.AddressOf("portfolio"), "127.0.0.1:50055");
}

TEST(ClientConfigTest, RejectsUnknownKeysAndBadDurations) {
  EXPECT_FALSE(ParseClientConfig("sever: x\n", "/").ok());
  EXPECT_FALSE(ParseClientConfig("timeout: soon\n", "/").ok());
  EXPECT_FALSE(ParseClientConfig("- a\n- b\n", "/").ok());
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("2m"), std::chrono::minutes(2));
  EXPECT_FALSE(ParseDuration("0s").ok());
}

class ClientConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("changectl_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / ".run");
    std::filesystem::create_directories(dir_ / "a" / "b");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ClientConfigFileTest, FindsRunConfigInAParentDirectory) {
  std::ofstream(dir_ / ".run" / "changectl.yaml") << "server: x:1\n";
  auto found = FindConfigFile("", nullptr, (dir_ / "a" / "b").string());
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, (dir_ / ".run" / "changectl.yaml").string());
  EXPECT_EQ(*FindConfigFile("", "/etc/c.yaml", dir_.string()), "/etc/c.yaml");
  EXPECT_EQ(*FindConfigFile("/x.yaml", "/etc/c.yaml", dir_.string()), "/x.yaml");
}

TEST_F(ClientConfigFileTest, TokenForRoleReadsTheServicesTokensFile) {
  const auto path = (dir_ / "tokens.yaml").string();
  std::ofstream(path) << "tokens:\n"
                         "  - principal: dev-proposer\n    token: \"proposer-0123456789abcdef\"\n"
                         "    roles: [proposer]\n"
                         "  - principal: dev-panel\n    token: \"panel-0123456789abcdef\"\n"
                         "    roles: [panel, owner]\n";
  EXPECT_EQ(*TokenForRole(path, "owner"), "panel-0123456789abcdef");
  EXPECT_EQ(*TokenForRole(path, "proposer"), "proposer-0123456789abcdef");
  EXPECT_EQ(TokenForRole(path, "admin").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(TokenForRole((dir_ / "none.yaml").string(), "admin").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientConfigFileTest, AClientCertificateNeedsItsKeyAndTheCa) {
  ClientConfig config;
  EXPECT_TRUE(CheckClientTls(config).ok()) << "no client certificate: nothing to check";
  config.tls_client_cert_file = (dir_ / "me.pem").string();
  absl::Status cert_only = CheckClientTls(config);
  EXPECT_EQ(cert_only.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(cert_only.message(),
            "a TLS client certificate and its key go together: give both --tls-cert and "
            "--tls-key (config tls_client_cert_file and tls_client_key_file) or neither");
  config.tls_client_cert_file.clear();
  config.tls_client_key_file = (dir_ / "me.key").string();
  EXPECT_EQ(CheckClientTls(config).code(), absl::StatusCode::kInvalidArgument);

  config.tls_client_cert_file = (dir_ / "me.pem").string();
  absl::Status without_ca = CheckClientTls(config);
  EXPECT_EQ(without_ca.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      without_ca.message(),
      "a TLS client certificate (--tls-cert, config tls_client_cert_file) needs TLS: "
      "give the CA of the servers' certificates too (--tls-ca, config tls_ca_file)");
}

TEST_F(ClientConfigFileTest, TheClientKeyMustBeClosedToOtherUsers) {
  const std::filesystem::path key = dir_ / "me.key";
  std::ofstream(key) << "not checked here: only who may read it\n";
  ClientConfig config;
  config.tls_ca_file = (dir_ / "ca.pem").string();
  config.tls_client_cert_file = (dir_ / "me.pem").string();
  config.tls_client_key_file = key.string();
  for (const auto mode : {std::filesystem::perms(0600), std::filesystem::perms(0640),
                          std::filesystem::perms(0440)}) {
    std::filesystem::permissions(key, mode);
    EXPECT_TRUE(CheckClientTls(config).ok()) << static_cast<int>(mode);
  }
  std::filesystem::permissions(key, std::filesystem::perms(0604));
  absl::Status readable = CheckClientTls(config);
  EXPECT_EQ(readable.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      readable.message(),
      "TLS client key " + key.string() +
          " (--tls-key, config tls_client_key_file): expected a file other users can "
          "neither read nor write, as it holds secrets (its mode is 0604; "
          "chmod o-rwx it)");
  std::filesystem::permissions(key, std::filesystem::perms(0602));
  EXPECT_EQ(CheckClientTls(config).code(), absl::StatusCode::kInvalidArgument);

  config.tls_client_key_file = (dir_ / "missing.key").string();
  absl::Status missing = CheckClientTls(config);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.message(), "TLS client key " + config.tls_client_key_file +
                                   " (--tls-key, config tls_client_key_file): expected a "
                                   "readable file");
}

}  // namespace
}  // namespace changeledger::changectl
