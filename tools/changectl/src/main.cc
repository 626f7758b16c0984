// changectl: the command-line client of changeledger.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app.h"
#include "changeledger/changectl/exit_codes.h"

int main(int argc, char** argv) {
  using changeledger::changectl::App;
  App app;
  CLI::App cli(
      "changectl: the command-line client of changeledger, the change-portfolio system.\n"
      "One subcommand per RPC: proposals (the front door), changes (the register),\n"
      "classification, portfolio (the baseline; shortcuts baseline, history, provenance,\n"
      "rebuild), import (returns files), business-areas, health. Try `changectl COMMAND --help`.",
      "changectl");
  cli.fallthrough();
  cli.require_subcommand(1);
  // Set before the commands are added: each copies the root's failure message.
  cli.failure_message(changeledger::changectl::CommandLineError);
  cli.set_help_all_flag("--help-all", "Show every command's help");
  cli.add_option("--config", app.config_flag,
                 "Client config file (default: $CHANGECTL_CONFIG, else .run/changectl.yaml in "
                 "this directory or a parent, as written by tools/run.sh)");
  cli.add_option("--server", app.server_flag, "host:port for every service (overrides the config)");
  for (const char* service : {"intake", "classification", "portfolio"}) {
    cli.add_option(std::string("--") + service, app.service_flags[service],
                   std::string("host:port of the ") + service + " service");
  }
  cli.add_option(
      "--token", app.token_flag,
      "Bearer token (default: $CHANGELEDGER_TOKEN, which other users cannot see in "
      "ps as they can a flag)");
  cli.add_option("--as", app.as_role,
                 "Use the token of this role from the config's tokens file (proposer, panel, "
                 "portfolio_office, owner, auditor, admin)");
  cli.add_option("--timeout", app.timeout_flag, "Deadline of each call, e.g. 10s (default 10s)");
  cli.add_option("--tls-ca", app.ca_file_flag, "PEM CA bundle: connect with TLS");
  cli.add_option("--tls-server-name", app.tls_server_name_flag,
                 "Name the server's certificate must carry, when it differs from the address's "
                 "host (e.g. --intake 127.0.0.1:50051 --tls-server-name intake)");
  cli.add_option("--tls-cert", app.tls_cert_flag,
                 "PEM client certificate, for services that require one (mutual TLS); "
                 "needs --tls-ca and --tls-key");
  cli.add_option("--tls-key", app.tls_key_flag,
                 "PEM key of --tls-cert; other users may neither read nor write it");
  cli.add_option("-o,--output", app.output, "table (for people), json (protobuf JSON), name")
      ->check(CLI::IsMember({"table", "json", "name"}))
      ->capture_default_str();
  cli.footer(
      "\nToken: --token, else $CHANGELEDGER_TOKEN, else --as ROLE from the tokens file named in\n"
      "the config; with none of these, each command uses the token of its natural role\n"
      "from that file (e.g. `proposals create` as proposer), which is how the development\n"
      "stack of tools/run.sh is used.\n\n" +
      changeledger::changectl::ExitCodeHelp() +
      changeledger::changectl::ExampleFooter({"changectl changes list --area MO",
                                              "changectl import examples/returns/example-baseline-2021-05-12.csv",
                                              "changectl proposals list -o json"}));

  changeledger::changectl::AddIntakeCommands(cli, app);
  changeledger::changectl::AddClassificationCommands(cli, app);
  changeledger::changectl::AddImportCommand(cli, app);
  changeledger::changectl::AddPortfolioCommands(cli, app);
  changeledger::changectl::AddOpsCommands(cli, app);

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    cli.exit(e);
    return changeledger::changectl::kExitUsage;
  }
  if (!app.action) return app.Usage("no command given; see changectl --help");
  return app.action();
}
