#include "changeledger/config/config.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace changeledger::config {
namespace {

using ::testing::HasSubstr;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("config_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  absl::Status Parse(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "svc");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    EnvLookup lookup = [env](const std::string& name) -> std::optional<std::string> {
      auto it = env.find(name);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return settings_.Parse(static_cast<int>(argv.size()), argv.data(), lookup);
  }

  std::filesystem::path dir_;
  CommonOptions common_{.service_name = "intake", .grpc_listen = "0.0.0.0:7001"};
  Settings settings_{"svc", "test service"};
};

TEST_F(ConfigTest, DefaultsStayWhenNothingIsGiven) {
  AddCommonOptions(settings_, common_);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(common_.grpc_listen, "0.0.0.0:7001");
  EXPECT_EQ(common_.max_receive_message_bytes, 4 * 1024 * 1024);
  EXPECT_EQ(common_.default_deadline, std::chrono::seconds(30));
  EXPECT_EQ(common_.log_level, "info");
}

TEST_F(ConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  AddCommonOptions(settings_, common_);
  std::string file = WriteFile("svc.yaml", R"(
grpc:
  listen: 127.0.0.1:1111
  default_deadline: 5s
metrics:
  listen: 127.0.0.1:2222
log:
  level: debug
kafka:
  bootstrap_servers: [127.0.0.1:9092, 127.0.0.1:9093]
)");
  ASSERT_TRUE(Parse({"--config", file, "--grpc-listen", "127.0.0.1:3333"},
                    {{"CHANGELEDGER_GRPC_LISTEN", "127.0.0.1:4444"},
                     {"CHANGELEDGER_METRICS_LISTEN", "127.0.0.1:5555"}})
                  .ok());
  EXPECT_EQ(common_.grpc_listen, "127.0.0.1:3333");     // flag over env and file
  EXPECT_EQ(common_.metrics_listen, "127.0.0.1:5555");  // env over file
  EXPECT_EQ(common_.log_level, "debug");                // file over default
  EXPECT_EQ(common_.default_deadline, std::chrono::seconds(5));
  EXPECT_EQ(common_.kafka_bootstrap_servers, "127.0.0.1:9092,127.0.0.1:9093");
  EXPECT_EQ(common_.service_name, "intake");  // default
}

TEST_F(ConfigTest, ConfigFileFromEnvironment) {
  AddCommonOptions(settings_, common_);
  std::string file = WriteFile("svc.yaml", "log:\n  level: warn\n");
  ASSERT_TRUE(Parse({}, {{"CHANGELEDGER_CONFIG", file}}).ok());
  EXPECT_EQ(common_.log_level, "warn");
}

TEST_F(ConfigTest, InvalidFlagNamesTheSetting) {
  AddCommonOptions(settings_, common_);
  absl::Status status = Parse({"--grpc-listen", "abc"});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("invalid setting grpc.listen (\"abc\"): expected host:port"));
  EXPECT_THAT(status.message(), HasSubstr("flag --grpc-listen"));
  EXPECT_EQ(common_.grpc_listen, "0.0.0.0:7001");
}

TEST_F(ConfigTest, InvalidEnvironmentValueNamesTheSettingAndVariable) {
  AddCommonOptions(settings_, common_);
  absl::Status status = Parse({}, {{"CHANGELEDGER_GRPC_DEFAULT_DEADLINE", "soon"}});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("invalid setting grpc.default_deadline (\"soon\")"));
  EXPECT_THAT(status.message(), HasSubstr("CHANGELEDGER_GRPC_DEFAULT_DEADLINE"));
}

TEST_F(ConfigTest, InvalidFileValueNamesTheSettingAndFile) {
  AddCommonOptions(settings_, common_);
  std::string file = WriteFile("svc.yaml", "grpc:\n  max_receive_message_bytes: 12\n");
  absl::Status status = Parse({"--config", file});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("invalid setting grpc.max_receive_message_bytes (\"12\"): expected an "
                        "integer in [1024,"));
  EXPECT_THAT(status.message(), HasSubstr(file));
}

TEST_F(ConfigTest, UnknownFileKeyIsRejected) {
  AddCommonOptions(settings_, common_);
  std::string file = WriteFile("svc.yaml", "grpc:\n  listne: 127.0.0.1:1\n");
  absl::Status status = Parse({"--config", file});
  ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("unknown setting grpc.listne"));
}

TEST_F(ConfigTest, UnknownFlagAndMissingFileAreRejected) {
  AddCommonOptions(settings_, common_);
  EXPECT_EQ(Parse({"--grpc-lisen", "x"}).code(), absl::StatusCode::kInvalidArgument);
  absl::Status status = Parse({"--config", (dir_ / "absent.yaml").string()});
  EXPECT_THAT(status.message(), HasSubstr("invalid setting config"));
}

TEST_F(ConfigTest, SizesAndDurationsAcceptUnits) {
  AddCommonOptions(settings_, common_);
  ASSERT_TRUE(Parse({"--grpc-max-receive-message-bytes", "8Mi", "--grpc-default-deadline",
                     "250ms", "--grpc-shutdown-grace", "2m"})
                  .ok());
  EXPECT_EQ(common_.max_receive_message_bytes, 8 * 1024 * 1024);
  EXPECT_EQ(common_.default_deadline, std::chrono::milliseconds(250));
  EXPECT_EQ(common_.shutdown_grace, std::chrono::minutes(2));
}

TEST_F(ConfigTest, TlsFilesMustComeInPairsAndExist) {
  AddCommonOptions(settings_, common_);
  std::string cert = WriteFile("cert.pem", "x");
  absl::Status status = Parse({"--tls-cert-file", cert});
  EXPECT_THAT(status.message(), HasSubstr("tls.cert_file and tls.key_file"));
  status = Parse({"--tls-cert-file", (dir_ / "nope.pem").string()});
  EXPECT_THAT(status.message(), HasSubstr("invalid setting tls.cert_file"));
  EXPECT_THAT(status.message(), HasSubstr("expected a readable file"));
}

// Whoever can read the tokens file can call as any principal in it, and
// whoever can read the key can pose as the service.
TEST_F(ConfigTest, SecretFilesOtherUsersCanReadAreRefused) {
  AddCommonOptions(settings_, common_);
  const std::string tokens = WriteFile("tokens.yaml", "tokens: []\n");
  const std::string cert = WriteFile("cert.pem", "x");
  const std::string key = WriteFile("key.pem", "x");
  std::filesystem::permissions(tokens, std::filesystem::perms(0644));
  absl::Status status = Parse({"--auth-tokens-file", tokens});
  EXPECT_THAT(status.message(), HasSubstr("invalid setting auth.tokens_file"));
  EXPECT_THAT(
      status.message(),
      HasSubstr("other users can neither read nor write, as it holds secrets (its mode "
                "is 0644; chmod o-rwx it)"));
  std::filesystem::permissions(tokens, std::filesystem::perms(0602));
  EXPECT_THAT(Parse({"--auth-tokens-file", tokens}).message(), HasSubstr("mode is 0602"));

  std::filesystem::permissions(key, std::filesystem::perms(0604));
  status = Parse({"--tls-cert-file", cert, "--tls-key-file", key});
  EXPECT_THAT(status.message(), HasSubstr("invalid setting tls.key_file"));
  EXPECT_THAT(status.message(), HasSubstr("mode is 0604"));

  // The owner, and the group (a Kubernetes secret mounted for the pod's
  // fsGroup), may read them; the certificate is public.
  std::filesystem::permissions(tokens, std::filesystem::perms(0440));
  std::filesystem::permissions(key, std::filesystem::perms(0600));
  std::filesystem::permissions(cert, std::filesystem::perms(0644));
  EXPECT_TRUE(Parse({"--auth-tokens-file", tokens, "--tls-cert-file", cert,
                     "--tls-key-file", key})
                  .ok());
}

// The files a service presents to another's server: a client certificate
// needs its key and the CA, and the key is a secret file.
TEST_F(ConfigTest, ClientTlsSettingsComeTogetherAndTheKeyIsASecretFile) {
  std::string root, cert_file, key_file;
  AddClientTlsSettings(settings_, "svc.log_reader", "the log readers", &root, &cert_file,
                       &key_file);
  const std::string ca = WriteFile("ca.pem", "x");
  const std::string cert = WriteFile("client.pem", "x");
  const std::string key = WriteFile("client.key", "x");
  std::filesystem::permissions(key, std::filesystem::perms(0600));
  // Each parse starts from the defaults (Parse writes only what is given).
  auto parse = [&](std::vector<std::string> args) {
    root.clear();
    cert_file.clear();
    key_file.clear();
    return Parse(std::move(args));
  };
  const std::string kRoot = "--svc-log-reader-tls-root-cert-file";
  const std::string kCert = "--svc-log-reader-tls-client-cert-file";
  const std::string kKey = "--svc-log-reader-tls-client-key-file";

  EXPECT_EQ(parse({kCert, cert, kRoot, ca}).message(),
            "invalid settings svc.log_reader_tls_client_cert_file and "
            "svc.log_reader_tls_client_key_file: give both or neither");
  EXPECT_EQ(parse({kCert, cert, kKey, key}).message(),
            "invalid setting svc.log_reader_tls_client_cert_file: mutual TLS needs "
            "svc.log_reader_tls_root_cert_file");
  std::filesystem::permissions(key, std::filesystem::perms(0644));
  absl::Status status = parse({kRoot, ca, kCert, cert, kKey, key});
  EXPECT_THAT(status.message(),
              HasSubstr("invalid setting svc.log_reader_tls_client_key_file"));
  EXPECT_THAT(status.message(), HasSubstr("mode is 0644"));

  std::filesystem::permissions(key, std::filesystem::perms(0440));
  ASSERT_TRUE(parse({kRoot, ca, kCert, cert, kKey, key}).ok());
  EXPECT_EQ(root, ca);
  EXPECT_EQ(cert_file, cert);
  EXPECT_EQ(key_file, key);
  EXPECT_TRUE(parse({kRoot, ca}).ok());  // TLS without a client certificate
}

// A flag's value is in /proc/<pid>/cmdline, which every user can read.
TEST_F(ConfigTest, SecretsAreRefusedAsFlagsAndNeverShown) {
  std::string token;
  settings_.AddSecret("svc.service_token", &token, "bearer token");
  absl::Status status = Parse({"--svc-service-token", "s3cret-token-0123456789"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("setting svc.service_token is a secret"));
  EXPECT_THAT(status.message(),
              HasSubstr("CHANGELEDGER_SVC_SERVICE_TOKEN or the config file"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("s3cret")));
  EXPECT_TRUE(token.empty());

  ASSERT_TRUE(
      Parse({}, {{"CHANGELEDGER_SVC_SERVICE_TOKEN", "s3cret-token-0123456789"}}).ok());
  EXPECT_EQ(token, "s3cret-token-0123456789");
  EXPECT_THAT(settings_.Describe(), HasSubstr("svc.service_token=<redacted>"));
  EXPECT_THAT(settings_.Describe(), ::testing::Not(HasSubstr("s3cret")));
  const std::string file =
      WriteFile("svc.yaml", "svc: {service_token: from-file-0123456789}\n");
  ASSERT_TRUE(Parse({"--config", file}).ok());
  EXPECT_EQ(token, "from-file-0123456789");
  EXPECT_THAT(settings_.Help(),
              HasSubstr("a secret: environment or file only, never a flag"));
}

TEST_F(ConfigTest, KafkaTlsSettingsBecomeClientProperties) {
  AddCommonOptions(settings_, common_);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_TRUE(KafkaClientConfig(common_).empty());  // plaintext
  const std::string ca = WriteFile("kafka-ca.pem", "x");
  const std::string cert = WriteFile("kafka-client.pem", "x");
  const std::string key = WriteFile("kafka-client.key", "x");
  std::filesystem::permissions(key, std::filesystem::perms(0600));
  EXPECT_THAT(Parse({"--kafka-ssl-ca-file", ca}).message(),
              HasSubstr("kafka.ssl_*: they need kafka.security_protocol ssl"));
  EXPECT_THAT(
      Parse({"--kafka-security-protocol", "ssl", "--kafka-ssl-cert-file", cert})
          .message(),
      HasSubstr("kafka.ssl_cert_file and kafka.ssl_key_file: give both or neither"));
  EXPECT_THAT(Parse({"--kafka-security-protocol", "sasl_plaintext"}).message(),
              HasSubstr("invalid setting kafka.security_protocol"));
  ASSERT_TRUE(Parse({"--kafka-security-protocol", "ssl", "--kafka-ssl-ca-file", ca,
                     "--kafka-ssl-cert-file", cert, "--kafka-ssl-key-file", key})
                  .ok());
  EXPECT_EQ(KafkaClientConfig(common_),
            (std::map<std::string, std::string>{
                {"security.protocol", "ssl"},
                {"ssl.endpoint.identification.algorithm", "https"},
                {"ssl.ca.location", ca},
                {"ssl.certificate.location", cert},
                {"ssl.key.location", key}}));
}

TEST_F(ConfigTest, InvalidLogLevelAndBootstrapList) {
  AddCommonOptions(settings_, common_);
  EXPECT_THAT(Parse({"--log-level", "loud"}).message(),
              HasSubstr("invalid setting log.level (\"loud\"): expected one of trace"));
  EXPECT_THAT(Parse({"--kafka-bootstrap-servers", "a:1,b"}).message(),
              HasSubstr("invalid setting kafka.bootstrap_servers"));
}

TEST_F(ConfigTest, ServiceOptionsAndBoolFlags) {
  int64_t batch = 10;
  bool follow = false;
  bool verbose = true;
  settings_.AddInt("intake.max_batch", &batch, "events per batch", 1, 1000)
      .AddBool("intake.follow", &follow, "follow")
      .AddBool("intake.verbose", &verbose, "verbose");
  absl::Status status = Parse({"--intake-max-batch", "500", "--intake-follow"},
                              {{"CHANGELEDGER_INTAKE_VERBOSE", "no"}});
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(batch, 500);
  EXPECT_TRUE(follow);
  EXPECT_FALSE(verbose);
  EXPECT_THAT(Parse({"--intake-max-batch", "5000"}).message(),
              HasSubstr("invalid setting intake.max_batch (\"5000\")"));
}

TEST_F(ConfigTest, DuplicateKeyIsAnError) {
  std::string a, b;
  settings_.AddString("x.y", &a, "a").AddString("x.y", &b, "b");
  EXPECT_FALSE(Parse({}).ok());
}

TEST_F(ConfigTest, HelpListsFlagsEnvironmentAndDefaults) {
  AddCommonOptions(settings_, common_);
  ASSERT_TRUE(Parse({"--help"}).ok());
  EXPECT_TRUE(settings_.help_requested());
  std::string help = settings_.Help();
  EXPECT_THAT(help, HasSubstr("--grpc-listen"));
  EXPECT_THAT(help, HasSubstr("CHANGELEDGER_GRPC_LISTEN"));
  EXPECT_THAT(help, HasSubstr("default \"0.0.0.0:7001\""));
}

TEST(ConfigNamesTest, DerivedNames) {
  EXPECT_EQ(FlagName("auth.tokens_file"), "--auth-tokens-file");
  EXPECT_EQ(EnvVarName("auth.tokens_file"), "CHANGELEDGER_AUTH_TOKENS_FILE");
}

TEST(ValidatorTest, HostPort) {
  auto v = HostPortValidator();
  for (const char* good : {"127.0.0.1:0", "0.0.0.0:65535", "[::1]:80", "localhost:9092"}) {
    EXPECT_EQ(v(good), "") << good;
  }
  for (const char* bad : {"", "abc", ":80", "host:", "host:65536", "::1:80", "host:8x"}) {
    EXPECT_NE(v(bad), "") << bad;
  }
  EXPECT_EQ(HostPortValidator(true)(""), "");
}

class ClaimDataDirTest : public ConfigTest {
 protected:
  std::string Dir(const std::string& name) { return (dir_ / name).string(); }
};

TEST_F(ClaimDataDirTest, CreatesAndMarksANewDirectory) {
  const std::string dir = Dir("a/intake");
  ASSERT_TRUE(ClaimDataDir(dir, "intake", {"events"}).ok());
  std::ifstream in(std::filesystem::path(dir) / "SERVICE");
  std::string owner;
  ASSERT_TRUE(std::getline(in, owner));
  EXPECT_EQ(owner, "intake");
  // Whatever the umask, other users cannot read the stores in it.
  EXPECT_EQ(std::filesystem::status(dir).permissions(),
            std::filesystem::perms::owner_all);
  // Restarts find their own mark, with their stores beside it.
  std::filesystem::create_directories(std::filesystem::path(dir) / "events");
  EXPECT_TRUE(ClaimDataDir(dir, "intake", {"events"}).ok());
}

TEST_F(ClaimDataDirTest, AnotherServicesDirectoryIsRefused) {
  const std::string dir = Dir("classification");
  ASSERT_TRUE(ClaimDataDir(dir, "classification", {"events", "view"}).ok());
  absl::Status s = ClaimDataDir(dir, "intake", {"events"});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("is the data directory of classification"));
  EXPECT_THAT(s.message(), HasSubstr(dir));
  // A directory of the same service's stores only, made before the mark
  // existed, is claimed; one with another service's stores is not.
  const std::string old_portfolio = Dir("old-portfolio");
  std::filesystem::create_directories(std::filesystem::path(old_portfolio) / "view");
  std::filesystem::create_directories(std::filesystem::path(old_portfolio) / "lost+found");
  s = ClaimDataDir(old_portfolio, "intake", {"events"});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("holds view"));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(old_portfolio) / "SERVICE"));
  EXPECT_TRUE(ClaimDataDir(old_portfolio, "portfolio", {"view"}).ok());
  EXPECT_FALSE(ClaimDataDir(old_portfolio, "classification", {"events", "view"}).ok());
}

TEST_F(ClaimDataDirTest, AFileIsNoDirectory) {
  const std::string file = WriteFile("plain", "x");
  EXPECT_EQ(ClaimDataDir(file, "intake", {"events"}).code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace changeledger::config
