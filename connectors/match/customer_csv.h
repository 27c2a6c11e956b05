#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/match/customer_record.h"
#include "runtime/status.h"

namespace eddy {

// A data row of a customer import: the record as written, or why the row was refused. `line` is
// the 1-based line of the body the row starts on, counting the header as line 1 and every line
// break inside quotes, so that it is the line a spreadsheet user finds the row on.
struct CustomerCsvRow {
  size_t line = 0;
  Result<RawCustomerRecord> record;
};

// Customer imports in CSV as RFC 4180 writes it: fields separated by commas, rows by CRLF or LF,
// fields that contain a comma, a quote or a line break quoted with '"', and a quote inside a
// quoted field doubled. Empty lines are skipped, and so is a final line break.
//
// The first line is the header, naming each column once, in any order, in any case and with
// spaces around allowed: id (required), email, phone, first_name, last_name, street, postcode,
// city, country, and name, a full name for systems that keep no parts, split at its last space
// into first and last name ("Anne Marie Smith" is "Anne Marie" and "Smith"; a single word is a
// last name). `name` cannot be combined with `first_name` or `last_name`. A UTF-8 byte order
// mark before the header, which Excel writes, is skipped.
//
// The header decides the whole body: an unknown or repeated column name, a missing id column or
// a malformed header line fail read_header, and no row is read. A bad row only fails that row, so
// one stray quote does not lose an import of a million customers: a row with another number of
// fields than the header, a quote in the middle of an unquoted field or anything but a comma
// after a closing quote, or a value that is not valid UTF-8 (the usual sign of a Latin-1 export)
// is reported with its line and the reader goes on with the next row. A quoted field still open at
// the end of the body makes the last row an error, since the quote swallowed the rest.
//
// Messages name lines and columns but never repeat a value of a row, which is personal data; an
// unknown column's name is quoted, since a header holds none.
//
// The reader views `body` without copying it; the body must outlive it. Parsing is one pass over
// the bytes, each looked at a bounded number of times, so no input makes it hang. A reader is
// used from one thread at a time, like any object with a position.
class CustomerCsvReader {
 public:
  explicit CustomerCsvReader(std::string_view body);

  // Reads and checks the header. Call once, before next(); after an error next() yields nothing.
  Status read_header();

  // The next data row, or nullopt at the end of the body.
  std::optional<CustomerCsvRow> next();

 private:
  // The fields of one row, split by the rules of RFC 4180, and the first thing wrong with it.
  struct Fields {
    size_t line = 0;
    std::vector<std::string> values;
    std::string error;
  };

  // Reads the row at the current position; false at the end of the body.
  bool read_fields(Fields& fields);
  Result<RawCustomerRecord> to_record(const Fields& fields) const;

  std::string_view body_;
  size_t pos_ = 0;
  size_t line_ = 1;
  bool header_read_ = false;
  // For each field of a row, the index of its column in the table of known columns
  // (customer_csv.cc); empty until a header was read without error.
  std::vector<size_t> columns_;
};

}  // namespace eddy
