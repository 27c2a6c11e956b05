#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string_view>

#include "connectors/match/customer_record.h"

namespace eddy {

// The customer record in an identify call's traits, as Segment's spec of traits names them:
// "email", "phone", "firstName" and "lastName" (or "name", a full name split at its last space),
// and "address" with "street", "postalCode", "city" and "country"; snake_case spellings
// ("first_name", "postal_code", "postcode") are read too. The record's id is the user id.
//
// Empty when the traits hold nothing a record could be matched by (no email, no phone, no last
// name): most identify calls repeat a user id with a plan or a flag, and those cost no matching.
// Values other than strings (and numbers, for the phone and postal code) are left out.
std::optional<RawCustomerRecord> customer_record_from_traits(const boost::json::object& traits,
                                                             std::string_view user_id);

}  // namespace eddy
