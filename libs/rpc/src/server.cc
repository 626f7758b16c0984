#include "changeledger/rpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "changeledger/metrics/metrics.h"
#include "guard.h"
#include "observer.h"
#include "spdlog/spdlog.h"

namespace changeledger::rpc {
namespace {

constexpr char kDependencyPrefix[] = "dependency/";

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The certificate and key gRPC would take, checked first: gRPC reports a
// bad file or a key of another certificate only as a port it cannot
// listen on, which sends an operator looking at the network.
absl::Status CheckKeyPair(const std::string& cert_pem, const std::string& cert_file,
                          const std::string& key_pem, const std::string& key_file) {
  using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
  Bio cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())), &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate ", cert_file, ": not a PEM certificate"));
  }
  Bio key_bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key ", key_file, ": not an unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return absl::InvalidArgumentError(absl::StrCat("TLS key ", key_file,
                                                   " is not the key of the certificate ",
                                                   cert_file));
  }
  return absl::OkStatus();
}

// A duration as a gRPC channel argument (an int of milliseconds).
int MillisecondsArgument(std::chrono::milliseconds duration) {
  return static_cast<int>(
      std::min<int64_t>(duration.count(), std::numeric_limits<int>::max()));
}

class ServerImpl final : public Server {
 public:
  ServerImpl(ServerOptions options, std::shared_ptr<grpc::ServerCredentials> credentials)
      : options_(std::move(options)),
        credentials_(std::move(credentials)),
        limiter_(options_.max_calls_per_principal) {
    auto guard = std::make_shared<internal::GuardContext>();
    guard->tokens = options_.tokens;
    guard->default_deadline = options_.default_deadline;
    guard->watchdog = &watchdog_;
    guard->limiter = &limiter_;
    guard->refusal_log = &caller_lines_;
    guard_ = std::move(guard);
    probe_ = std::make_shared<internal::RpcProbe>(options_.metrics);
    // Served by gRPC itself (Start enables both).
    probe_->AddMethod("/grpc.health.v1.Health/Check");
    probe_->AddMethod("/grpc.health.v1.Health/Watch");
    probe_->AddMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  }

  ~ServerImpl() override { Shutdown(std::chrono::milliseconds(0)); }

  absl::Status AddService(grpc::Service* service, MethodPolicy policy) override {
    std::lock_guard lock(mu_);
    if (started_) return absl::FailedPreconditionError("AddService after Start");
    if (service == nullptr) return absl::InvalidArgumentError("null service");
    std::vector<std::string> methods;
    absl::Status status = internal::GuardService(service, policy, guard_, &methods);
    if (!status.ok()) return status;
    services_.push_back(service);
    for (const auto& method : methods) {
      service_names_.insert(internal::SplitMethod(method).first);
      probe_->AddMethod(method);
    }
    return absl::OkStatus();
  }

  void DeclareDependency(const std::string& name, DependencyKind kind,
                         bool initially_up) override {
    std::lock_guard lock(mu_);
    dependencies_[name] = Dependency{kind, initially_up};
    ApplyHealthLocked();
  }

  void SetDependencyHealthy(const std::string& name, bool healthy) override {
    std::lock_guard lock(mu_);
    auto it = dependencies_.find(name);
    if (it == dependencies_.end()) {
      dependencies_[name] = Dependency{DependencyKind::kRequired, healthy};
    } else {
      if (it->second.up == healthy) return;
      it->second.up = healthy;
    }
    spdlog::info("msg=\"dependency {}\" service={} dependency={}", healthy ? "up" : "down",
                 options_.service_name, name);
    ApplyHealthLocked();
  }

  bool Serving() const override {
    std::lock_guard lock(mu_);
    return OverallLocked();
  }

  absl::Status Start() override {
    std::lock_guard lock(mu_);
    if (started_) return absl::FailedPreconditionError("server already started");
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    // No SO_REUSEPORT: a second process on the same port must fail to
    // start, not silently share the traffic.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
                               MillisecondsArgument(options_.handshake_timeout));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               MillisecondsArgument(options_.max_connection_idle));
    builder.AddListeningPort(options_.listen_address, credentials_, &port_);
    builder.SetMaxReceiveMessageSize(static_cast<int>(options_.max_receive_message_bytes));
    builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                                options_.max_idle_threads);
    // Without a quota the synchronous server starts a thread for every call
    // that finds all others busy, however many that is.
    grpc::ResourceQuota quota("changeledger-" + options_.service_name);
    quota.SetMaxThreads(options_.max_threads);
    builder.SetResourceQuota(quota);
    for (grpc::Service* service : services_) builder.RegisterService(service);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(std::make_unique<internal::ObserverFactory>(
        probe_, &caller_lines_, &server_error_lines_));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port_ == 0) {
      server_.reset();
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.listen_address));
    }
    health_ = server_->GetHealthCheckService();
    started_ = true;
    ApplyHealthLocked();
    spdlog::info("msg=\"serving\" service={} address={} port={} tls={} mutual_tls={}",
                 options_.service_name, options_.listen_address, port_,
                 !options_.tls.cert_file.empty(), !options_.tls.client_ca_file.empty());
    return absl::OkStatus();
  }

  int port() const override {
    std::lock_guard lock(mu_);
    return port_;
  }

  void StopServing() override {
    std::lock_guard lock(mu_);
    if (health_ != nullptr) health_->Shutdown();
  }

  void Shutdown(std::chrono::milliseconds grace) override {
    grpc::Server* server = nullptr;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      if (!started_) {
        watchdog_.Stop();
        return;
      }
      // Probes that still reach us see NOT_SERVING.
      if (health_ != nullptr) health_->Shutdown();
      server = server_.get();
    }
    spdlog::info("msg=\"shutting down\" service={} grace_ms={}", options_.service_name,
                 grace.count());
    // Stops accepting, waits for in-flight calls until the deadline, then
    // cancels what is left.
    server->Shutdown(std::chrono::system_clock::now() + grace);
    server->Wait();
    watchdog_.Stop();
    spdlog::info("msg=\"stopped\" service={}", options_.service_name);
  }

 private:
  struct Dependency {
    DependencyKind kind;
    bool up;
  };

  bool OverallLocked() const {
    if (!started_ || stopping_) return false;
    for (const auto& [name, dependency] : dependencies_) {
      if (dependency.kind == DependencyKind::kRequired && !dependency.up) return false;
    }
    return true;
  }

  void ApplyHealthLocked() {
    if (!started_ || stopping_ || health_ == nullptr) return;
    bool serving = OverallLocked();
    health_->SetServingStatus("", serving);
    for (const auto& name : service_names_) health_->SetServingStatus(name, serving);
    for (const auto& [name, dependency] : dependencies_) {
      health_->SetServingStatus(absl::StrCat(kDependencyPrefix, name), dependency.up);
    }
  }

  const ServerOptions options_;
  const std::shared_ptr<grpc::ServerCredentials> credentials_;
  internal::DeadlineWatchdog watchdog_;
  internal::PrincipalCallLimiter limiter_;
  // Log lines of calls the client made fail (refused, a method not served,
  // its own deadline) and of the server's errors: each kind 100 at once,
  // then 10 a second (log_limiter.h).
  internal::LogLimiter caller_lines_{10, 100};
  internal::LogLimiter server_error_lines_{10, 100};
  std::shared_ptr<const internal::GuardContext> guard_;
  std::shared_ptr<internal::RpcProbe> probe_;

  mutable std::mutex mu_;
  std::vector<grpc::Service*> services_;          // guarded by mu_
  std::set<std::string> service_names_;           // guarded by mu_
  std::map<std::string, Dependency> dependencies_;  // guarded by mu_
  bool started_ = false;                          // guarded by mu_
  bool stopping_ = false;                         // guarded by mu_
  int port_ = 0;                                  // guarded by mu_
  std::unique_ptr<grpc::Server> server_;
  grpc::HealthCheckServiceInterface* health_ = nullptr;  // guarded by mu_
};

bool ValidListenAddress(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) return false;
  for (size_t i = colon + 1; i < address.size(); ++i) {
    if (address[i] < '0' || address[i] > '9') return false;
  }
  return address.size() - colon - 1 <= 5 && std::stoi(address.substr(colon + 1)) <= 65535;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.tokens == nullptr) {
    return absl::InvalidArgumentError("server needs a token table (auth.tokens_file)");
  }
  if (!ValidListenAddress(options.listen_address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", options.listen_address, "\": expected host:port"));
  }
  if (options.max_receive_message_bytes < 1 ||
      options.max_receive_message_bytes > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError("max_receive_message_bytes out of range");
  }
  if (options.max_idle_threads < 1) {
    return absl::InvalidArgumentError("max_idle_threads must be at least 1");
  }
  if (options.max_threads < 2) {
    // One thread waits for calls while another runs a handler.
    return absl::InvalidArgumentError("max_threads must be at least 2");
  }
  if (options.max_calls_per_principal < 1) {
    return absl::InvalidArgumentError("max_calls_per_principal must be at least 1");
  }
  if (options.default_deadline.count() <= 0) {
    return absl::InvalidArgumentError("default_deadline must be positive");
  }
  if (options.handshake_timeout.count() <= 0 ||
      options.max_connection_idle.count() <= 0) {
    return absl::InvalidArgumentError(
        "handshake_timeout and max_connection_idle must be positive");
  }
  std::shared_ptr<grpc::ServerCredentials> credentials;
  const TlsFiles& tls = options.tls;
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  if (!tls.client_ca_file.empty() && tls.cert_file.empty()) {
    return absl::InvalidArgumentError("mutual TLS needs a server certificate and key");
  }
  if (tls.cert_file.empty()) {
    credentials = grpc::InsecureServerCredentials();
  } else {
    auto cert = ReadPem(tls.cert_file, "TLS certificate");
    if (!cert.ok()) return cert.status();
    auto key = ReadPem(tls.key_file, "TLS key");
    if (!key.ok()) return key.status();
    const absl::Status pair = CheckKeyPair(*cert, tls.cert_file, *key, tls.key_file);
    ERR_clear_error();  // what the failed reads left in this thread's queue
    if (!pair.ok()) return pair;
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    if (!tls.client_ca_file.empty()) {
      auto ca = ReadPem(tls.client_ca_file, "TLS client CA");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    credentials = grpc::SslServerCredentials(ssl);
  }
  return std::unique_ptr<Server>(new ServerImpl(std::move(options), std::move(credentials)));
}

absl::StatusOr<ServerOptions> ServerOptionsFrom(const config::CommonOptions& common,
                                                metrics::Registry* metrics) {
  if (common.tokens_file.empty()) {
    return absl::InvalidArgumentError(
        "invalid setting auth.tokens_file (\"\"): a tokens file is required to serve");
  }
  auto tokens = TokenTable::FromFile(common.tokens_file);
  if (!tokens.ok()) return tokens.status();
  ServerOptions options;
  options.service_name = common.service_name;
  options.listen_address = common.grpc_listen;
  options.tokens = *std::move(tokens);
  options.tls = TlsFiles{common.tls_cert_file, common.tls_key_file, common.tls_client_ca_file};
  options.max_receive_message_bytes = common.max_receive_message_bytes;
  options.default_deadline = common.default_deadline;
  options.max_calls_per_principal = static_cast<int>(common.max_calls_per_principal);
  options.max_threads = static_cast<int>(common.max_threads);
  options.handshake_timeout = common.handshake_timeout;
  options.max_connection_idle = common.max_connection_idle;
  options.metrics = metrics;
  return options;
}

}  // namespace changeledger::rpc
