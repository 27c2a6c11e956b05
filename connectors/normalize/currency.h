#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// An active ISO 4217 currency: its alphabetic code and how many decimal digits its minor unit has
// (2 for EUR's cents, 0 for JPY, 3 for KWD's fils, 4 for Chile's CLF).
struct CurrencyInfo {
  std::string_view code;
  uint8_t minor_digits;
};

// Every active ISO 4217 currency, sorted by code. Precious metals (XAU...), the SDR, fund codes
// without a minor unit and the testing codes (XTS, XXX) are left out: no shop prices in them.
// Withdrawn codes (HRK, ZWL, VEF...) are left out too; an order priced in one is worth a look.
std::span<const CurrencyInfo> iso4217_currencies();

// The currency for a code in any case with whitespace around it ("eur", " USD "); kInvalidArgument
// names the code when it is not an active ISO 4217 currency.
Result<CurrencyInfo> normalize_currency(std::string_view raw);

}  // namespace eddy
