#include "connectors/match/blocking_keys.h"

#include <string_view>

namespace eddy {
namespace {

// A name as its keys spell it (see the header).
std::string key_spelling(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == ' ') continue;
    if (c == 'e' && !out.empty() && (out.back() == 'a' || out.back() == 'o' || out.back() == 'u')) {
      continue;
    }
    if (!out.empty() && out.back() == c) continue;
    out += c;
  }
  return out;
}

std::string name_key(const std::string& whole, const std::string& other,
                     const std::string& postcode) {
  return "n:" + whole + "+" + other.substr(0, 1) + "|" + postcode;
}

}  // namespace

std::vector<std::string> blocking_keys(const CustomerRecord& record) {
  std::vector<std::string> keys;
  if (!record.email.empty()) keys.push_back("e:" + record.email);
  if (!record.phone.empty()) keys.push_back("p:" + record.phone);
  const std::string first = key_spelling(record.first_name);
  const std::string last = key_spelling(record.last_name);
  if (!first.empty() && !last.empty() && !record.postcode.empty()) {
    keys.push_back(name_key(last, first, record.postcode));
    std::string swapped = name_key(first, last, record.postcode);
    if (swapped != keys.back()) keys.push_back(std::move(swapped));
  }
  return keys;
}

}  // namespace eddy
