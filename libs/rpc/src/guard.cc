#include "guard.h"

#include <grpc/byte_buffer.h>
#include <grpcpp/impl/rpc_service_method.h>
#include <grpcpp/support/method_handler.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "call_registry.h"
#include "spdlog/spdlog.h"

namespace changeledger::rpc::internal {
namespace {

// grpc::Service keeps its methods, and each method its handler, in private
// members. Explicit instantiation may name private members, which is the
// one standard way to reach them without patching gRPC. Checked against
// gRPC 1.51 (grpcpp/impl/service_type.h, rpc_service_method.h).
template <typename Tag, typename Tag::type Member>
struct PrivateAccess {
  friend typename Tag::type Get(Tag) { return Member; }
};
struct ServiceMethodsTag {
  using type = std::vector<std::unique_ptr<grpc::internal::RpcServiceMethod>> grpc::Service::*;
  friend type Get(ServiceMethodsTag);
};
template struct PrivateAccess<ServiceMethodsTag, &grpc::Service::methods_>;
struct MethodHandlerTag {
  using type = std::unique_ptr<grpc::internal::MethodHandler> grpc::internal::RpcServiceMethod::*;
  friend type Get(MethodHandlerTag);
};
template struct PrivateAccess<MethodHandlerTag, &grpc::internal::RpcServiceMethod::handler_>;

// Writes the line of a refused call if `limiter` allows it, with the
// number of such lines left out before it.
template <typename... Args>
void LogRefusal(LogLimiter* limiter, fmt::format_string<Args...> format, Args&&... args) {
  // A level that drops the line anyway leaves the bound alone.
  if (!spdlog::should_log(spdlog::level::info)) return;
  uint64_t left_out = 0;
  if (!limiter->Allow(LogLimiter::Clock::now(), &left_out)) return;
  spdlog::info("{}{}", fmt::format(format, std::forward<Args>(args)...),
               LeftOutNote(left_out));
}

template <grpc::StatusCode kCode>
void Reject(const grpc::internal::MethodHandler::HandlerParameter& param,
            const std::string& message) {
  grpc::internal::ErrorMethodHandler<kCode> handler(message);
  handler.RunHandler(grpc::internal::MethodHandler::HandlerParameter(
      param.call, param.server_context, nullptr, param.status, param.internal_data,
      param.call_requester));
}

// A call counted against its principal's limit for as long as it lives.
class CallSlot {
 public:
  CallSlot(PrincipalCallLimiter* limiter, const Principal* principal)
      : limiter_(limiter), principal_(principal), held_(limiter->TryAcquire(principal)) {}
  ~CallSlot() {
    if (held_) limiter_->Release(principal_);
  }
  CallSlot(const CallSlot&) = delete;
  CallSlot& operator=(const CallSlot&) = delete;
  bool held() const { return held_; }

 private:
  PrincipalCallLimiter* const limiter_;
  const Principal* const principal_;
  const bool held_;
};

class GuardedHandler final : public grpc::internal::MethodHandler {
 public:
  GuardedHandler(std::unique_ptr<grpc::internal::MethodHandler> inner, std::string method,
                 bool has_request, std::optional<std::set<Role>> allowed,
                 std::shared_ptr<const GuardContext> guard)
      : inner_(std::move(inner)),
        method_(std::move(method)),
        has_request_(has_request),
        allowed_(std::move(allowed)),
        guard_(std::move(guard)) {}

  // Keeps the raw payload; the inner handler deserialises it once the call
  // is allowed (RunHandler), so a rejected request is never parsed.
  void* Deserialize(grpc_call* /*call*/, grpc_byte_buffer* req, grpc::Status* status,
                    void** /*handler_data*/) override {
    *status = grpc::Status::OK;
    return req;
  }

  void RunHandler(const HandlerParameter& param) override {
    auto* context = static_cast<grpc::ServerContext*>(param.server_context);
    auto* payload = static_cast<grpc_byte_buffer*>(param.request);
    const std::string_view token = BearerToken(*context);
    const Principal* principal = token.empty() ? nullptr : guard_->tokens->Find(token);
    if (principal == nullptr) {
      DropPayload(payload);
      LogRefusal(
          guard_->refusal_log,
          "msg=\"rpc rejected\" method={} code=UNAUTHENTICATED peer={} reason=\"{}\"",
          method_, context->peer(), token.empty() ? "no bearer token" : "unknown token");
      Reject<grpc::StatusCode::UNAUTHENTICATED>(param, "missing or unknown bearer token");
      return;
    }
    if (!allowed_ || !principal->HasAnyRole(*allowed_)) {
      DropPayload(payload);
      LogRefusal(
          guard_->refusal_log,
          "msg=\"rpc rejected\" method={} code=PERMISSION_DENIED principal={} peer={}",
          method_, principal->name, context->peer());
      Reject<grpc::StatusCode::PERMISSION_DENIED>(
          param, absl::StrCat("principal ", principal->name, " may not call ", method_));
      return;
    }
    const CallSlot slot(guard_->limiter, principal);
    if (!slot.held()) {
      DropPayload(payload);
      LogRefusal(
          guard_->refusal_log,
          "msg=\"rpc rejected\" method={} code=RESOURCE_EXHAUSTED principal={} peer={} "
          "reason=\"too many calls in progress\"",
          method_, principal->name, context->peer());
      Reject<grpc::StatusCode::RESOURCE_EXHAUSTED>(
          param,
          absl::StrCat("principal ", principal->name, " already has ",
                       guard_->limiter->max(),
                       " calls in progress, the most one principal may have; retry "
                       "once some have finished"));
      return;
    }

    void* request = nullptr;
    grpc::Status status = param.status;
    if (has_request_) {
      request = inner_->Deserialize(param.call->call(), payload, &status, nullptr);
      if (!status.ok()) {
        // Bytes that do not parse as the request message (a client built
        // from other protos, or a string field that is not UTF-8) are the
        // client's mistake, not the server's INTERNAL error.
        LogRefusal(guard_->refusal_log,
                   "msg=\"rpc rejected\" method={} code=INVALID_ARGUMENT principal={} "
                   "reason=\"request does not parse\"",
                   method_, principal->name);
        Reject<grpc::StatusCode::INVALID_ARGUMENT>(
            param, absl::StrCat("request: not a valid request message for ", method_,
                                " (malformed, or a string field that is not UTF-8)"));
        return;
      }
    }

    CallRecord record{principal, context->deadline()};
    bool watched = false;
    if (record.deadline == std::chrono::system_clock::time_point::max()) {
      record.deadline = std::chrono::system_clock::now() + guard_->default_deadline;
      guard_->watchdog->Watch(context, record.deadline);
      watched = true;
    }
    CallRegistry::Add(context, &record);
    inner_->RunHandler(HandlerParameter(param.call, param.server_context, request, status,
                                        param.internal_data, param.call_requester));
    CallRegistry::Remove(context);
    if (watched) guard_->watchdog->Unwatch(context);
  }

 private:
  static void DropPayload(grpc_byte_buffer* payload) {
    if (payload != nullptr) grpc_byte_buffer_destroy(payload);
  }

  std::unique_ptr<grpc::internal::MethodHandler> inner_;
  const std::string method_;
  const bool has_request_;
  const std::optional<std::set<Role>> allowed_;
  const std::shared_ptr<const GuardContext> guard_;
};

}  // namespace

bool PrincipalCallLimiter::TryAcquire(const Principal* principal) {
  std::lock_guard lock(mu_);
  int& count = in_progress_[principal];
  if (count >= max_) return false;
  ++count;
  return true;
}

void PrincipalCallLimiter::Release(const Principal* principal) {
  std::lock_guard lock(mu_);
  auto it = in_progress_.find(principal);
  if (it != in_progress_.end() && --it->second == 0) in_progress_.erase(it);
}

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { Run(); }) {}

DeadlineWatchdog::~DeadlineWatchdog() { Stop(); }

void DeadlineWatchdog::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeadlineWatchdog::Watch(grpc::ServerContext* context,
                             std::chrono::system_clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    by_deadline_.emplace(deadline, context);
    deadlines_[context] = deadline;
  }
  cv_.notify_all();
}

void DeadlineWatchdog::Unwatch(grpc::ServerContext* context) {
  std::lock_guard lock(mu_);
  auto it = deadlines_.find(context);
  if (it == deadlines_.end()) return;
  auto [begin, end] = by_deadline_.equal_range(it->second);
  for (auto entry = begin; entry != end; ++entry) {
    if (entry->second == context) {
      by_deadline_.erase(entry);
      break;
    }
  }
  deadlines_.erase(it);
}

void DeadlineWatchdog::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    if (by_deadline_.empty()) {
      cv_.wait(lock);
      continue;
    }
    auto first = by_deadline_.begin();
    // A copy: the entry may be erased by Unwatch while we wait unlocked.
    const auto next_deadline = first->first;
    if (next_deadline > std::chrono::system_clock::now()) {
      cv_.wait_until(lock, next_deadline);
      continue;
    }
    // Cancelled under the lock: Unwatch (called before the context is
    // destroyed) cannot return while we use it.
    spdlog::debug("msg=\"default deadline passed, cancelling call\"");
    first->second->TryCancel();
    deadlines_.erase(first->second);
    by_deadline_.erase(first);
  }
}

std::string_view BearerToken(const grpc::ServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  const absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  const absl::string_view token = absl::StripAsciiWhitespace(value.substr(kScheme.size()));
  return std::string_view(token.data(), token.size());
}

absl::Status GuardService(grpc::Service* service, const MethodPolicy& policy,
                          std::shared_ptr<const GuardContext> guard,
                          std::vector<std::string>* methods) {
  auto& service_methods = service->*Get(ServiceMethodsTag{});
  std::set<std::string> names;
  for (const auto& method : service_methods) {
    if (method == nullptr) continue;  // marked generic
    names.insert(method->name());
    if (dynamic_cast<GuardedHandler*>(method->handler()) != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("method ", method->name(), " is already registered"));
    }
    if (method->api_type() != grpc::internal::RpcServiceMethod::ApiType::SYNC ||
        method->handler() == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "method ", method->name(),
          " is not synchronous; only synchronous methods can be guarded"));
    }
  }
  for (const auto& [name, roles] : policy) {
    if (names.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "policy names ", name, ", which is not a method of this service (methods: ",
          absl::StrJoin(names, ", "), ")"));
    }
  }
  for (const auto& method : service_methods) {
    if (method == nullptr) continue;
    auto it = policy.find(method->name());
    std::optional<std::set<Role>> allowed;
    if (it != policy.end()) allowed = it->second;
    auto type = method->method_type();
    bool has_request = type == grpc::internal::RpcMethod::NORMAL_RPC ||
                       type == grpc::internal::RpcMethod::SERVER_STREAMING;
    auto& handler = (*method).*Get(MethodHandlerTag{});
    std::unique_ptr<grpc::internal::MethodHandler> inner(handler.release());
    handler.reset(new GuardedHandler(std::move(inner), method->name(), has_request,
                                     std::move(allowed), guard));
    methods->push_back(method->name());
  }
  return absl::OkStatus();
}

}  // namespace changeledger::rpc::internal
