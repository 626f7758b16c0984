// The portfolio's log reader against an intake that requires client
// certificates (mutual TLS), and the settings that give it one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "changeledger/bus/log_reader_service.h"
#include "changeledger/eventlog/v1/log_reader.grpc.pb.h"
#include "changeledger/eventstore/in_memory_event_store.h"
#include "changeledger/intake/v1/events.pb.h"
#include "changeledger/portfolio/portfolio_model.h"
#include "changeledger/portfolio/portfolio_server.h"
#include "changeledger/rpc/command_output.h"
#include "changeledger/rpc/server.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/rpc/test_certificates.h"
#include "changeledger/rpc/wait_for.h"

namespace changeledger::portfolio {
namespace {

using rpc::testing::WaitFor;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr char kServiceToken[] = "portfolio-service-token-0123456789";
constexpr char kOfficeToken[] = "office-token-0123456789";
constexpr char kChangeId[] = "0b8e6a52-3c1d-4f7e-9a2b-5d6c7e8f9a01";

class PortfolioLogReaderTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!rpc::testing::HaveOpensslCli()) GTEST_SKIP() << "openssl CLI not installed";
    ASSERT_EQ(rpc::testing::MakeServerAndClientCertificates(dir_.path()),
              absl::OkStatus());
    dir_.Write(
        "tokens.yaml",
        absl::StrCat("tokens:\n", "  - {principal: portfolio, token: \"", kServiceToken,
                     "\", roles: [service]}\n", "  - {principal: office, token: \"",
                     kOfficeToken, "\", roles: [portfolio_office]}\n"));
  }

  void TearDown() override {
    if (intake_log_) intake_log_->Shutdown();
    if (intake_server_) intake_server_->Shutdown(std::chrono::milliseconds(0));
  }

  std::string File(const std::string& name) const { return dir_.File(name); }

  // Intake's log, holding one registered change, served as intake serves it
  // with tls.client_ca_file set: only clients with a certificate the CA
  // signed get as far as the token check.
  void StartIntakeRequiringClientCertificates() {
    intake::v1::ChangeRegistered registered;
    registered.set_change_id(kChangeId);
    registered.mutable_attributes()->set_title("Records digitisation");
    registered.mutable_attributes()->set_business_area("MO");
    eventstore::AppendRequest append;
    eventstore::StreamAppend& write = append.writes.emplace_back();
    write.stream = absl::StrCat("change-", kChangeId);
    eventstore::Envelope& event = write.events.emplace_back();
    event.set_type(std::string(intake::v1::ChangeRegistered::descriptor()->full_name()));
    event.set_schema_version(1);
    event.set_actor("office");
    event.set_correlation_id("corr-1");
    event.set_source("intake");
    event.mutable_payload()->PackFrom(registered);
    ASSERT_TRUE(intake_store_->Append(std::move(append)).ok());

    intake_log_ = std::make_unique<bus::LogReaderService>(
        intake_store_.get(), bus::LogReaderServiceOptions{.source = "intake"});
    auto tokens = rpc::TokenTable::FromFile(File("tokens.yaml"));
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    rpc::ServerOptions options;
    options.service_name = "intake";
    options.tokens = *tokens;
    options.tls.cert_file = File("server.pem");
    options.tls.key_file = File("server.key");
    options.tls.client_ca_file = File("ca.pem");
    auto server = rpc::Server::Create(options);
    ASSERT_TRUE(server.ok()) << server.status();
    intake_server_ = std::move(*server);
    const std::string log = eventlog::v1::LogReader::service_full_name();
    ASSERT_EQ(
        intake_server_->AddService(intake_log_.get(),
                                   {{"/" + log + "/ReadLog", {rpc::Role::kService}},
                                    {"/" + log + "/GetLogHead", {rpc::Role::kService}}}),
        absl::OkStatus());
    ASSERT_EQ(intake_server_->Start(), absl::OkStatus());
  }

  // A portfolio fed from intake's log only, over TLS verified by the CA.
  PortfolioServerOptions Options(const std::string& name) const {
    PortfolioServerOptions options;
    options.common.service_name = "portfolio";
    options.common.data_dir = File(name);
    options.common.tokens_file = File("tokens.yaml");
    options.common.metrics_listen = "";
    options.source = "log_reader";
    options.log_readers = {
        {"intake", absl::StrCat("127.0.0.1:", intake_server_->port())}};
    options.service_token = kServiceToken;
    options.log_reader_tls_root_cert_file = File("ca.pem");
    return options;
  }

  static size_t Changes(PortfolioServer& server) {
    return server.holder().Read([](const PortfolioModel& m) { return m.change_count(); });
  }

  rpc::testing::TempDir dir_;
  std::unique_ptr<eventstore::EventStore> intake_store_ =
      eventstore::NewInMemoryEventStore();
  std::unique_ptr<bus::LogReaderService> intake_log_;
  std::unique_ptr<rpc::Server> intake_server_;
};

TEST_F(PortfolioLogReaderTlsTest,
       TheClientCertificateSettingsReachAnIntakeThatRequiresOne) {
  ASSERT_NO_FATAL_FAILURE(StartIntakeRequiringClientCertificates());
  // Started side by side, so that the one without a certificate has had
  // as long to read the log as the one with it.
  auto without = PortfolioServer::Start(Options("without-certificate"));
  ASSERT_TRUE(without.ok()) << without.status();
  PortfolioServerOptions options = Options("with-certificate");
  options.log_reader_tls_client_cert_file = File("client.pem");
  options.log_reader_tls_client_key_file = File("client.key");
  auto with = PortfolioServer::Start(options);
  ASSERT_TRUE(with.ok()) << with.status();

  EXPECT_TRUE(WaitFor([&] { return Changes(**with) == 1; }, absl::Seconds(30)))
      << "the change in intake's log never reached the view";
  EXPECT_EQ(Changes(**without), 0u) << "intake served a client without a certificate";
  (*with)->Stop(std::chrono::milliseconds(0));
  (*without)->Stop(std::chrono::milliseconds(0));
}

// What the running service does with the settings (main.cc): the key is
// a secret, refused when other users may read it, and goes with the
// certificate and the CA.
class PortfolioTlsSettingsTest : public PortfolioLogReaderTlsTest {
 protected:
  using Outcome = rpc::testing::CommandOutput;

  Outcome Portfolio(const std::string& flags) const {
    return rpc::testing::RunShellCommand(
        absl::StrCat(PORTFOLIO_PATH, " --data-dir ", File("data"), " --auth-tokens-file ",
                     File("tokens.yaml"), " ", flags));
  }
};

TEST_F(PortfolioTlsSettingsTest, AClientKeyOtherUsersMayReadStopsTheStart) {
  fs::permissions(dir_.path() / "tokens.yaml", fs::perms(0600));
  fs::permissions(dir_.path() / "client.key", fs::perms(0644));
  const Outcome outcome = Portfolio(
      absl::StrCat("--portfolio-log-reader-tls-root-cert-file ", File("ca.pem"),
                   " --portfolio-log-reader-tls-client-cert-file ", File("client.pem"),
                   " --portfolio-log-reader-tls-client-key-file ", File("client.key")));
  EXPECT_EQ(outcome.exit_code, 2) << outcome.output;
  EXPECT_THAT(outcome.output,
              HasSubstr(absl::StrCat(
                  "invalid setting portfolio.log_reader_tls_client_key_file (\"",
                  File("client.key"),
                  "\"): expected a file other users can neither read nor "
                  "write, as it holds secrets (its mode is 0644")));
  EXPECT_FALSE(fs::exists(dir_.path() / "data")) << "refused before anything started";
}

TEST_F(PortfolioTlsSettingsTest, CertificateAndKeyTogetherAndOnlyWithTheRootCertificate) {
  fs::permissions(dir_.path() / "tokens.yaml", fs::perms(0600));
  const Outcome cert_only = Portfolio(
      absl::StrCat("--portfolio-log-reader-tls-root-cert-file ", File("ca.pem"),
                   " --portfolio-log-reader-tls-client-cert-file ", File("client.pem")));
  EXPECT_EQ(cert_only.exit_code, 2) << cert_only.output;
  EXPECT_THAT(
      cert_only.output,
      HasSubstr("invalid settings portfolio.log_reader_tls_client_cert_file and "
                "portfolio.log_reader_tls_client_key_file: give both or neither"));

  const Outcome without_root = Portfolio(
      absl::StrCat("--portfolio-log-reader-tls-client-cert-file ", File("client.pem"),
                   " --portfolio-log-reader-tls-client-key-file ", File("client.key")));
  EXPECT_EQ(without_root.exit_code, 2) << without_root.output;
  EXPECT_THAT(
      without_root.output,
      HasSubstr("invalid setting portfolio.log_reader_tls_client_cert_file: mutual TLS "
                "needs portfolio.log_reader_tls_root_cert_file"));
}

}  // namespace
}  // namespace changeledger::portfolio
