#include "connectors/api/segment_definition.h"

#include <boost/json/parse.hpp>
#include <set>

#include "connectors/api/duration.h"
#include "runtime/whole_file.h"

namespace eddy {

Result<boost::json::object> segment_put_command(std::string_view id,
                                                const boost::json::object& body) {
  boost::json::object cmd{{"action", "put"}, {"id", id}};
  for (const auto& [key, value] : body) {
    if (key == "enter" || key == "exit") {
      if (!value.is_string())
        return {Errc::kInvalidArgument, "'" + std::string(key) + "' must be a string"};
      cmd[key] = value;
    } else if (key == "min_dwell") {
      if (!value.is_string())
        return {Errc::kInvalidArgument, "'min_dwell' must be a string like \"1h\""};
      auto ms = parse_duration_ms(value.as_string());
      if (!ms) return ms.status();
      cmd["min_dwell_ms"] = *ms;
    } else if (key == "min_dwell_ms") {
      cmd[key] = value;
    } else if (key != "id") {
      return {Errc::kInvalidArgument,
              "unknown field '" + std::string(key) + "' (a segment has enter, exit and min_dwell)"};
    }
  }
  if (!cmd.contains("enter")) return {Errc::kInvalidArgument, "a segment needs an 'enter' rule"};
  return cmd;
}

Result<std::vector<boost::json::object>> load_segments_file(const std::string& path,
                                                            uint32_t max_json_depth) {
  auto fail = [&path](const std::string& why) -> Result<std::vector<boost::json::object>> {
    return Status(Errc::kInvalidArgument, "segments file " + path + ": " + why);
  };
  auto text = read_whole_file(path);
  if (!text) return fail(text.status().message());
  boost::json::parse_options options;
  options.max_depth = max_json_depth;
  boost::system::error_code ec;
  const boost::json::value doc = boost::json::parse(*text, ec, {}, options);
  if (ec) return fail("not JSON: " + ec.message());
  const boost::json::array* list = doc.if_array();
  if (const auto* o = doc.if_object(); o != nullptr && o->contains("segments"))
    list = o->at("segments").if_array();
  if (list == nullptr) return fail("expected {\"segments\": [...]} or a list of segments");
  std::vector<boost::json::object> out;
  std::set<std::string, std::less<>> ids;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string where = "entry " + std::to_string(i);
    const boost::json::object* entry = (*list)[i].if_object();
    if (entry == nullptr) return fail(where + " is not an object");
    const auto* id = entry->if_contains("id");
    if (id == nullptr || !id->is_string() || id->as_string().empty())
      return fail(where + " needs an 'id' (a non-empty string)");
    const std::string name(id->as_string());
    if (!ids.insert(name).second) return fail(where + ": segment '" + name + "' is defined twice");
    auto cmd = segment_put_command(name, *entry);
    if (!cmd) return fail(where + " (segment '" + name + "'): " + cmd.status().message());
    out.push_back(std::move(cmd).value());
  }
  return out;
}

}  // namespace eddy
