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

Status FeatureCatalog::add_family(std::string prefix, FeatureValue::Kind kind, Family family,
                                  Changes changes, std::vector<EventType> changed_by) {
  if (prefix.empty()) return {Errc::kInvalidArgument, "a feature family needs a prefix"};
  if (!family) return {Errc::kInvalidArgument, "feature family '" + prefix + "' has no getter"};
  for (const FamilyEntry& f : families_) {
    if (prefix.starts_with(f.prefix) || f.prefix.starts_with(prefix)) {
      return {Errc::kAlreadyExists, "feature family '" + prefix + "' overlaps '" + f.prefix + "'"};
    }
  }
  Feature like{prefix, kind, nullptr, changes, std::move(changed_by)};
  families_.push_back({std::move(prefix), std::move(like), std::move(family)});
  return {};
}

const FeatureCatalog::Feature* FeatureCatalog::find(std::string_view path) const {
  if (auto it = features_.find(path); it != features_.end()) return &it->second;
  if (auto it = members_.find(path); it != members_.end()) return &it->second;
  for (const FamilyEntry& f : families_) {
    if (!path.starts_with(f.prefix) || path.size() == f.prefix.size()) continue;
    Getter get = f.family(path.substr(f.prefix.size()));
    if (!get) return nullptr;
    Feature member = f.like;
    member.path = std::string(path);
    member.get = std::move(get);
    return &members_.emplace(std::string(path), std::move(member)).first->second;
  }
  return nullptr;
}

std::vector<std::string> FeatureCatalog::paths() const {
  std::vector<std::string> out;
  out.reserve(features_.size());
  for (const auto& [path, f] : features_)
    out.push_back(path);
  return out;
}

}  // namespace eddy
