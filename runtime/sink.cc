#include "runtime/sink.h"

#include <cstdio>

namespace eddy {

std::string render_prop_value(const PropValue& v) {
  switch (v.kind()) {
    case PropKind::kNull:
      return "null";
    case PropKind::kBool:
      return v.as_bool() ? "true" : "false";
    case PropKind::kInt:
      return std::to_string(v.as_int());
    case PropKind::kDouble: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", v.as_double());
      return buf;
    }
    case PropKind::kString:
      return std::string(v.as_string());
  }
  return {};
}

CollectingSink::Record CollectingSink::Record::of(const EventRef& ref) {
  Record r{std::string(ref.key()),  ref.type(), ref.time(), ref.amount(), ref.quantity(),
           std::string(ref.item()), {}};
  for (size_t i = 0; i < ref.prop_count(); ++i)
    r.props.emplace_back(std::string(ref.prop_name(i)), render_prop_value(ref.prop_value(i)));
  return r;
}

void CollectingSink::write(const EventBatch& batch) {
  std::vector<Record> added;
  added.reserve(batch.size());
  for (const Event& e : batch.events)
    added.push_back(Record::of(EventRef(e, *batch.payload)));
  std::lock_guard lock(mu_);
  records_.insert(records_.end(), std::make_move_iterator(added.begin()),
                  std::make_move_iterator(added.end()));
}

std::vector<CollectingSink::Record> CollectingSink::records() const {
  std::lock_guard lock(mu_);
  return records_;
}

size_t CollectingSink::size() const {
  std::lock_guard lock(mu_);
  return records_.size();
}

}  // namespace eddy
