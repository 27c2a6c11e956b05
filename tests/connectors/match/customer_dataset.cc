#include "tests/connectors/match/customer_dataset.h"

#include <array>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>

#include "connectors/normalize/phone.h"

namespace eddy {
namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, n); the modulo's bias is far below what a test could notice.
  size_t below(size_t n) { return static_cast<size_t>(engine_() % n); }
  bool chance(double p) { return static_cast<double>(engine_() >> 11) * 0x1.0p-53 < p; }
  template <typename T>
  const T& pick(std::span<const T> items) {
    return items[below(items.size())];
  }
  std::string digits(size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i)
      out += static_cast<char>('0' + below(10));
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

// Common given names, and common family names of Germany and of the UK and US; accents as
// people write them.
constexpr auto kGermanFirstNames = std::to_array<std::string_view>({
    "Anna",    "Maria",    "Sophie",     "Emma",      "Hannah",    "Lena",      "Laura",
    "Julia",   "Lea",      "Lisa",       "Sarah",     "Katharina", "Johanna",   "Charlotte",
    "Clara",   "Marie",    "Paula",      "Greta",     "Frieda",    "Ursula",    "Monika",
    "Petra",   "Sabine",   "Claudia",    "Susanne",   "Andrea",    "Stefanie",  "Nicole",
    "Birgit",  "Karin",    "Renate",     "Ingrid",    "Gisela",    "Helga",     "Heike",
    "Anke",    "Silke",    "Frauke",     "Marlene",   "Mia",       "Emilia",    "Ida",
    "Jana",    "Michaela", "Christiane", "Daniela",   "Jürgen",    "Jörg",      "Björn",
    "Sören",   "Günter",   "Klaus",      "Uwe",       "Dieter",    "Wolfgang",  "Horst",
    "Rainer",  "Manfred",  "Bernd",      "Frank",     "Stefan",    "Thomas",    "Michael",
    "Andreas", "Markus",   "Matthias",   "Christian", "Daniel",    "Alexander", "Sebastian",
    "Tobias",  "Florian",  "Maximilian", "Lukas",     "Jonas",     "Felix",     "Leon",
    "Paul",    "Niklas",   "Moritz",     "Finn",      "Tim",       "Jan",       "Nils",
    "Ole",     "Malte",    "Henrik",     "Benedikt",  "Dominik",   "Patrick",   "Sven",
    "Kai",     "Hans",     "Peter",      "Gerhard",   "Heinz",     "Werner",    "Karl",
    "Ralf",    "Holger",   "Volker",     "Torsten",   "Dörte",     "Käthe",     "Henning",
});

constexpr auto kEnglishFirstNames = std::to_array<std::string_view>({
    "James",    "John",        "Robert",   "William", "David",     "Richard",  "Joseph",
    "Charles",  "Christopher", "Matthew",  "Anthony", "Mark",      "Donald",   "Steven",
    "Andrew",   "Joshua",      "Kevin",    "Brian",   "George",    "Edward",   "Ronald",
    "Timothy",  "Jason",       "Jeffrey",  "Ryan",    "Jacob",     "Gary",     "Nicholas",
    "Eric",     "Jonathan",    "Stephen",  "Larry",   "Justin",    "Scott",    "Brandon",
    "Benjamin", "Samuel",      "Gregory",  "Oliver",  "Harry",     "Jack",     "Charlie",
    "Mary",     "Patricia",    "Jennifer", "Linda",   "Elizabeth", "Barbara",  "Susan",
    "Jessica",  "Margaret",    "Karen",    "Nancy",   "Betty",     "Dorothy",  "Sandra",
    "Ashley",   "Kimberly",    "Donna",    "Emily",   "Michelle",  "Carol",    "Amanda",
    "Melissa",  "Deborah",     "Rebecca",  "Sharon",  "Cynthia",   "Kathleen", "Amy",
    "Shirley",  "Angela",      "Helen",    "Brenda",  "Olivia",    "Amelia",   "Isla",
    "Ava",      "Grace",       "Freya",    "Poppy",   "Ella",      "Evie",     "Ann",
    "Louise",   "Siobhan",     "Niamh",    "Seán",    "Zoë",       "Chloé",    "Renée",
    "José",     "Paul",        "Daniel",   "Michael", "Thomas",    "Anna",     "Sophie",
    "Lucy",     "Hannah",      "Ethan",    "Noah",    "Liam",      "Mason",    "Logan",
});

constexpr auto kGermanLastNames = std::to_array<std::string_view>({
    "Müller",     "Schmidt",  "Schneider", "Fischer", "Weber",   "Meyer",      "Wagner",
    "Becker",     "Schulz",   "Hoffmann",  "Schäfer", "Koch",    "Bauer",      "Richter",
    "Klein",      "Wolf",     "Schröder",  "Neumann", "Schwarz", "Zimmermann", "Braun",
    "Krüger",     "Hofmann",  "Hartmann",  "Lange",   "Schmitt", "Werner",     "Schmitz",
    "Krause",     "Meier",    "Lehmann",   "Schmid",  "Schulze", "Maier",      "Köhler",
    "Herrmann",   "König",    "Walter",    "Mayer",   "Huber",   "Kaiser",     "Fuchs",
    "Peters",     "Lang",     "Scholz",    "Möller",  "Weiß",    "Jung",       "Hahn",
    "Schubert",   "Vogel",    "Friedrich", "Keller",  "Günther", "Frank",      "Berger",
    "Winkler",    "Roth",     "Beck",      "Lorenz",  "Baumann", "Franke",     "Albrecht",
    "Schuster",   "Simon",    "Ludwig",    "Böhm",    "Winter",  "Kraus",      "Martin",
    "Schumacher", "Krämer",   "Vogt",      "Stein",   "Jäger",   "Otto",       "Sommer",
    "Groß",       "Seidel",   "Heinrich",  "Brandt",  "Haas",    "Schreiber",  "Graf",
    "Schulte",    "Dietrich", "Ziegler",   "Kuhn",    "Kühn",    "Pohl",       "Engel",
    "Horn",       "Busch",    "Bergmann",  "Voigt",   "Sauer",   "Arnold",     "Wolff",
    "Pfeiffer",   "Thiel",    "Hübner",    "Ernst",   "Witt",    "Löffler",    "Dreßler",
});

constexpr auto kEnglishLastNames = std::to_array<std::string_view>({
    "Smith",     "Jones",    "Williams", "Taylor",  "Brown",      "Davies",     "Evans",
    "Wilson",    "Thomas",   "Johnson",  "Roberts", "Robinson",   "Thompson",   "Wright",
    "Walker",    "White",    "Edwards",  "Hughes",  "Green",      "Hall",       "Lewis",
    "Harris",    "Clarke",   "Patel",    "Jackson", "Wood",       "Turner",     "Martin",
    "Cooper",    "Hill",     "Ward",     "Morris",  "Moore",      "Clark",      "Lee",
    "King",      "Baker",    "Harrison", "Morgan",  "Allen",      "James",      "Scott",
    "Phillips",  "Watson",   "Davis",    "Parker",  "Price",      "Bennett",    "Young",
    "Griffiths", "Mitchell", "Kelly",    "Cook",    "Carter",     "Richardson", "Bailey",
    "Collins",   "Bell",     "Shaw",     "Murphy",  "Miller",     "Cox",        "Richards",
    "Khan",      "Marshall", "Anderson", "Simpson", "Ellis",      "Adams",      "Singh",
    "Wilkinson", "Foster",   "Chapman",  "Powell",  "Webb",       "Rogers",     "Gray",
    "Mason",     "Ali",      "Hunt",     "Hussain", "Campbell",   "Matthews",   "Owen",
    "Palmer",    "Holmes",   "Mills",    "Barnes",  "Knight",     "Lloyd",      "Butler",
    "Russell",   "Barker",   "Fisher",   "Stevens", "Jenkins",    "Murray",     "Dixon",
    "O'Brien",   "O'Connor", "McDonald", "MacLeod", "García",     "Rodriguez",  "Martínez",
    "Hernandez", "Lopez",    "Gonzalez", "Nguyen",  "Kim",        "Chen",       "Wang",
    "Peña",      "Núñez",    "Sullivan", "Brennan", "Fitzgerald", "Walsh",      "Doyle",
});

enum class Country { kGermany, kUnitedKingdom, kUnitedStates };

struct City {
  Country country;
  std::string_view name;
  std::string_view area;  // the national significant number's prefix of its landlines
  // Postcodes: German and US ones drawn from [low, high]; British ones from the outward codes.
  int low;
  int high;
  std::array<std::string_view, 4> outward;
};

constexpr auto kCities = std::to_array<City>({
    {Country::kGermany, "Berlin", "30", 10115, 14199, {}},
    {Country::kGermany, "Hamburg", "40", 20095, 22769, {}},
    {Country::kGermany, "München", "89", 80331, 81929, {}},
    {Country::kGermany, "Köln", "221", 50667, 51149, {}},
    {Country::kGermany, "Frankfurt am Main", "69", 60306, 60599, {}},
    {Country::kGermany, "Leipzig", "341", 4103, 4357, {}},
    {Country::kUnitedKingdom, "London", "20", 0, 0, {"SW1A", "EC1A", "N1", "SE1"}},
    {Country::kUnitedKingdom, "Manchester", "161", 0, 0, {"M1", "M2", "M4", "M14"}},
    {Country::kUnitedKingdom, "Birmingham", "121", 0, 0, {"B1", "B2", "B15", "B5"}},
    {Country::kUnitedKingdom, "Edinburgh", "131", 0, 0, {"EH1", "EH2", "EH3", "EH8"}},
    {Country::kUnitedStates, "San Francisco", "415", 94102, 94134, {}},
    {Country::kUnitedStates, "New York", "212", 10001, 10282, {}},
    {Country::kUnitedStates, "Chicago", "312", 60601, 60661, {}},
    {Country::kUnitedStates, "Boston", "617", 2108, 2136, {}},
    {Country::kUnitedStates, "Seattle", "206", 98101, 98199, {}},
});

constexpr auto kGermanStreets = std::to_array<std::string_view>({
    "Hauptstraße",   "Bahnhofstraße",   "Gartenstraße",    "Schulstraße",   "Dorfstraße",
    "Bergstraße",    "Lindenstraße",    "Kirchstraße",     "Goethestraße",  "Schillerstraße",
    "Mozartstraße",  "Ringstraße",      "Friedrichstraße", "Wilhelmstraße", "Poststraße",
    "Birkenweg",     "Rosenweg",        "Waldweg",         "Am Markt",      "Kastanienallee",
    "Lessingstraße", "Beethovenstraße", "Mühlenweg",       "Ahornweg",      "Feldstraße",
});

constexpr auto kEnglishStreets = std::to_array<std::string_view>({
    "High Street",   "Station Road", "Main Street",   "Park Road",        "Church Road",
    "Church Street", "London Road",  "Victoria Road", "Green Lane",       "Manor Road",
    "Church Lane",   "Park Avenue",  "Queens Road",   "New Road",         "Mill Lane",
    "Oak Street",    "Pine Street",  "Maple Avenue",  "Cedar Lane",       "Elm Street",
    "Lake Drive",    "Park Place",   "Hill Road",     "Sunset Boulevard", "Lincoln Avenue",
});

constexpr auto kGermanDomains =
    std::to_array<std::string_view>({"gmail.com", "web.de", "gmx.de", "t-online.de", "outlook.de"});
constexpr auto kEnglishDomains = std::to_array<std::string_view>(
    {"gmail.com", "outlook.com", "yahoo.co.uk", "btinternet.com", "yahoo.com", "aol.com"});

constexpr auto kGermanCountryNames =
    std::to_array<std::string_view>({"DE", "Germany", "Deutschland", "DEU", "de"});
constexpr auto kBritishCountryNames =
    std::to_array<std::string_view>({"GB", "UK", "United Kingdom", "England", "Great Britain"});
constexpr auto kAmericanCountryNames =
    std::to_array<std::string_view>({"US", "USA", "United States", "U.S.", "us"});

// British postcodes' inward letters leave out those that look like digits or each other.
constexpr std::string_view kInwardLetters = "ABDEFGHJLNPQRSTUWXYZ";

struct Person {
  size_t city = 0;
  std::string first;
  std::string last;
  std::string street;  // with the house number, as the country writes it
  std::string postcode;
  std::string email;       // lower case
  std::string phone;       // the national significant number
  size_t area_length = 0;  // digits of `phone` that are its area or mobile prefix
};

Country country_of(const Person& p) {
  return kCities[p.city].country;
}

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Accented letters the tables use, written out the German way or left off.
struct Spelling {
  std::string_view accented;
  std::string_view written_out;
  std::string_view left_off;
};

constexpr auto kSpellings = std::to_array<Spelling>({
    {"ä", "ae", "a"},
    {"ö", "oe", "o"},
    {"ü", "ue", "u"},
    {"ß", "ss", "s"},
    {"é", "e", "e"},
    {"á", "a", "a"},
    {"í", "i", "i"},
    {"ë", "e", "e"},
    {"ñ", "n", "n"},
});

std::string respell(std::string_view name, bool written_out) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    bool replaced = false;
    for (const Spelling& s : kSpellings) {
      if (name.substr(i).starts_with(s.accented)) {
        out += written_out ? s.written_out : s.left_off;
        i += s.accented.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += name[i++];
  }
  return out;
}

// An email's local part from a name: ASCII, lower case, letters only.
std::string mail_name(std::string_view name) {
  std::string out;
  for (char c : respell(name, true)) {
    if (is_ascii_letter(c)) out += lower(c);
  }
  return out;
}

// One typo away from its first letter: a letter substituted, dropped, or swapped with the next.
std::string with_typo(std::string name, Rng& rng) {
  std::vector<size_t> letters;
  for (size_t i = 1; i < name.size(); ++i) {
    if (is_ascii_letter(name[i])) letters.push_back(i);
  }
  if (name.size() < 3 || letters.empty()) return name;
  const size_t at = letters[rng.below(letters.size())];
  switch (rng.below(3)) {
    case 0:
      if (at + 1 < name.size() && is_ascii_letter(name[at + 1]) && name[at] != name[at + 1]) {
        std::swap(name[at], name[at + 1]);
        return name;
      }
      [[fallthrough]];
    case 1: {
      char replacement = name[at];
      while (lower(replacement) == lower(name[at]))
        replacement = static_cast<char>('a' + rng.below(26));
      name[at] = replacement;
      return name;
    }
    default:
      name.erase(at, 1);
      return name;
  }
}

class Generator {
 public:
  explicit Generator(const CustomerDatasetOptions& options)
      : options_(options), rng_(options.seed) {
    for (size_t c = 0; c < kCities.size(); ++c) {
      for (int i = 0; i < kPostcodesPerCity; ++i)
        postcodes_[c].push_back(make_postcode(kCities[c]));
    }
  }

  std::vector<LabeledCustomer> generate() {
    std::vector<Person> persons;
    persons.reserve(options_.persons);
    for (size_t p = 0; p < options_.persons; ++p)
      persons.push_back(make_person(persons));
    std::vector<LabeledCustomer> records;
    for (size_t p = 0; p < persons.size(); ++p) {
      const bool placeholder = rng_.chance(options_.placeholder_email_share);
      const size_t count = record_count();
      for (size_t r = 0; r < count; ++r) {
        RawCustomerRecord raw = r == 0 ? clean_record(persons[p]) : variant(persons[p]);
        if (placeholder && !raw.email.empty()) raw.email = kPlaceholderEmail;
        records.push_back({std::move(raw), p});
      }
    }
    // Imports are in no particular order, and the resolver's result should not depend on one.
    for (size_t i = records.size(); i > 1; --i)
      std::swap(records[i - 1], records[rng_.below(i)]);
    for (size_t i = 0; i < records.size(); ++i)
      records[i].raw.id = "C" + std::to_string(100000 + i);
    return records;
  }

 private:
  static constexpr int kPostcodesPerCity = 30;

  std::string make_postcode(const City& city) {
    if (city.country == Country::kUnitedKingdom) {
      const std::string_view outward = city.outward[rng_.below(city.outward.size())];
      std::string code(outward);
      code += ' ';
      code += static_cast<char>('1' + rng_.below(9));
      code += kInwardLetters[rng_.below(kInwardLetters.size())];
      code += kInwardLetters[rng_.below(kInwardLetters.size())];
      return code;
    }
    const std::string digits =
        std::to_string(city.low + static_cast<int>(rng_.below(city.high - city.low + 1)));
    return std::string(5 - digits.size(), '0') + digits;
  }

  // 1 to 5 records, 2.45 on average.
  size_t record_count() {
    const size_t roll = rng_.below(100);
    if (roll < 35) return 1;
    if (roll < 55) return 2;
    if (roll < 75) return 3;
    if (roll < 90) return 4;
    return 5;
  }

  void place(Person& p, size_t city) {
    p.city = city;
    const City& c = kCities[city];
    const int number = 1 + static_cast<int>(rng_.below(120));
    if (c.country == Country::kGermany) {
      p.street =
          std::string(rng_.pick<std::string_view>(kGermanStreets)) + " " + std::to_string(number);
    } else {
      p.street =
          std::to_string(number) + " " + std::string(rng_.pick<std::string_view>(kEnglishStreets));
    }
    p.postcode = postcodes_[city][rng_.below(postcodes_[city].size())];
  }

  void name(Person& p) {
    const bool german = country_of(p) == Country::kGermany ? rng_.chance(0.85) : rng_.chance(0.1);
    p.first = german ? rng_.pick<std::string_view>(kGermanFirstNames)
                     : rng_.pick<std::string_view>(kEnglishFirstNames);
    p.last = german ? rng_.pick<std::string_view>(kGermanLastNames)
                    : rng_.pick<std::string_view>(kEnglishLastNames);
  }

  // A free email address for `p`, built from the name the way people choose theirs.
  void give_email(Person& p) {
    const std::string first = mail_name(p.first);
    const std::string last = mail_name(p.last);
    std::string local;
    switch (rng_.below(5)) {
      case 0:
        local = first + "." + last;
        break;
      case 1:
        local = first + last;
        break;
      case 2:
        local = first.substr(0, 1) + "." + last;
        break;
      case 3:
        local = first + "_" + last + rng_.digits(2);
        break;
      default:
        local = first.substr(0, 1) + last + rng_.digits(2);
        break;
    }
    const std::string_view domain = country_of(p) == Country::kGermany
                                        ? rng_.pick<std::string_view>(kGermanDomains)
                                        : rng_.pick<std::string_view>(kEnglishDomains);
    set_unique_email(p, local, domain);
  }

  void set_unique_email(Person& p, const std::string& local, std::string_view domain) {
    std::string email = local + "@" + std::string(domain);
    for (int n = 2; emails_.contains(email); ++n)
      email = local + std::to_string(n) + "@" + std::string(domain);
    emails_.insert(email);
    p.email = std::move(email);
  }

  // A phone number that libphonenumber holds valid and no one else has: a mobile, or a landline
  // in the person's city.
  void give_phone(Person& p) {
    const City& city = kCities[p.city];
    for (;;) {
      std::string number;
      if (city.country == Country::kUnitedStates) {
        std::string exchange;
        do {
          exchange = std::to_string(2 + rng_.below(8)) + rng_.digits(2);
        } while (exchange == "555" || exchange.substr(1) == "11");
        number = std::string(city.area) + exchange + rng_.digits(4);
        p.area_length = 3;
      } else if (rng_.chance(0.6)) {
        // Mobiles: German 015x with eight digits or 017x with seven or eight; British 07xxx.
        if (city.country == Country::kGermany) {
          static constexpr auto kPrefixes = std::to_array<std::string_view>(
              {"151", "152", "160", "170", "171", "172", "175", "176", "177", "179"});
          const std::string_view prefix = rng_.pick<std::string_view>(kPrefixes);
          number = std::string(prefix) + rng_.digits(prefix[1] == '5' || rng_.chance(0.5) ? 8 : 7);
          p.area_length = 3;
        } else {
          number = "7" + std::to_string(4 + rng_.below(6)) + rng_.digits(8);
          p.area_length = 4;
        }
      } else {
        number = std::string(city.area) + std::to_string(2 + rng_.below(8)) +
                 rng_.digits(city.area.size() == 2 ? 7 : 6);
        p.area_length = city.area.size();
      }
      if (phones_.contains(number)) continue;
      const std::string_view calling_code = city.country == Country::kGermany         ? "+49"
                                            : city.country == Country::kUnitedKingdom ? "+44"
                                                                                      : "+1";
      if (!normalize_phone(std::string(calling_code) + number, "")) continue;
      phones_.insert(number);
      p.phone = std::move(number);
      return;
    }
  }

  Person make_person(const std::vector<Person>& earlier) {
    Person p;
    const size_t roll = rng_.below(100);
    if (!earlier.empty() && roll < 8) {
      // A relative: the same surname and address, another given name.
      const Person& o = earlier[rng_.below(earlier.size())];
      p = o;
      while (mail_name(p.first) == mail_name(o.first)) {
        name(p);
        p.last = o.last;
      }
      if (!rng_.chance(0.25)) give_email(p);  // else the household's shared address
      if (!rng_.chance(0.3)) give_phone(p);   // else the household's landline
      return p;
    }
    if (!earlier.empty() && roll < 13) {
      // A namesake: the same name at another postcode.
      const Person& o = earlier[rng_.below(earlier.size())];
      p.first = o.first;
      p.last = o.last;
      do {
        place(p, rng_.chance(0.5) ? o.city : rng_.below(kCities.size()));
      } while (p.postcode == o.postcode);
      give_email(p);
      give_phone(p);
      return p;
    }
    place(p, rng_.below(kCities.size()));
    name(p);
    give_phone(p);
    if (!earlier.empty() && roll < 17) {
      // Someone else whose email differs from an earlier one's by a digit or a dot.
      const std::string& other = earlier[rng_.below(earlier.size())].email;
      const size_t at = other.find('@');
      std::string local = other.substr(0, at);
      const size_t dot = local.find('.');
      if (dot != std::string::npos && rng_.chance(0.5)) {
        local.erase(dot, 1);
      } else {
        local += rng_.digits(1);
      }
      set_unique_email(p, local, other.substr(at + 1));
      return p;
    }
    give_email(p);
    return p;
  }

  std::string_view country_name(const Person& p) {
    switch (country_of(p)) {
      case Country::kGermany:
        return rng_.pick<std::string_view>(kGermanCountryNames);
      case Country::kUnitedKingdom:
        return rng_.pick<std::string_view>(kBritishCountryNames);
      case Country::kUnitedStates:
        return rng_.pick<std::string_view>(kAmericanCountryNames);
    }
    return "";
  }

  // The phone number in one of the ways its country writes it.
  std::string format_phone(const Person& p) {
    const std::string area = p.phone.substr(0, p.area_length);
    const std::string rest = p.phone.substr(p.area_length);
    if (country_of(p) == Country::kUnitedStates) {
      const std::string a = area, b = rest.substr(0, 3), c = rest.substr(3);
      switch (rng_.below(7)) {
        case 0:
          return "(" + a + ") " + b + "-" + c;
        case 1:
          return a + "-" + b + "-" + c;
        case 2:
          return a + "." + b + "." + c;
        case 3:
          return "+1 " + a + " " + b + " " + c;
        case 4:
          return "1-" + a + "-" + b + "-" + c;
        case 5:
          return "+1 (" + a + ") " + b + "-" + c;
        default:
          return a + b + c;
      }
    }
    const std::string code = country_of(p) == Country::kGermany ? "49" : "44";
    switch (rng_.below(8)) {
      case 0:
        return "0" + area + " " + rest;
      case 1:
        return "0" + area + "-" + rest;
      case 2:
        return "(0" + area + ") " + rest;
      case 3:
        return "+" + code + " " + area + " " + rest;
      case 4:
        return "+" + code + " (0)" + area + " " + rest;
      case 5:
        return "00" + code + " " + area + " " + rest;
      case 6:
        return "+" + code + area + rest;
      default:
        return "0" + area + "/" + rest.substr(0, 3) + " " + rest.substr(3);
    }
  }

  RawCustomerRecord clean_record(const Person& p) {
    RawCustomerRecord r;
    r.email = p.email;
    r.phone = format_phone(p);
    r.first_name = p.first;
    r.last_name = p.last;
    r.street = p.street;
    r.postcode = p.postcode;
    r.city = kCities[p.city].name;
    r.country = kCities[p.city].country == Country::kGermany         ? "DE"
                : kCities[p.city].country == Country::kUnitedKingdom ? "GB"
                                                                     : "US";
    return r;
  }

  std::string abbreviated_street(const Person& p) {
    std::string street = p.street;
    if (country_of(p) == Country::kGermany) {
      const size_t at = street.find("straße");
      if (at == std::string::npos) return street;
      return street.replace(at, std::string_view("straße").size(),
                            rng_.chance(0.5) ? "str." : "strasse");
    }
    static constexpr auto kAbbreviations =
        std::to_array<std::pair<std::string_view, std::string_view>>({{"Street", "St"},
                                                                      {"Road", "Rd"},
                                                                      {"Avenue", "Ave"},
                                                                      {"Lane", "Ln"},
                                                                      {"Drive", "Dr"},
                                                                      {"Boulevard", "Blvd"},
                                                                      {"Place", "Pl"}});
    for (const auto& [word, abbreviation] : kAbbreviations) {
      const size_t at = street.find(word);
      if (at == std::string::npos) continue;
      return street.replace(at, word.size(),
                            std::string(abbreviation) + (rng_.chance(0.5) ? "." : ""));
    }
    return street;
  }

  std::string cased(std::string text) {
    const size_t roll = rng_.below(10);
    for (char& c : text) {
      if (roll == 0 && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      if (roll == 1) c = lower(c);
    }
    return text;
  }

  RawCustomerRecord variant(const Person& p) {
    RawCustomerRecord r = clean_record(p);
    // Names: at most one typo, in one of them.
    if (rng_.chance(0.3)) {
      std::string& name = rng_.chance(0.5) ? r.first_name : r.last_name;
      name = with_typo(name, rng_);
    }
    if (rng_.chance(0.15)) {
      r.first_name = respell(r.first_name, rng_.chance(0.5));
      r.last_name = respell(r.last_name, rng_.chance(0.5));
    }
    r.first_name = cased(r.first_name);
    r.last_name = cased(r.last_name);
    if (rng_.chance(0.06)) std::swap(r.first_name, r.last_name);
    if (rng_.chance(0.03)) r.first_name.clear();

    if (rng_.chance(0.25)) {
      r.email.clear();
    } else if (rng_.chance(0.04)) {
      r.email.erase(r.email.find('@'), 1);  // mistyped beyond repair
    } else {
      const size_t roll = rng_.below(4);
      if (roll == 0) r.email = cased(r.email);
      if (roll == 1 && r.email[0] >= 'a' && r.email[0] <= 'z') r.email[0] -= 'a' - 'A';
      if (roll == 2) r.email = "  " + r.email + " ";
    }
    if (rng_.chance(0.3)) r.phone.clear();

    if (rng_.chance(0.08)) {
      r.street.clear();
    } else if (rng_.chance(0.4)) {
      r.street = abbreviated_street(p);
    }
    if (rng_.chance(0.05)) r.street = with_typo(r.street, rng_);
    r.street = cased(r.street);
    if (rng_.chance(0.04)) {
      r.postcode.clear();
    } else if (country_of(p) == Country::kUnitedKingdom && rng_.chance(0.4)) {
      if (rng_.chance(0.5)) {
        r.postcode = cased(r.postcode);
      } else {
        r.postcode.erase(r.postcode.find(' '), 1);
      }
    } else if (country_of(p) == Country::kUnitedStates && rng_.chance(0.2)) {
      r.postcode += "-" + rng_.digits(4);  // ZIP+4
    }
    if (rng_.chance(0.1)) r.city.clear();
    if (rng_.chance(0.08)) {
      r.country.clear();
    } else {
      r.country = country_name(p);
    }
    return r;
  }

  const CustomerDatasetOptions& options_;
  Rng rng_;
  std::array<std::vector<std::string>, kCities.size()> postcodes_;
  std::set<std::string> emails_;
  std::set<std::string> phones_;
};

}  // namespace

std::vector<LabeledCustomer> generate_customer_dataset(const CustomerDatasetOptions& options) {
  return Generator(options).generate();
}

}  // namespace eddy
