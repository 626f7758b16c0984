// The changectl program's shared state: global options, the resolved
// configuration, connections, output helpers. Commands live in
// *_commands.cc and register themselves through Add*Commands().
#ifndef CHANGELEDGER_CHANGECTL_APP_H_
#define CHANGELEDGER_CHANGECTL_APP_H_

#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <google/protobuf/message.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "absl/status/statusor.h"
#include "changeledger/changectl/client_config.h"
#include "changeledger/changectl/connection.h"
#include "changeledger/changectl/exit_codes.h"
#include "changeledger/rpc/client.h"

namespace changeledger::changectl {

// A connection to one service, ready for calls.
struct Conn {
  rpc::ClientOptions options;
  CallTarget target;
  std::shared_ptr<grpc::Channel> channel;
  // A context with the token and the deadline (options.timeout from now).
  std::unique_ptr<grpc::ClientContext> NewCall() const {
    return rpc::ClientContextFactory(options).New();
  }
};

class App {
 public:
  // Global options (set by CLI11).
  std::string config_flag;
  std::string server_flag;
  std::map<std::string, std::string> service_flags;
  std::string token_flag;
  std::string as_role;
  std::string timeout_flag;
  std::string output = "table";
  std::string ca_file_flag;
  std::string tls_server_name_flag;
  std::string tls_cert_flag;
  std::string tls_key_flag;

  // The command chosen on the command line; set by its callback.
  std::function<int()> action;

  // Registers `fn` as what `sub` does.
  void Define(CLI::App* sub, std::function<int()> fn);

  // A connection to `service`. `natural_role` is the role whose token is
  // used, from the configured tokens file, when no token was given
  // explicitly (--token, CHANGELEDGER_TOKEN, --as, config token/role).
  // On error prints the line and returns the exit code in *exit_code.
  std::unique_ptr<Conn> Connect(const std::string& service, const std::string& natural_role,
                                int* exit_code);

  // Prints ErrorLine to stderr; returns the exit code.
  int Fail(const Conn& conn, const grpc::Status& status) const;
  // Prints "changectl: <message>" to stderr; returns kExitUsage.
  int Usage(const std::string& message) const;

  bool json() const { return output == "json"; }
  bool names() const { return output == "name"; }
  // protobuf's JSON mapping, indented, with a newline.
  void PrintJson(const google::protobuf::Message& message) const;

 private:
  absl::Status Resolve();
  bool resolved_ = false;
  ClientConfig config_;
};

// Calls one RPC of `service` (as `role` unless a token was given) and prints
// the answer: -o json as protobuf JSON, -o name through `name` (when set),
// else `table`. Returns the exit code.
template <typename Service, typename Resp>
int CallService(App& app, const std::string& service, const std::string& role,
                const std::function<grpc::Status(typename Service::Stub&, const Conn&, Resp*)>& rpc,
                const std::function<std::string(const Resp&)>& table,
                const std::function<std::string(const Resp&)>& name = nullptr) {
  int code = kExitOk;
  auto conn = app.Connect(service, role, &code);
  if (!conn) return code;
  auto stub = Service::NewStub(conn->channel);
  Resp response;
  grpc::Status status = rpc(*stub, *conn, &response);
  if (!status.ok()) return app.Fail(*conn, status);
  if (app.json()) {
    app.PrintJson(response);
  } else if (app.names() && name) {
    // Nothing at all for no names: `wc -l` and `while read` count no line.
    const std::string names = name(response);
    if (!names.empty()) std::cout << names << "\n";
  } else {
    std::cout << table(response);
  }
  return kExitOk;
}

void AddIntakeCommands(CLI::App& cli, App& app);
void AddClassificationCommands(CLI::App& cli, App& app);
void AddPortfolioCommands(CLI::App& cli, App& app);
void AddImportCommand(CLI::App& cli, App& app);
void AddOpsCommands(CLI::App& cli, App& app);

// Shared help text pieces.
std::string ExampleFooter(const std::vector<std::string>& examples);

// The help of every command's --request-id. The services scope a key by
// principal, RPC and the resource named, so only a retry should reuse one.
inline constexpr char kRequestIdHelp[] =
    "Idempotency key: a fresh one per command (e.g. a UUID); reuse it only to retry the same "
    "command. A key reused on the same resource stores nothing new and answers with the "
    "resource as it stands, even if the command was not the same";

// What changectl prints for a command line CLI11 cannot parse (for
// CLI::App::failure_message): a word where a command is required is named,
// `changectl: unknown command "nonsense"; see changectl --help`, where CLI11
// would only say that a subcommand is required; other errors as CLI11 puts
// them.
std::string CommandLineError(const CLI::App* cli, const CLI::Error& error);

// For one page of a list shown as a table or names: "next page:
// --page-token TOKEN" on stderr when there is a next page (nothing when
// `token` is empty), so that stdout holds only the list.
void PrintNextPage(const std::string& token);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_APP_H_
