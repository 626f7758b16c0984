#include "changeledger/changectl/progress.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace changeledger::changectl {
namespace {

TEST(ProgressBarTest, RendersDoneOfTotalWithABar) {
  EXPECT_EQ(ProgressBar::Render("importing r", "rows", 250, 1000, 20),
            "importing r  [#####---------------]  250/1000 rows (25%)");
  EXPECT_EQ(ProgressBar::Render("x", "rows", 1200, 1000, 4), "x  [####]  1000/1000 rows (100%)");
  EXPECT_EQ(ProgressBar::Render("rebuilding", "events", 7, 0),
            "rebuilding  7 events (total not known yet)");
}

TEST(ProgressBarTest, DrawsNothingWhenDisabled) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  {
    ProgressBar bar("importing", "rows", /*enabled=*/false, out);
    bar.Update(1, 2);
  }
  EXPECT_EQ(std::ftell(out), 0);
  {
    ProgressBar bar("importing", "rows", /*enabled=*/true, out);
    bar.Update(1, 2);
  }
  EXPECT_GT(std::ftell(out), 0);
  std::fclose(out);
}

}  // namespace
}  // namespace changeledger::changectl
