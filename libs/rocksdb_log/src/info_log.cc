#include "changeledger/rocksdb_log/info_log.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>

namespace changeledger::rocksdb_log {
namespace {

class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(InfoLogOptions options)
      : rocksdb::Logger(options.level),
        path_(options.dir + "/LOG"),
        old_path_(options.dir + "/LOG.old"),
        max_file_bytes_(options.max_file_bytes) {}

  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    std::string line = Prefix();
    const size_t prefix = line.size();
    char buffer[512];
    va_list copy;
    va_copy(copy, ap);
    const int n = vsnprintf(buffer, sizeof buffer, format, copy);
    va_end(copy);
    if (n < 0) return;
    if (static_cast<size_t>(n) < sizeof buffer) {
      line.append(buffer, static_cast<size_t>(n));
    } else {
      line.resize(prefix + static_cast<size_t>(n) + 1);
      vsnprintf(line.data() + prefix, static_cast<size_t>(n) + 1, format, ap);
      line.resize(prefix + static_cast<size_t>(n));
    }
    if (line.back() != '\n') line.push_back('\n');

    std::lock_guard lock(mu_);
    if (closed_) return;
    if (!started_) {
      started_ = true;
      MoveAside();  // the previous run's LOG
      Open();
    } else if (fd_ >= 0 && size_ + line.size() > max_file_bytes_) {
      MoveAside();
      Open();
    } else if (fd_ < 0) {
      Open();
    }
    if (fd_ < 0) return;  // cannot open the file: the line is dropped
    if (WriteAll(line)) size_ += line.size();
  }

  size_t GetLogFileSize() const override {
    std::lock_guard lock(mu_);
    return size_;
  }

 protected:
  rocksdb::Status CloseImpl() override {
    std::lock_guard lock(mu_);
    closed_ = true;  // later lines are dropped, not written to a reopened file
    if (fd_ >= 0 && ::close(fd_) != 0) {
      fd_ = -1;
      return rocksdb::Status::IOError("closing " + path_, strerror(errno));
    }
    fd_ = -1;
    return rocksdb::Status::OK();
  }

 private:
  // "2026-11-26T23:40:01.123456Z 12345 ": UTC time and the thread's id.
  static std::string Prefix() {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    tm utc{};
    gmtime_r(&now.tv_sec, &utc);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %d ", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
             now.tv_nsec / 1000, static_cast<int>(gettid()));
    return prefix;
  }

  // Moves LOG, if it has anything in it, to LOG.old (replacing it).
  void MoveAside() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0 && st.st_size > 0) {
      ::rename(path_.c_str(), old_path_.c_str());
    }
  }

  // Opens LOG for appending; on failure fd_ stays -1 and the next line
  // tries again.
  void Open() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st {};
    size_ = fd_ >= 0 && ::fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  }

  // A failed write drops the rest of the line; nothing is retried later,
  // so a full disk costs log lines, never the process.
  bool WriteAll(const std::string& line) {
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  const std::string path_;
  const std::string old_path_;
  const uint64_t max_file_bytes_;
  mutable std::mutex mu_;
  bool started_ = false;  // guarded by mu_
  bool closed_ = false;   // guarded by mu_
  int fd_ = -1;           // guarded by mu_
  uint64_t size_ = 0;     // the current LOG's size; guarded by mu_
};

}  // namespace

std::shared_ptr<rocksdb::Logger> NewInfoLog(InfoLogOptions options) {
  return std::make_shared<InfoLog>(std::move(options));
}

}  // namespace changeledger::rocksdb_log
