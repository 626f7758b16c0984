#include "changeledger/bus/first_bytes_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace changeledger::bus::testing {
namespace {

constexpr size_t kWanted = 3;

// Waits until `fd` is readable or `stop` is; false when stopped.
bool WaitReadable(int fd, int stop) {
  pollfd fds[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
  while (poll(fds, 2, -1) < 0) {
  }
  return (fds[1].revents & POLLIN) == 0;
}

}  // namespace

FirstBytesListener::FirstBytesListener() {
  if (pipe(stop_pipe_) != 0) return;
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (listen_fd_ < 0 ||
      bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return;
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Run(); });
}

FirstBytesListener::~FirstBytesListener() {
  if (stop_pipe_[1] >= 0) {
    const char stop = 's';
    (void)!write(stop_pipe_[1], &stop, 1);
  }
  if (thread_.joinable()) thread_.join();
  for (int fd : {listen_fd_, stop_pipe_[0], stop_pipe_[1]}) {
    if (fd >= 0) close(fd);
  }
}

std::string FirstBytesListener::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

std::optional<std::string> FirstBytesListener::FirstBytes(
    std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return std::nullopt;
  std::future<std::string> bytes = bytes_.get_future();
  if (bytes.wait_for(timeout) != std::future_status::ready) return std::nullopt;
  return bytes.get();
}

bool FirstBytesListener::IsTlsHandshake(const std::string& bytes) {
  return bytes.size() >= 2 && bytes[0] == 0x16 && bytes[1] == 0x03;
}

void FirstBytesListener::Run() {
  if (!WaitReadable(listen_fd_, stop_pipe_[0])) return;
  const int connection = accept(listen_fd_, nullptr, nullptr);
  if (connection < 0) return;
  std::string received;
  while (received.size() < kWanted && WaitReadable(connection, stop_pipe_[0])) {
    char buffer[kWanted];
    const ssize_t n = read(connection, buffer, kWanted - received.size());
    if (n <= 0) break;
    received.append(buffer, static_cast<size_t>(n));
  }
  close(connection);
  if (received.size() == kWanted) bytes_.set_value(received);
}

}  // namespace changeledger::bus::testing
