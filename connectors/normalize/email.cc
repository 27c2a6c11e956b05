#include "connectors/normalize/email.h"

#include <algorithm>

#include "connectors/normalize/ascii.h"

namespace eddy {
namespace {

constexpr size_t kMaxAddressBytes = 254;
constexpr size_t kMaxLocalBytes = 64;
constexpr size_t kMaxLabelBytes = 63;

Status invalid(std::string what) {
  return {Errc::kInvalidArgument, "invalid email: " + std::move(what)};
}

Status check_characters(std::string_view address) {
  for (char c : address) {
    if (is_ascii_space(c)) return invalid("it contains whitespace");
    if (is_ascii_control(c)) return invalid("it contains a control character");
    if (c == '"') return invalid("quoted local parts are not accepted");
  }
  return Status::ok();
}

Status check_domain(std::string_view domain) {
  if (domain.empty()) return invalid("the domain after '@' is empty");
  if (domain.find('.') == std::string_view::npos) return invalid("the domain has no dot");
  size_t start = 0;
  while (start <= domain.size()) {
    const size_t dot = std::min(domain.find('.', start), domain.size());
    const size_t length = dot - start;
    if (length == 0)
      return invalid("the domain has an empty label (a leading, trailing or double dot)");
    if (length > kMaxLabelBytes) return invalid("a domain label is longer than 63 bytes");
    start = dot + 1;
  }
  return Status::ok();
}

}  // namespace

Result<std::string> normalize_email(std::string_view raw) {
  const std::string_view address = trim_ascii_whitespace(raw);
  if (address.empty()) return invalid("it is empty");
  if (address.size() > kMaxAddressBytes) return invalid("it is longer than 254 bytes");
  if (Status s = check_characters(address); !s) return s;
  const size_t at = address.find('@');
  if (at == std::string_view::npos) return invalid("it has no '@'");
  if (address.find('@', at + 1) != std::string_view::npos)
    return invalid("it has more than one '@'");
  if (at == 0) return invalid("the local part before '@' is empty");
  if (at > kMaxLocalBytes) return invalid("the local part is longer than 64 bytes");
  if (Status s = check_domain(address.substr(at + 1)); !s) return s;
  return ascii_lower(address);
}

}  // namespace eddy
