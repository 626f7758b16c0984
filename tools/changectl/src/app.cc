#include "app.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <google/protobuf/util/json_util.h>

#include "absl/strings/str_cat.h"
#include "changeledger/errors/status_macros.h"

namespace changeledger::changectl {

void App::Define(CLI::App* sub, std::function<int()> fn) {
  sub->callback([this, fn = std::move(fn)] { action = fn; });
}

std::string ExampleFooter(const std::vector<std::string>& examples) {
  std::string out = examples.size() == 1 ? "\nExample:\n" : "\nExamples:\n";
  for (const auto& e : examples) absl::StrAppend(&out, "  ", e, "\n");
  return out;
}

std::string CommandLineError(const CLI::App* cli, const CLI::Error& error) {
  // The last command given; it is the one missing its subcommand, if any is.
  const CLI::App* command = cli;
  std::string path = cli->get_name();
  while (!command->get_subcommands().empty()) {
    command = command->get_subcommands().front();
    absl::StrAppend(&path, " ", command->get_name());
  }
  // Words no command took end up with the root (commands fall through to it).
  const std::vector<std::string> extra = cli->remaining(/*recurse=*/true);
  if (command->get_require_subcommand_min() > 0 && !extra.empty()) {
    const bool option = extra.front().starts_with("-");
    return absl::StrCat("changectl: unknown ", option ? "option" : "command", " \"",
                        extra.front(), "\"; see ", path, " --help\n");
  }
  return CLI::FailureMessage::simple(cli, error);
}

void PrintNextPage(const std::string& token) {
  if (!token.empty()) std::cerr << "next page: --page-token " << token << std::endl;
}

absl::Status App::Resolve() {
  if (resolved_) return absl::OkStatus();
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  const auto file = FindConfigFile(config_flag, std::getenv("CHANGECTL_CONFIG"), cwd);
  if (file) {
    std::ifstream in(*file);
    if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read config file ", *file));
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = ParseClientConfig(
        text.str(), std::filesystem::path(*file).parent_path().string());
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", *file, ": ", parsed.status().message()));
    }
    config_ = *parsed;
    config_.source = *file;
  }
  if (!server_flag.empty()) {
    config_.server = server_flag;
    config_.addresses.clear();
  }
  for (const auto& [service, address] : service_flags) {
    if (!address.empty()) config_.addresses[service] = address;
  }
  if (!timeout_flag.empty()) {
    auto d = ParseDuration(timeout_flag);
    if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--timeout: ", d.status().message()));
    config_.timeout = *d;
  }
  if (!ca_file_flag.empty()) config_.tls_ca_file = ca_file_flag;
  if (!tls_server_name_flag.empty()) config_.tls_server_name = tls_server_name_flag;
  if (!tls_cert_flag.empty()) config_.tls_client_cert_file = tls_cert_flag;
  if (!tls_key_flag.empty()) config_.tls_client_key_file = tls_key_flag;
  // Before any channel: rpc::MakeChannel would name neither the flags nor
  // the config keys, and does not look at who may read the key.
  CL_RETURN_IF_ERROR(CheckClientTls(config_));
  resolved_ = true;
  return absl::OkStatus();
}

std::unique_ptr<Conn> App::Connect(const std::string& service, const std::string& natural_role,
                                   int* exit_code) {
  if (absl::Status s = Resolve(); !s.ok()) {
    *exit_code = Usage(std::string(s.message()));
    return nullptr;
  }
  auto conn = std::make_unique<Conn>();
  conn->options.target = config_.AddressOf(service);
  conn->options.timeout = config_.timeout;
  conn->options.tls_root_cert_file = config_.tls_ca_file;
  conn->options.tls_client_cert_file = config_.tls_client_cert_file;
  conn->options.tls_client_key_file = config_.tls_client_key_file;
  conn->options.tls_server_name = config_.tls_server_name;
  const char* env_token = std::getenv("CHANGELEDGER_TOKEN");
  if (!token_flag.empty()) {
    conn->options.token = token_flag;
  } else if (env_token != nullptr && *env_token != '\0') {
    conn->options.token = env_token;
  } else if (!as_role.empty() || !config_.token.empty() || !config_.role.empty() ||
             !config_.tokens_file.empty()) {
    if (as_role.empty() && !config_.token.empty()) {
      conn->options.token = config_.token;
    } else {
      const std::string role =
          !as_role.empty() ? as_role : (!config_.role.empty() ? config_.role : natural_role);
      auto token = TokenForRole(config_.tokens_file, role);
      if (!token.ok()) {
        *exit_code = Usage(std::string(token.status().message()));
        return nullptr;
      }
      conn->options.token = *token;
    }
  }
  conn->target = CallTarget{service, conn->options.target, conn->options.timeout,
                            !conn->options.token.empty(),
                            !conn->options.tls_root_cert_file.empty() &&
                                conn->options.tls_client_cert_file.empty()};
  auto channel = rpc::MakeChannel(conn->options);
  if (!channel.ok()) {
    *exit_code = Usage(std::string(channel.status().message()));
    return nullptr;
  }
  conn->channel = *channel;
  return conn;
}

int App::Fail(const Conn& conn, const grpc::Status& status) const {
  std::cerr << ErrorLine(conn.target, status) << std::endl;
  return ExitCodeFor(status.error_code());
}

int App::Usage(const std::string& message) const {
  std::cerr << "changectl: " << message << std::endl;
  return kExitUsage;
}

void App::PrintJson(const google::protobuf::Message& message) const {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    std::cerr << "changectl: cannot print the answer as JSON: " << status.message() << std::endl;
    return;
  }
  std::cout << text;
  if (text.empty() || text.back() != '\n') std::cout << '\n';
}

}  // namespace changeledger::changectl
