// A benchmark's scratch directory for its databases.
#ifndef CHANGELEDGER_BENCH_SCRATCH_DIR_H_
#define CHANGELEDGER_BENCH_SCRATCH_DIR_H_

#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace changeledger::bench {

// Makes a new, empty directory <parent>/<name>.XXXXXX and returns its path;
// `parent` defaults to the temporary directory ($TMPDIR, else /tmp). On
// failure prints why (prefixed by `name`) and returns "". The caller
// removes the directory.
inline std::string MakeScratchDir(const std::string& name, std::string parent = "") {
  if (parent.empty()) parent = std::filesystem::temp_directory_path().string();
  std::string path = parent + "/" + name + ".XXXXXX";
  if (mkdtemp(path.data()) == nullptr) {
    perror((name + ": cannot make a scratch directory under " + parent).c_str());
    return "";
  }
  return path;
}

}  // namespace changeledger::bench

#endif  // CHANGELEDGER_BENCH_SCRATCH_DIR_H_
