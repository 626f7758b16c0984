// Reading UTF-8 text one code point at a time, for the limits, trimming and
// checks that are stated in characters (Unicode code points), not bytes.
// Strict RFC 3629: overlong forms, surrogates and code points above
// U+10FFFF are not UTF-8. Every function is total: a byte that does not
// start a well-formed sequence reads as U+FFFD of length 1, so a loop over
// a string always advances and never reads past its end.
//
// Thread safety: pure functions.
#ifndef CHANGELEDGER_TEXT_UTF8_H_
#define CHANGELEDGER_TEXT_UTF8_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace changeledger::text {

struct CodePoint {
  char32_t value;
  size_t length;  // bytes, 1..4
  bool valid;     // false: a byte that is not UTF-8, read as U+FFFD
};

// The code point that starts at text[i] (i < text.size()).
CodePoint DecodeUtf8(absl::string_view text, size_t i);

// The number of code points; each byte that is not UTF-8 counts as one.
size_t CountCodePoints(absl::string_view text);

// The offset of the first byte that is not part of a well-formed sequence,
// or absl::string_view::npos when all of `text` is UTF-8.
size_t FirstInvalidUtf8(absl::string_view text);

// Unicode's White_Space property.
bool IsWhiteSpace(char32_t c);

// C0 controls, DEL and C1 controls.
bool IsControl(char32_t c);

}  // namespace changeledger::text

#endif  // CHANGELEDGER_TEXT_UTF8_H_
