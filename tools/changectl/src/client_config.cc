#include "changeledger/changectl/client_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "changeledger/config/config.h"

namespace changeledger::changectl {

std::string ClientConfig::AddressOf(const std::string& service) const {
  if (auto it = addresses.find(service); it != addresses.end() && !it->second.empty()) {
    return it->second;
  }
  if (!server.empty()) return server;
  if (service == "classification") return "127.0.0.1:50052";
  if (service == "portfolio") return "127.0.0.1:50055";
  return "127.0.0.1:50051";
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(absl::string_view text) {
  std::string s(absl::StripAsciiWhitespace(text));
  struct Unit {
    const char* suffix;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}};
  for (const Unit& u : kUnits) {
    const std::string suffix = u.suffix;
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0) {
      int64_t n = 0;
      if (absl::SimpleAtoi(s.substr(0, s.size() - suffix.size()), &n) && n > 0) {
        return std::chrono::milliseconds(n * u.ms);
      }
      break;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a duration (expected e.g. 500ms, 10s, 2m)"));
}

namespace {

// A file named in the config, relative paths taken from the config file's
// folder: the config means the same files from whichever folder changectl
// runs in (tools/run.sh writes one next to the stack's files).
std::string PathFromConfig(const std::string& value, const std::string& base_dir) {
  if (value.empty()) return "";
  std::filesystem::path p(value);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  return p.lexically_normal().string();
}

}  // namespace

absl::StatusOr<ClientConfig> ParseClientConfig(absl::string_view yaml, const std::string& base_dir) {
  ClientConfig config;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("not valid YAML: ", e.what()));
  }
  if (root.IsNull()) return config;
  if (!root.IsMap()) return absl::InvalidArgumentError("expected a map of settings");
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    if (!entry.second.IsScalar() && !entry.second.IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": expected a single value"));
    }
    const std::string value = entry.second.IsNull() ? "" : entry.second.as<std::string>();
    if (key == "server") {
      config.server = value;
    } else if (key == "intake" || key == "classification" || key == "portfolio" ||
               key == "recommendations" || key == "benefits") {
      config.addresses[key] = value;
    } else if (key == "tokens_file") {
      config.tokens_file = PathFromConfig(value, base_dir);
    } else if (key == "role") {
      config.role = value;
    } else if (key == "token") {
      config.token = value;
    } else if (key == "timeout") {
      auto d = ParseDuration(value);
      if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("timeout: ", d.status().message()));
      config.timeout = *d;
    } else if (key == "tls_ca_file") {
      config.tls_ca_file = PathFromConfig(value, base_dir);
    } else if (key == "tls_server_name") {
      config.tls_server_name = value;
    } else if (key == "tls_client_cert_file") {
      config.tls_client_cert_file = PathFromConfig(value, base_dir);
    } else if (key == "tls_client_key_file") {
      config.tls_client_key_file = PathFromConfig(value, base_dir);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown key \"", key, "\""));
    }
  }
  return config;
}

absl::Status CheckClientTls(const ClientConfig& config) {
  if (config.tls_client_cert_file.empty() != config.tls_client_key_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate and its key go together: give both --tls-cert and "
        "--tls-key (config tls_client_cert_file and tls_client_key_file) or neither");
  }
  if (config.tls_client_cert_file.empty()) return absl::OkStatus();
  if (config.tls_ca_file.empty()) {
    return absl::InvalidArgumentError(
        "a TLS client certificate (--tls-cert, config tls_client_cert_file) needs TLS: "
        "give the CA of the servers' certificates too (--tls-ca, config tls_ca_file)");
  }
  // Whoever can read the key can pose as this client to every service that
  // trusts its certificate: the check the services make of their own keys.
  const std::string expected = config::SecretFileValidator()(config.tls_client_key_file);
  if (!expected.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS client key ", config.tls_client_key_file,
                     " (--tls-key, config tls_client_key_file): ", expected));
  }
  return absl::OkStatus();
}

std::optional<std::string> FindConfigFile(const std::string& flag, const char* env_value,
                                          const std::string& cwd) {
  if (!flag.empty()) return flag;
  if (env_value != nullptr && *env_value != '\0') return std::string(env_value);
  std::error_code ec;
  for (std::filesystem::path dir(cwd); !dir.empty(); dir = dir.parent_path()) {
    const auto candidate = dir / ".run" / "changectl.yaml";
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    if (dir == dir.root_path()) break;
  }
  return std::nullopt;
}

absl::StatusOr<std::string> TokenForRole(const std::string& tokens_file, const std::string& role) {
  if (tokens_file.empty()) {
    return absl::NotFoundError(absl::StrCat("no tokens file is configured to find a ", role,
                                            " token (tokens_file in the config)"));
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(tokens_file);
  } catch (const YAML::Exception& e) {
    return absl::NotFoundError(absl::StrCat("cannot read tokens file ", tokens_file, ": ", e.what()));
  }
  const YAML::Node tokens = root["tokens"];
  if (tokens && tokens.IsSequence()) {
    for (const auto& entry : tokens) {
      const YAML::Node roles = entry["roles"];
      if (!roles || !roles.IsSequence() || !entry["token"]) continue;
      for (const auto& r : roles) {
        if (r.as<std::string>() == role) return entry["token"].as<std::string>();
      }
    }
  }
  return absl::NotFoundError(absl::StrCat("no token with role ", role, " in ", tokens_file));
}

}  // namespace changeledger::changectl
