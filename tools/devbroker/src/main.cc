// devbroker: the development and test Kafka broker (librdkafka's mock
// cluster). Prints the bootstrap list, writes it to --bootstrap-file, and
// runs until SIGTERM or SIGINT.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "changeledger/devbroker/mock_cluster.h"

namespace {

// Writes `content` to `path` through a temp file and rename, so a reader
// sees either no file or the whole list.
bool WriteAtomically(const std::string& path, const std::string& content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content << '\n';
    out.flush();
    if (!out) return false;
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  namespace devbroker = changeledger::devbroker;
  devbroker::MockClusterOptions options;
  std::string bootstrap_file;
  CLI::App app{"Development and test Kafka broker (librdkafka mock cluster, in memory)"};
  app.add_option("--brokers", options.brokers, "Number of brokers")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--partitions", options.partitions, "Partitions per topic")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--replication-factor", options.replication_factor,
                 "Replication factor of each topic (<= brokers)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--topics", options.topics, "Topics to create (comma-separated)")
      ->delimiter(',')
      ->capture_default_str();
  app.add_option("--bootstrap-file", bootstrap_file,
                 "Write the bootstrap list to this file (atomically)");
  CLI11_PARSE(app, argc, argv);

  // Block the stop signals before librdkafka starts its threads, so only
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto cluster = devbroker::MockCluster::Start(options);
  if (!cluster.ok()) {
    std::cerr << "devbroker: " << cluster.status() << std::endl;
    return 1;
  }
  const std::string bootstraps = (*cluster)->bootstrap_servers();
  if (!bootstrap_file.empty() && !WriteAtomically(bootstrap_file, bootstraps)) {
    std::cerr << "devbroker: cannot write --bootstrap-file " << bootstrap_file << std::endl;
    return 1;
  }
  std::cout << bootstraps << std::endl;
  std::cerr << "devbroker: " << options.brokers << " brokers, " << options.topics.size()
            << " topics x " << options.partitions << " partitions; in memory only"
            << std::endl;

  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cerr << "devbroker: signal " << sig << ", stopping" << std::endl;
  cluster->reset();
  if (!bootstrap_file.empty()) {
    std::error_code ec;
    std::filesystem::remove(bootstrap_file, ec);
  }
  return 0;
}
