#include "durable_floor.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/status/status.h"

namespace changeledger::intake::durable_floor {
namespace {

// RocksDB preallocates its WAL in blocks of a tenth more than a memtable
// (the store's are 64 MiB), keeping the file's size.
constexpr off_t kPreallocationBlock = (off_t{64} << 20) * 11 / 10;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "durable floor: %s\n", what.c_str());
  std::abort();
}

}  // namespace

absl::StatusOr<std::unique_ptr<GroupSyncedFile>> GroupSyncedFile::Open(
    const std::string& path, size_t bytes_per_wait) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::ErrnoToStatus(errno, "open " + path);
  return std::unique_ptr<GroupSyncedFile>(new GroupSyncedFile(fd, bytes_per_wait));
}

GroupSyncedFile::GroupSyncedFile(int fd, size_t bytes_per_wait)
    : fd_(fd), bytes_per_wait_(bytes_per_wait), thread_([this] { SyncLoop(); }) {}

GroupSyncedFile::~GroupSyncedFile() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  queued_.notify_one();
  thread_.join();
  ::close(fd_);
}

void GroupSyncedFile::Enqueue(std::function<void()> durable) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(durable));
  }
  queued_.notify_one();
}

void GroupSyncedFile::Wait() {
  std::mutex mu;
  std::condition_variable done;
  bool durable = false;
  Enqueue([&] {
    std::lock_guard lock(mu);
    durable = true;
    done.notify_one();
  });
  std::unique_lock lock(mu);
  done.wait(lock, [&] { return durable; });
}

void GroupSyncedFile::SyncLoop() {
  std::vector<std::function<void()>> group;
  std::string bytes;
  while (true) {
    {
      std::unique_lock lock(mu_);
      queued_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left to answer
      group.swap(queue_);
    }
    bytes.assign(group.size() * bytes_per_wait_, 'x');
    while (written_ + static_cast<off_t>(bytes.size()) > preallocated_) {
      if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, preallocated_, kPreallocationBlock) !=
          0) {
        Die(std::string("fallocate: ") + std::strerror(errno));
      }
      preallocated_ += kPreallocationBlock;
    }
    if (::write(fd_, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) {
      Die(std::string("write: ") + std::strerror(errno));
    }
    written_ += static_cast<off_t>(bytes.size());
    if (::fdatasync(fd_) != 0) Die(std::string("fdatasync: ") + std::strerror(errno));
    for (auto& durable : group) durable();
    group.clear();
  }
}

// --- asynchronous server -------------------------------------------------------

// One SubmitProposal call: requested, then answered from the syncing
// thread, then deleted when its completion queue reports the answer sent.
class AsyncFloorServer::Call {
 public:
  Call(AsyncFloorServer* server, grpc::ServerCompletionQueue* queue)
      : server_(server), queue_(queue), responder_(&context_) {
    server_->service_.RequestSubmitProposal(&context_, &request_, &responder_, queue_,
                                            queue_, this);
  }

  // The completion queue's event for this call's tag.
  void Proceed(bool ok) {
    if (answered_ || !ok) {  // sent, or the server is shutting down
      delete this;
      return;
    }
    new Call(server_, queue_);  // the next call on this queue
    answered_ = true;
    response_ = server_->canned_;
    response_.set_name(request_.name());
    server_->file_->Enqueue(
        [this] { responder_.Finish(response_, grpc::Status::OK, this); });
  }

 private:
  AsyncFloorServer* const server_;
  grpc::ServerCompletionQueue* const queue_;
  grpc::ServerContext context_;
  v1::SubmitProposalRequest request_;
  v1::Proposal response_;
  grpc::ServerAsyncResponseWriter<v1::Proposal> responder_;
  bool answered_ = false;
};

AsyncFloorServer::AsyncFloorServer(GroupSyncedFile* file, v1::Proposal canned,
                                   int threads)
    : file_(file), canned_(std::move(canned)) {
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service_);
  for (int i = 0; i < threads; ++i) queues_.push_back(builder.AddCompletionQueue());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) Die("the asynchronous floor server did not start");
  target_ = "127.0.0.1:" + std::to_string(port);
  // Enough requested calls on each queue that a new one never waits for
  // the previous one's request to be renewed.
  constexpr int kRequestedPerQueue = 64;
  for (auto& queue : queues_) {
    for (int i = 0; i < kRequestedPerQueue; ++i) new Call(this, queue.get());
    threads_.emplace_back([queue = queue.get()] {
      void* tag = nullptr;
      bool ok = false;
      while (queue->Next(&tag, &ok)) static_cast<Call*>(tag)->Proceed(ok);
    });
  }
}

AsyncFloorServer::~AsyncFloorServer() {
  // Cancels the requested calls; their tags come back not ok and each
  // call deletes itself; then the queues drain and the threads end.
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  for (auto& queue : queues_) queue->Shutdown();
  for (auto& thread : threads_) thread.join();
}

}  // namespace changeledger::intake::durable_floor
