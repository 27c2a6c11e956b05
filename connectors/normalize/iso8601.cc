#include "connectors/normalize/iso8601.h"

#include <chrono>
#include <cstdio>
#include <optional>

namespace eddy {
namespace {

// A cursor over the text that reads fixed-width numbers and single characters, and remembers
// where it stands for error messages.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool at_end() const { return pos_ == text_.size(); }
  size_t pos() const { return pos_; }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip() { ++pos_; }

  // Exactly `width` decimal digits.
  std::optional<int> digits(size_t width) {
    if (text_.size() - pos_ < width) return std::nullopt;
    int value = 0;
    for (size_t i = 0; i < width; ++i) {
      const char c = text_[pos_ + i];
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos_ += width;
    return value;
  }

  bool take(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Status fail(std::string_view text, size_t pos, std::string_view what) {
  constexpr size_t kShown = 64;
  std::string shown(text.substr(0, kShown));
  if (text.size() > kShown) shown += "...";
  return {Errc::kInvalidArgument, "'" + shown + "' is not an ISO 8601 time: " + std::string(what) +
                                      " at character " + std::to_string(pos + 1)};
}

int64_t days_since_epoch(int year, int month, int day) {
  using namespace std::chrono;
  const sys_days d{std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                   std::chrono::day(static_cast<unsigned>(day))};
  return d.time_since_epoch().count();
}

bool valid_date(int year, int month, int day) {
  using namespace std::chrono;
  return year_month_day(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                        std::chrono::day(static_cast<unsigned>(day)))
      .ok();
}

// Reads the fraction after '.' or ','; truncated to milliseconds.
std::optional<int64_t> fraction_millis(Scanner& s) {
  int64_t millis = 0;
  size_t count = 0;
  while (!s.at_end() && s.peek() >= '0' && s.peek() <= '9') {
    if (count < 3) millis = millis * 10 + (s.peek() - '0');
    ++count;
    s.skip();
  }
  if (count == 0) return std::nullopt;
  for (size_t i = count; i < 3; ++i)
    millis *= 10;
  return millis;
}

}  // namespace

Result<EventTime> parse_iso8601(std::string_view text) {
  if (text.empty()) return fail(text, 0, "it is empty");
  Scanner s(text);
  const auto year = s.digits(4);
  if (!year) return fail(text, s.pos(), "expected a 4-digit year");
  if (!s.take('-')) return fail(text, s.pos(), "expected '-' after the year");
  const auto month = s.digits(2);
  if (!month) return fail(text, s.pos(), "expected a 2-digit month");
  if (*month < 1 || *month > 12) return fail(text, s.pos() - 2, "month out of range");
  if (!s.take('-')) return fail(text, s.pos(), "expected '-' after the month");
  const auto day = s.digits(2);
  if (!day) return fail(text, s.pos(), "expected a 2-digit day");
  if (*day < 1 || !valid_date(*year, *month, *day)) {
    return fail(text, s.pos() - 2, "day out of range for the month");
  }
  const int64_t date_millis = days_since_epoch(*year, *month, *day) * kMillisPerDay;
  if (s.at_end()) return EventTime(date_millis);

  if (!(s.take('T') || s.take('t') || s.take(' '))) {
    return fail(text, s.pos(), "expected 'T' between the date and the time");
  }
  const auto hour = s.digits(2);
  if (!hour) return fail(text, s.pos(), "expected a 2-digit hour");
  if (*hour > 23) return fail(text, s.pos() - 2, "hour out of range");
  if (!s.take(':')) return fail(text, s.pos(), "expected ':' after the hour");
  const auto minute = s.digits(2);
  if (!minute) return fail(text, s.pos(), "expected 2-digit minutes");
  if (*minute > 59) return fail(text, s.pos() - 2, "minutes out of range");
  int64_t second_millis = 0;
  if (s.take(':')) {
    const auto second = s.digits(2);
    if (!second) return fail(text, s.pos(), "expected 2-digit seconds");
    if (*second > 60) return fail(text, s.pos() - 2, "seconds out of range");
    int64_t millis = 0;
    if (s.take('.') || s.take(',')) {
      const auto f = fraction_millis(s);
      if (!f) return fail(text, s.pos(), "expected digits after the decimal mark");
      millis = *f;
    }
    second_millis = *second == 60 ? 59'999 : *second * kMillisPerSecond + millis;
  }

  int64_t offset_millis = 0;
  if (s.take('Z') || s.take('z')) {
    offset_millis = 0;
  } else if (s.peek() == '+' || s.peek() == '-') {
    const int sign = s.peek() == '-' ? -1 : 1;
    s.skip();
    const auto oh = s.digits(2);
    if (!oh) return fail(text, s.pos(), "expected a 2-digit offset hour");
    if (*oh > 23) return fail(text, s.pos() - 2, "offset hour out of range");
    int om = 0;
    if (!s.at_end()) {
      (void)s.take(':');  // both +hh:mm and +hhmm are ISO 8601
      const auto m = s.digits(2);
      if (!m) return fail(text, s.pos(), "expected 2-digit offset minutes");
      if (*m > 59) return fail(text, s.pos() - 2, "offset minutes out of range");
      om = *m;
    }
    offset_millis = sign * (*oh * kMillisPerHour + om * kMillisPerMinute);
  } else if (s.at_end()) {
    return fail(text, s.pos(), "a time of day needs a UTC offset ('Z' or +hh:mm)");
  } else {
    return fail(text, s.pos(), "unexpected character");
  }
  if (!s.at_end()) return fail(text, s.pos(), "unexpected text after the time");

  return EventTime(date_millis + *hour * kMillisPerHour + *minute * kMillisPerMinute +
                   second_millis - offset_millis);
}

std::string format_iso8601(EventTime time) {
  using namespace std::chrono;
  const int64_t ms = time.value();
  const int64_t days = ms >= 0 ? ms / kMillisPerDay : -((-ms + kMillisPerDay - 1) / kMillisPerDay);
  const int64_t rest = ms - days * kMillisPerDay;
  const year_month_day ymd{sys_days{std::chrono::days{days}}};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(rest / kMillisPerHour),
                static_cast<int>(rest / kMillisPerMinute % 60),
                static_cast<int>(rest / kMillisPerSecond % 60), static_cast<int>(rest % 1000));
  return buf;
}

}  // namespace eddy
