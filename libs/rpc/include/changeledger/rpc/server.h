// rpc::Server: how every changeledger service is served.
//
// One gRPC server with
//  - the services of the process, each guarded by bearer-token
//    authentication and a per-method role policy (see auth.h);
//  - the standard grpc.health.v1 health service, driven by a dependency
//    tracker: overall ("") and per-service status are NOT_SERVING while a
//    required dependency is down; each dependency also has its own status
//    name "dependency/<name>";
//  - server reflection (v1alpha);
//  - an explicit maximum receive size (RESOURCE_EXHAUSTED past it);
//  - a server-side default deadline for calls without one: the call is
//    cancelled when it passes (the client sees CANCELLED), and
//    EffectiveDeadline() tells the handler when that will be;
//  - per-RPC metrics changeledger_rpc_requests_total{service,method,code}
//    and changeledger_rpc_duration_seconds{service,method};
//  - one log line per call (debug; auth rejections at info; server-side
//    errors at warn);
//  - TLS or mutual TLS from PEM files when configured.
//
// Lifecycle: Create -> AddService... -> Start -> (serve) -> Shutdown.
// Services are synchronous gRPC services (`XImpl final : public X::Service`)
// and must outlive the Server.
//
// Thread safety: AddService/DeclareDependency before Start, from one
// thread; SetDependencyHealthy, port() and Shutdown from any thread.
#ifndef CHANGELEDGER_RPC_SERVER_H_
#define CHANGELEDGER_RPC_SERVER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "changeledger/config/config.h"
#include "changeledger/rpc/auth.h"

namespace grpc {
class Service;
}  // namespace grpc

namespace changeledger::metrics {
class Registry;
}  // namespace changeledger::metrics

namespace changeledger::rpc {

struct TlsFiles {
  // PEM certificate chain and private key of the server. Both or neither.
  // Default: "" (plaintext).
  std::string cert_file;
  std::string key_file;
  // PEM CA bundle. When set, clients must present a certificate signed by
  // it (mutual TLS). Default: "" (no client certificate required).
  std::string client_ca_file;
};

struct ServerOptions {
  // Name used in logs. Default: "".
  std::string service_name;
  // "host:port"; port 0 picks a free port (see Server::port()).
  // Default: 127.0.0.1:0.
  std::string listen_address = "127.0.0.1:0";
  // The tokens (see auth.h). Required: Create fails without one.
  std::shared_ptr<const TokenTable> tokens;
  // Default: plaintext.
  TlsFiles tls;
  // Largest accepted request message. Default: 4 MiB.
  int64_t max_receive_message_bytes = 4 * 1024 * 1024;
  // Deadline for calls whose client set none. Default: 30 s.
  std::chrono::milliseconds default_deadline = std::chrono::seconds(30);
  // How long a new connection may take to finish its TLS handshake and
  // send its HTTP/2 settings; past it the server closes the connection.
  // Anyone who can reach the port can open connections and send nothing:
  // with gRPC's default of 120 s, a few hundred such connections a second
  // held every file descriptor the process may open. Default: 10 s.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
  // A connection without a call for this long is closed (GOAWAY; a gRPC
  // client reconnects on its next call), so that connections nobody uses
  // do not hold descriptors for ever. Default: 10 min.
  std::chrono::milliseconds max_connection_idle = std::chrono::minutes(10);
  // Threads the server keeps waiting for calls when they finish one (the
  // synchronous server's MAX_POLLERS). A handler that blocks (a synced
  // append) holds its thread, so N concurrent calls need about N threads;
  // a thread finishing a call while this many others already wait ends,
  // and the next call past the waiting ones starts a new one. gRPC's
  // default of 2 turns every call under load into a thread start and exit.
  // Default: 64.
  int max_idle_threads = 64;
  // Calls one principal may have in progress at once; past it a call is
  // answered RESOURCE_EXHAUSTED before its request is parsed. Each call
  // holds a server thread while its handler runs (a streaming call for as
  // long as it stays open), so this keeps one caller, or one leaked token,
  // from starting threads until the process runs out of memory.
  // Default: 256.
  int max_calls_per_principal = 256;
  // Threads the server may run handlers on, in total (gRPC's thread quota);
  // a call that arrives while all are busy is answered RESOURCE_EXHAUSTED
  // at once. The bound for what the per-principal limit leaves open: many
  // principals at once, and calls rejected before authentication.
  // Default: 1024.
  int max_threads = 1024;
  // Per-RPC metrics go here when set. Not owned; must outlive the Server.
  // Default: none.
  metrics::Registry* metrics = nullptr;
};

// ServerOptions from the shared configuration; loads the tokens file.
// Errors: those of TokenTable::FromFile; INVALID_ARGUMENT when
// auth.tokens_file is empty.
absl::StatusOr<ServerOptions> ServerOptionsFrom(const config::CommonOptions& common,
                                                metrics::Registry* metrics);

enum class DependencyKind {
  // Down -> the whole server reports NOT_SERVING.
  kRequired,
  // Down -> only "dependency/<name>" reports NOT_SERVING (degraded, e.g. the
  // broker for a writing service, which keeps accepting commands).
  kOptional,
};

class Server {
 public:
  // Errors: INVALID_ARGUMENT for missing tokens, a malformed listen address
  // or a bad size/deadline/thread count/call limit; NOT_FOUND when a TLS file cannot be
  // read.
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerOptions options);

  // Calls Shutdown(0) if still serving.
  virtual ~Server() = default;

  // Registers a synchronous service with its policy (before Start).
  // Errors: INVALID_ARGUMENT if `policy` names a method the service does not
  // have; FAILED_PRECONDITION for async/callback methods (not guarded) or
  // after Start.
  virtual absl::Status AddService(grpc::Service* service, MethodPolicy policy) = 0;

  // Declares a dependency and its kind; it starts healthy = `initially_up`.
  // A dependency first named by SetDependencyHealthy is kRequired.
  virtual void DeclareDependency(const std::string& name, DependencyKind kind,
                                 bool initially_up = true) = 0;
  // Reports a dependency up or down; updates health at once (also before
  // Start: the state applies when serving starts).
  virtual void SetDependencyHealthy(const std::string& name, bool healthy) = 0;
  // True while serving and every required dependency is up.
  virtual bool Serving() const = 0;

  // Binds and starts serving. Errors: UNAVAILABLE if the address cannot be
  // bound; FAILED_PRECONDITION if already started.
  virtual absl::Status Start() = 0;
  // The bound port (after Start).
  virtual int port() const = 0;

  // Reports NOT_SERVING from now on, everywhere, and keeps serving calls:
  // the first step of Shutdown, for a service that must end some calls of
  // its own (a log reader's followers) before Shutdown waits for the rest.
  // Idempotent.
  virtual void StopServing() = 0;
  // StopServing, then stops accepting calls (a health probe then fails to
  // connect), lets in-flight calls finish for up to `grace`, then cancels
  // the rest. Idempotent.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;
};

}  // namespace changeledger::rpc

#endif  // CHANGELEDGER_RPC_SERVER_H_
