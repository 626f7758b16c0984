// The service the runtime tests serve, and a fixture that serves it.
#ifndef CHANGELEDGER_RPC_TESTS_TEST_SERVICE_H_
#define CHANGELEDGER_RPC_TESTS_TEST_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "changeledger/metrics/metrics.h"
#include "changeledger/rpc/auth.h"
#include "changeledger/rpc/health_check.h"
#include "changeledger/rpc/server.h"
#include "changeledger/rpc/temp_dir.h"
#include "changeledger/testing/v1/test_service.grpc.pb.h"
#include "gtest/gtest.h"

namespace changeledger::rpc::testing {

namespace pb = ::changeledger::testing::v1;

class TestServiceImpl final : public pb::TestService::Service {
 public:
  grpc::Status Echo(grpc::ServerContext* context, const pb::EchoRequest* request,
                    pb::EchoResponse* response) override;
  grpc::Status Wait(grpc::ServerContext* context, const pb::WaitRequest* request,
                    pb::WaitResponse* response) override;
  grpc::Status Count(grpc::ServerContext* context, const pb::CountRequest* request,
                     grpc::ServerWriter<pb::CountResponse>* writer) override;
  grpc::Status Sum(grpc::ServerContext* context, grpc::ServerReader<pb::SumRequest>* reader,
                   pb::SumResponse* response) override;
  grpc::Status Unlisted(grpc::ServerContext* context, const pb::EchoRequest* request,
                        pb::EchoResponse* response) override;

  // Handler invocations, of any method.
  std::atomic<int> calls{0};
  // Set when a Wait handler starts.
  std::promise<void> wait_started;
  // Distinct threads (kernel thread ids, which are not reused soon, unlike
  // std::thread::id) that ran a Wait handler.
  size_t WaitThreads() const;

 private:
  mutable std::mutex mu_;
  std::set<long> wait_threads_;
};

// Echo: proposer, admin. Wait: proposer. Count: auditor. Sum: proposer.
// Unlisted: no entry.
MethodPolicy TestPolicy();

// Principals in the fixture's tokens file.
inline constexpr char kAliceToken[] = "alice-token-0123456789";   // proposer
inline constexpr char kBobToken[] = "bob-token-0123456789abc";    // auditor
inline constexpr char kCarolToken[] = "carol-token-0123456789ab"; // panel
inline constexpr char kRootToken[] = "root-token-0123456789abcd"; // admin

inline constexpr char kTokensYaml[] = R"(tokens:
  - principal: alice
    token: alice-token-0123456789
    roles: [proposer]
  - principal: bob
    token: bob-token-0123456789abc
    roles: [auditor]
  - principal: carol
    token: carol-token-0123456789ab
    roles: [panel]
  - principal: root
    token: root-token-0123456789abcd
    roles: [admin]
)";

// The service names listed by server reflection.
std::vector<std::string> ReflectionServices(const std::shared_ptr<grpc::Channel>& channel);

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTS_TEST_SERVICE_H_
