#include "runtime/features.h"

namespace eddy {

Status FeatureCatalog::add(std::string path, FeatureValue::Kind kind, Getter get, Changes changes,
                           std::vector<EventType> changed_by) {
  if (path.empty()) return {Errc::kInvalidArgument, "a feature needs a path"};
  if (!get) return {Errc::kInvalidArgument, "feature '" + path + "' has no getter"};
  auto [it, inserted] = features_.try_emplace(
      path, Feature{path, kind, std::move(get), changes, std::move(changed_by)});
  if (!inserted) return {Errc::kAlreadyExists, "feature '" + it->first + "' is declared twice"};
  return {};
}

const FeatureCatalog::Feature* FeatureCatalog::find(std::string_view path) const {
  auto it = features_.find(path);
  return it == features_.end() ? nullptr : &it->second;
}

std::vector<std::string> FeatureCatalog::paths() const {
  std::vector<std::string> out;
  out.reserve(features_.size());
  for (const auto& [path, f] : features_)
    out.push_back(path);
  return out;
}

}  // namespace eddy
