#include "connectors/match/customer_csv.h"

#include <algorithm>
#include <array>

#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// Whether `text` is well-formed UTF-8: no stray continuation bytes, no truncated sequences, no
// overlong forms, no UTF-16 surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned char low = 0x80;   // the bounds of the second byte, narrowed to exclude overlong
    unsigned char high = 0xBF;  // forms, surrogates and code points above U+10FFFF
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    const auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < low || second > high) return false;
    for (size_t k = 2; k < length; ++k) {
      const auto byte = static_cast<unsigned char>(text[i + k]);
      if (byte < 0x80 || byte > 0xBF) return false;
    }
    i += length;
  }
  return true;
}

// The columns a header may name, each with the field it fills; "name" fills two and has none.
struct KnownColumn {
  std::string_view name;
  std::string RawCustomerRecord::*field;
};

constexpr auto kColumns = std::to_array<KnownColumn>({
    {"id", &RawCustomerRecord::id},
    {"email", &RawCustomerRecord::email},
    {"phone", &RawCustomerRecord::phone},
    {"first_name", &RawCustomerRecord::first_name},
    {"last_name", &RawCustomerRecord::last_name},
    {"name", nullptr},
    {"street", &RawCustomerRecord::street},
    {"postcode", &RawCustomerRecord::postcode},
    {"city", &RawCustomerRecord::city},
    {"country", &RawCustomerRecord::country},
});

size_t column_index(std::string_view name) {
  const auto it = std::find_if(kColumns.begin(), kColumns.end(),
                               [name](const KnownColumn& c) { return c.name == name; });
  return static_cast<size_t>(it - kColumns.begin());  // kColumns.size() when unknown
}

// A full name split at its last space: "Anne Marie Smith" is "Anne Marie" and "Smith".
void split_full_name(std::string_view value, RawCustomerRecord& record) {
  const std::string_view name = trim_ascii_whitespace(value);
  const size_t space = name.find_last_of(" \t");
  if (space == std::string_view::npos) {
    record.last_name = std::string(name);
    return;
  }
  record.first_name = std::string(trim_ascii_whitespace(name.substr(0, space)));
  record.last_name = std::string(name.substr(space + 1));
}

std::string known_columns() {
  std::string out;
  for (const KnownColumn& c : kColumns) {
    if (!out.empty()) out += ", ";
    out += c.name;
  }
  return out;
}

Status header_error(std::string what) {
  return {Errc::kInvalidArgument, "invalid CSV header: " + std::move(what)};
}

std::string line_prefix(size_t line) {
  return "line " + std::to_string(line) + ": ";
}

}  // namespace

CustomerCsvReader::CustomerCsvReader(std::string_view body) : body_(body) {
  if (body_.starts_with(kByteOrderMark)) pos_ = kByteOrderMark.size();
}

bool CustomerCsvReader::read_fields(Fields& fields) {
  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };
  auto fail = [&fields](std::string_view what) {
    if (fields.error.empty()) fields.error = what;
  };
  // Skips empty lines: an empty line is no row, even though RFC 4180 would read a field in it.
  while (pos_ < body_.size()) {
    if (body_[pos_] == '\n') {
      ++pos_;
      ++line_;
    } else if (body_.substr(pos_, 2) == "\r\n") {
      pos_ += 2;
      ++line_;
    } else {
      break;
    }
  }
  if (pos_ >= body_.size()) return false;

  fields.line = line_;
  fields.values.assign(1, std::string());
  fields.error.clear();
  State state = State::kFieldStart;
  while (pos_ < body_.size()) {
    const char c = body_[pos_];
    if (state == State::kQuoted) {
      if (c == '"' && pos_ + 1 < body_.size() && body_[pos_ + 1] == '"') {
        fields.values.back() += '"';
        pos_ += 2;
        continue;
      }
      if (c == '"') {
        state = State::kAfterQuote;
      } else {
        if (c == '\n') ++line_;
        fields.values.back() += c;
      }
      ++pos_;
      continue;
    }
    if (c == '\n' || body_.substr(pos_, 2) == "\r\n") {
      pos_ += c == '\n' ? 1 : 2;
      ++line_;
      return true;
    }
    ++pos_;
    if (c == ',') {
      fields.values.emplace_back();
      state = State::kFieldStart;
    } else if (state == State::kFieldStart && c == '"') {
      state = State::kQuoted;
    } else if (state == State::kAfterQuote) {
      fail("only a comma or a line break may follow a closing quote");
    } else if (c == '"') {
      fail("a quote inside a field that does not start with one (quote the field and double it)");
    } else {
      fields.values.back() += c;
      state = State::kUnquoted;
    }
  }
  if (state == State::kQuoted) fail("a quoted field is not closed before the end of the body");
  return true;
}

Status CustomerCsvReader::read_header() {
  if (header_read_) return Status(Errc::kInternal, "the CSV header was already read");
  header_read_ = true;
  Fields header;
  if (!read_fields(header)) {
    return header_error("the body is empty; the first line must name the columns");
  }
  if (!header.error.empty()) return header_error(line_prefix(header.line) + header.error);
  if (!std::all_of(header.values.begin(), header.values.end(), is_valid_utf8)) {
    return header_error("it is not valid UTF-8");
  }
  std::vector<size_t> columns;
  std::array<bool, kColumns.size()> seen{};
  for (size_t i = 0; i < header.values.size(); ++i) {
    const std::string name = ascii_lower(trim_ascii_whitespace(header.values[i]));
    if (name.empty()) return header_error("column " + std::to_string(i + 1) + " has no name");
    const size_t index = column_index(name);
    if (index == kColumns.size()) {
      return header_error("unknown column " + quoted_excerpt(header.values[i]) +
                          "; the columns are " + known_columns());
    }
    if (seen[index]) return header_error("column '" + name + "' appears twice");
    seen[index] = true;
    columns.push_back(index);
  }
  const auto has = [&seen](std::string_view name) { return seen[column_index(name)]; };
  if (!has("id")) return header_error("there is no 'id' column");
  if (has("name") && (has("first_name") || has("last_name"))) {
    return header_error("column 'name' cannot be combined with 'first_name' or 'last_name'");
  }
  columns_ = std::move(columns);
  return Status::ok();
}

Result<RawCustomerRecord> CustomerCsvReader::to_record(const Fields& fields) const {
  const std::string prefix = line_prefix(fields.line);
  if (!fields.error.empty()) return Status(Errc::kInvalidArgument, prefix + fields.error);
  if (fields.values.size() != columns_.size()) {
    return Status(Errc::kInvalidArgument,
                  prefix + "the row has " + std::to_string(fields.values.size()) +
                      " fields, the header " + std::to_string(columns_.size()));
  }
  RawCustomerRecord record;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const KnownColumn& column = kColumns[columns_[i]];
    const std::string& value = fields.values[i];
    if (!is_valid_utf8(value)) {
      return Status(Errc::kInvalidArgument, prefix + "the value in column " +
                                                std::to_string(i + 1) + " ('" +
                                                std::string(column.name) +
                                                "') is not valid UTF-8; is the file in another "
                                                "encoding, such as Latin-1?");
    }
    if (column.field != nullptr) {
      record.*column.field = value;
    } else {
      split_full_name(value, record);
    }
  }
  return record;
}

std::optional<CustomerCsvRow> CustomerCsvReader::next() {
  if (columns_.empty()) return std::nullopt;  // no header, or a bad one
  Fields fields;
  if (!read_fields(fields)) return std::nullopt;
  return CustomerCsvRow{fields.line, to_record(fields)};
}

}  // namespace eddy
