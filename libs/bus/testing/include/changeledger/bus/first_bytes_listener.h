// For tests of how a service connects to Kafka: a loopback TCP listener
// that stands where a broker would and keeps the first bytes a client
// sends on its first connection. A Kafka request starts with its length
// (four bytes, big-endian, so 0x00 for any request a client sends first);
// a TLS connection starts with a handshake record, 0x16 0x03.
#ifndef CHANGELEDGER_BUS_TESTING_FIRST_BYTES_LISTENER_H_
#define CHANGELEDGER_BUS_TESTING_FIRST_BYTES_LISTENER_H_

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>

namespace changeledger::bus::testing {

class FirstBytesListener {
 public:
  // Listens on 127.0.0.1 at a free port; port() is 0 if that failed.
  FirstBytesListener();
  // Closes the listener and the connection; joins the thread.
  ~FirstBytesListener();
  FirstBytesListener(const FirstBytesListener&) = delete;
  FirstBytesListener& operator=(const FirstBytesListener&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:<port>", for bootstrap.servers.
  std::string address() const;
  // The first three bytes of the first connection, once they arrived
  // within `timeout`; nullopt otherwise. Call once.
  std::optional<std::string> FirstBytes(std::chrono::milliseconds timeout);
  // True when `bytes` open a TLS handshake record.
  static bool IsTlsHandshake(const std::string& bytes);

 private:
  void Run();

  int listen_fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::promise<std::string> bytes_;  // set by the thread
  std::thread thread_;
};

}  // namespace changeledger::bus::testing

#endif  // CHANGELEDGER_BUS_TESTING_FIRST_BYTES_LISTENER_H_
