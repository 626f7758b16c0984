// Where changectl connects and which token it sends.
//
// Sources, highest first: command-line flags; environment
// (CHANGELEDGER_TOKEN); the config file; built-in defaults. The config
// file is --config, else $CHANGECTL_CONFIG, else the first
// `.run/changectl.yaml` found in the current directory or a parent
// (tools/run.sh writes it). Its format (every key optional):
//   server: 127.0.0.1:50051          # default for every service
//   intake: 127.0.0.1:50051
//   classification: 127.0.0.1:50052
//   portfolio: 127.0.0.1:50055
//   tokens_file: /abs/path/tokens.yaml   # libs/rpc format; for --as ROLE
//   role: portfolio_office               # default role when no token given
//   timeout: 10s                         # ms, s or m
//   tls_ca_file: ""                      # PEM CA: set -> TLS
//   tls_server_name: ""
//   tls_client_cert_file: ""             # PEM client certificate and key,
//   tls_client_key_file: ""              # for servers that require one (mTLS)
#ifndef CHANGELEDGER_CHANGECTL_CLIENT_CONFIG_H_
#define CHANGELEDGER_CHANGECTL_CLIENT_CONFIG_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace changeledger::changectl {

struct ClientConfig {
  // Service name ("intake", ...) -> address. Missing: `server`, then the
  // development default (intake 50051, classification 50052, portfolio
  // 50055 on 127.0.0.1).
  std::map<std::string, std::string> addresses;
  std::string server;
  std::string tokens_file;
  std::string role;
  std::string token;
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::string tls_ca_file;
  std::string tls_server_name;
  // Client certificate and key for mutual TLS: both or neither, and only
  // with tls_ca_file.
  std::string tls_client_cert_file;
  std::string tls_client_key_file;
  // The file the values came from ("" when none).
  std::string source;

  // The address of `service` by the rule above.
  std::string AddressOf(const std::string& service) const;
};

// Parses the YAML text of a config file. Relative paths of files
// (tokens_file and the three TLS files) are resolved against `base_dir`,
// the config file's folder; paths given as flags stay relative to the
// current directory. INVALID_ARGUMENT names a bad key or value.
absl::StatusOr<ClientConfig> ParseClientConfig(absl::string_view yaml, const std::string& base_dir);

// The TLS settings taken together, once the flags have overridden the
// config: a client certificate and key go together and need tls_ca_file,
// and the key must be a file other users can neither read nor write, the
// rule the services apply to their own secret files. INVALID_ARGUMENT
// naming the flags, the config keys and the file.
absl::Status CheckClientTls(const ClientConfig& config);

// Which config file applies: `flag`, else `env_value`, else the first
// `.run/changectl.yaml` in `cwd` or a parent; nullopt when none exists.
std::optional<std::string> FindConfigFile(const std::string& flag, const char* env_value,
                                          const std::string& cwd);

// "10s", "250ms", "2m" -> duration; INVALID_ARGUMENT otherwise.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(absl::string_view text);

// The token of the first principal in a libs/rpc tokens file (YAML) that
// has `role`. NOT_FOUND when the file cannot be read or no entry has it.
absl::StatusOr<std::string> TokenForRole(const std::string& tokens_file, const std::string& role);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_CLIENT_CONFIG_H_
