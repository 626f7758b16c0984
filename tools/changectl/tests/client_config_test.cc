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

}  // namespace
}  // namespace changeledger::changectl
