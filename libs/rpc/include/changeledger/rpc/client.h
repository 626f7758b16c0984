// Client side of the runtime: channels to changeledger services and call
// contexts that carry the bearer token and a deadline.
//
//   auto channel = rpc::MakeChannel(options);            // once
//   rpc::ClientContextFactory contexts(options);
//   auto ctx = contexts.New();                            // per call
//   stub->Method(ctx.get(), request, &response);
//
// The token travels as per-call `authorization: Bearer <token>` metadata,
// which works on plaintext and TLS channels alike.
#ifndef CHANGELEDGER_RPC_CLIENT_H_
#define CHANGELEDGER_RPC_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace grpc {
class Channel;
class ClientContext;
}  // namespace grpc

namespace changeledger::rpc {

struct ClientOptions {
  // "host:port" (or any gRPC target URI). Required.
  std::string target;
  // Bearer token sent on every call. Default: "" (no authorization header).
  std::string token;
  // PEM CA bundle to verify the server; set -> TLS. Default: "" (plaintext).
  std::string tls_root_cert_file;
  // PEM client certificate and key for mutual TLS (requires
  // tls_root_cert_file). Default: "".
  std::string tls_client_cert_file;
  std::string tls_client_key_file;
  // Override of the TLS target name (e.g. "localhost" when dialing
  // 127.0.0.1). Default: "" (from target).
  std::string tls_server_name;
  // Deadline of each call made with a context from ClientContextFactory.
  // Default: 30 s.
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  // Largest response message accepted. Default: 64 MiB.
  int max_receive_message_bytes = 64 * 1024 * 1024;
};

// A channel to options.target. Errors: INVALID_ARGUMENT for an empty target
// or a client certificate without key (or the reverse); NOT_FOUND when a
// PEM file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(const ClientOptions& options);

// Makes per-call contexts with the token and the deadline. Thread-safe.
class ClientContextFactory {
 public:
  explicit ClientContextFactory(const ClientOptions& options)
      : token_(options.token), timeout_(options.timeout) {}
  // A fresh context, deadline now + timeout.
  std::unique_ptr<grpc::ClientContext> New() const;
  // Adds the token and the deadline to an existing context.
  void Prepare(grpc::ClientContext* context) const;

 private:
  std::string token_;
  std::chrono::milliseconds timeout_;
};

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_CLIENT_H_
