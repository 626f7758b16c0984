#include "test_service.h"

#include <grpcpp/impl/rpc_method.h>
#include <grpcpp/support/sync_stream.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace changeledger::rpc::testing {

grpc::Status TestServiceImpl::Echo(grpc::ServerContext* context, const pb::EchoRequest* request,
                                   pb::EchoResponse* response) {
  ++calls;
  response->set_text(request->text());
  if (const Principal* principal = GetPrincipal(context)) {
    response->set_principal(principal->name);
    for (Role role : principal->roles) response->add_roles(std::string(RoleName(role)));
  }
  return grpc::Status::OK;
}

grpc::Status TestServiceImpl::Wait(grpc::ServerContext* context, const pb::WaitRequest* request,
                                   pb::WaitResponse* response) {
  ++calls;
  {
    std::lock_guard lock(mu_);
    wait_threads_.insert(syscall(SYS_gettid));
  }
  auto start = std::chrono::system_clock::now();
  if (auto deadline = EffectiveDeadline(context)) {
    response->set_deadline_in_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - start).count());
  }
  try {
    wait_started.set_value();
  } catch (const std::future_error&) {
    // Only the first Wait of a test reports.
  }
  auto until = start + std::chrono::milliseconds(request->wait_ms());
  while (std::chrono::system_clock::now() < until) {
    if (context->IsCancelled()) {
      response->set_cancelled(true);
      return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled while waiting");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return grpc::Status::OK;
}

size_t TestServiceImpl::WaitThreads() const {
  std::lock_guard lock(mu_);
  return wait_threads_.size();
}

grpc::Status TestServiceImpl::Count(grpc::ServerContext* /*context*/,
                                    const pb::CountRequest* request,
                                    grpc::ServerWriter<pb::CountResponse>* writer) {
  ++calls;
  for (int i = 1; i <= request->count(); ++i) {
    pb::CountResponse response;
    response.set_number(i);
    writer->Write(response);
  }
  return grpc::Status::OK;
}

grpc::Status TestServiceImpl::Sum(grpc::ServerContext* /*context*/,
                                  grpc::ServerReader<pb::SumRequest>* reader,
                                  pb::SumResponse* response) {
  ++calls;
  pb::SumRequest request;
  int64_t sum = 0;
  while (reader->Read(&request)) sum += request.value();
  response->set_sum(sum);
  return grpc::Status::OK;
}

grpc::Status TestServiceImpl::Unlisted(grpc::ServerContext* /*context*/,
                                       const pb::EchoRequest* /*request*/,
                                       pb::EchoResponse* /*response*/) {
  ++calls;
  return grpc::Status::OK;
}

MethodPolicy TestPolicy() {
  const std::string prefix = "/changeledger.testing.v1.TestService/";
  return {
      {prefix + "Echo", {Role::kProposer, Role::kAdmin}},
      {prefix + "Wait", {Role::kProposer}},
      {prefix + "Count", {Role::kAuditor}},
      {prefix + "Sum", {Role::kProposer}},
  };
}

std::vector<std::string> ReflectionServices(const std::shared_ptr<grpc::Channel>& channel) {
  static const grpc::internal::RpcMethod kInfo(
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
      grpc::internal::RpcMethod::BIDI_STREAMING);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  std::unique_ptr<grpc::ClientReaderWriter<pb::ReflectionRequest, pb::ReflectionResponse>>
      stream(grpc::internal::ClientReaderWriterFactory<
             pb::ReflectionRequest, pb::ReflectionResponse>::Create(channel.get(), kInfo,
                                                                    &context));
  pb::ReflectionRequest request;
  request.set_list_services("*");
  std::vector<std::string> names;
  if (!stream->Write(request)) return names;
  stream->WritesDone();
  pb::ReflectionResponse response;
  while (stream->Read(&response)) {
    for (const auto& service : response.list_services_response().service()) {
      names.push_back(service.name());
    }
  }
  grpc::Status status = stream->Finish();
  if (!status.ok()) ADD_FAILURE() << "reflection: " << status.error_message();
  return names;
}

}  // namespace changeledger::rpc::testing
