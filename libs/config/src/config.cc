#include "changeledger/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace changeledger::config {
namespace {

constexpr char kEnvPrefix[] = "CHANGELEDGER_";
constexpr char kConfigKey[] = "config";

// Converts a raw value and stores it; returns "" or what was expected.
using Apply = std::function<std::string(const std::string& raw)>;

struct Setting {
  std::string key;
  std::string help;
  std::string default_text;
  bool is_bool = false;
  // Never from a flag (see Settings::AddSecret), never shown.
  bool is_secret = false;
  Apply apply;
  std::function<std::string()> show;
  CLI::Option* option = nullptr;
};

bool ValidKey(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

bool ParsePort(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  int port = -1;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && ptr == text.data() + text.size() && port >= 0 && port <= 65535;
}

bool ValidHostPort(std::string_view value) {
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view host = value.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
  } else if (host.find(':') != std::string_view::npos ||
             host.find_first_of(" /[]") != std::string_view::npos) {
    return false;
  }
  return ParsePort(value.substr(colon + 1));
}

std::optional<int64_t> ParseInt(std::string text) {
  int64_t multiplier = 1;
  for (auto [suffix, factor] : {std::pair<const char*, int64_t>{"Ki", int64_t{1} << 10},
                                {"Mi", int64_t{1} << 20},
                                {"Gi", int64_t{1} << 30}}) {
    if (text.size() > 2 && text.ends_with(suffix)) {
      multiplier = factor;
      text.resize(text.size() - 2);
      break;
    }
  }
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  if (value > INT64_MAX / multiplier || value < INT64_MIN / multiplier) return std::nullopt;
  return value * multiplier;
}

std::optional<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) return std::nullopt;
  int64_t number = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  int64_t ms_per_unit = 0;
  if (unit == "ms") {
    ms_per_unit = 1;
  } else if (unit == "s") {
    ms_per_unit = 1000;
  } else if (unit == "m") {
    ms_per_unit = 60 * 1000;
  } else if (unit == "h") {
    ms_per_unit = 3600 * 1000;
  } else {
    return std::nullopt;
  }
  return std::chrono::milliseconds(number * ms_per_unit);
}

std::string FormatDuration(std::chrono::milliseconds d) {
  int64_t ms = d.count();
  if (ms != 0 && ms % 3600000 == 0) return absl::StrCat(ms / 3600000, "h");
  if (ms != 0 && ms % 60000 == 0) return absl::StrCat(ms / 60000, "m");
  if (ms != 0 && ms % 1000 == 0) return absl::StrCat(ms / 1000, "s");
  return absl::StrCat(ms, "ms");
}

std::optional<bool> ParseBool(std::string text) {
  absl::AsciiStrToLower(&text);
  if (text == "true" || text == "yes" || text == "1" || text == "on") return true;
  if (text == "false" || text == "no" || text == "0" || text == "off") return false;
  return std::nullopt;
}

// Flattens nested maps into dotted keys; sequences of scalars become
// comma-separated values; nulls are skipped.
std::string Flatten(const YAML::Node& node, const std::string& prefix,
                    std::map<std::string, std::string>* out) {
  if (node.IsNull()) return "";
  if (node.IsScalar()) {
    if (prefix.empty()) return "the file is not a map of settings";
    (*out)[prefix] = node.Scalar();
    return "";
  }
  if (node.IsSequence()) {
    if (prefix.empty()) return "the file is not a map of settings";
    std::vector<std::string> items;
    for (const auto& item : node) {
      if (!item.IsScalar()) return absl::StrCat(prefix, ": expected a list of values");
      items.push_back(item.Scalar());
    }
    (*out)[prefix] = absl::StrJoin(items, ",");
    return "";
  }
  for (const auto& entry : node) {
    std::string key = entry.first.as<std::string>();
    std::string full = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
    std::string error = Flatten(entry.second, full, out);
    if (!error.empty()) return error;
  }
  return "";
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Validator HostPortValidator(bool allow_empty) {
  return [allow_empty](std::string_view raw) -> std::string {
    if (raw.empty() && allow_empty) return "";
    return ValidHostPort(raw) ? "" : allow_empty ? "expected host:port or empty" : "expected host:port";
  };
}

Validator OneOfValidator(std::vector<std::string> choices) {
  return [choices = std::move(choices)](std::string_view raw) -> std::string {
    if (std::find(choices.begin(), choices.end(), raw) != choices.end()) return "";
    return absl::StrCat("expected one of ", absl::StrJoin(choices, ", "));
  };
}

Validator ReadableFileValidator() {
  return [](std::string_view raw) -> std::string {
    if (raw.empty()) return "";
    std::ifstream in{std::string(raw)};
    if (!in.good()) return "expected a readable file";
    return "";
  };
}

Validator SecretFileValidator() {
  return [](std::string_view raw) -> std::string {
    if (raw.empty()) return "";
    const std::string unreadable = ReadableFileValidator()(raw);
    if (!unreadable.empty()) return unreadable;
    struct stat info;
    if (stat(std::string(raw).c_str(), &info) != 0) return "expected a readable file";
    const mode_t others = info.st_mode & S_IRWXO;
    if (others == 0) return "";
    // Whoever may read it may call as every principal it names (tokens),
    // or pose as the service (a key).
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o",
                  static_cast<unsigned>(info.st_mode & 07777));
    return absl::StrCat(
        "expected a file other users can neither read nor write, as it holds "
        "secrets (its mode is ",
        mode, "; chmod o-rwx it)");
  };
}

std::string FlagName(std::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '.', '-');
  std::replace(name.begin(), name.end(), '_', '-');
  return absl::StrCat("--", name);
}

std::string EnvVarName(std::string_view key) {
  std::string name = absl::AsciiStrToUpper(std::string(key));
  std::replace(name.begin(), name.end(), '.', '_');
  return absl::StrCat(kEnvPrefix, name);
}

struct Settings::Impl {
  std::string program;
  std::string description;
  std::vector<std::unique_ptr<Setting>> settings;
  std::vector<std::function<std::string()>> checks;
  std::vector<std::string> registration_errors;
  bool help_requested = false;

  Settings& Add(Settings& self, std::unique_ptr<Setting> setting) {
    if (!ValidKey(setting->key)) {
      registration_errors.push_back(absl::StrCat("malformed setting key \"", setting->key, "\""));
    } else if (setting->key == kConfigKey) {
      registration_errors.push_back("setting key \"config\" is reserved");
    } else {
      for (const auto& existing : settings) {
        if (existing->key == setting->key) {
          registration_errors.push_back(
              absl::StrCat("setting ", setting->key, " registered twice"));
        }
      }
    }
    setting->default_text = setting->show();
    settings.push_back(std::move(setting));
    return self;
  }
};

Settings::Settings(std::string program, std::string description)
    : impl_(std::make_unique<Impl>()) {
  impl_->program = std::move(program);
  impl_->description = std::move(description);
}

Settings::~Settings() = default;

Settings& Settings::AddString(const std::string& key, std::string* target,
                              const std::string& help, Validator validate) {
  auto setting = std::make_unique<Setting>();
  setting->key = key;
  setting->help = help;
  setting->apply = [target, validate](const std::string& raw) -> std::string {
    if (validate) {
      std::string expected = validate(raw);
      if (!expected.empty()) return expected;
    }
    *target = raw;
    return "";
  };
  setting->show = [target] { return *target; };
  return impl_->Add(*this, std::move(setting));
}

Settings& Settings::AddSecret(const std::string& key, std::string* target,
                              const std::string& help) {
  AddString(key, target, help);
  impl_->settings.back()->is_secret = true;
  return *this;
}

Settings& Settings::AddInt(const std::string& key, int64_t* target, const std::string& help,
                           int64_t min, int64_t max) {
  auto setting = std::make_unique<Setting>();
  setting->key = key;
  setting->help = help;
  setting->apply = [target, min, max](const std::string& raw) -> std::string {
    auto value = ParseInt(raw);
    if (!value || *value < min || *value > max) {
      return absl::StrCat("expected an integer in [", min, ", ", max, "]");
    }
    *target = *value;
    return "";
  };
  setting->show = [target] { return absl::StrCat(*target); };
  return impl_->Add(*this, std::move(setting));
}

Settings& Settings::AddDuration(const std::string& key, std::chrono::milliseconds* target,
                                const std::string& help) {
  auto setting = std::make_unique<Setting>();
  setting->key = key;
  setting->help = help;
  setting->apply = [target](const std::string& raw) -> std::string {
    auto value = ParseDuration(raw);
    if (!value || value->count() <= 0) {
      return "expected a positive duration such as 250ms, 30s, 2m or 1h";
    }
    *target = *value;
    return "";
  };
  setting->show = [target] { return FormatDuration(*target); };
  return impl_->Add(*this, std::move(setting));
}

Settings& Settings::AddBool(const std::string& key, bool* target, const std::string& help) {
  auto setting = std::make_unique<Setting>();
  setting->key = key;
  setting->help = help;
  setting->is_bool = true;
  setting->apply = [target](const std::string& raw) -> std::string {
    auto value = ParseBool(raw);
    if (!value) return "expected true or false";
    *target = *value;
    return "";
  };
  setting->show = [target] { return *target ? std::string("true") : std::string("false"); };
  return impl_->Add(*this, std::move(setting));
}

Settings& Settings::AddCheck(std::function<std::string()> check) {
  impl_->checks.push_back(std::move(check));
  return *this;
}

bool Settings::help_requested() const { return impl_->help_requested; }

absl::Status Settings::Parse(int argc, const char* const* argv, const EnvLookup& env) {
  impl_->help_requested = false;
  if (!impl_->registration_errors.empty()) {
    return absl::InternalError(absl::StrJoin(impl_->registration_errors, "; "));
  }
  // 1. Flags, through CLI11 (raw strings only; conversion happens below so
  //    that every source gets the same checks and the same messages).
  CLI::App app(impl_->description, impl_->program);
  std::string config_file;
  CLI::Option* config_option =
      app.add_option(FlagName(kConfigKey), config_file,
                     absl::StrCat("YAML configuration file [env ", EnvVarName(kConfigKey), "]"));
  for (auto& setting : impl_->settings) {
    setting->option = app.add_option(FlagName(setting->key))->description(setting->help);
    if (setting->is_bool) setting->option->expected(0, 1);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    impl_->help_requested = true;
    return absl::OkStatus();
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(e.what());
  }

  // 2. The YAML file (flag, then environment).
  std::map<std::string, std::string> file_values;
  if (config_option->count() == 0) {
    if (auto from_env = env(EnvVarName(kConfigKey))) config_file = *from_env;
  }
  if (!config_file.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(config_file);
    } catch (const YAML::BadFile&) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid setting config (\"", config_file, "\"): expected a readable file"));
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", config_file, ": ", e.what()));
    }
    std::string error = Flatten(root, "", &file_values);
    if (!error.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("config file ", config_file, ": ", error));
    }
    for (const auto& [key, value] : file_values) {
      bool known = std::any_of(impl_->settings.begin(), impl_->settings.end(),
                               [&](const auto& s) { return s->key == key; });
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown setting ", key, " in config file ", config_file));
      }
    }
  }

  // 3. Resolve each setting: flag > environment > file > default.
  for (auto& setting : impl_->settings) {
    std::optional<std::string> raw;
    std::string source;
    if (setting->option->count() > 0 && setting->is_secret) {
      // Not even the value goes into the message.
      return absl::InvalidArgumentError(absl::StrCat(
          "setting ", setting->key, " is a secret, and ", FlagName(setting->key),
          " would show it to every user of the machine (ps, /proc/<pid>/cmdline): ",
          "give it in ", EnvVarName(setting->key), " or the config file"));
    }
    if (setting->option->count() > 0) {
      const auto& results = setting->option->results();
      raw = results.empty() ? std::string() : results.back();
      // A bool flag given alone ("--follow") means true.
      if (setting->is_bool && raw->empty()) raw = "true";
      source = absl::StrCat("flag ", FlagName(setting->key));
    } else if (auto from_env = env(EnvVarName(setting->key))) {
      raw = *from_env;
      source = absl::StrCat("environment ", EnvVarName(setting->key));
    } else if (auto it = file_values.find(setting->key); it != file_values.end()) {
      raw = it->second;
      source = absl::StrCat("file ", config_file);
    }
    if (!raw) continue;
    std::string expected = setting->apply(*raw);
    if (!expected.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid setting ", setting->key, " (\"",
                       setting->is_secret ? "<redacted>" : *raw, "\"): ", expected,
                       " [from ", source, "]"));
    }
  }
  for (const auto& check : impl_->checks) {
    std::string error = check();
    if (!error.empty()) return absl::InvalidArgumentError(error);
  }
  return absl::OkStatus();
}

void Settings::ParseOrExit(int argc, const char* const* argv) {
  absl::Status status = Parse(argc, argv);
  if (help_requested()) {
    std::cout << Help();
    std::exit(0);
  }
  if (!status.ok()) {
    std::cerr << impl_->program << ": " << status.message() << "\n";
    std::exit(2);
  }
}

std::string Settings::Help() const {
  std::ostringstream out;
  out << impl_->program << ": " << impl_->description << "\n\n"
      << "Each setting can be given as a flag, an environment variable or a key of\n"
      << "the YAML file named by --config (or " << EnvVarName(kConfigKey)
      << "); flags win over the\nenvironment, the environment over the file.\n\n";
  for (const auto& setting : impl_->settings) {
    out << "  " << FlagName(setting->key) << (setting->is_bool ? " [BOOL]" : " VALUE")
        << "\n"
        << "      " << setting->help
        << (setting->is_secret ? " (a secret: environment or file only, never a flag)"
                               : "")
        << "\n"
        << "      env " << EnvVarName(setting->key) << ", yaml " << setting->key
        << ", default \"" << setting->default_text << "\"\n";
  }
  out << "  --config FILE\n      YAML configuration file\n  --help\n      this text\n";
  return out.str();
}

std::string Settings::Describe() const {
  std::vector<std::string> lines;
  for (const auto& setting : impl_->settings) {
    bool secret = setting->is_secret || setting->key.ends_with("token") ||
                  setting->key.ends_with("secret");
    lines.push_back(absl::StrCat(setting->key, "=", secret ? "<redacted>" : setting->show()));
  }
  return absl::StrJoin(lines, "\n");
}

namespace {

// Files for TLS to Kafka mean nothing without it, and a client certificate
// nothing without its key: either is a mistake to stop at.
std::string CheckKafkaTls(const CommonOptions& options) {
  const bool files = !options.kafka_ssl_ca_file.empty() ||
                     !options.kafka_ssl_cert_file.empty() ||
                     !options.kafka_ssl_key_file.empty();
  if (files && options.kafka_security_protocol != "ssl") {
    return "invalid settings kafka.ssl_*: they need kafka.security_protocol ssl";
  }
  if (options.kafka_ssl_cert_file.empty() != options.kafka_ssl_key_file.empty()) {
    return "invalid settings kafka.ssl_cert_file and kafka.ssl_key_file: give both or "
           "neither";
  }
  return "";
}

}  // namespace

void AddCommonOptions(Settings& settings, CommonOptions& options) {
  settings
      .AddString("service.name", &options.service_name,
                 "Service name used in logs and metrics")
      .AddString("grpc.listen", &options.grpc_listen,
                 "gRPC listen address host:port (port 0: a free port)",
                 HostPortValidator())
      .AddString("metrics.listen", &options.metrics_listen,
                 "Prometheus /metrics listen address host:port (empty: disabled)",
                 HostPortValidator(/*allow_empty=*/true))
      .AddString("data.dir", &options.data_dir,
                 "Directory of the service's RocksDB stores")
      .AddString("auth.tokens_file", &options.tokens_file,
                 "Bearer-token file (YAML, see libs/rpc/README.md); other users may not "
                 "read it",
                 SecretFileValidator())
      .AddString("tls.cert_file", &options.tls_cert_file, "PEM server certificate chain",
                 ReadableFileValidator())
      .AddString("tls.key_file", &options.tls_key_file,
                 "PEM server private key; other users may not read it",
                 SecretFileValidator())
      .AddString("tls.client_ca_file", &options.tls_client_ca_file,
                 "PEM CA bundle; set: clients must present a certificate (mutual TLS)",
                 ReadableFileValidator())
      .AddInt("grpc.max_receive_message_bytes", &options.max_receive_message_bytes,
              "Largest accepted request in bytes (suffixes Ki, Mi, Gi)", 1024,
              int64_t{1} << 30)
      .AddInt(
          "grpc.max_calls_per_principal", &options.max_calls_per_principal,
          "Calls one principal may have in progress at once (more: RESOURCE_EXHAUSTED)",
          1, 100000)
      .AddInt("grpc.max_threads", &options.max_threads,
              "Threads the gRPC server may run calls on (more calls at once: "
              "RESOURCE_EXHAUSTED)",
              2, 100000)
      .AddDuration(
          "grpc.handshake_timeout", &options.handshake_timeout,
          "Time a new connection has to finish its TLS handshake and send its HTTP/2 "
          "settings before it is closed")
      .AddDuration(
          "grpc.max_connection_idle", &options.max_connection_idle,
          "A connection without a call for this long is closed (clients reconnect)")
      .AddDuration("grpc.default_deadline", &options.default_deadline,
                   "Deadline of calls whose client set none (e.g. 30s)")
      .AddDuration("grpc.shutdown_grace", &options.shutdown_grace,
                   "Time in-flight calls get to finish at shutdown")
      .AddString("kafka.bootstrap_servers", &options.kafka_bootstrap_servers,
                 "Kafka bootstrap.servers: comma-separated host:port list",
                 [](std::string_view raw) -> std::string {
                   if (raw.empty()) return "";
                   std::vector<std::string> parts = absl::StrSplit(std::string(raw), ',');
                   for (const std::string& part : parts) {
                     std::string trimmed(part);
                     absl::StripAsciiWhitespace(&trimmed);
                     if (!ValidHostPort(trimmed)) {
                       return "expected a comma-separated list of host:port";
                     }
                   }
                   return "";
                 })
      .AddString("kafka.security_protocol", &options.kafka_security_protocol,
                 "plaintext or ssl (TLS to the brokers, their certificates verified)",
                 OneOfValidator({"plaintext", "ssl"}))
      .AddString("kafka.ssl_ca_file", &options.kafka_ssl_ca_file,
                 "PEM CA bundle for the brokers' certificates (empty: the system's)",
                 ReadableFileValidator())
      .AddString(
          "kafka.ssl_cert_file", &options.kafka_ssl_cert_file,
          "PEM client certificate for brokers that authenticate clients (mutual TLS)",
          ReadableFileValidator())
      .AddString("kafka.ssl_key_file", &options.kafka_ssl_key_file,
                 "PEM client key for kafka.ssl_cert_file; other users may not read it",
                 SecretFileValidator())
      .AddString("log.level", &options.log_level, "Log level",
                 OneOfValidator({"trace", "debug", "info", "warn", "error", "off"}))
      .AddCheck([&options]() -> std::string {
        if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
          return "invalid settings tls.cert_file and tls.key_file: give both or neither";
        }
        if (!options.tls_client_ca_file.empty() && options.tls_cert_file.empty()) {
          return "invalid setting tls.client_ca_file: mutual TLS needs tls.cert_file and "
                 "tls.key_file";
        }
        return CheckKafkaTls(options);
      });
}

void AddClientTlsSettings(Settings& settings, const std::string& prefix,
                          const std::string& peer, std::string* root_cert_file,
                          std::string* client_cert_file, std::string* client_key_file) {
  const std::string root_key = prefix + "_tls_root_cert_file";
  const std::string cert_key = prefix + "_tls_client_cert_file";
  const std::string key_key = prefix + "_tls_client_key_file";
  settings
      .AddString(root_key, root_cert_file, "PEM CA bundle for TLS to " + peer,
                 ReadableFileValidator())
      .AddString(
          cert_key, client_cert_file,
          "PEM client certificate for " + peer + " when they require one (mutual TLS)",
          ReadableFileValidator())
      .AddString(key_key, client_key_file,
                 "PEM key of " + cert_key + "; other users may not read it",
                 SecretFileValidator())
      .AddCheck([=]() -> std::string {
        if (client_cert_file->empty() != client_key_file->empty()) {
          return "invalid settings " + cert_key + " and " + key_key +
                 ": give both or neither";
        }
        if (!client_cert_file->empty() && root_cert_file->empty()) {
          return "invalid setting " + cert_key + ": mutual TLS needs " + root_key;
        }
        return "";
      });
}

std::map<std::string, std::string> KafkaClientConfig(const CommonOptions& options) {
  if (options.kafka_security_protocol != "ssl") return {};
  std::map<std::string, std::string> config = {
      {"security.protocol", "ssl"},
      // librdkafka's default since 2.0, stated so that no build or later
      // default can turn the check of the broker's name off.
      {"ssl.endpoint.identification.algorithm", "https"},
  };
  if (!options.kafka_ssl_ca_file.empty())
    config["ssl.ca.location"] = options.kafka_ssl_ca_file;
  if (!options.kafka_ssl_cert_file.empty()) {
    config["ssl.certificate.location"] = options.kafka_ssl_cert_file;
    config["ssl.key.location"] = options.kafka_ssl_key_file;
  }
  return config;
}

namespace {

constexpr char kOwnerFile[] = "SERVICE";

// Writes `path` with `text` durably: a temporary file, fsync, rename, and an
// fsync of the directory. Returns "" or what failed.
std::string WriteFileDurably(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::StrCat("cannot create ", tmp.string(), ": ", std::strerror(errno));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int write_errno = errno;
  const bool synced = written && ::fsync(fd) == 0;
  const int sync_errno = errno;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(tmp.c_str());
    return absl::StrCat("cannot write ", tmp.string(), ": ",
                        std::strerror(written ? sync_errno : write_errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::StrCat("cannot rename ", tmp.string(), ": ", std::strerror(errno));
  }
  int dir = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return "";
}

}  // namespace

absl::Status ClaimDataDir(const std::string& dir, std::string_view service,
                          const std::vector<std::string>& entries) {
  namespace fs = std::filesystem;
  const std::string name(service);
  std::error_code ec;
  const bool created = fs::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("data.dir: cannot create ", dir, ": ", ec.message()));
  }
  if (created) {
    // The stores hold every proposal and who made it: a directory made
    // here is the service user's alone, whatever the umask.
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("data.dir: cannot restrict ", dir,
                                                 " to its owner: ", ec.message()));
    }
  }
  const fs::path owner_file = fs::path(dir) / kOwnerFile;
  if (fs::exists(owner_file, ec)) {
    std::ifstream in(owner_file);
    std::string owner;
    if (!in || !std::getline(in, owner)) {
      return absl::UnavailableError(
          absl::StrCat("data.dir: cannot read ", owner_file.string()));
    }
    absl::StripAsciiWhitespace(&owner);
    if (owner != name) {
      return absl::FailedPreconditionError(absl::StrCat(
          "data.dir: ", dir, " is the data directory of ", owner.empty() ? "(empty)" : owner,
          " (", owner_file.string(), "), not of ", name,
          "; give each service a directory of its own"));
    }
    return absl::OkStatus();
  }
  // Made before the owner file existed, or new: claim it only if nothing in
  // it belongs to someone else.
  std::vector<std::string> foreign;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string entry = it->path().filename().string();
    if (entry == "lost+found" || entry == absl::StrCat(kOwnerFile, ".tmp") ||
        std::find(entries.begin(), entries.end(), entry) != entries.end()) {
      continue;
    }
    foreign.push_back(std::move(entry));
  }
  if (ec) {
    return absl::UnavailableError(absl::StrCat("data.dir: cannot list ", dir, ": ", ec.message()));
  }
  if (!foreign.empty()) {
    std::sort(foreign.begin(), foreign.end());
    return absl::FailedPreconditionError(absl::StrCat(
        "data.dir: ", dir, " holds ", absl::StrJoin(foreign, ", "), ", which ", name,
        " does not keep there (", name, " keeps ", absl::StrJoin(entries, ", "),
        "): it looks like another service's data directory; give each service one of its own"));
  }
  if (std::string error = WriteFileDurably(owner_file, absl::StrCat(name, "\n"));
      !error.empty()) {
    return absl::UnavailableError(absl::StrCat("data.dir: ", error));
  }
  return absl::OkStatus();
}

}  // namespace changeledger::config
