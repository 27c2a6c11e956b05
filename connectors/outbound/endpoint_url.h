#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Where an endpoint's requests go, taken apart once when the sink is created.
struct EndpointUrl {
  std::string host;  // a name or an address; an IPv6 address without its brackets
  uint16_t port = 80;
  std::string target;       // path and query as sent in the request line; "/" when absent
  std::string host_header;  // the Host header: host, and the port when it is not 80
};

// Accepts "http://host[:port][/path][?query][#fragment]" (the fragment is never sent). Refuses
// https:// with a message saying why, user information ("user:pass@"), other schemes, spaces and
// control characters.
Result<EndpointUrl> parse_endpoint_url(std::string_view url);

}  // namespace eddy
