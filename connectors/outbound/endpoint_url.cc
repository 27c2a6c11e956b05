#include "connectors/outbound/endpoint_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace eddy {

namespace {

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

bool has_space_or_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

Status bad(std::string_view url, std::string_view why) {
  return {Errc::kInvalidArgument, "url '" + std::string(url) + "': " + std::string(why)};
}

// Splits "host[:port]" or "[v6]:port" into its parts.
Status parse_authority(std::string_view url, std::string_view authority, EndpointUrl& out) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad(url, "unterminated IPv6 address");
    out.host = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return bad(url, "unexpected text after the IPv6 address");
      port_text = rest.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    out.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) return bad(url, "no host");
  if (!port_text.empty() || authority.ends_with(':')) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return bad(url, "the port must be a number from 1 to 65535");
    }
    out.port = static_cast<uint16_t>(port);
  }
  const std::string host_text = authority.starts_with('[') ? "[" + out.host + "]" : out.host;
  out.host_header = out.port == 80 ? host_text : host_text + ":" + std::to_string(out.port);
  return Status::ok();
}

}  // namespace

Result<EndpointUrl> parse_endpoint_url(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  if (starts_with_ci(url, "https://")) {
    return bad(url,
               "https:// is not supported yet (this build has no TLS client); use http:// to a "
               "TLS-terminating proxy on the same host or a trusted network");
  }
  if (!starts_with_ci(url, kHttp)) return bad(url, "only http:// URLs are supported");
  if (has_space_or_control(url)) return bad(url, "spaces and control characters are not allowed");

  std::string_view rest = url.substr(kHttp.size());
  rest = rest.substr(0, rest.find('#'));
  const size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return bad(url, "user information in the URL is not supported; use the signing secret");
  }
  EndpointUrl out;
  if (Status s = parse_authority(url, authority, out); !s) return s;
  out.target = authority_end == std::string_view::npos ? "/" : rest.substr(authority_end);
  if (out.target.starts_with('?')) out.target.insert(out.target.begin(), '/');
  return out;
}

}  // namespace eddy
