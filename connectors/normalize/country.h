#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// One ISO 3166-1 country: its two- and three-letter codes, its numeric code and its English short
// name as ISO writes it.
struct CountryInfo {
  std::string_view alpha2;
  std::string_view alpha3;
  uint16_t numeric;
  std::string_view name;
};

// All 249 officially assigned ISO 3166-1 codes, in order of their English names.
std::span<const CountryInfo> iso3166_countries();

// A country as shops and CRMs write it, to its ISO 3166-1 alpha-2 code in upper case ("DE"):
// from an alpha-2 or alpha-3 code, a numeric code ("276", "76"), the English short name, or a
// common variant: "USA", "U.S.", "United States", "UK", "Great Britain", "Czech Republic",
// "Turkey", "South Korea", "Russia", "Vietnam", "Ivory Coast", a few names in the country's own
// language ("Deutschland", "España", "Schweiz"). Matching ignores case, dots, a leading "the",
// repeated spaces and the accents of Latin letters ("Turkiye", "Cote d'Ivoire"), and reads a
// leading "St" as "Saint".
//
// "UK" maps to GB, and England, Scotland, Wales and Northern Ireland do too: ISO 3166-1 has no
// codes for them, and a shop shipping there ships to GB. "Korea" alone means South Korea, as it
// does in practically every order. Anything else fails with kInvalidArgument, quoting the input.
//
// Information lost, and so kept raw by the caller: the spelling the customer used, and the part of
// GB that a name such as "Scotland" named.
//
// Thread-safe: the lookup table is built once, on first use, and only read afterwards.
Result<std::string> normalize_country(std::string_view raw);

}  // namespace eddy
