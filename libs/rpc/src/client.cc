#include "changeledger/rpc/client.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace changeledger::rpc {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("client target is empty");
  if (options.tls_client_cert_file.empty() != options.tls_client_key_file.empty()) {
    return absl::InvalidArgumentError("client certificate and key go together");
  }
  if (!options.tls_client_cert_file.empty() && options.tls_root_cert_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs tls_root_cert_file (TLS)");
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls_root_cert_file.empty()) {
    credentials = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    auto root = ReadPem(options.tls_root_cert_file, "TLS root certificate");
    if (!root.ok()) return root.status();
    ssl.pem_root_certs = *root;
    if (!options.tls_client_cert_file.empty()) {
      auto cert = ReadPem(options.tls_client_cert_file, "TLS client certificate");
      if (!cert.ok()) return cert.status();
      auto key = ReadPem(options.tls_client_key_file, "TLS client key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    if (!options.tls_server_name.empty()) {
      args.SetSslTargetNameOverride(options.tls_server_name);
    }
    credentials = grpc::SslCredentials(ssl);
  }
  return grpc::CreateCustomChannel(options.target, credentials, args);
}

std::unique_ptr<grpc::ClientContext> ClientContextFactory::New() const {
  auto context = std::make_unique<grpc::ClientContext>();
  Prepare(context.get());
  return context;
}

void ClientContextFactory::Prepare(grpc::ClientContext* context) const {
  if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  context->set_deadline(std::chrono::system_clock::now() + timeout_);
}

}  // namespace changeledger::rpc
