#include "changeledger/text/checks.h"

#include <string>

#include "gtest/gtest.h"

namespace changeledger::text {
namespace {

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ChecksTest, ControlCharacterProblemNamesTheFirstOneNotAllowed) {
  EXPECT_EQ(ControlCharacterProblem("plain text, caf\u00e9", AllowedControls::kNone),
            std::nullopt);
  EXPECT_EQ(ControlCharacterProblem("a\x1b[31mred\x07", AllowedControls::kNone),
            "contains control character U+001B");
  EXPECT_EQ(ControlCharacterProblem(std::string("nul\0byte", 8), AllowedControls::kNone),
            "contains control character U+0000");
  EXPECT_EQ(ControlCharacterProblem("del\x7f", AllowedControls::kNone),
            "contains control character U+007F");
  EXPECT_EQ(ControlCharacterProblem("csi\u009b31m", AllowedControls::kNone),
            "contains control character U+009B");
  // Line breaks and tabs are control characters too, unless allowed.
  EXPECT_EQ(ControlCharacterProblem("a\tb", AllowedControls::kNone),
            "contains control character U+0009");
  EXPECT_EQ(
      ControlCharacterProblem("line\r\n\tindented", AllowedControls::kLineBreaksAndTabs),
      std::nullopt);
  EXPECT_EQ(
      ControlCharacterProblem("line\n\x0cpage", AllowedControls::kLineBreaksAndTabs),
      "contains control character U+000C");
  // A byte that is not UTF-8 is not a control character (it reads as
  // U+FFFD); protobuf refuses such strings before they get here.
  EXPECT_EQ(ControlCharacterProblem("\x80\xff", AllowedControls::kNone), std::nullopt);
}

TEST(ChecksTest, RequestIdIsBoundedInCharactersAndHoldsNoControlCharacter) {
  EXPECT_EQ(RequestIdProblem(""), std::nullopt);
  EXPECT_EQ(RequestIdProblem(std::string(128, 'r')), std::nullopt);
  EXPECT_EQ(RequestIdProblem(Repeat("\u00e9", 128)), std::nullopt);  // 256 bytes
  // Opaque: white space and separators are the client's business.
  EXPECT_EQ(RequestIdProblem(" padded / with:colons "), std::nullopt);

  EXPECT_EQ(RequestIdProblem(std::string(129, 'r')), "longer than 128 characters");
  EXPECT_EQ(RequestIdProblem(Repeat("\u00e9", 129)), "longer than 128 characters");
  EXPECT_EQ(RequestIdProblem("retry-1\n"), "contains control character U+000A");
  EXPECT_EQ(RequestIdProblem("a\u0085b"), "contains control character U+0085");
  // One problem at a time: the length first.
  EXPECT_EQ(RequestIdProblem(std::string(129, '\x1b')), "longer than 128 characters");
}

}  // namespace
}  // namespace changeledger::text
