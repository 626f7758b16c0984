// changectl health: grpc.health.v1 of every service (or one), optionally
// waiting until they serve.
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "app.h"
#include "changeledger/changectl/client_config.h"
#include "changeledger/changectl/table.h"

namespace changeledger::changectl {
namespace {

struct HealthFlags {
  std::string services = "intake,classification,portfolio";
  std::string wait;
};

const char* StateWord(HealthState s) {
  switch (s) {
    case HealthState::kServing: return "serving";
    case HealthState::kNotServing: return "not serving";
    case HealthState::kServiceUnknown: return "unknown service";
    default: return "unknown";
  }
}

int RunHealth(App& app, const HealthFlags& f) {
  std::chrono::milliseconds wait{0};
  if (!f.wait.empty()) {
    auto d = ParseDuration(f.wait);
    if (!d.ok()) return app.Usage(absl::StrCat("--wait: ", d.status().message()));
    wait = *d;
  }
  const auto until = std::chrono::steady_clock::now() + wait;
  Table t({"SERVICE", "ADDRESS", "HEALTH"});
  int worst = kExitOk;
  for (absl::string_view name : absl::StrSplit(f.services, ',', absl::SkipEmpty())) {
    int code = 0;
    auto conn = app.Connect(std::string(name), "auditor", &code);
    if (!conn) return code;
    HealthState state = HealthState::kUnknown;
    grpc::Status status;
    for (;;) {
      status = CheckHealth(conn->channel.get(), "", conn->options.timeout, &state);
      if ((status.ok() && state == HealthState::kServing) ||
          std::chrono::steady_clock::now() >= until) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (!status.ok()) {
      worst = std::max(worst, app.Fail(*conn, status));
      t.AddRow({std::string(name), conn->options.target, "unreachable"});
      continue;
    }
    if (state != HealthState::kServing) worst = std::max(worst, static_cast<int>(kExitUnavailable));
    t.AddRow({std::string(name), conn->options.target, StateWord(state)});
  }
  if (!app.json()) std::cout << t.Render();
  return worst;
}

}  // namespace

void AddOpsCommands(CLI::App& cli, App& app) {
  auto* sub = cli.add_subcommand(
      "health", "Ask each service whether it is serving (grpc.health.v1.Health/Check)");
  auto f = std::make_shared<HealthFlags>();
  sub->add_option("--services", f->services, "Comma-separated services to ask")
      ->capture_default_str();
  sub->add_option("--wait", f->wait, "Keep asking until each serves or this long passed, e.g. 30s");
  sub->footer("\nExit code 0 when every service serves, 5 otherwise.\n" +
              ExampleFooter({"changectl health", "changectl health --services intake --wait 30s"}));
  app.Define(sub, [&app, f] { return RunHealth(app, *f); });
}

}  // namespace changeledger::changectl
