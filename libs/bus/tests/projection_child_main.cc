// Test helper process: runs a Kafka-fed ProjectionRunner with the tally
// projection on a RocksDB KvStore until SIGTERM (exit 0) or SIGKILL.
// Every 50 ms it writes "<applied> <hash> <lag>" to --status-file
// (through a rename, so readers see whole lines).
//
// usage: projection_child <bootstrap> <topic> <group> <kv path> <status file>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "changeledger/bus/projection_runner.h"
#include "changeledger/kv/rocksdb_kv_store.h"
#include "test_projection.h"

int main(int argc, char** argv) {
  using namespace changeledger;
  if (argc != 6) {
    std::cerr << "usage: projection_child bootstrap topic group kv_path status_file\n";
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = kv::OpenRocksDbKvStore({.path = argv[4]});
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  bus::testing::TallyProjection projection;
  auto runner = bus::ProjectionRunner::CreateKafka(
      &projection, store->get(),
      {.bootstrap_servers = argv[1],
       .group_id = argv[3],
       .topics = {argv[2]},
       .kafka_config = {{"session.timeout.ms", "6000"}}},
      {.max_batch = 20});
  if (!runner.ok()) {
    std::cerr << runner.status() << "\n";
    return 1;
  }
  (*runner)->Start();
  const std::string status_file = argv[5];
  const std::string tmp = status_file + ".tmp";
  while (true) {
    timespec wait{0, 50 * 1000 * 1000};
    if (sigtimedwait(&stop_signals, nullptr, &wait) == SIGTERM) break;
    auto hash = (*runner)->StateHash();
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << (*runner)->stats().applied << " " << (hash.ok() ? *hash : 0) << " "
          << (*runner)->stats().lag << " " << ((*runner)->status().ok() ? "ok" : "error")
          << "\n";
    }
    std::filesystem::rename(tmp, status_file);
  }
  (*runner)->Stop();
  return (*runner)->status().ok() ? 0 : 1;
}
