#pragma once

#include <string>
#include <string_view>

#include "runtime/status.h"

namespace eddy {

// Email addresses as customer identifiers: the same person's address must compare equal however a
// form or a CRM wrote it.
//
// The result is trimmed and lower-cased. Lower-casing the local part loses information in theory
// (RFC 5321 lets a mail server treat "Ann" and "ann" as different mailboxes) though no mail
// provider in use does so, which is why identity matching lower-cases it; callers keep the raw
// value beside the normalised one for the rare case it matters, and for sending mail.
//
// Provider-specific rewrites are deliberately not done: Gmail ignores dots and "+tags" in the
// local part, but other providers do not, and "ann+shop@x.com" is often a separate identity the
// customer chose on purpose. Merging such addresses is identity resolution's decision, not a
// normaliser's.
//
// Checked, each failing with kInvalidArgument: exactly one '@'; a non-empty local part of at most
// 64 bytes; a domain with at least one dot and no empty label (so no leading, trailing or doubled
// dots); no whitespace or control characters inside; at most 254 bytes in all (RFC 5321's limit
// on a path). Quoted local parts ("a b"@x.com) are refused: they are legal but never seen from a
// real customer. Bytes above ASCII (internationalised addresses) pass through unchanged.
// Messages never repeat the address, which is personal data and may end up in logs.
Result<std::string> normalize_email(std::string_view raw);

}  // namespace eddy
