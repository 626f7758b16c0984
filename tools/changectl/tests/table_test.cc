#include "changeledger/changectl/table.h"

#include <gtest/gtest.h>

namespace changeledger::changectl {
namespace {

TEST(TableTest, AlignsColumnsByWidestCellWithoutTrailingSpaces) {
  Table t({"TIER", "COUNT", "NOTE"});
  t.AlignRight(1);
  t.AddRow({"Mandated", "182", ""});
  t.AddRow({"Transformational", "7", "SRO-led"});
  EXPECT_EQ(t.Render(),
            "TIER              COUNT  NOTE\n"
            "Mandated            182\n"
            "Transformational      7  SRO-led\n");
}

TEST(TableTest, CountsUtf8CodePointsNotBytes) {
  Table t({"COST", "X"});
  t.AddRow({"£1", "a"});
  t.AddRow({"12", "b"});
  EXPECT_EQ(t.Render(), "COST  X\n£1    a\n12    b\n");
  EXPECT_EQ(DisplayWidth("£1,000"), 6u);
}

TEST(TableTest, ReplacesNewlinesAndPadsMissingCells) {
  Table t({"A", "B"});
  t.AddRow({"x\ny"});
  EXPECT_EQ(t.Render(), "A    B\nx y\n");
}

TEST(TableTest, ControlCharactersAreShownEscapedNotSentToTheTerminal) {
  Table t({"TITLE"});
  t.AddRow({"red \x1b[31mtext\x7f and \xc2\x9b" "31m"});
  EXPECT_EQ(t.Render(), "TITLE\nred \\x1b[31mtext\\x7f and \\u009b31m\n");
  EXPECT_EQ(RenderFields({{"title", "bell\a"}}), "title:  bell\\x07\n");
  // Other non-ASCII text is kept.
  EXPECT_EQ(RenderFields({{"title", "caf\xc3\xa9"}}), "title:  caf\xc3\xa9\n");
}

TEST(TableTest, RenderFieldsAlignsKeys) {
  EXPECT_EQ(RenderFields({{"name", "changes/1"}, {"business area", "MO"}}),
            "name:           changes/1\n"
            "business area:  MO\n");
}

}  // namespace
}  // namespace changeledger::changectl
