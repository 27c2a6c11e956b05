#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <initializer_list>
#include <string_view>

namespace eddy {

// A message's `context` merged with its batch's: objects merge key by key at every depth and the
// message's own value wins wherever both have one, so a batch can state the library and the page
// once while each message adds its campaign. A message value that is not an object hides the
// batch's object under the same key entirely.
//
// The merge is a view: lookups walk both objects side by side, so nothing is copied for the few
// paths that ingest reads. Either object may be null.
class MergedContext {
 public:
  MergedContext(const boost::json::object* own, const boost::json::object* shared)
      : own_(own), shared_(shared) {}

  // The value at `path` ("campaign", "medium") in the merged context; null when there is none.
  // Meant for leaves: where the path ends at an object both sides hold, this is the message's own
  // object (materialize() gives the merge).
  const boost::json::value* find(std::initializer_list<std::string_view> path) const;
  // The same, when it is a non-empty string; else an empty view.
  std::string_view find_string(std::initializer_list<std::string_view> path) const;

  // The merged context as an object of its own, for callers that keep the whole of it.
  boost::json::object materialize() const;

 private:
  const boost::json::object* own_;
  const boost::json::object* shared_;
};

}  // namespace eddy
