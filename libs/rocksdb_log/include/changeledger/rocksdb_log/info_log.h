// RocksDB's info log (the LOG file in a database directory) for our
// stores, written so that a failing disk can never abort the process.
//
// Debian's RocksDB is built with assertions on. Its own LOG writer, once a
// write has failed (a full disk), asserts on the next line it is given,
// and RocksDB logs the very error it is handling: a full disk aborted the
// whole service instead of failing the write with a status. This logger
// writes each line with one write(2) and drops a line that cannot be
// written; the error itself still reaches the caller as a status.
#ifndef CHANGELEDGER_ROCKSDB_LOG_INFO_LOG_H_
#define CHANGELEDGER_ROCKSDB_LOG_INFO_LOG_H_

#include <cstdint>
#include <memory>
#include <string>

#include "rocksdb/env.h"

namespace changeledger::rocksdb_log {

struct InfoLogOptions {
  // The database directory; lines go to <dir>/LOG. The file is opened on
  // the first line (RocksDB creates the directory before it logs). The
  // previous run's LOG is kept as LOG.old.
  std::string dir;
  // When LOG reaches this size it becomes LOG.old (replacing the older
  // one) and a new LOG begins: at most about twice this on disk.
  // Default: 16 MiB.
  uint64_t max_file_bytes = 16u << 20;
  // Lines below this level are dropped.
  // Default: INFO (RocksDB's default in release builds).
  rocksdb::InfoLogLevel level = rocksdb::InfoLogLevel::INFO_LEVEL;
};

// For rocksdb::DBOptions::info_log.
std::shared_ptr<rocksdb::Logger> NewInfoLog(InfoLogOptions options);

// A regular expression (ECMAScript and POSIX extended alike) that a whole
// line of this logger, without its newline, matches: the UTC time to the
// microsecond, the thread id, then the message. RocksDB's own LOG lines
// ("2026/11/26-23:40:01.123456 ...") do not match it.
inline constexpr char kLinePattern[] =
    "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z [0-9]+ .*";

}  // namespace changeledger::rocksdb_log

#endif  // CHANGELEDGER_ROCKSDB_LOG_INFO_LOG_H_
