#include "connectors/normalize/timestamp.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "connectors/normalize/ascii.h"
#include "connectors/normalize/iso8601.h"

namespace eddy {
namespace {

// Below this an epoch number is seconds, at or above it milliseconds (see the header).
constexpr int64_t kSecondsBelow = 100'000'000'000;
// 10000-01-01T00:00:00Z in milliseconds: the first instant parse_iso8601 cannot express either.
constexpr int64_t kMillisLimit = 253'402'300'800'000;
// More integer digits than this cannot be a time in range; stopping early also avoids overflow.
constexpr size_t kMaxIntegerDigits = 15;

Status invalid(std::string what) {
  return {Errc::kInvalidArgument, "invalid timestamp: " + std::move(what)};
}

Result<EventTime> from_epoch_millis(int64_t millis) {
  if (millis < 0) return invalid("a negative epoch time (before 1970)");
  if (millis >= kMillisLimit) {
    return invalid(
        "an epoch time beyond the year 9999 (microseconds or nanoseconds? only seconds "
        "and milliseconds are accepted)");
  }
  return EventTime(millis);
}

bool is_epoch_text(std::string_view text) {
  if (text.empty() || !is_ascii_digit(text.front())) return false;
  for (char c : text) {
    if (!is_ascii_digit(c) && c != '.') return false;
  }
  return true;
}

// Digits with an optional '.' and fraction; the caller has checked the characters.
Result<EventTime> parse_epoch_text(std::string_view text) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (dot != std::string_view::npos && (fraction.empty() || fraction.find('.') != fraction.npos)) {
    return invalid("an epoch number needs digits after its one decimal point");
  }
  const size_t first = std::min(whole.find_first_not_of('0'), whole.size());
  if (whole.size() - first > kMaxIntegerDigits) return from_epoch_millis(kMillisLimit);
  int64_t value = 0;
  for (char c : whole)
    value = value * 10 + (c - '0');
  if (value >= kSecondsBelow) return from_epoch_millis(value);
  int64_t millis = 0;
  for (size_t i = 0; i < 3; ++i) {
    millis = millis * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
  }
  return from_epoch_millis(value * kMillisPerSecond + millis);
}

}  // namespace

Result<EventTime> normalize_timestamp(std::string_view raw) {
  const std::string_view text = trim_ascii_whitespace(raw);
  if (text.empty()) return invalid("it is empty");
  if (is_epoch_text(text)) return parse_epoch_text(text);
  Result<EventTime> time = parse_iso8601(text);
  if (!time && text.front() == '-' && text.find_first_not_of("-0123456789.") == text.npos) {
    return invalid("a negative epoch time (before 1970)");
  }
  return time;
}

Result<EventTime> normalize_timestamp(int64_t epoch) {
  if (epoch < 0) return invalid("a negative epoch time (before 1970)");
  if (epoch < kSecondsBelow) return from_epoch_millis(epoch * kMillisPerSecond);
  return from_epoch_millis(epoch);
}

Result<EventTime> normalize_timestamp(double epoch) {
  if (!std::isfinite(epoch)) return invalid("the epoch number is not finite");
  if (epoch < 0) return invalid("a negative epoch time (before 1970)");
  // Compared as doubles first, so that the conversions below cannot overflow.
  if (epoch >= static_cast<double>(kMillisLimit)) return from_epoch_millis(kMillisLimit);
  if (epoch < static_cast<double>(kSecondsBelow)) {
    return from_epoch_millis(std::llround(epoch * static_cast<double>(kMillisPerSecond)));
  }
  return from_epoch_millis(std::llround(epoch));
}

}  // namespace eddy
