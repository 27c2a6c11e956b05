#include "connectors/ndjson_file_sink.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstring>

#include "runtime/ndjson_redaction.h"

namespace eddy {

std::string event_to_json(const EventRef& event, const EventTypeRegistry& types) {
  boost::json::object o;
  o["key"] = event.key();
  o["type"] = types.name(event.type());
  o["time_ms"] = event.time().value();
  o["amount"] = event.amount();
  o["quantity"] = event.quantity();
  o["item"] = event.item();
  boost::json::object props;
  for (size_t i = 0; i < event.prop_count(); ++i) {
    const PropValue v = event.prop_value(i);
    boost::json::value& slot = props[event.prop_name(i)];
    switch (v.kind()) {
      case PropKind::kNull:
        slot = nullptr;
        break;
      case PropKind::kBool:
        slot = v.as_bool();
        break;
      case PropKind::kInt:
        slot = v.as_int();
        break;
      case PropKind::kDouble:
        slot = v.as_double();
        break;
      case PropKind::kString:
        slot = v.as_string();
        break;
    }
  }
  o["properties"] = std::move(props);
  return boost::json::serialize(o);
}

Result<std::unique_ptr<NdjsonFileSink>> NdjsonFileSink::open(
    const std::string& path, std::shared_ptr<const EventTypeRegistry> types) {
  std::FILE* f = std::fopen(path.c_str(), "ae");
  if (f == nullptr) return {Errc::kIo, path + ": " + std::strerror(errno)};
  return std::unique_ptr<NdjsonFileSink>(new NdjsonFileSink(f, path, std::move(types)));
}

NdjsonFileSink::~NdjsonFileSink() {
  if (file_ != nullptr) std::fclose(file_);
}

void NdjsonFileSink::write(const EventBatch& batch) {
  std::string text;
  for (const Event& e : batch.events) {
    text += event_to_json(EventRef(e, *batch.payload), *types_);
    text.push_back('\n');
  }
  std::lock_guard lock(mu_);
  if (file_ == nullptr || std::fwrite(text.data(), 1, text.size(), file_) != text.size() ||
      std::fflush(file_) != 0) {
    ++failed_;
    return;
  }
  written_ += batch.size();
}

Result<uint64_t> NdjsonFileSink::erase_customers(const std::unordered_set<std::string>& ids) {
  // Writers wait meanwhile: the file is read and written again, which takes as long as it is big.
  std::lock_guard lock(mu_);
  return remove_lines_mentioning(file_, path_, ids);
}

uint64_t NdjsonFileSink::written() const {
  std::lock_guard lock(mu_);
  return written_;
}

uint64_t NdjsonFileSink::failed_writes() const {
  std::lock_guard lock(mu_);
  return failed_;
}

}  // namespace eddy
