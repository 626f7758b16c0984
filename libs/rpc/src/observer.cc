#include "observer.h"

#include <grpcpp/server_context.h>

#include <algorithm>
#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "call_registry.h"
#include "changeledger/rpc/auth.h"
#include "spdlog/spdlog.h"

namespace changeledger::rpc::internal {

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

std::pair<std::string, std::string> SplitMethod(const std::string& full_method) {
  size_t slash = full_method.rfind('/');
  if (full_method.empty() || full_method[0] != '/' || slash == 0 ||
      slash == std::string::npos) {
    return {"unknown", full_method};
  }
  return {full_method.substr(1, slash - 1), full_method.substr(slash + 1)};
}

std::string LogValue(std::string_view value) {
  const auto plain = [](unsigned char c) {
    return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '/' || c == ':' ||
           c == '-';
  };
  if (!value.empty() && std::all_of(value.begin(), value.end(), plain))
    return std::string(value);
  std::string quoted = "\"";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += ch;
    } else if (c < 0x20 || c >= 0x7f) {
      absl::StrAppend(&quoted, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      quoted += ch;
    }
  }
  quoted += '"';
  return quoted;
}

void RpcProbe::AddMethod(std::string full_method) {
  std::lock_guard lock(mu_);
  served_.insert(std::move(full_method));
}

void RpcProbe::Finished(std::string_view full_method, grpc::StatusCode code, double seconds) {
  if (registry_ == nullptr) return;
  // Codes outside the known range count as UNKNOWN, as StatusCodeName names them.
  const int index = code >= 0 && code < kCodes ? code : grpc::StatusCode::UNKNOWN;
  metrics::Counter counter;
  metrics::Histogram histogram;
  {
    std::lock_guard lock(mu_);
    absl::string_view key(full_method.data(), full_method.size());
    auto it = methods_.find(key);
    if (it == methods_.end()) {
      if (!served_.contains(key)) key = "/unknown/unknown";
      it = methods_.find(key);
    }
    if (it == methods_.end()) {
      auto [service, method] = SplitMethod(std::string(key));
      it = methods_.try_emplace(std::string(key)).first;
      it->second.duration = registry_->AddHistogram(
          "changeledger_rpc_duration_seconds", "Time from receiving an RPC to sending its status.",
          metrics::LatencyBuckets(), {{"service", service}, {"method", method}});
    }
    MethodSeries& series = it->second;
    if (!series.requests[index]) {
      auto [service, method] = SplitMethod(it->first);
      series.requests[index] = registry_->AddCounter(
          "changeledger_rpc_requests_total", "RPCs finished, by service, method and status code.",
          {{"service", service},
           {"method", method},
           {"code", StatusCodeName(static_cast<grpc::StatusCode>(index))}});
    }
    counter = *series.requests[index];
    histogram = series.duration;
  }
  counter.Increment();
  histogram.Observe(seconds);
}

namespace {

bool IsServerError(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::UNIMPLEMENTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return true;
    default:
      return false;
  }
}

// Errors the client chose: a method we do not serve, a deadline too short.
bool IsCallersChoice(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNIMPLEMENTED ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

class Observer final : public grpc::experimental::Interceptor {
 public:
  Observer(grpc::experimental::ServerRpcInfo* info, RpcProbe* probe,
           LogLimiter* caller_lines, LogLimiter* server_error_lines)
      : info_(info),
        probe_(probe),
        caller_lines_(caller_lines),
        server_error_lines_(server_error_lines),
        // lives as long as `info`
        method_(info->method() == nullptr ? "" : info->method()),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      probe_->Finished(method_, status.error_code(), seconds);
      // Not every call has a grpc::ServerContext (the health service uses
      // the callback API), so look the call up by its base context.
      const CallRecord* record = CallRegistry::Find(info_->server_context());
      const Principal* principal = record == nullptr ? nullptr : record->principal;
      const char* who = principal == nullptr ? "-" : principal->name.c_str();
      const char* code = StatusCodeName(status.error_code());
      // The method name is the client's: a call to a method we do not
      // serve arrives here with whatever :path it was sent with.
      if (IsServerError(status.error_code()) && spdlog::should_log(spdlog::level::warn)) {
        LogLimiter* limiter =
            IsCallersChoice(status.error_code()) ? caller_lines_ : server_error_lines_;
        uint64_t left_out = 0;
        if (limiter->Allow(LogLimiter::Clock::now(), &left_out)) {
          spdlog::warn(
              "msg=rpc method={} code={} duration_ms={:.3f} principal={} error={}{}",
              LogValue(method_), code, seconds * 1e3, who,
              LogValue(status.error_message()), LeftOutNote(left_out));
        }
      } else if (spdlog::should_log(
                     spdlog::level::debug)) {  // no quoting on the hot path
        spdlog::debug("msg=rpc method={} code={} duration_ms={:.3f} principal={}",
                      LogValue(method_), code, seconds * 1e3, who);
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  RpcProbe* probe_;
  LogLimiter* caller_lines_;
  LogLimiter* server_error_lines_;
  const char* method_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* ObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new Observer(info, probe_.get(), caller_lines_, server_error_lines_);
}

}  // namespace changeledger::rpc::internal
