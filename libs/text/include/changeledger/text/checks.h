// Checks of text a client sends that more than one service applies, so
// that the same field is held to the same rule and refused in the same
// words everywhere. Each returns the problem without the field's name
// ("contains control character U+001B"); the caller names the field.
//
// Thread safety: pure functions.
#ifndef CHANGELEDGER_TEXT_CHECKS_H_
#define CHANGELEDGER_TEXT_CHECKS_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace changeledger::text {

// Which control characters (C0, DEL, C1) a value may hold.
enum class AllowedControls {
  kNone,               // single-line text and identifiers
  kLineBreaksAndTabs,  // multi-line text: newline, carriage return and tab
};

// "contains control character U+001B", naming the first control character
// of `value` that `allowed` does not let through; std::nullopt when there
// is none.
std::optional<std::string> ControlCharacterProblem(absl::string_view value,
                                                   AllowedControls allowed);

// The most Unicode code points a command's request_id may hold.
inline constexpr size_t kMaxRequestIdChars = 128;

// A command's request_id, the client's key for retrying it safely: empty
// (no key), or at most kMaxRequestIdChars code points without a control
// character. Otherwise opaque: not trimmed, white space allowed. A control
// character would reach the logs and the events' causation ids, where it
// could end a line or hide the rest of the key. The problem:
// "longer than 128 characters" or "contains control character U+000A";
// std::nullopt when the id is acceptable.
std::optional<std::string> RequestIdProblem(absl::string_view request_id);

}  // namespace changeledger::text

#endif  // CHANGELEDGER_TEXT_CHECKS_H_
