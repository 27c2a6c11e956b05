#include "connectors/ingest/write_keys.h"

#include <array>
#include <cstdint>

namespace eddy {
namespace {

constexpr std::array<int8_t, 256> make_base64_table() {
  std::array<int8_t, 256> t{};
  for (auto& v : t)
    v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i)
    t[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr std::array<int8_t, 256> kBase64 = make_base64_table();

bool equals_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const char x = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    const char y = (b[i] >= 'A' && b[i] <= 'Z') ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Standard base64 with or without '=' padding (clients differ); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int count = 0;
  for (char c : text) {
    const int8_t v = kBase64[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> basic_auth_user(std::string_view authorization) {
  authorization = trim(authorization);
  constexpr std::string_view kScheme = "basic";
  if (authorization.size() <= kScheme.size() ||
      !iequals(authorization.substr(0, kScheme.size()), kScheme) ||
      (authorization[kScheme.size()] != ' ' && authorization[kScheme.size()] != '\t')) {
    return std::nullopt;
  }
  auto decoded = base64_decode(trim(authorization.substr(kScheme.size())));
  if (!decoded) return std::nullopt;
  const size_t colon = decoded->find(':');
  if (colon != std::string::npos) decoded->resize(colon);
  return decoded;
}

bool WriteKeys::valid(std::string_view key) const {
  bool found = false;
  for (const std::string& k : keys_)
    found |= equals_constant_time(k, key);
  return found && !key.empty();
}

HeaderAuth WriteKeys::check_header(std::string_view authorization) const {
  if (!required()) return HeaderAuth::kNotRequired;
  if (trim(authorization).empty()) return HeaderAuth::kAbsent;
  const auto user = basic_auth_user(authorization);
  if (!user || !valid(*user)) return HeaderAuth::kDenied;
  return HeaderAuth::kGranted;
}

}  // namespace eddy
