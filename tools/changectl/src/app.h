// The changectl program's shared state: global options, the resolved
// configuration, connections, output helpers. Commands live in
// *_commands.cc and register themselves through Add*Commands().
#ifndef CHANGELEDGER_CHANGECTL_APP_H_
#define CHANGELEDGER_CHANGECTL_APP_H_

#include <functional>
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

namespace changeledger::changectl {

// A connection to one service, ready for calls.
struct Conn {
  ConnectionOptions options;
  CallTarget target;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::ClientContext> NewCall() const { return NewCallContext(options); }
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

void AddIntakeCommands(CLI::App& cli, App& app);
void AddImportCommand(CLI::App& cli, App& app);
void AddOpsCommands(CLI::App& cli, App& app);

// Shared help text pieces.
std::string ExampleFooter(const std::vector<std::string>& examples);

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_APP_H_
