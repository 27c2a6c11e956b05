#include "operators/traits.h"

#include <algorithm>
#include <charconv>

#include "runtime/sink.h"

namespace eddy {
namespace {

constexpr std::string_view kPrefix = "traits.";

Status read_limit(const boost::json::object& config, std::string_view key, int64_t max,
                  uint32_t& out) {
  const auto* v = config.if_contains(key);
  if (v == nullptr) return {};
  if (!v->is_int64() || v->as_int64() < 1 || v->as_int64() > max) {
    return {Errc::kInvalidArgument,
            "traits: '" + std::string(key) + "' must be an integer in 1.." + std::to_string(max)};
  }
  out = static_cast<uint32_t>(v->as_int64());
  return {};
}

boost::json::value typed(const std::string& text, PropKind kind) {
  if (kind == PropKind::kBool) return text == "true";
  if (kind == PropKind::kInt) {
    int64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    return n;
  }
  if (kind == PropKind::kDouble) return std::strtod(text.c_str(), nullptr);
  if (kind == PropKind::kNull) return nullptr;
  return boost::json::value(text);
}

}  // namespace

Result<std::unique_ptr<Operator>> Traits::create(const OperatorArgs& args) {
  auto op = std::make_unique<Traits>();
  for (const auto& [key, value] : args.config) {
    if (key != "max_traits" && key != "max_value_bytes") {
      return {Errc::kInvalidArgument, "traits: unknown key '" + std::string(key) + "'"};
    }
  }
  if (Status s = read_limit(args.config, "max_traits", 1000, op->max_traits_); !s) return s;
  if (Status s = read_limit(args.config, "max_value_bytes", 65536, op->max_value_bytes_); !s)
    return s;
  return std::unique_ptr<Operator>(std::move(op));
}

void Traits::on_new_slot(uint32_t slot) {
  if (slot >= state_.size()) state_.resize(slot + 1);
}

void Traits::set(PerKey& k, Trait t) const {
  auto it = std::find_if(k.traits.begin(), k.traits.end(),
                         [&](const Trait& have) { return have.name == t.name; });
  if (it != k.traits.end()) {
    if (t.time_ms >= it->time_ms) *it = std::move(t);
    return;
  }
  if (k.traits.size() >= max_traits_) {
    ++k.dropped;
    return;
  }
  k.traits.push_back(std::move(t));
}

Flow Traits::on_event(const EventRef& event, Context& ctx) {
  PerKey* k = nullptr;
  for (size_t i = 0; i < event.prop_count(); ++i) {
    const std::string_view name = event.prop_name(i);
    if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) continue;
    if (k == nullptr) k = &state_[ctx.slot()];
    const PropValue v = event.prop_value(i);
    Trait t{std::string(name.substr(kPrefix.size())), render_prop_value(v), v.kind(),
            event.time().value()};
    if (t.value.size() > max_value_bytes_) {
      t.value.resize(max_value_bytes_);
      ++k->cut;
    }
    set(*k, std::move(t));
  }
  return Flow::kPass;
}

void Traits::write_key(StateWriter& out, const PerKey& k) {
  out.put<uint32_t>(static_cast<uint32_t>(k.traits.size()));
  for (const Trait& t : k.traits) {
    out.put_string(t.name);
    out.put_string(t.value);
    out.put<uint8_t>(static_cast<uint8_t>(t.kind));
    out.put<int64_t>(t.time_ms);
  }
  out.put<uint32_t>(k.dropped);
  out.put<uint32_t>(k.cut);
}

Status Traits::read_key(StateReader& in, PerKey& k) {
  const auto n = in.get<uint32_t>();
  for (uint32_t i = 0; i < n && in.ok(); ++i) {
    Trait t;
    t.name = in.get_string();
    t.value = in.get_string();
    const auto kind = in.get<uint8_t>();
    if (kind > static_cast<uint8_t>(PropKind::kString)) return {Errc::kCorrupt, "traits: bad kind"};
    t.kind = static_cast<PropKind>(kind);
    t.time_ms = in.get<int64_t>();
    k.traits.push_back(std::move(t));
  }
  k.dropped = in.get<uint32_t>();
  k.cut = in.get<uint32_t>();
  if (!in.ok()) return {Errc::kCorrupt, "traits state is truncated"};
  return {};
}

void Traits::move_key_out(StateWriter& out, Context& ctx) {
  PerKey& k = state_[ctx.slot()];
  write_key(out, k);
  k = {};
}

Status Traits::merge_key_in(StateReader& in, Context& ctx) {
  PerKey moved;
  if (Status s = read_key(in, moved); !s) return s;
  PerKey& k = state_[ctx.slot()];
  for (Trait& t : moved.traits)
    set(k, std::move(t));
  k.dropped += moved.dropped;
  k.cut += moved.cut;
  return {};
}

void Traits::snapshot(StateWriter& out) const {
  out.put<uint64_t>(state_.size());
  for (const PerKey& k : state_)
    write_key(out, k);
}

Status Traits::restore(StateReader& in, uint32_t slot_count) {
  const auto n = in.get<uint64_t>();
  if (!in.ok() || n != slot_count) {
    return {Errc::kCorrupt, "traits state holds " + std::to_string(n) + " keys, expected " +
                                std::to_string(slot_count)};
  }
  state_.assign(n, {});
  for (PerKey& k : state_) {
    if (Status s = read_key(in, k); !s) return s;
  }
  return {};
}

Status Traits::declare_features(FeatureCatalog& catalog) {
  return catalog.add_family(std::string(kPrefix), FeatureCatalog::kAnyKind,
                            [this](std::string_view name) -> FeatureCatalog::Getter {
                              return [this, name = std::string(name)](uint32_t slot, EventTime) {
                                return value(slot, name);
                              };
                            });
}

FeatureValue Traits::value(uint32_t slot, std::string_view name) const {
  if (slot >= state_.size()) return FeatureValue::missing();
  const std::vector<Trait>& traits = state_[slot].traits;
  auto it =
      std::find_if(traits.begin(), traits.end(), [&](const Trait& t) { return t.name == name; });
  if (it == traits.end()) return FeatureValue::missing();
  switch (it->kind) {
    case PropKind::kString:
      return FeatureValue::of_string(it->value);
    case PropKind::kBool:
      return FeatureValue::of_bool(it->value == "true");
    case PropKind::kInt:
    case PropKind::kDouble:
      return FeatureValue::of_number(std::strtod(it->value.c_str(), nullptr));
    case PropKind::kNull:
      break;
  }
  return FeatureValue::missing();
}

void Traits::on_query(uint32_t slot, EventTime /*now*/, boost::json::object& out) const {
  const PerKey& k = state_[slot];
  boost::json::object traits;
  for (const Trait& t : k.traits)
    traits[t.name] = typed(t.value, t.kind);
  out["traits"] = std::move(traits);
  if (k.dropped != 0) out["traits_dropped"] = k.dropped;
  if (k.cut != 0) out["traits_cut"] = k.cut;
}

}  // namespace eddy
