#pragma once

#include <boost/beast/http/message.hpp>
#include <optional>
#include <string>

namespace eddy {

namespace http = boost::beast::http;

// Framing checks on a request's headers before its body is read. Each refused shape lets two
// parsers (ours and a proxy's in front of us) disagree on where a request ends, which is how
// requests are smuggled; the Beast in Debian 12 does not refuse all of them itself. The caller
// answers 400 and closes the connection.
//
// Refused: Content-Length together with Transfer-Encoding (either order); a Transfer-Encoding
// whose last coding is not "chunked"; chunked in HTTP/1.0; more than one Content-Length, or one
// that is not a plain decimal number.
std::optional<std::string> framing_problem(const http::request_header<>& header);

}  // namespace eddy
