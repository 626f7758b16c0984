// For tests in any module: a fresh directory of their own under the
// system's temp folder, removed with everything in it when the TempDir is
// destroyed.
#ifndef CHANGELEDGER_RPC_TESTING_TEMP_DIR_H_
#define CHANGELEDGER_RPC_TESTING_TEMP_DIR_H_

#include <filesystem>
#include <string>

namespace changeledger::rpc::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // The path of the file `name` in the directory (which need not exist).
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to the file `name` in the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::filesystem::path path_;
};

}  // namespace changeledger::rpc::testing

#endif  // CHANGELEDGER_RPC_TESTING_TEMP_DIR_H_
