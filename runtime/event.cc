#include "runtime/event.h"

namespace eddy {

PropValue PropValue::of_bool(bool v) {
  PropValue p;
  p.kind_ = PropKind::kBool;
  p.b_ = v;
  return p;
}

PropValue PropValue::of_int(int64_t v) {
  PropValue p;
  p.kind_ = PropKind::kInt;
  p.i_ = v;
  return p;
}

PropValue PropValue::of_double(double v) {
  PropValue p;
  p.kind_ = PropKind::kDouble;
  p.d_ = v;
  return p;
}

PropValue PropValue::of_string(std::string_view v) {
  PropValue p;
  p.kind_ = PropKind::kString;
  p.s_ = v;
  return p;
}

std::optional<double> PropValue::as_number() const {
  if (kind_ == PropKind::kInt) return static_cast<double>(i_);
  if (kind_ == PropKind::kDouble) return d_;
  return std::nullopt;
}

bool PropValue::operator==(const PropValue& other) const {
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case PropKind::kNull:
      return true;
    case PropKind::kBool:
      return b_ == other.b_;
    case PropKind::kInt:
      return i_ == other.i_;
    case PropKind::kDouble:
      return d_ == other.d_;
    case PropKind::kString:
      return s_ == other.s_;
  }
  return false;
}

std::string_view EventRef::prop_name(size_t i) const {
  return payload_->str(payload_->props[event_.first_prop + i].name);
}

PropValue EventRef::prop_value(size_t i) const {
  const Property& p = payload_->props[event_.first_prop + i];
  switch (p.kind) {
    case PropKind::kNull:
      return {};
    case PropKind::kBool:
      return PropValue::of_bool(p.b);
    case PropKind::kInt:
      return PropValue::of_int(p.i);
    case PropKind::kDouble:
      return PropValue::of_double(p.d);
    case PropKind::kString:
      return PropValue::of_string(payload_->str(p.s));
  }
  return {};
}

PropValue EventRef::prop(std::string_view name) const {
  for (size_t i = 0; i < event_.prop_count; ++i) {
    if (prop_name(i) == name) return prop_value(i);
  }
  return {};
}

}  // namespace eddy
