#include "connectors/normalize/phone.h"

#include <phonenumbers/phonenumberutil.h>

#include <optional>

#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Longer input is no phone number; refusing it early bounds the work spent on a hostile field.
constexpr size_t kMaxInputBytes = 64;
// libphonenumber's code for "no region": only numbers with a country code parse.
constexpr const char* kNoRegion = "ZZ";

Status invalid(std::string what) {
  return {Errc::kInvalidArgument, "invalid phone number: " + std::move(what)};
}

const char* parse_error_text(PhoneNumberUtil::ErrorType error) {
  switch (error) {
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return "no valid country code, and none implied by the default region";
    case PhoneNumberUtil::NOT_A_NUMBER:
      return "it does not look like a phone number";
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
      return "too short after the international prefix";
    case PhoneNumberUtil::TOO_SHORT_NSN:
      return "too short";
    case PhoneNumberUtil::TOO_LONG_NSN:
      return "too long";
    default:
      return "it could not be parsed";
  }
}

Result<std::string> region_code(const PhoneNumberUtil& util, std::string_view default_region) {
  const std::string_view trimmed = trim_ascii_whitespace(default_region);
  if (trimmed.empty()) return std::string(kNoRegion);
  std::string region = ascii_upper(trimmed);
  if (region.size() != 2 || util.GetCountryCodeForRegion(region) == 0) {
    return Status(Errc::kInvalidArgument,
                  "unknown default region " + quoted_excerpt(default_region) +
                      " for phone numbers: expected an ISO 3166-1 alpha-2 code such as \"DE\"");
  }
  return region;
}

// The parsed number if it is valid; otherwise why not.
Result<PhoneNumber> parse_valid(const PhoneNumberUtil& util, const std::string& text,
                                const std::string& region) {
  PhoneNumber number;
  const PhoneNumberUtil::ErrorType error = util.Parse(text, region, &number);
  if (error != PhoneNumberUtil::NO_PARSING_ERROR) return invalid(parse_error_text(error));
  if (!util.IsValidNumber(number)) {
    return invalid("not a number its country's numbering plan assigns (wrong length or prefix)");
  }
  return number;
}

// "0044 20 ..." written by someone whose region dials another international prefix (the US dials
// 011): reads it again with '+' in place of "00".
std::optional<std::string> with_plus_for_double_zero(std::string_view text) {
  if (text.size() < 3 || text.substr(0, 2) != "00" || text[2] == '0') return std::nullopt;
  return "+" + std::string(text.substr(2));
}

}  // namespace

Result<std::string> normalize_phone(std::string_view raw, std::string_view default_region) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  Result<std::string> region = region_code(util, default_region);
  if (!region) return region.status();
  const std::string_view trimmed = trim_ascii_whitespace(raw);
  if (trimmed.empty()) return invalid("it is empty");
  if (trimmed.size() > kMaxInputBytes) return invalid("it is longer than 64 bytes");

  Result<PhoneNumber> number = parse_valid(util, std::string(trimmed), *region);
  if (!number) {
    const std::optional<std::string> international = with_plus_for_double_zero(trimmed);
    if (!international) return number.status();
    Result<PhoneNumber> retried = parse_valid(util, *international, *region);
    if (!retried) return number.status();
    number = std::move(retried);
  }
  std::string e164;
  util.Format(*number, PhoneNumberUtil::E164, &e164);
  return e164;
}

}  // namespace eddy
