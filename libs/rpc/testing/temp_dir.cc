#include "changeledger/rpc/temp_dir.h"

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace changeledger::rpc::testing {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "changeledger_test.XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    // A test without its directory cannot run at all.
    std::perror("mkdtemp");
    std::abort();
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::string file = File(name);
  std::ofstream(file) << text;
  return file;
}

}  // namespace changeledger::rpc::testing
