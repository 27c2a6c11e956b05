#include "connectors/match/customer_record.h"

#include "connectors/match/name_normalize.h"
#include "connectors/normalize/ascii.h"
#include "connectors/normalize/country.h"
#include "connectors/normalize/email.h"
#include "connectors/normalize/phone.h"

namespace eddy {
namespace {

// A number every region can read, since it carries its country code: if even this fails, the
// region is what is wrong.
constexpr std::string_view kInternationalNumber = "+14155552671";

bool is_zip_plus_4(std::string_view code) {
  if (code.size() != 10 || code[5] != '-') return false;
  for (size_t i = 0; i < code.size(); ++i) {
    if (i != 5 && !is_ascii_digit(code[i])) return false;
  }
  return true;
}

std::string normalize_postcode(std::string_view raw) {
  std::string_view code = trim_ascii_whitespace(raw);
  if (is_zip_plus_4(code)) code = code.substr(0, 5);
  std::string out;
  for (char c : code) {
    if (is_ascii_space(c) || c == '-') continue;
    out += c;
  }
  return ascii_upper(out);
}

// The phone number in E.164, or empty with a warning; an error only for an unknown default region.
Result<std::string> normalize_record_phone(std::string_view raw, std::string_view country,
                                           std::string_view default_region,
                                           std::vector<std::string>& warnings) {
  Result<std::string> phone = normalize_phone(raw, country.empty() ? default_region : country);
  if (!phone && !country.empty() && country != default_region) {
    Result<std::string> retried = normalize_phone(raw, default_region);
    if (retried) phone = std::move(retried);
  }
  if (phone) return phone;
  if (Result<std::string> probe = normalize_phone(kInternationalNumber, default_region); !probe) {
    return probe.status();
  }
  warnings.push_back("phone dropped: " + phone.status().message());
  return std::string();
}

}  // namespace

Result<CustomerRecord> normalize_customer_record(const RawCustomerRecord& raw,
                                                 std::string_view default_phone_region) {
  return normalize_customer_record(raw, default_phone_region, nullptr);
}

Result<CustomerRecord> normalize_customer_record(const RawCustomerRecord& raw,
                                                 std::string_view default_phone_region,
                                                 const std::string* normalized_phone) {
  CustomerRecord out;
  out.id = std::string(trim_ascii_whitespace(raw.id));
  if (out.id.empty()) return Status(Errc::kInvalidArgument, "invalid customer record: no id");

  if (!trim_ascii_whitespace(raw.country).empty()) {
    Result<std::string> country = normalize_country(raw.country);
    if (country) {
      out.country = std::move(*country);
    } else {
      // normalize_country's message quotes the input, which in a shifted CSV column may be
      // anything, so it is not repeated.
      out.warnings.push_back(
          "country dropped: not an ISO 3166-1 code or a country name that is known");
    }
  }
  if (!trim_ascii_whitespace(raw.email).empty()) {
    Result<std::string> email = normalize_email(raw.email);
    if (email) {
      out.email = std::move(*email);
    } else {
      out.warnings.push_back("email dropped: " + email.status().message());
    }
  }
  if (normalized_phone != nullptr) {
    out.phone = *normalized_phone;
  } else if (!trim_ascii_whitespace(raw.phone).empty()) {
    Result<std::string> phone =
        normalize_record_phone(raw.phone, out.country, default_phone_region, out.warnings);
    if (!phone) return phone.status();
    out.phone = std::move(*phone);
  }
  out.first_name = normalize_name(raw.first_name);
  out.last_name = normalize_name(raw.last_name);
  out.street = normalize_street(raw.street);
  out.postcode = normalize_postcode(raw.postcode);
  out.city = normalize_name(raw.city);

  if (out.email.empty() && out.phone.empty() && out.last_name.empty()) {
    std::string message =
        "invalid customer record: it has no email, phone or last name left to match it by";
    for (const std::string& w : out.warnings)
      message += "; " + w;
    return Status(Errc::kInvalidArgument, std::move(message));
  }
  return out;
}

}  // namespace eddy
