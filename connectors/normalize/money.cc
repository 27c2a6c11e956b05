#include "connectors/normalize/money.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

#include "connectors/normalize/ascii.h"
#include "connectors/normalize/currency.h"

namespace eddy {
namespace {

constexpr int64_t kPowersOfTen[] = {1, 10, 100, 1'000, 10'000};

Status invalid(std::string_view amount, std::string what) {
  return {Errc::kInvalidArgument,
          "invalid amount " + quoted_excerpt(amount) + ": " + std::move(what)};
}

// A decimal number split into its parts, its syntax checked.
struct Decimal {
  bool negative = false;
  std::string_view whole;
  std::string_view fraction;
};

Status check_digits(std::string_view text, std::string_view digits) {
  for (char c : digits) {
    if (c == ',') {
      return invalid(text, "use '.' as the decimal mark and no thousands separators");
    }
    if (!is_ascii_digit(c)) return invalid(text, "expected only digits and one '.'");
  }
  return Status::ok();
}

Result<Decimal> split_decimal(std::string_view text) {
  if (text.empty()) return invalid(text, "it is empty");
  Decimal d;
  std::string_view rest = text;
  if (rest.front() == '-' || rest.front() == '+') {
    d.negative = rest.front() == '-';
    rest.remove_prefix(1);
  }
  const size_t dot = rest.find('.');
  d.whole = rest.substr(0, dot);
  if (dot != std::string_view::npos) d.fraction = rest.substr(dot + 1);
  if (d.whole.empty()) return invalid(text, "expected a digit before the decimal point");
  if (dot != std::string_view::npos && d.fraction.empty()) {
    return invalid(text, "expected a digit after the decimal point");
  }
  if (Status s = check_digits(text, d.whole); !s) return s;
  if (Status s = check_digits(text, d.fraction); !s) return s;
  return d;
}

// `d` in units of 10^-kept, rounded half to even; fails on overflow.
Result<int64_t> to_scaled(std::string_view text, const Decimal& d, int kept) {
  int64_t value = 0;
  auto push_digit = [&value](char c) {
    return !__builtin_mul_overflow(value, 10, &value) &&
           !__builtin_add_overflow(value, c - '0', &value);
  };
  for (char c : d.whole) {
    if (!push_digit(c)) return invalid(text, "too large");
  }
  for (int i = 0; i < kept; ++i) {
    const char c = static_cast<size_t>(i) < d.fraction.size() ? d.fraction[i] : '0';
    if (!push_digit(c)) return invalid(text, "too large");
  }
  const std::string_view dropped = d.fraction.substr(std::min(d.fraction.size(), size_t(kept)));
  if (!dropped.empty()) {
    const char first = dropped.front();
    const bool beyond_half = dropped.find_first_not_of('0', 1) != std::string_view::npos;
    const bool round_up = first > '5' || (first == '5' && (beyond_half || value % 2 == 1));
    if (round_up && __builtin_add_overflow(value, 1, &value)) return invalid(text, "too large");
  }
  return d.negative ? -value : value;
}

// Parses `text` keeping `kept` decimals, then widens to kMoneyDecimals.
Result<int64_t> parse_amount(std::string_view text, int kept) {
  Result<Decimal> d = split_decimal(text);
  if (!d) return d.status();
  Result<int64_t> scaled = to_scaled(text, *d, kept);
  if (!scaled) return scaled;
  int64_t widened = 0;
  if (__builtin_mul_overflow(*scaled, kPowersOfTen[kMoneyDecimals - kept], &widened)) {
    return invalid(text, "too large");
  }
  return widened;
}

enum class Rounding { kToMoneyDecimals, kToMinorUnit };

Result<Money> make_money(std::string_view amount, std::string_view currency, Rounding rounding) {
  Result<CurrencyInfo> info = normalize_currency(currency);
  if (!info) return info.status();
  const int kept = rounding == Rounding::kToMinorUnit ? info->minor_digits : kMoneyDecimals;
  Result<int64_t> value = parse_amount(trim_ascii_whitespace(amount), kept);
  if (!value) return value.status();
  return Money{*value, std::string(info->code), info->minor_digits};
}

}  // namespace

int64_t Money::minor_units() const {
  assert(minor_digits <= kMoneyDecimals);
  const int64_t divisor = kPowersOfTen[kMoneyDecimals - minor_digits];
  const int64_t quotient = ten_thousandths / divisor;
  const int64_t remainder = ten_thousandths % divisor;  // has the sign of the amount
  const int64_t twice = 2 * (remainder < 0 ? -remainder : remainder);
  if (twice < divisor || (twice == divisor && quotient % 2 == 0)) return quotient;
  return remainder < 0 ? quotient - 1 : quotient + 1;
}

Result<Money> normalize_money(std::string_view amount, std::string_view currency) {
  return make_money(amount, currency, Rounding::kToMoneyDecimals);
}

Result<Money> normalize_money(double amount, std::string_view currency) {
  if (!std::isfinite(amount)) {
    return Status(Errc::kInvalidArgument, "invalid amount: the number is not finite");
  }
  // Fixed notation of the smallest double, 5e-324, takes 326 characters.
  char buffer[400];
  const auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, amount, std::chars_format::fixed);
  if (error != std::errc()) {
    return Status(Errc::kInvalidArgument, "invalid amount: the number is too large");
  }
  return make_money(std::string_view(buffer, end), currency, Rounding::kToMinorUnit);
}

}  // namespace eddy
