#include "changeledger/changectl/progress.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace changeledger::changectl {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, std::string unit, bool enabled, std::FILE* out)
    : label_(std::move(label)), unit_(std::move(unit)), enabled_(enabled), out_(out) {}

ProgressBar::~ProgressBar() { Finish(); }

std::string ProgressBar::Render(const std::string& label, const std::string& unit, uint64_t done,
                                uint64_t total, int width) {
  // Total 0 means unknown (see Update): a count alone could pass for one.
  if (total == 0) return absl::StrCat(label, "  ", done, " ", unit, " (total not known yet)");
  done = std::min(done, total);
  const int filled = static_cast<int>(done * static_cast<uint64_t>(width) / total);
  return absl::StrCat(label, "  [", std::string(filled, '#'), std::string(width - filled, '-'),
                      "]  ", done, "/", total, " ", unit, " (", done * 100 / total, "%)");
}

void ProgressBar::Update(uint64_t done, uint64_t total) {
  if (!enabled_) return;
  std::fprintf(out_, "\r\033[K%s", Render(label_, unit_, done, total).c_str());
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(out_, "\r\033[K");
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace changeledger::changectl
