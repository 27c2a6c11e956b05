#pragma once

#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Phone numbers to E.164 ("+4915123456789"), the form SMS gateways and identity matching want,
// using Google's libphonenumber, which knows every country's numbering plan.
//
// `default_region` is the ISO 3166-1 alpha-2 country ("DE", "us") assumed for numbers written
// without a country code, such as "0151 23456789"; an empty one means there is no default and only
// international numbers ("+49 ...", "0049 ...") are taken. An unknown region is refused even when
// the number would not need it, because it is a configuration error worth seeing at once.
//
// Accepted: spaces, dashes, dots, parentheses, a leading '+', the region's own international
// prefix ("011" from the US), and "00" as an international prefix from any region, since most of
// the world dials it and shop data mixes regions. "00" is tried as a national number first, so a
// region whose numbers may start with "00" keeps its meaning.
//
// A number must be valid (IsValidNumber: its length and leading digits match a range its country
// has assigned), not merely possible (IsPossibleNumber: only its length fits). The stricter check
// refuses typos and the made-up numbers forms attract ("+1 555 555 5555", "0123 456789") before
// they become identity keys or SMS costs. Its price is that ranges assigned after the installed
// metadata was built are refused too; the caller keeps the raw value, so such a number is not lost
// and can be normalised again after an upgrade.
//
// Information lost, and so kept raw by the caller: the formatting, an extension ("ext. 12"), and
// which default region turned a national number into an international one.
//
// Thread-safe: PhoneNumberUtil is a singleton created once (pthread_once) whose methods are const,
// so the function may run on every ingest thread at once. Messages never repeat the number, which
// is personal data.
Result<std::string> normalize_phone(std::string_view raw, std::string_view default_region);

}  // namespace eddy
