// Configuration of a service from command-line flags, environment variables
// and an optional YAML file, validated once at start.
//
// Every setting has one dotted key (`grpc.listen`) from which its other
// names are derived:
//   flag:        --grpc-listen VALUE       ('.' and '_' become '-')
//   environment: CHANGELEDGER_GRPC_LISTEN  (upper case, '.' becomes '_')
//   YAML file:   grpc: { listen: VALUE }   (nested maps; named by --config
//                                           or CHANGELEDGER_CONFIG)
// Precedence: flag > environment > file > the default already in the target.
//
// A value that fails conversion or validation stops the service with a
// message naming the setting, e.g.
//   invalid setting grpc.listen ("abc"): expected host:port [from flag --grpc-listen]
// Unknown keys in the YAML file and unknown flags are errors too.
//
// Usage in main():
//   config::CommonOptions common{.service_name = "intake",
//                                .grpc_listen = "0.0.0.0:7001"};
//   MyOptions mine;
//   config::Settings settings("intake", "Change intake service");
//   config::AddCommonOptions(settings, common);
//   settings.AddInt("intake.max_batch", &mine.max_batch, "events per batch", 1, 1000);
//   settings.ParseOrExit(argc, argv);
//
// Thread safety: a Settings object belongs to one thread.
#ifndef CHANGELEDGER_CONFIG_CONFIG_H_
#define CHANGELEDGER_CONFIG_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace changeledger::config {

// Checks a raw value; returns an empty string when valid, otherwise what was
// expected ("expected host:port"), which becomes part of the error message.
using Validator = std::function<std::string(std::string_view raw)>;

// Looks up an environment variable; nullopt when unset. Tests inject a map.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup ProcessEnv();

// Validators for common shapes.
// "host:port" or "[v6addr]:port"; port 0..65535; host not empty. With
// `allow_empty`, the empty string is accepted too (meaning "disabled").
Validator HostPortValidator(bool allow_empty = false);
// One of the given words.
Validator OneOfValidator(std::vector<std::string> choices);
// An empty value, or the path of a readable regular file.
Validator ReadableFileValidator();
// An empty value, or the path of a readable file that holds secrets (the
// bearer tokens, a private key): other users may neither read nor write
// it (no "other" permission bits; the owner and the group may read, so
// that a Kubernetes secret mounted with its group set to the pod's
// fsGroup works with mode 0440). Symbolic links are followed.
Validator SecretFileValidator();

// The registered settings of one program and the parser that fills them.
class Settings {
 public:
  Settings(std::string program, std::string description);
  ~Settings();
  Settings(const Settings&) = delete;
  Settings& operator=(const Settings&) = delete;

  // Registers a setting. `key` is dotted lower_snake ("grpc.listen");
  // `target` must outlive Parse() and holds the default on entry.
  // Registering the same key twice is a programming error (Parse fails).
  Settings& AddString(const std::string& key, std::string* target,
                      const std::string& help, Validator validate = nullptr);
  // A string that is a secret (a bearer token): accepted from the
  // environment or the YAML file only, since a flag's value is visible to
  // every user of the machine (ps); given as a flag, Parse fails without
  // repeating the value. Describe() shows it as "<redacted>".
  Settings& AddSecret(const std::string& key, std::string* target,
                      const std::string& help);
  // Integers within [min, max]. Accepts decimal and the suffixes Ki, Mi, Gi
  // (binary multiples), e.g. "4Mi".
  Settings& AddInt(const std::string& key, int64_t* target, const std::string& help,
                   int64_t min, int64_t max);
  // Durations: a number with unit ms, s, m or h ("250ms", "30s", "2m").
  // Must be > 0.
  Settings& AddDuration(const std::string& key, std::chrono::milliseconds* target,
                        const std::string& help);
  // true/false, yes/no, 1/0, on/off. As a flag, `--key` alone means true.
  Settings& AddBool(const std::string& key, bool* target, const std::string& help);

  // A check across settings, run after every setting is set; returns an
  // error message (naming the settings) or an empty string.
  Settings& AddCheck(std::function<std::string()> check);

  // Parses flags (argv), then the environment, then the YAML file named by
  // --config / CHANGELEDGER_CONFIG, and writes every setting that was given
  // into its target. Returns INVALID_ARGUMENT with the message described at
  // the top of this file. When --help is given, returns OK without touching
  // the targets and help_requested() is true.
  absl::Status Parse(int argc, const char* const* argv, const EnvLookup& env = ProcessEnv());

  // For main(): Parse(); on --help prints Help() to stdout and exits 0; on
  // an error prints it to stderr and exits 2.
  void ParseOrExit(int argc, const char* const* argv);

  bool help_requested() const;
  // Every setting with its flag, environment variable, YAML key and default.
  std::string Help() const;
  // "key=value" lines of the effective configuration (for the start-up log).
  // Settings whose key ends in "token" or "secret" are shown as "<redacted>".
  std::string Describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Derived names of a dotted key.
std::string FlagName(std::string_view key);     // "--grpc-listen"
std::string EnvVarName(std::string_view key);   // "CHANGELEDGER_GRPC_LISTEN"

// Settings every service shares. Set the fields to the service's defaults
// before AddCommonOptions; keys and environment variables in brackets.
struct CommonOptions {
  // Name used in logs and metrics. [service.name, CHANGELEDGER_SERVICE_NAME]
  std::string service_name;
  // gRPC listen address host:port; port 0 picks a free port.
  // [grpc.listen, CHANGELEDGER_GRPC_LISTEN] Default: 127.0.0.1:0
  std::string grpc_listen = "127.0.0.1:0";
  // Prometheus /metrics listen address host:port; empty disables.
  // [metrics.listen, CHANGELEDGER_METRICS_LISTEN] Default: 127.0.0.1:0
  std::string metrics_listen = "127.0.0.1:0";
  // Directory of the service's RocksDB stores.
  // [data.dir, CHANGELEDGER_DATA_DIR] Default: "" (the service decides)
  std::string data_dir;
  // Bearer-token file (see libs/rpc/README.md).
  // [auth.tokens_file, CHANGELEDGER_AUTH_TOKENS_FILE] Default: "" (required to serve)
  std::string tokens_file;
  // PEM server certificate and key: both or neither; TLS when set.
  // [tls.cert_file, tls.key_file, CHANGELEDGER_TLS_CERT_FILE, CHANGELEDGER_TLS_KEY_FILE]
  std::string tls_cert_file;
  std::string tls_key_file;
  // PEM CA bundle; when set, clients must present a certificate it signed
  // (mutual TLS). Requires tls.cert_file. [tls.client_ca_file, CHANGELEDGER_TLS_CLIENT_CA_FILE]
  std::string tls_client_ca_file;
  // Largest accepted request message; larger ones get RESOURCE_EXHAUSTED.
  // [grpc.max_receive_message_bytes, CHANGELEDGER_GRPC_MAX_RECEIVE_MESSAGE_BYTES]
  // Default: 4 MiB
  int64_t max_receive_message_bytes = 4 * 1024 * 1024;
  // Calls one principal may have in progress; more: RESOURCE_EXHAUSTED.
  // [grpc.max_calls_per_principal, CHANGELEDGER_GRPC_MAX_CALLS_PER_PRINCIPAL]
  // Default: 256
  int64_t max_calls_per_principal = 256;
  // Threads the gRPC server may run calls on; more calls at once:
  // RESOURCE_EXHAUSTED. [grpc.max_threads, CHANGELEDGER_GRPC_MAX_THREADS] Default: 1024
  int64_t max_threads = 1024;
  // Time a new connection has to finish its TLS handshake and send its
  // HTTP/2 settings before it is closed.
  // [grpc.handshake_timeout, CHANGELEDGER_GRPC_HANDSHAKE_TIMEOUT] Default: 10s
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
  // A connection without a call for this long is closed (clients reconnect).
  // [grpc.max_connection_idle, CHANGELEDGER_GRPC_MAX_CONNECTION_IDLE] Default: 10m
  std::chrono::milliseconds max_connection_idle = std::chrono::minutes(10);
  // Deadline given to calls whose client set none.
  // [grpc.default_deadline, CHANGELEDGER_GRPC_DEFAULT_DEADLINE] Default: 30s
  std::chrono::milliseconds default_deadline = std::chrono::seconds(30);
  // Grace period for in-flight calls at shutdown.
  // [grpc.shutdown_grace, CHANGELEDGER_GRPC_SHUTDOWN_GRACE] Default: 10s
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);
  // Kafka bootstrap.servers, comma-separated host:port list.
  // [kafka.bootstrap_servers, CHANGELEDGER_KAFKA_BOOTSTRAP_SERVERS] Default: ""
  std::string kafka_bootstrap_servers;
  // How the Kafka clients (relay, consumers) reach the brokers: "plaintext"
  // or "ssl" (TLS; the brokers' certificates are verified, host name
  // included). [kafka.security_protocol, CHANGELEDGER_KAFKA_SECURITY_PROTOCOL]
  // Default: plaintext
  std::string kafka_security_protocol = "plaintext";
  // PEM CA bundle the brokers' certificates must chain to; empty: the
  // system's CAs. Requires ssl. [kafka.ssl_ca_file, CHANGELEDGER_KAFKA_SSL_CA_FILE]
  std::string kafka_ssl_ca_file;
  // PEM client certificate and key, for brokers that authenticate clients
  // by certificate (mutual TLS, e.g. a Strimzi KafkaUser with tls
  // authentication and ACLs): both or neither; require ssl.
  // [kafka.ssl_cert_file, kafka.ssl_key_file, CHANGELEDGER_KAFKA_SSL_CERT_FILE,
  // CHANGELEDGER_KAFKA_SSL_KEY_FILE]
  std::string kafka_ssl_cert_file;
  std::string kafka_ssl_key_file;
  // trace, debug, info, warn, error, off. [log.level, CHANGELEDGER_LOG_LEVEL] Default: info
  std::string log_level = "info";
};

// Registers the CommonOptions settings (and their cross-checks: TLS key and
// certificate together, client CA only with TLS, Kafka TLS files only with
// kafka.security_protocol ssl) on `settings`.
void AddCommonOptions(Settings& settings, CommonOptions& options);

// Registers the TLS files of a service as a client of another's gRPC
// service: `<prefix>_tls_root_cert_file` (the CA to verify it; set ->
// TLS), `<prefix>_tls_client_cert_file` and `<prefix>_tls_client_key_file`
// (for a server that requires client certificates; the key is a secret
// file), with their cross-checks: the certificate and key together, and
// only with the root certificate. `peer` names the server in the help
// ("intake's LogReader").
//
//   AddClientTlsSettings(settings, "portfolio.log_reader", "the log readers",
//                        &o.root_cert, &o.client_cert, &o.client_key);
void AddClientTlsSettings(Settings& settings, const std::string& prefix,
                          const std::string& peer, std::string* root_cert_file,
                          std::string* client_cert_file, std::string* client_key_file);

// The librdkafka properties (security.protocol, ssl.*) that the kafka.*
// settings ask for, for every producer and consumer of the service; empty
// for plaintext.
std::map<std::string, std::string> KafkaClientConfig(const CommonOptions& options);

// Makes `dir` (created with its parents if missing; when created, mode
// 0700, the service user's alone) the data directory of `service`, before
// any store in it is opened. The directory's file
// `SERVICE` names the service it belongs to; it is written on the first
// start. A directory whose `SERVICE` names another service is refused, and
// so is one made before that file existed that holds anything besides
// `entries` (the service's own stores, e.g. {"events", "view"}) and
// `lost+found`: a service pointed at another one's directory must not open,
// write or publish that service's stores. Errors: FAILED_PRECONDITION
// naming the directory and its owner; UNAVAILABLE when it cannot be
// created, read or marked.
absl::Status ClaimDataDir(const std::string& dir, std::string_view service,
                          const std::vector<std::string>& entries);

}  // namespace changeledger::config

#endif  // CHANGELEDGER_CONFIG_CONFIG_H_
