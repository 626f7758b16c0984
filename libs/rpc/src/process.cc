#include "changeledger/rpc/process.h"

#include <pthread.h>
#include <signal.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace changeledger::rpc {
namespace {

sigset_t ShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t set = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void ConfigureRuntime() {
#ifdef NDEBUG
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
}

int WaitForShutdownSignal() {
  sigset_t set = ShutdownSignals();
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  spdlog::info("msg=\"shutdown signal\" signal={}", signal == SIGTERM ? "SIGTERM" : "SIGINT");
  return signal;
}

absl::Status ConfigureLogging(std::string_view level) {
  spdlog::level::level_enum parsed;
  if (level == "trace") {
    parsed = spdlog::level::trace;
  } else if (level == "debug") {
    parsed = spdlog::level::debug;
  } else if (level == "info") {
    parsed = spdlog::level::info;
  } else if (level == "warn") {
    parsed = spdlog::level::warn;
  } else if (level == "error") {
    parsed = spdlog::level::err;
  } else if (level == "off") {
    parsed = spdlog::level::off;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid setting log.level (\"", std::string(level),
                     "\"): expected one of trace, debug, info, warn, error, off"));
  }
  auto logger = std::make_shared<spdlog::logger>(
      "changeledger", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("ts=%Y-%m-%dT%H:%M:%S.%fZ level=%l %v", spdlog::pattern_time_type::utc);
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

void ServeUntilSignal(std::string_view service, int grpc_port, int metrics_port,
                      const std::function<void()>& stop) {
  spdlog::info("msg=\"serving\" service={} grpc_port={} metrics_port={}", service, grpc_port,
               metrics_port);
  const int signal = WaitForShutdownSignal();
  spdlog::info("msg=\"stopping\" service={} signal={}", service, signal);
  stop();
  spdlog::info("msg=\"stopped\" service={}", service);
}

}  // namespace changeledger::rpc
