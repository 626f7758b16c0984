#include "changeledger/text/utf8.h"

#include <string>

#include "gtest/gtest.h"

namespace changeledger::text {
namespace {

TEST(Utf8Test, DecodesOneToFourByteSequences) {
  const std::string text = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";  // a é € 😀
  CodePoint c = DecodeUtf8(text, 0);
  EXPECT_EQ(c.value, U'a');
  EXPECT_EQ(c.length, 1u);
  c = DecodeUtf8(text, 1);
  EXPECT_EQ(c.value, U'\u00e9');
  EXPECT_EQ(c.length, 2u);
  c = DecodeUtf8(text, 3);
  EXPECT_EQ(c.value, U'\u20ac');
  EXPECT_EQ(c.length, 3u);
  c = DecodeUtf8(text, 6);
  EXPECT_EQ(c.value, U'\U0001F600');
  EXPECT_EQ(c.length, 4u);
  EXPECT_TRUE(c.valid);
  EXPECT_EQ(CountCodePoints(text), 4u);
  EXPECT_EQ(FirstInvalidUtf8(text), absl::string_view::npos);
}

TEST(Utf8Test, EveryMalformedByteReadsAsOneReplacementCharacter) {
  for (const std::string& bad : {
           std::string("\x80"),              // continuation without a lead
           std::string("\xC0\xAF"),          // overlong '/'
           std::string("\xE0\x80\xAF"),      // overlong, three bytes
           std::string("\xED\xA0\x80"),      // surrogate U+D800
           std::string("\xF4\x90\x80\x80"),  // above U+10FFFF
           std::string("\xF5\x80\x80\x80"),  // lead byte never used
           std::string("\xE2\x82"),          // cut short
           std::string("\xE2\x28\xA1"),      // second byte not a continuation
       }) {
    const std::string text = "ok" + bad;
    EXPECT_EQ(FirstInvalidUtf8(text), 2u) << text;
    const CodePoint c = DecodeUtf8(text, 2);
    EXPECT_FALSE(c.valid);
    EXPECT_EQ(c.value, U'\ufffd');
    EXPECT_EQ(c.length, 1u);
    EXPECT_EQ(CountCodePoints(text), 2 + bad.size()) << "one per byte";
  }
}

TEST(Utf8Test, WhiteSpaceAndControlCharacters) {
  for (char32_t c : {U' ', U'\t', U'\n', U'\u00a0', U'\u2003', U'\u3000'}) {
    EXPECT_TRUE(IsWhiteSpace(c)) << static_cast<uint32_t>(c);
  }
  for (char32_t c : {U'a', U'\u200b', U'_'}) EXPECT_FALSE(IsWhiteSpace(c));
  for (char32_t c : {U'\0', U'\x1b', U'\x7f', U'\u0085', U'\u009f'}) EXPECT_TRUE(IsControl(c));
  for (char32_t c : {U' ', U'\u00a0', U'\u00e9'}) EXPECT_FALSE(IsControl(c));
}

}  // namespace
}  // namespace changeledger::text
