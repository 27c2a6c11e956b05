#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/status.h"

namespace eddy {

// A customer as an import or a CRM delivers it: every field as written, any of them empty.
struct RawCustomerRecord {
  std::string id;
  std::string email;
  std::string phone;
  std::string first_name;
  std::string last_name;
  std::string street;
  std::string postcode;
  std::string city;
  std::string country;

  friend bool operator==(const RawCustomerRecord&, const RawCustomerRecord&) = default;
};

// A customer in the form records are matched in (record_match.h). An empty field is unknown.
struct CustomerRecord {
  std::string id;          // trimmed, otherwise as given: the caller's key for the record
  std::string email;       // normalize_email
  std::string phone;       // normalize_phone: E.164
  std::string first_name;  // normalize_name
  std::string last_name;   // normalize_name
  std::string street;      // normalize_street
  std::string postcode;    // upper case, without spaces and dashes: "SW1A1AA" (and see below)
  std::string city;        // normalize_name
  std::string country;     // normalize_country: ISO 3166-1 alpha-2
  // Why a field that was given is empty here, one line per dropped field ("email dropped: ...").
  // The lines never repeat the dropped value, which is personal data and may end up in logs.
  std::vector<std::string> warnings;
};

// Normalises every field of `raw` (see CustomerRecord for how).
//
// A US ZIP+4 ("94107-1234") is cut to its ZIP, which the other records of the address are more
// likely to carry; no other country writes five digits, a dash and four.
//
// A field that is given but cannot be normalised (an email without '@', a phone number its
// country never assigned, a country nobody has heard of) is dropped with a warning instead of
// failing the record: one bad field in an import should not lose the customer, and the other
// fields still identify them.
//
// The phone number is read in the record's own country when it has one, and otherwise, or when
// that fails, in `default_phone_region` (an ISO 3166-1 alpha-2 code, or empty for international
// numbers only): "020 7946 0958" in a record from GB is a London number even when most customers
// are German. A `default_phone_region` that libphonenumber does not know is a configuration
// error: a record whose phone number needed it fails with kInvalidArgument, rather than every
// such number being dropped with a warning nobody reads.
//
// Fails with kInvalidArgument when the id is empty, or when none of email, phone and last name is
// left: such a record could never be matched to anything.
//
// Information lost, and so kept raw by the caller: everything the normalisers fold (the case,
// accents and punctuation of names, the formatting of phone numbers and postcodes, a ZIP+4's last
// four digits) and the values of dropped fields.
//
// Thread-safe, as the normalisers it calls are.
Result<CustomerRecord> normalize_customer_record(const RawCustomerRecord& raw,
                                                 std::string_view default_phone_region);

// The same with the phone number taken as `normalized_phone` (what an earlier call made of the
// same record's phone: its E.164 form, or empty when it was dropped): libphonenumber is most of
// the cost of normalising a record, and an import reads its body twice (docs/import.md).
Result<CustomerRecord> normalize_customer_record(const RawCustomerRecord& raw,
                                                 std::string_view default_phone_region,
                                                 const std::string* normalized_phone);

}  // namespace eddy
