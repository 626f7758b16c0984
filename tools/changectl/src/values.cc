#include "changeledger/changectl/values.h"

#include <cctype>
#include <cstdio>

#include <google/protobuf/util/time_util.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "changeledger/text/utf8.h"

namespace changeledger::changectl {
namespace {

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// "In-Delivery" / "in delivery" -> "IN_DELIVERY".
std::string Normalise(absl::string_view text) {
  std::string out(absl::StripAsciiWhitespace(text));
  for (char& c : out) {
    if (c == '-' || c == ' ') c = '_';
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

template <typename E>
absl::StatusOr<E> ParseEnum(absl::string_view text, const google::protobuf::EnumDescriptor* d,
                            absl::string_view prefix) {
  const std::string norm = Normalise(text);
  std::string words;
  for (int i = 0; i < d->value_count(); ++i) {
    const auto* v = d->value(i);
    if (v->number() == 0) continue;
    const std::string& full = v->name();
    if (norm == full || absl::StrCat(prefix, norm) == full) return static_cast<E>(v->number());
    absl::StrAppend(&words, words.empty() ? "" : ", ", ShortEnumName(full, prefix));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not one of ", words));
}

}  // namespace

absl::StatusOr<common::v1::Date> ParseDate(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  int y = 0, m = 0, d = 0;
  bool ok = text.size() == 10 && text[4] == '-' && text[7] == '-' &&
            absl::SimpleAtoi(text.substr(0, 4), &y) && absl::SimpleAtoi(text.substr(5, 2), &m) &&
            absl::SimpleAtoi(text.substr(8, 2), &d);
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (ok && !std::isdigit(static_cast<unsigned char>(text[i]))) ok = false;
  }
  if (!ok || y < 1 || m < 1 || m > 12 || d < 1 || d > DaysIn(y, m)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a date (expected YYYY-MM-DD)"));
  }
  common::v1::Date date;
  date.set_year(y);
  date.set_month(m);
  date.set_day(d);
  return date;
}

absl::StatusOr<google::protobuf::Timestamp> ParseAsOf(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  google::protobuf::Timestamp ts;
  if (text == "now") {
    return google::protobuf::util::TimeUtil::GetCurrentTime();
  }
  if (text.size() == 10) {
    auto date = ParseDate(text);
    if (!date.ok()) return date.status();
    const std::string end_of_day = absl::StrCat(text, "T23:59:59.999999999Z");
    if (google::protobuf::util::TimeUtil::FromString(end_of_day, &ts)) return ts;
  } else if (google::protobuf::util::TimeUtil::FromString(std::string(text), &ts)) {
    return ts;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "\"", text, "\" is not a date or time (expected YYYY-MM-DD, an RFC 3339 time such as "
      "2021-05-12T09:30:00Z, or now)"));
}

std::string FormatDate(const common::v1::Date& date) {
  if (date.year() == 0 && date.month() == 0 && date.day() == 0) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", date.year(), date.month(), date.day());
  return buf;
}

absl::StatusOr<common::v1::Money> ParseMoney(absl::string_view text, absl::string_view currency) {
  std::string s(absl::StripAsciiWhitespace(text));
  const std::string original = s;
  if (absl::StartsWith(s, "\xC2\xA3")) s.erase(0, 2);  // "£"
  s = absl::StrReplaceAll(s, {{",", ""}});
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"", original, "\" is not an amount (expected e.g. 1250000 or 1250000.50)"));
  };
  if (s.empty()) return bad();
  absl::string_view whole = s, frac;
  if (size_t dot = s.find('.'); dot != std::string::npos) {
    whole = absl::string_view(s).substr(0, dot);
    frac = absl::string_view(s).substr(dot + 1);
    if (frac.empty() || frac.size() > 2) return bad();
  }
  if (whole.empty() || whole.size() > 15) return bad();
  for (char c : whole) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad();
  }
  for (char c : frac) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return bad();
  }
  int64_t major = 0, minor = 0;
  if (!absl::SimpleAtoi(whole, &major)) return bad();
  if (!frac.empty()) {
    if (!absl::SimpleAtoi(frac, &minor)) return bad();
    if (frac.size() == 1) minor *= 10;
  }
  std::string code = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(currency));
  if (code.empty()) code = "GBP";
  if (code.size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("currency \"", currency, "\" is not a three-letter ISO 4217 code"));
  }
  common::v1::Money money;
  money.set_currency_code(code);
  money.set_amount_minor(major * 100 + minor);
  return money;
}

std::string FormatMoney(const common::v1::Money& money) {
  if (money.currency_code().empty() && money.amount_minor() == 0) return "";
  std::string digits = absl::StrCat(money.amount_minor() / 100);
  std::string grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  char cents[8];
  std::snprintf(cents, sizeof cents, "%02d", static_cast<int>(money.amount_minor() % 100));
  return absl::StrCat(money.currency_code(), " ", grouped, ".", cents);
}

absl::StatusOr<bool> ParseBool(absl::string_view text) {
  const std::string s = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (s == "true" || s == "yes" || s == "y" || s == "1" || s == "on") return true;
  if (s == "false" || s == "no" || s == "n" || s == "0" || s == "off") return false;
  return absl::InvalidArgumentError(absl::StrCat("\"", text, "\" is not yes/no"));
}

absl::StatusOr<intake::v1::OrganisationalScope> ParseScope(absl::string_view text) {
  return ParseEnum<intake::v1::OrganisationalScope>(
      text, intake::v1::OrganisationalScope_descriptor(), "ORGANISATIONAL_SCOPE_");
}
absl::StatusOr<intake::v1::InterestLevel> ParseInterest(absl::string_view text) {
  return ParseEnum<intake::v1::InterestLevel>(text, intake::v1::InterestLevel_descriptor(),
                                              "INTEREST_LEVEL_");
}
absl::StatusOr<intake::v1::AimsClarity> ParseAims(absl::string_view text) {
  return ParseEnum<intake::v1::AimsClarity>(text, intake::v1::AimsClarity_descriptor(),
                                            "AIMS_CLARITY_");
}
absl::StatusOr<intake::v1::ChangeStatus> ParseChangeStatus(absl::string_view text) {
  return ParseEnum<intake::v1::ChangeStatus>(text, intake::v1::ChangeStatus_descriptor(),
                                             "CHANGE_STATUS_");
}
absl::StatusOr<intake::v1::ProposalState> ParseProposalState(absl::string_view text) {
  return ParseEnum<intake::v1::ProposalState>(text, intake::v1::ProposalState_descriptor(),
                                              "PROPOSAL_STATE_");
}
absl::StatusOr<intake::v1::DecisionOutcome> ParseDecisionOutcome(absl::string_view text) {
  return ParseEnum<intake::v1::DecisionOutcome>(text, intake::v1::DecisionOutcome_descriptor(),
                                                "DECISION_OUTCOME_");
}

std::string ShortEnumName(absl::string_view full_name, absl::string_view prefix) {
  absl::ConsumePrefix(&full_name, prefix);
  return absl::AsciiStrToLower(full_name);
}

std::string EnumWord(const google::protobuf::EnumDescriptor* descriptor, int value) {
  const auto* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  // The prefix is the enum's name in UPPER_SNAKE, e.g. ChangeStatus -> CHANGE_STATUS_.
  std::string prefix;
  for (char c : descriptor->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !prefix.empty()) prefix += '_';
    prefix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  prefix += '_';
  return ShortEnumName(v->name(), prefix);
}

absl::StatusOr<std::string> ResourceName(absl::string_view collection, absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  absl::string_view id = text;
  if (size_t slash = text.find('/'); slash != absl::string_view::npos) {
    if (text.substr(0, slash) != collection) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", text, "\" is not a ", collection, "/ name"));
    }
    id = text.substr(slash + 1);
  }
  if (id.empty() || absl::StrContains(id, "/")) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text, "\" is not a ", collection, " id or name"));
  }
  return absl::StrCat(collection, "/", absl::AsciiStrToLower(id));
}

std::string ResourceId(absl::string_view name) {
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    return std::string(name.substr(slash + 1));
  }
  return std::string(name);
}

std::string Utf8Problem(absl::string_view text) {
  const size_t bad = ::changeledger::text::FirstInvalidUtf8(text);
  if (bad == absl::string_view::npos) return "";
  const size_t characters = ::changeledger::text::CountCodePoints(text.substr(0, bad));
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
  return absl::StrCat("not valid UTF-8 (byte ", byte, " at character ", characters + 1, ")");
}

std::string ValidUtf8(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const auto c = ::changeledger::text::DecodeUtf8(text, i);
    if (c.valid) {
      out.append(text.data() + i, c.length);
    } else {
      out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    }
    i += c.length;
  }
  return out;
}

}  // namespace changeledger::changectl
