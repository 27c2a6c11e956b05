#include "connectors/ingest/merged_context.h"

namespace eddy {
namespace {

boost::json::object merge(const boost::json::object& own, const boost::json::object& shared) {
  boost::json::object out = shared;
  for (const auto& [key, value] : own) {
    auto* theirs = out.if_contains(key);
    if (theirs != nullptr && theirs->is_object() && value.is_object()) {
      *theirs = merge(value.get_object(), theirs->get_object());
    } else {
      out[key] = value;
    }
  }
  return out;
}

}  // namespace

const boost::json::value* MergedContext::find(std::initializer_list<std::string_view> path) const {
  const boost::json::object* own = own_;
  const boost::json::object* shared = shared_;
  const boost::json::value* found = nullptr;
  for (std::string_view key : path) {
    if (own == nullptr && shared == nullptr) return nullptr;
    const boost::json::value* mine = own != nullptr ? own->if_contains(key) : nullptr;
    const boost::json::value* theirs = shared != nullptr ? shared->if_contains(key) : nullptr;
    // Only where both sides hold objects does the batch's side stay visible one level down.
    if (mine != nullptr && !(mine->is_object() && theirs != nullptr && theirs->is_object())) {
      theirs = nullptr;
    }
    found = mine != nullptr ? mine : theirs;
    if (found == nullptr) return nullptr;
    own = mine != nullptr && mine->is_object() ? &mine->get_object() : nullptr;
    shared = theirs != nullptr && theirs->is_object() ? &theirs->get_object() : nullptr;
  }
  return found;
}

std::string_view MergedContext::find_string(std::initializer_list<std::string_view> path) const {
  const boost::json::value* v = find(path);
  if (v == nullptr || !v->is_string()) return {};
  return v->get_string();
}

boost::json::object MergedContext::materialize() const {
  if (own_ == nullptr && shared_ == nullptr) return {};
  if (own_ == nullptr) return *shared_;
  if (shared_ == nullptr) return *own_;
  return merge(*own_, *shared_);
}

}  // namespace eddy
