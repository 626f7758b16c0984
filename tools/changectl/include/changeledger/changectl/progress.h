// A progress bar on stderr, drawn only when stderr is a terminal:
//   importing  [##########----------]  512/1024 rows
// Not thread-safe; one bar at a time.
#ifndef CHANGELEDGER_CHANGECTL_PROGRESS_H_
#define CHANGELEDGER_CHANGECTL_PROGRESS_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace changeledger::changectl {

class ProgressBar {
 public:
  // `enabled` false draws nothing (use StderrIsTerminal()).
  ProgressBar(std::string label, std::string unit, bool enabled, std::FILE* out = stderr);
  ~ProgressBar();
  // Redraws with done/total (total 0: unknown, shows a count only).
  void Update(uint64_t done, uint64_t total);
  // Clears the bar's line.
  void Finish();

  // The bar's text for done/total, without '\r' (for tests).
  static std::string Render(const std::string& label, const std::string& unit, uint64_t done,
                            uint64_t total, int width = 30);

 private:
  std::string label_;
  std::string unit_;
  bool enabled_;
  bool drawn_ = false;
  std::FILE* out_;
};

bool StderrIsTerminal();

}  // namespace changeledger::changectl

#endif  // CHANGELEDGER_CHANGECTL_PROGRESS_H_
