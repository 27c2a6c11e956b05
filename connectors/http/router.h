#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "connectors/http/http_types.h"

namespace eddy {

// Who may call a route. Ingest routes check write keys themselves (Segment puts the key in the
// body as well as in Basic auth); query and admin routes need a bearer token once tokens exist.
enum class RouteAccess : uint8_t { kOpen, kIngest, kToken };

struct RouteInfo {
  http::verb method;
  std::string pattern;  // "/v1/segments/{id}/members"
  RouteAccess access;
};

// Maps a method and path to a handler. Filled before the server starts and read-only after, so
// dispatch from any number of io threads needs no lock.
class Router {
 public:
  explicit Router(std::vector<std::string> tokens = {}) : tokens_(std::move(tokens)) {}

  void add(http::verb method, std::string pattern, RouteAccess access, RouteHandler handler);

  // Finds the route, checks its access, fills path, query and params, and calls the handler; or
  // answers 404, 405 (with Allow) or 401. Returns the route's pattern, which labels metrics
  // ("unmatched" when none).
  std::string_view dispatch(HttpRequest& request, Responder respond) const;

  std::vector<RouteInfo> routes() const;

 private:
  struct Route {
    RouteInfo info;
    std::vector<std::string> segments;  // "{id}" captures
    RouteHandler handler;
  };
  const Route* match(std::string_view path, http::verb method, HttpRequest& request,
                     std::string* allow) const;
  bool authorized(const HttpRequest& request) const;

  std::vector<std::string> tokens_;
  std::vector<Route> routes_;
};

// Splits "a/b?c=d" into the path and decoded query parameters; false on bad percent-encoding.
bool parse_target(std::string_view target, std::string* path,
                  std::map<std::string, std::string, std::less<>>* query);
// Percent-decodes one path segment or query value ('+' is a space only in queries).
bool percent_decode(std::string_view in, bool plus_is_space, std::string* out);

}  // namespace eddy
