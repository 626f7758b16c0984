#include "changeledger/text/checks.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "changeledger/text/utf8.h"

namespace changeledger::text {

std::optional<std::string> ControlCharacterProblem(absl::string_view value,
                                                   AllowedControls allowed) {
  for (size_t i = 0; i < value.size();) {
    const CodePoint c = DecodeUtf8(value, i);
    i += c.length;
    if (!IsControl(c.value)) continue;
    if (allowed == AllowedControls::kLineBreaksAndTabs &&
        (c.value == '\n' || c.value == '\r' || c.value == '\t')) {
      continue;
    }
    return absl::StrCat("contains control character U+",
                        absl::AsciiStrToUpper(absl::StrCat(
                            absl::Hex(static_cast<uint32_t>(c.value), absl::kZeroPad4))));
  }
  return std::nullopt;
}

std::optional<std::string> RequestIdProblem(absl::string_view request_id) {
  if (CountCodePoints(request_id) > kMaxRequestIdChars) {
    return absl::StrCat("longer than ", kMaxRequestIdChars, " characters");
  }
  return ControlCharacterProblem(request_id, AllowedControls::kNone);
}

}  // namespace changeledger::text
