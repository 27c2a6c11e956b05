#include "connectors/normalize/country.h"

#include <array>
#include <cassert>
#include <unordered_map>

#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

// ISO 3166-1, as of 2025: 249 entries.
constexpr auto kCountries = std::to_array<CountryInfo>({
    {"AF", "AFG", 4, "Afghanistan"},
    {"AX", "ALA", 248, "Åland Islands"},
    {"AL", "ALB", 8, "Albania"},
    {"DZ", "DZA", 12, "Algeria"},
    {"AS", "ASM", 16, "American Samoa"},
    {"AD", "AND", 20, "Andorra"},
    {"AO", "AGO", 24, "Angola"},
    {"AI", "AIA", 660, "Anguilla"},
    {"AQ", "ATA", 10, "Antarctica"},
    {"AG", "ATG", 28, "Antigua and Barbuda"},
    {"AR", "ARG", 32, "Argentina"},
    {"AM", "ARM", 51, "Armenia"},
    {"AW", "ABW", 533, "Aruba"},
    {"AU", "AUS", 36, "Australia"},
    {"AT", "AUT", 40, "Austria"},
    {"AZ", "AZE", 31, "Azerbaijan"},
    {"BS", "BHS", 44, "Bahamas"},
    {"BH", "BHR", 48, "Bahrain"},
    {"BD", "BGD", 50, "Bangladesh"},
    {"BB", "BRB", 52, "Barbados"},
    {"BY", "BLR", 112, "Belarus"},
    {"BE", "BEL", 56, "Belgium"},
    {"BZ", "BLZ", 84, "Belize"},
    {"BJ", "BEN", 204, "Benin"},
    {"BM", "BMU", 60, "Bermuda"},
    {"BT", "BTN", 64, "Bhutan"},
    {"BO", "BOL", 68, "Bolivia (Plurinational State of)"},
    {"BQ", "BES", 535, "Bonaire, Sint Eustatius and Saba"},
    {"BA", "BIH", 70, "Bosnia and Herzegovina"},
    {"BW", "BWA", 72, "Botswana"},
    {"BV", "BVT", 74, "Bouvet Island"},
    {"BR", "BRA", 76, "Brazil"},
    {"IO", "IOT", 86, "British Indian Ocean Territory"},
    {"BN", "BRN", 96, "Brunei Darussalam"},
    {"BG", "BGR", 100, "Bulgaria"},
    {"BF", "BFA", 854, "Burkina Faso"},
    {"BI", "BDI", 108, "Burundi"},
    {"CV", "CPV", 132, "Cabo Verde"},
    {"KH", "KHM", 116, "Cambodia"},
    {"CM", "CMR", 120, "Cameroon"},
    {"CA", "CAN", 124, "Canada"},
    {"KY", "CYM", 136, "Cayman Islands"},
    {"CF", "CAF", 140, "Central African Republic"},
    {"TD", "TCD", 148, "Chad"},
    {"CL", "CHL", 152, "Chile"},
    {"CN", "CHN", 156, "China"},
    {"CX", "CXR", 162, "Christmas Island"},
    {"CC", "CCK", 166, "Cocos (Keeling) Islands"},
    {"CO", "COL", 170, "Colombia"},
    {"KM", "COM", 174, "Comoros"},
    {"CG", "COG", 178, "Congo"},
    {"CD", "COD", 180, "Congo, Democratic Republic of the"},
    {"CK", "COK", 184, "Cook Islands"},
    {"CR", "CRI", 188, "Costa Rica"},
    {"CI", "CIV", 384, "Côte d'Ivoire"},
    {"HR", "HRV", 191, "Croatia"},
    {"CU", "CUB", 192, "Cuba"},
    {"CW", "CUW", 531, "Curaçao"},
    {"CY", "CYP", 196, "Cyprus"},
    {"CZ", "CZE", 203, "Czechia"},
    {"DK", "DNK", 208, "Denmark"},
    {"DJ", "DJI", 262, "Djibouti"},
    {"DM", "DMA", 212, "Dominica"},
    {"DO", "DOM", 214, "Dominican Republic"},
    {"EC", "ECU", 218, "Ecuador"},
    {"EG", "EGY", 818, "Egypt"},
    {"SV", "SLV", 222, "El Salvador"},
    {"GQ", "GNQ", 226, "Equatorial Guinea"},
    {"ER", "ERI", 232, "Eritrea"},
    {"EE", "EST", 233, "Estonia"},
    {"SZ", "SWZ", 748, "Eswatini"},
    {"ET", "ETH", 231, "Ethiopia"},
    {"FK", "FLK", 238, "Falkland Islands (Malvinas)"},
    {"FO", "FRO", 234, "Faroe Islands"},
    {"FJ", "FJI", 242, "Fiji"},
    {"FI", "FIN", 246, "Finland"},
    {"FR", "FRA", 250, "France"},
    {"GF", "GUF", 254, "French Guiana"},
    {"PF", "PYF", 258, "French Polynesia"},
    {"TF", "ATF", 260, "French Southern Territories"},
    {"GA", "GAB", 266, "Gabon"},
    {"GM", "GMB", 270, "Gambia"},
    {"GE", "GEO", 268, "Georgia"},
    {"DE", "DEU", 276, "Germany"},
    {"GH", "GHA", 288, "Ghana"},
    {"GI", "GIB", 292, "Gibraltar"},
    {"GR", "GRC", 300, "Greece"},
    {"GL", "GRL", 304, "Greenland"},
    {"GD", "GRD", 308, "Grenada"},
    {"GP", "GLP", 312, "Guadeloupe"},
    {"GU", "GUM", 316, "Guam"},
    {"GT", "GTM", 320, "Guatemala"},
    {"GG", "GGY", 831, "Guernsey"},
    {"GN", "GIN", 324, "Guinea"},
    {"GW", "GNB", 624, "Guinea-Bissau"},
    {"GY", "GUY", 328, "Guyana"},
    {"HT", "HTI", 332, "Haiti"},
    {"HM", "HMD", 334, "Heard Island and McDonald Islands"},
    {"VA", "VAT", 336, "Holy See"},
    {"HN", "HND", 340, "Honduras"},
    {"HK", "HKG", 344, "Hong Kong"},
    {"HU", "HUN", 348, "Hungary"},
    {"IS", "ISL", 352, "Iceland"},
    {"IN", "IND", 356, "India"},
    {"ID", "IDN", 360, "Indonesia"},
    {"IR", "IRN", 364, "Iran (Islamic Republic of)"},
    {"IQ", "IRQ", 368, "Iraq"},
    {"IE", "IRL", 372, "Ireland"},
    {"IM", "IMN", 833, "Isle of Man"},
    {"IL", "ISR", 376, "Israel"},
    {"IT", "ITA", 380, "Italy"},
    {"JM", "JAM", 388, "Jamaica"},
    {"JP", "JPN", 392, "Japan"},
    {"JE", "JEY", 832, "Jersey"},
    {"JO", "JOR", 400, "Jordan"},
    {"KZ", "KAZ", 398, "Kazakhstan"},
    {"KE", "KEN", 404, "Kenya"},
    {"KI", "KIR", 296, "Kiribati"},
    {"KP", "PRK", 408, "Korea, Democratic People's Republic of"},
    {"KR", "KOR", 410, "Korea, Republic of"},
    {"KW", "KWT", 414, "Kuwait"},
    {"KG", "KGZ", 417, "Kyrgyzstan"},
    {"LA", "LAO", 418, "Lao People's Democratic Republic"},
    {"LV", "LVA", 428, "Latvia"},
    {"LB", "LBN", 422, "Lebanon"},
    {"LS", "LSO", 426, "Lesotho"},
    {"LR", "LBR", 430, "Liberia"},
    {"LY", "LBY", 434, "Libya"},
    {"LI", "LIE", 438, "Liechtenstein"},
    {"LT", "LTU", 440, "Lithuania"},
    {"LU", "LUX", 442, "Luxembourg"},
    {"MO", "MAC", 446, "Macao"},
    {"MG", "MDG", 450, "Madagascar"},
    {"MW", "MWI", 454, "Malawi"},
    {"MY", "MYS", 458, "Malaysia"},
    {"MV", "MDV", 462, "Maldives"},
    {"ML", "MLI", 466, "Mali"},
    {"MT", "MLT", 470, "Malta"},
    {"MH", "MHL", 584, "Marshall Islands"},
    {"MQ", "MTQ", 474, "Martinique"},
    {"MR", "MRT", 478, "Mauritania"},
    {"MU", "MUS", 480, "Mauritius"},
    {"YT", "MYT", 175, "Mayotte"},
    {"MX", "MEX", 484, "Mexico"},
    {"FM", "FSM", 583, "Micronesia (Federated States of)"},
    {"MD", "MDA", 498, "Moldova, Republic of"},
    {"MC", "MCO", 492, "Monaco"},
    {"MN", "MNG", 496, "Mongolia"},
    {"ME", "MNE", 499, "Montenegro"},
    {"MS", "MSR", 500, "Montserrat"},
    {"MA", "MAR", 504, "Morocco"},
    {"MZ", "MOZ", 508, "Mozambique"},
    {"MM", "MMR", 104, "Myanmar"},
    {"NA", "NAM", 516, "Namibia"},
    {"NR", "NRU", 520, "Nauru"},
    {"NP", "NPL", 524, "Nepal"},
    {"NL", "NLD", 528, "Netherlands"},
    {"NC", "NCL", 540, "New Caledonia"},
    {"NZ", "NZL", 554, "New Zealand"},
    {"NI", "NIC", 558, "Nicaragua"},
    {"NE", "NER", 562, "Niger"},
    {"NG", "NGA", 566, "Nigeria"},
    {"NU", "NIU", 570, "Niue"},
    {"NF", "NFK", 574, "Norfolk Island"},
    {"MK", "MKD", 807, "North Macedonia"},
    {"MP", "MNP", 580, "Northern Mariana Islands"},
    {"NO", "NOR", 578, "Norway"},
    {"OM", "OMN", 512, "Oman"},
    {"PK", "PAK", 586, "Pakistan"},
    {"PW", "PLW", 585, "Palau"},
    {"PS", "PSE", 275, "Palestine, State of"},
    {"PA", "PAN", 591, "Panama"},
    {"PG", "PNG", 598, "Papua New Guinea"},
    {"PY", "PRY", 600, "Paraguay"},
    {"PE", "PER", 604, "Peru"},
    {"PH", "PHL", 608, "Philippines"},
    {"PN", "PCN", 612, "Pitcairn"},
    {"PL", "POL", 616, "Poland"},
    {"PT", "PRT", 620, "Portugal"},
    {"PR", "PRI", 630, "Puerto Rico"},
    {"QA", "QAT", 634, "Qatar"},
    {"RE", "REU", 638, "Réunion"},
    {"RO", "ROU", 642, "Romania"},
    {"RU", "RUS", 643, "Russian Federation"},
    {"RW", "RWA", 646, "Rwanda"},
    {"BL", "BLM", 652, "Saint Barthélemy"},
    {"SH", "SHN", 654, "Saint Helena, Ascension and Tristan da Cunha"},
    {"KN", "KNA", 659, "Saint Kitts and Nevis"},
    {"LC", "LCA", 662, "Saint Lucia"},
    {"MF", "MAF", 663, "Saint Martin (French part)"},
    {"PM", "SPM", 666, "Saint Pierre and Miquelon"},
    {"VC", "VCT", 670, "Saint Vincent and the Grenadines"},
    {"WS", "WSM", 882, "Samoa"},
    {"SM", "SMR", 674, "San Marino"},
    {"ST", "STP", 678, "Sao Tome and Principe"},
    {"SA", "SAU", 682, "Saudi Arabia"},
    {"SN", "SEN", 686, "Senegal"},
    {"RS", "SRB", 688, "Serbia"},
    {"SC", "SYC", 690, "Seychelles"},
    {"SL", "SLE", 694, "Sierra Leone"},
    {"SG", "SGP", 702, "Singapore"},
    {"SX", "SXM", 534, "Sint Maarten (Dutch part)"},
    {"SK", "SVK", 703, "Slovakia"},
    {"SI", "SVN", 705, "Slovenia"},
    {"SB", "SLB", 90, "Solomon Islands"},
    {"SO", "SOM", 706, "Somalia"},
    {"ZA", "ZAF", 710, "South Africa"},
    {"GS", "SGS", 239, "South Georgia and the South Sandwich Islands"},
    {"SS", "SSD", 728, "South Sudan"},
    {"ES", "ESP", 724, "Spain"},
    {"LK", "LKA", 144, "Sri Lanka"},
    {"SD", "SDN", 729, "Sudan"},
    {"SR", "SUR", 740, "Suriname"},
    {"SJ", "SJM", 744, "Svalbard and Jan Mayen"},
    {"SE", "SWE", 752, "Sweden"},
    {"CH", "CHE", 756, "Switzerland"},
    {"SY", "SYR", 760, "Syrian Arab Republic"},
    {"TW", "TWN", 158, "Taiwan, Province of China"},
    {"TJ", "TJK", 762, "Tajikistan"},
    {"TZ", "TZA", 834, "Tanzania, United Republic of"},
    {"TH", "THA", 764, "Thailand"},
    {"TL", "TLS", 626, "Timor-Leste"},
    {"TG", "TGO", 768, "Togo"},
    {"TK", "TKL", 772, "Tokelau"},
    {"TO", "TON", 776, "Tonga"},
    {"TT", "TTO", 780, "Trinidad and Tobago"},
    {"TN", "TUN", 788, "Tunisia"},
    {"TR", "TUR", 792, "Türkiye"},
    {"TM", "TKM", 795, "Turkmenistan"},
    {"TC", "TCA", 796, "Turks and Caicos Islands"},
    {"TV", "TUV", 798, "Tuvalu"},
    {"UG", "UGA", 800, "Uganda"},
    {"UA", "UKR", 804, "Ukraine"},
    {"AE", "ARE", 784, "United Arab Emirates"},
    {"GB", "GBR", 826, "United Kingdom of Great Britain and Northern Ireland"},
    {"US", "USA", 840, "United States of America"},
    {"UM", "UMI", 581, "United States Minor Outlying Islands"},
    {"UY", "URY", 858, "Uruguay"},
    {"UZ", "UZB", 860, "Uzbekistan"},
    {"VU", "VUT", 548, "Vanuatu"},
    {"VE", "VEN", 862, "Venezuela (Bolivarian Republic of)"},
    {"VN", "VNM", 704, "Viet Nam"},
    {"VG", "VGB", 92, "Virgin Islands (British)"},
    {"VI", "VIR", 850, "Virgin Islands (U.S.)"},
    {"WF", "WLF", 876, "Wallis and Futuna"},
    {"EH", "ESH", 732, "Western Sahara"},
    {"YE", "YEM", 887, "Yemen"},
    {"ZM", "ZMB", 894, "Zambia"},
    {"ZW", "ZWE", 716, "Zimbabwe"},
});

// Names people write that are neither a code nor the ISO name, already in folded form (see
// fold_key). Each names the alpha-2 code it stands for.
struct Alias {
  std::string_view key;
  std::string_view alpha2;
};

constexpr auto kAliases = std::to_array<Alias>({
    {"united states", "US"},
    {"america", "US"},
    {"uk", "GB"},
    {"united kingdom", "GB"},
    {"great britain", "GB"},
    {"britain", "GB"},
    {"england", "GB"},
    {"scotland", "GB"},
    {"wales", "GB"},
    {"northern ireland", "GB"},
    {"deutschland", "DE"},
    {"czech republic", "CZ"},
    {"turkey", "TR"},
    {"south korea", "KR"},
    {"republic of korea", "KR"},
    {"korea", "KR"},
    {"north korea", "KP"},
    {"russia", "RU"},
    {"vietnam", "VN"},
    {"iran", "IR"},
    {"syria", "SY"},
    {"laos", "LA"},
    {"bolivia", "BO"},
    {"venezuela", "VE"},
    {"tanzania", "TZ"},
    {"moldova", "MD"},
    {"micronesia", "FM"},
    {"taiwan", "TW"},
    {"palestine", "PS"},
    {"vatican", "VA"},
    {"vatican city", "VA"},
    {"brunei", "BN"},
    {"cape verde", "CV"},
    {"ivory coast", "CI"},
    {"swaziland", "SZ"},
    {"macedonia", "MK"},
    {"burma", "MM"},
    {"east timor", "TL"},
    {"macau", "MO"},
    {"holland", "NL"},
    {"nederland", "NL"},
    {"dr congo", "CD"},
    {"drc", "CD"},
    {"democratic republic of the congo", "CD"},
    {"congo-kinshasa", "CD"},
    {"republic of the congo", "CG"},
    {"congo-brazzaville", "CG"},
    {"uae", "AE"},
    {"falkland islands", "FK"},
    {"british virgin islands", "VG"},
    {"us virgin islands", "VI"},
    {"bosnia", "BA"},
    {"saint martin", "MF"},
    {"sint maarten", "SX"},
    {"saint helena", "SH"},
    {"cocos islands", "CC"},
    {"china mainland", "CN"},
    {"people's republic of china", "CN"},
    {"republic of ireland", "IE"},
    {"eire", "IE"},
    {"osterreich", "AT"},
    {"schweiz", "CH"},
    {"suisse", "CH"},
    {"espana", "ES"},
    {"italia", "IT"},
    {"polska", "PL"},
    {"brasil", "BR"},
    {"sverige", "SE"},
    {"danmark", "DK"},
    {"norge", "NO"},
    {"suomi", "FI"},
    {"belgie", "BE"},
    {"belgique", "BE"},
});

// ASCII for the Latin-1 letters U+00C0..U+00FF, whose UTF-8 form is 0xC3 followed by 0x80..0xBF;
// null where the character is no letter (the multiplication and division signs).
constexpr std::array<const char*, 64> kLatin1Folds = {
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",   // C0-CF
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "ss",  // D0-DF
    "a", "a", "a", "a", "a", "a", "ae", "c",     "e", "e", "e", "e", "i", "i", "i",  "i",   // E0-EF
    "d", "n", "o", "o", "o", "o", "o",  nullptr, "o", "u", "u", "u", "u", "y", "th", "y",   // F0-FF
};

// The ASCII a UTF-8 sequence at `text[i]` folds to, advancing `i` past what it used.
std::string_view fold_char(std::string_view text, size_t& i) {
  static constexpr std::string_view kRightQuote = "\xE2\x80\x99";  // U+2019, Word's apostrophe
  const auto byte = static_cast<unsigned char>(text[i]);
  if (byte == 0xC3 && i + 1 < text.size()) {
    const auto next = static_cast<unsigned char>(text[i + 1]);
    if (next >= 0x80 && next <= 0xBF && kLatin1Folds[next - 0x80] != nullptr) {
      ++i;
      return kLatin1Folds[next - 0x80];
    }
  }
  if (text.substr(i, kRightQuote.size()) == kRightQuote) {
    i += kRightQuote.size() - 1;
    return "'";
  }
  return text.substr(i, 1);
}

// The form names are compared in: lower case, no dots, no accents, single spaces, no leading
// "the", and "saint" for a leading "st".
std::string fold_key(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  bool space_pending = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '.') continue;
    if (is_ascii_space(raw[i])) {
      space_pending = !out.empty();
      continue;
    }
    if (space_pending) out += ' ';
    space_pending = false;
    out += ascii_lower(fold_char(raw, i));
  }
  if (out.starts_with("the ")) out.erase(0, 4);
  if (out.starts_with("st ")) out.replace(0, 2, "saint");
  return out;
}

std::string numeric_key(uint16_t numeric) {
  std::string key = std::to_string(numeric);
  return std::string(3 - key.size(), '0') + key;
}

using CountryIndex = std::unordered_map<std::string, std::string_view>;

void add(CountryIndex& index, std::string key, std::string_view alpha2) {
  const auto [it, inserted] = index.emplace(std::move(key), alpha2);
  assert((inserted || it->second == alpha2) && "a key names two countries");
  (void)it;
  (void)inserted;
}

CountryIndex build_index() {
  CountryIndex index;
  for (const CountryInfo& c : kCountries) {
    add(index, ascii_lower(c.alpha2), c.alpha2);
    add(index, ascii_lower(c.alpha3), c.alpha2);
    add(index, numeric_key(c.numeric), c.alpha2);
    add(index, fold_key(c.name), c.alpha2);
  }
  for (const Alias& a : kAliases)
    add(index, std::string(a.key), a.alpha2);
  return index;
}

// "76", "076" and "0076" all name Brazil; digits beyond three significant ones name nothing.
std::string lookup_key(std::string_view text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) {
    return fold_key(text);
  }
  const size_t first = std::min(text.find_first_not_of('0'), text.size() - 1);
  const std::string_view significant = text.substr(first);
  if (significant.size() > 3) return std::string(significant);
  return std::string(3 - significant.size(), '0') + std::string(significant);
}

}  // namespace

std::span<const CountryInfo> iso3166_countries() {
  return kCountries;
}

Result<std::string> normalize_country(std::string_view raw) {
  // A function-local static: built once, on first use, with thread-safe initialisation.
  static const CountryIndex index = build_index();
  const std::string_view text = trim_ascii_whitespace(raw);
  if (text.empty()) return Status(Errc::kInvalidArgument, "invalid country: it is empty");
  const auto it = index.find(lookup_key(text));
  if (it == index.end()) {
    return Status(Errc::kInvalidArgument,
                  "unknown country " + quoted_excerpt(raw) +
                      ": expected an ISO 3166-1 code or an English country name");
  }
  return std::string(it->second);
}

}  // namespace eddy
