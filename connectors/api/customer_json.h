#pragma once

#include <boost/json/object.hpp>

#include "connectors/match/customer_record.h"
#include "runtime/status.h"

namespace eddy {

// A customer record written as one JSON object: a line of an NDJSON import (POST /v1/import).
//
// The keys are the CSV import's columns (connectors/match/customer_csv.h) with the spellings CRMs
// export: id, email, phone, first_name or firstName, last_name or lastName, name (a full name,
// split at its last space as the CSV's `name` column is), street, postcode or postalCode, city,
// country; and the address may be a nested object "address" with street, postcode or postalCode,
// city and country. Unknown keys are ignored, so that a CRM's whole export can be sent as it is.
//
// A value is a string; null is the same as no value; id, phone and postcode may also be whole
// numbers, which exports write for numeric ids and for phone numbers and postcodes stored as
// numbers. Anything else for a known key (a fraction, a boolean, an array, an object other than
// "address"), a field given twice (first_name and firstName, a top-level postcode and the
// address's), or `name` together with first_name or last_name fails with kInvalidArgument and a
// message that names the key but never repeats a value, which is personal data.
Result<RawCustomerRecord> customer_record_from_json(const boost::json::object& object);

}  // namespace eddy
