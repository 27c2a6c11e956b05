#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Amounts of money as exact fixed-point decimals with their ISO 4217 currency.
//
// Four decimal places are kept, whatever the currency: they hold the minor unit of every ISO 4217
// currency (CLF and UYW have four) and the sub-cent unit prices some shops publish ("0.0035 USD"
// per text message), and sums of amounts in one fixed scale need no rescaling. The range,
// +-922 trillion major units, is more than any order.
struct Money {
  int64_t ten_thousandths = 0;  // 19.99 EUR is 199'900
  std::string currency;         // ISO 4217 alphabetic code, upper case
  uint8_t minor_digits = 2;     // of the currency: 2 for EUR, 0 for JPY, 3 for KWD

  // The amount in the currency's minor unit (cents for EUR, yen for JPY), rounded half to even
  // when it has digits below that unit.
  int64_t minor_units() const;

  friend bool operator==(const Money&, const Money&) = default;
};

inline constexpr int kMoneyDecimals = 4;

// From a decimal string: optional sign, digits, optionally '.' and more digits ("19.99", "-5",
// "+0.5", "1200.00"). Parsed exactly, never through a double, so "19.99" is 1999 cents. Up to four
// decimals are kept as written even beyond the currency's minor unit; further digits are rounded
// half to even to four places, so that what JavaScript prints for 19.99 * 1
// ("19.990000000000002") still reads as 19.99. Refused with kInvalidArgument: thousands separators
// and decimal commas ("1,234.56", "19,99"; which is which cannot be told apart), exponents,
// currency symbols, an unknown currency, and amounts outside the range.
Result<Money> normalize_money(std::string_view amount, std::string_view currency);

// From a JSON number, rounded half to even to the currency's minor unit. The double is first
// printed as the shortest decimal that reads back as the same double (what the sender most likely
// wrote), and that decimal is rounded: 2.675 is stored as 2.67499999..., but it rounds to 2.68, as
// a person would expect, instead of 2.67. Not-finite numbers and overflow are refused.
Result<Money> normalize_money(double amount, std::string_view currency);

// Information lost, and so kept raw by the caller: digits beyond four decimals (text) or beyond
// the minor unit (numbers), the formatting ("1200.00" and "1200" are equal), and a currency code's
// case.

}  // namespace eddy
