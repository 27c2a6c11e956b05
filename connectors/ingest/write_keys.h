#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy {

// What the Authorization header says about a request's write key.
enum class HeaderAuth : uint8_t {
  kNotRequired,  // no write keys are configured: anything goes
  kGranted,      // Basic credentials whose user name is a configured write key
  kDenied,       // a header that is not Basic, does not decode, or names an unknown key
  kAbsent,       // no header: the body's `writeKey` decides
};

// The write keys of Segment's Tracking API. A key travels as the user name of HTTP Basic
// credentials (`Authorization: Basic base64("key:")`), or as `writeKey` in the JSON body.
// Immutable after construction, so any number of threads may check keys at once.
class WriteKeys {
 public:
  explicit WriteKeys(std::vector<std::string> keys) : keys_(std::move(keys)) {}

  bool required() const { return !keys_.empty(); }
  // Compares in time independent of where a wrong key differs, so response timing does not help
  // guess a key byte by byte.
  bool valid(std::string_view key) const;
  HeaderAuth check_header(std::string_view authorization) const;

 private:
  std::vector<std::string> keys_;
};

// The user name of `Basic <base64(user:password)>`; nullopt when the header is not Basic
// credentials. A decoded value without ':' is all user name, as Segment's old clients send it.
std::optional<std::string> basic_auth_user(std::string_view authorization);

}  // namespace eddy
