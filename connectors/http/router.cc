#include "connectors/http/router.h"

#include <openssl/crypto.h>

namespace eddy {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_capture(std::string_view segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool parse_target(std::string_view target, std::string* path,
                  std::map<std::string, std::string, std::less<>>* query) {
  const size_t q = target.find('?');
  *path = std::string(target.substr(0, q));
  query->clear();
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name, value;
    if (!percent_decode(pair.substr(0, eq), true, &name)) return false;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), true, &value))
      return false;
    query->emplace(std::move(name), std::move(value));
  }
  return true;
}

void Router::add(http::verb method, std::string pattern, RouteAccess access, RouteHandler handler) {
  Route route{{method, pattern, access}, {}, std::move(handler)};
  for (std::string_view s : split_path(pattern))
    route.segments.emplace_back(s);
  routes_.push_back(std::move(route));
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const Route& r : routes_)
    out.push_back(r.info);
  return out;
}

const Router::Route* Router::match(std::string_view path, http::verb method, HttpRequest& request,
                                   std::string* allow) const {
  const std::vector<std::string_view> parts = split_path(path);
  for (const Route& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string, std::less<>> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const std::string& want = route.segments[i];
      if (is_capture(want)) {
        std::string value;
        ok = !parts[i].empty() && percent_decode(parts[i], false, &value);
        if (ok) params[want.substr(1, want.size() - 2)] = std::move(value);
      } else {
        ok = want == parts[i];
      }
    }
    if (!ok) continue;
    if (route.info.method != method) {
      if (!allow->empty()) allow->append(", ");
      allow->append(std::string(http::to_string(route.info.method)));
      continue;
    }
    request.params = std::move(params);
    return &route;
  }
  return nullptr;
}

bool Router::authorized(const HttpRequest& request) const {
  if (tokens_.empty()) return true;
  std::string_view auth = request.header(http::field::authorization);
  constexpr std::string_view kBearer = "Bearer ";
  if (!auth.starts_with(kBearer)) return false;
  auth.remove_prefix(kBearer.size());
  bool ok = false;
  for (const std::string& token : tokens_) {
    // Compared in constant time over the token's length; the length itself is no secret.
    if (token.size() == auth.size() && CRYPTO_memcmp(token.data(), auth.data(), auth.size()) == 0)
      ok = true;
  }
  return ok;
}

std::string_view Router::dispatch(HttpRequest& request, Responder respond) const {
  if (!parse_target(request.message.target(), &request.path, &request.query)) {
    respond(error_response(http::status::bad_request, "bad_target",
                           "the request target has a bad percent-encoding"));
    return "unmatched";
  }
  std::string allow;
  const Route* route = match(request.path, request.method(), request, &allow);
  if (route == nullptr) {
    if (!allow.empty()) {
      HttpResponse r = error_response(http::status::method_not_allowed, "method_not_allowed",
                                      "this path takes " + allow);
      r.headers.emplace_back("Allow", allow);
      respond(std::move(r));
    } else {
      respond(error_response(http::status::not_found, "not_found",
                             "no route for " + std::string(request.path)));
    }
    return "unmatched";
  }
  if (route->info.access == RouteAccess::kToken && !authorized(request)) {
    HttpResponse r = error_response(http::status::unauthorized, "unauthorized",
                                    "this route needs 'Authorization: Bearer <token>'");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    respond(std::move(r));
    return route->info.pattern;
  }
  // No exception may leave an Asio handler: one from a route (a failed allocation, a bug) is this
  // request's 500, not the end of the io thread. A route that answered before throwing keeps its
  // answer; the responder answers once.
  try {
    route->handler(request, respond);
  } catch (const std::exception& e) {
    respond(error_response(http::status::internal_server_error, "internal",
                           std::string("the route failed: ") + e.what()));
  }
  return route->info.pattern;
}

}  // namespace eddy
