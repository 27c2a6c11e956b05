#include "connectors/webhooks/mapping_value.h"

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>

namespace eddy {

namespace {

namespace json = boost::json;

struct TypeName {
  std::string_view name;
  ValueType type;
};
constexpr std::array<TypeName, 7> kTypeNames = {{
    {"as_is", ValueType::kAsIs},
    {"string", ValueType::kString},
    {"number", ValueType::kNumber},
    {"integer", ValueType::kInteger},
    {"boolean", ValueType::kBoolean},
    {"epoch_seconds", ValueType::kEpochSeconds},
    {"epoch_millis", ValueType::kEpochMillis},
}};

constexpr std::array<std::string_view, 8> kValueKeys = {
    "field", "const", "as", "required", "default", "lookup", "unmatched", "each"};

Status spec_error(const std::string& where, const std::string& why) {
  return {Errc::kInvalidArgument, where + ": " + why};
}

std::string not_a(const json::value& v, const JsonPath& path, std::string_view what) {
  return quote_json(v) + " at '" + path.text() + "' is not " + std::string(what);
}

template <typename T>
std::optional<T> parse_whole(std::string_view text) {
  T out{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return out;
}

std::optional<std::string> to_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      std::array<char, 32> buf;
      auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v.get_double());
      if (ec != std::errc()) return std::nullopt;
      return std::string(buf.data(), ptr);
    }
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    default:
      return std::nullopt;
  }
}

std::optional<double> to_double(const json::value& v) {
  if (v.is_number()) {
    boost::system::error_code ec;
    const double d = v.to_number<double>(ec);
    if (ec) return std::nullopt;
    return d;
  }
  if (!v.is_string()) return std::nullopt;
  const auto d = parse_whole<double>(std::string_view(v.get_string()));
  if (!d || !std::isfinite(*d)) return std::nullopt;
  return d;
}

std::optional<int64_t> to_int64(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    if (v.get_uint64() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return std::nullopt;
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double()) {
    const double d = v.get_double();
    // 2^63 is exact as a double; anything at or above it does not fit.
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9.2233720368547758e18 ||
        d >= 9.2233720368547758e18)
      return std::nullopt;
    return static_cast<int64_t>(d);
  }
  if (v.is_string()) return parse_whole<int64_t>(std::string_view(v.get_string()));
  return std::nullopt;
}

// Milliseconds since the epoch from a number (or numeric string) of seconds or milliseconds.
std::optional<int64_t> to_epoch_millis(const json::value& v, int64_t millis_per_unit) {
  // Beyond this many units the year leaves 0000-9999 anyway; the bound keeps the product in range.
  constexpr double kMaxUnits = 1e15;
  if (const auto i = to_int64(v); i && std::abs(static_cast<double>(*i)) < kMaxUnits)
    return *i * millis_per_unit;
  const auto d = to_double(v);
  if (!d || std::abs(*d) >= kMaxUnits) return std::nullopt;
  return static_cast<int64_t>(std::llround(*d * static_cast<double>(millis_per_unit)));
}

Result<json::value> convert(const json::value& v, ValueType type, const JsonPath& path) {
  switch (type) {
    case ValueType::kAsIs:
      return v;
    case ValueType::kString:
      if (auto s = to_text(v)) return json::value(*s);
      return Status(Errc::kInvalidArgument, not_a(v, path, "a string, number or boolean"));
    case ValueType::kNumber:
      if (v.is_number()) return v;
      if (auto d = to_double(v)) return json::value(*d);
      return Status(Errc::kInvalidArgument, not_a(v, path, "a number"));
    case ValueType::kInteger:
      if (auto i = to_int64(v)) return json::value(*i);
      return Status(Errc::kInvalidArgument, not_a(v, path, "an integer"));
    case ValueType::kBoolean:
      if (v.is_bool()) return v;
      if (v.is_string() && v.get_string() == "true") return json::value(true);
      if (v.is_string() && v.get_string() == "false") return json::value(false);
      return Status(Errc::kInvalidArgument, not_a(v, path, "a boolean"));
    case ValueType::kEpochSeconds:
    case ValueType::kEpochMillis: {
      const int64_t unit = type == ValueType::kEpochSeconds ? kMillisPerSecond : 1;
      const auto ms = to_epoch_millis(v, unit);
      const auto text = ms ? format_iso8601_millis(*ms) : std::nullopt;
      if (text) return json::value(*text);
      return Status(Errc::kInvalidArgument, not_a(v, path, "an epoch time in years 0000-9999"));
    }
  }
  return Status(Errc::kInternal, "unknown value type");
}

// A nested error or reason arrives as "price: why" or "[1].price: why"; the caller's target name
// goes in front, so the message reads as a path into the message being built.
std::string prefixed(std::string_view name, const std::string& inner) {
  std::string out(name);
  if (!inner.starts_with('[')) out += ": ";
  return out + inner;
}

Result<ValueType> parse_type(const json::value& v, const std::string& where) {
  if (v.is_string()) {
    for (const TypeName& t : kTypeNames)
      if (v.get_string() == t.name) return t.type;
  }
  std::string names;
  for (const TypeName& t : kTypeNames)
    names += (names.empty() ? "" : ", ") + std::string(t.name);
  return spec_error(where, "\"as\" is one of " + names + ", not " + quote_json(v));
}

Result<Unmatched> parse_unmatched(const json::value& v, const std::string& where) {
  const std::string_view text = v.is_string() ? std::string_view(v.get_string()) : "";
  if (text == "ignore") return Unmatched::kIgnore;
  if (text == "error") return Unmatched::kError;
  if (text == "keep") return Unmatched::kKeep;
  return spec_error(where,
                    "\"unmatched\" is \"ignore\", \"error\" or \"keep\", not " + quote_json(v));
}

Result<std::vector<JsonPath>> parse_paths(const json::value& v, const std::string& where) {
  std::vector<JsonPath> paths;
  auto add = [&](const json::value& one) -> Status {
    if (!one.is_string()) return spec_error(where, "\"field\" holds path strings");
    auto path = JsonPath::parse(std::string_view(one.get_string()));
    if (!path) return spec_error(where, path.status().message());
    paths.push_back(std::move(path).value());
    return Status::ok();
  };
  if (const auto* list = v.if_array()) {
    if (list->empty()) return spec_error(where, "\"field\" lists at least one path");
    for (const json::value& one : *list)
      if (Status s = add(one); !s) return s;
  } else if (Status s = add(v); !s) {
    return s;
  }
  return paths;
}

Status check_keys(const json::object& spec, const std::string& where) {
  for (const auto& entry : spec) {
    if (std::find(kValueKeys.begin(), kValueKeys.end(), entry.key()) == kValueKeys.end()) {
      std::string names;
      for (std::string_view k : kValueKeys)
        names += (names.empty() ? "" : ", ") + std::string(k);
      return spec_error(where,
                        "unknown key '" + std::string(entry.key()) + "' (expected " + names + ")");
    }
  }
  if (spec.contains("const")) {
    if (spec.size() != 1) return spec_error(where, "\"const\" takes no other key");
    return Status::ok();
  }
  if (!spec.contains("field")) return spec_error(where, "needs \"field\" or \"const\"");
  if (spec.contains("unmatched") && !spec.contains("lookup"))
    return spec_error(where, "\"unmatched\" goes with \"lookup\"");
  if (spec.contains("required") && spec.contains("default"))
    return spec_error(where, "a field with a \"default\" cannot be \"required\"");
  if (spec.contains("each") &&
      (spec.contains("as") || spec.contains("lookup") || spec.contains("default")))
    return spec_error(where, "\"each\" takes no \"as\", \"lookup\" or \"default\"");
  return Status::ok();
}

std::vector<std::string> split_target(std::string_view name) {
  std::vector<std::string> parts;
  while (true) {
    const size_t dot = name.find('.');
    parts.emplace_back(name.substr(0, dot));
    if (dot == std::string_view::npos) return parts;
    name.remove_prefix(dot + 1);
  }
}

bool is_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return a.size() <= b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void put(json::object& out, const std::vector<std::string>& target, json::value v) {
  json::object* at = &out;
  for (size_t i = 0; i + 1 < target.size(); ++i) {
    json::value& next = (*at)[target[i]];
    if (!next.is_object()) next = json::object();
    at = &next.get_object();
  }
  (*at)[target.back()] = std::move(v);
}

}  // namespace

std::string quote_json(const json::value& v) {
  constexpr size_t kMaxChars = 64;
  std::string text = json::serialize(v);
  if (text.size() > kMaxChars) text = text.substr(0, kMaxChars) + "...";
  return text;
}

std::optional<std::string> format_iso8601_millis(int64_t epoch_ms) {
  // 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
  constexpr int64_t kMin = -62167219200000;
  constexpr int64_t kMax = 253402300799999;
  if (epoch_ms < kMin || epoch_ms > kMax) return std::nullopt;
  using namespace std::chrono;
  const sys_time<milliseconds> t{milliseconds(epoch_ms)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss hms(t - day);
  std::array<char, 32> buf;
  const int n = std::snprintf(
      buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  return std::string(buf.data(), static_cast<size_t>(n));
}

Result<ValueSpec> ValueSpec::parse(const json::value& spec, const std::string& where,
                                   ValueType default_type) {
  ValueSpec out;
  out.type_ = default_type;
  if (spec.is_string()) {
    auto paths = parse_paths(spec, where);
    if (!paths) return paths.status();
    out.paths_ = std::move(paths).value();
    return out;
  }
  const json::object* object = spec.if_object();
  if (object == nullptr) return spec_error(where, "a value is a path string or an object");
  if (Status s = check_keys(*object, where); !s) return s;
  if (const json::value* c = object->if_contains("const")) {
    out.constant_ = *c;
    return out;
  }
  auto paths = parse_paths(object->at("field"), where);
  if (!paths) return paths.status();
  out.paths_ = std::move(paths).value();
  if (const json::value* as = object->if_contains("as")) {
    auto type = parse_type(*as, where);
    if (!type) return type.status();
    out.type_ = *type;
  }
  if (const json::value* required = object->if_contains("required")) {
    if (!required->is_bool()) return spec_error(where, "\"required\" is true or false");
    out.required_ = required->get_bool();
  }
  if (const json::value* d = object->if_contains("default")) out.default_ = *d;
  if (const json::value* lookup = object->if_contains("lookup")) {
    if (!lookup->is_object()) return spec_error(where, "\"lookup\" is an object");
    out.lookup_ = lookup->get_object();
  }
  if (const json::value* unmatched = object->if_contains("unmatched")) {
    auto u = parse_unmatched(*unmatched, where);
    if (!u) return u.status();
    out.unmatched_ = *u;
  }
  if (const json::value* each = object->if_contains("each")) {
    auto fields = FieldMap::parse(*each, where + "[]");
    if (!fields) return fields.status();
    out.each_ = std::make_shared<const FieldMap>(std::move(fields).value());
  }
  return out;
}

std::string ValueSpec::describe_paths() const {
  std::string out;
  for (const JsonPath& p : paths_)
    out += (out.empty() ? "'" : ", '") + p.text() + "'";
  return out;
}

ValueSpec::Found ValueSpec::read(const json::value& root) const {
  for (const JsonPath& path : paths_) {
    if (const json::value* v = path.find(root)) return {v, &path};
  }
  return {};
}

Result<MappedValue> ValueSpec::evaluate(const json::value& root) const {
  if (constant_) return MappedValue{*constant_, {}};
  const Found found = read(root);
  if (found.value == nullptr) {
    if (default_) return MappedValue{*default_, {}};
    if (!required_) return MappedValue{};
    const std::string what = paths_.size() == 1 ? "required field " : "none of the fields ";
    return Status(Errc::kInvalidArgument,
                  what + describe_paths() + (paths_.size() == 1 ? " is missing" : " is present"));
  }
  if (each_) return map_each(*found.value, *found.path);
  if (lookup_) {
    auto looked_up = look_up(*found.value, *found.path);
    if (!looked_up || looked_up->skipped()) return looked_up;
    auto converted = convert(*looked_up->value, type_, *found.path);
    if (!converted) return converted.status();
    return MappedValue{std::move(converted).value(), {}};
  }
  auto converted = convert(*found.value, type_, *found.path);
  if (!converted) return converted.status();
  return MappedValue{std::move(converted).value(), {}};
}

Result<MappedValue> ValueSpec::map_each(const json::value& raw, const JsonPath& path) const {
  const json::array* items = raw.if_array();
  if (items == nullptr) return Status(Errc::kInvalidArgument, not_a(raw, path, "an array"));
  json::array out;
  out.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    auto element = each_->apply((*items)[i]);
    const std::string index = "[" + std::to_string(i) + "]";
    if (!element) return Status(Errc::kInvalidArgument, index + "." + element.status().message());
    if (element->skipped()) return MappedValue{{}, index + "." + element->skip_reason};
    out.push_back(std::move(*element->value));
  }
  return MappedValue{json::value(std::move(out)), {}};
}

Result<MappedValue> ValueSpec::look_up(const json::value& raw, const JsonPath& path) const {
  const std::optional<std::string> key = to_text(raw);
  if (key) {
    if (const json::value* mapped = lookup_->if_contains(*key)) return MappedValue{*mapped, {}};
  }
  const std::string why =
      quote_json(raw) + " at '" + path.text() + "' has no entry in the lookup table";
  switch (unmatched_) {
    case Unmatched::kIgnore:
      return MappedValue{{}, why};
    case Unmatched::kError:
      return Status(Errc::kInvalidArgument, why);
    case Unmatched::kKeep:
      return MappedValue{raw, {}};
  }
  return Status(Errc::kInternal, "unknown unmatched policy");
}

Result<FieldMap> FieldMap::parse(const json::value& spec, const std::string& where,
                                 const std::vector<std::string_view>& reserved) {
  const json::object* object = spec.if_object();
  if (object == nullptr) return spec_error(where, "is an object of target names and values");
  FieldMap out;
  for (const auto& entry : *object) {
    const std::string name(entry.key());
    const std::string field_where = where + "." + name;
    std::vector<std::string> target = split_target(name);
    if (std::any_of(target.begin(), target.end(), [](const std::string& s) { return s.empty(); }))
      return spec_error(field_where, "a target name has no empty step");
    if (std::find(reserved.begin(), reserved.end(), target.front()) != reserved.end())
      return spec_error(field_where, "'" + target.front() + "' is filled by eddy itself");
    for (const Field& other : out.fields_) {
      if (is_prefix(other.target, target) || is_prefix(target, other.target))
        return spec_error(field_where, "overlaps the target '" + other.name + "'");
    }
    auto value = ValueSpec::parse(entry.value(), field_where);
    if (!value) return value.status();
    out.fields_.push_back(Field{name, std::move(target), std::move(value).value()});
  }
  return out;
}

Result<MappedValue> FieldMap::apply(const json::value& root) const {
  json::object out;
  for (const Field& field : fields_) {
    auto v = field.value.evaluate(root);
    if (!v) return Status(Errc::kInvalidArgument, prefixed(field.name, v.status().message()));
    if (v->skipped()) return MappedValue{{}, prefixed(field.name, v->skip_reason)};
    if (v->value) put(out, field.target, std::move(*v->value));
  }
  return MappedValue{json::value(std::move(out)), {}};
}

}  // namespace eddy
