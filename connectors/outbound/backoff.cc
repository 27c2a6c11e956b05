#include "connectors/outbound/backoff.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <limits>

namespace eddy {

using std::chrono::milliseconds;

milliseconds backoff_ceiling(const BackoffPolicy& policy, uint32_t retry) {
  const int64_t base = std::max<int64_t>(0, policy.base.count());
  const int64_t cap = std::max<int64_t>(0, policy.max.count());
  if (base == 0) return milliseconds(0);
  // base * 2^retry > cap exactly when base > floor(cap / 2^retry); shifting cap right never
  // overflows, shifting base left could.
  if (retry >= 62 || base > (cap >> retry)) return milliseconds(cap);
  return milliseconds(base << retry);
}

milliseconds full_jitter_backoff(const BackoffPolicy& policy, uint32_t retry,
                                 std::mt19937_64& rng) {
  const int64_t ceiling = backoff_ceiling(policy, retry).count();
  if (ceiling == 0) return milliseconds(0);
  std::uniform_int_distribution<int64_t> pick(0, ceiling);
  return milliseconds(pick(rng));
}

milliseconds throttled_backoff(const BackoffPolicy& policy, milliseconds asked) {
  return std::clamp(asked, milliseconds(0), std::max(milliseconds(0), policy.max));
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Reads the fixed layouts of HTTP-dates left to right; every method consumes on success only.
class DateCursor {
 public:
  explicit DateCursor(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }
  bool literal(std::string_view s) {
    if (!rest_.starts_with(s)) return false;
    rest_.remove_prefix(s.size());
    return true;
  }
  // Exactly `width` digits.
  bool number(size_t width, int& out) {
    if (rest_.size() < width) return false;
    for (size_t i = 0; i < width; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(rest_[i]))) return false;
    }
    (void)std::from_chars(rest_.data(), rest_.data() + width, out);
    rest_.remove_prefix(width);
    return true;
  }
  // A day name: letters up to the next non-letter. Its value is not checked against the date.
  bool day_name() {
    size_t n = 0;
    while (n < rest_.size() && std::isalpha(static_cast<unsigned char>(rest_[n])))
      ++n;
    if (n < 3) return false;
    rest_.remove_prefix(n);
    return true;
  }
  bool month(int& out) {
    static constexpr std::array<std::string_view, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (literal(kMonths[i])) {
        out = static_cast<int>(i) + 1;
        return true;
      }
    }
    return false;
  }
  // hh:mm:ss
  bool time_of_day(int& h, int& m, int& s) {
    return number(2, h) && literal(":") && number(2, m) && literal(":") && number(2, s);
  }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

struct DateParts {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

// Sun, 06 Nov 1994 08:49:37 GMT
bool parse_imf_fixdate(DateCursor c, DateParts& d) {
  return c.day_name() && c.literal(", ") && c.number(2, d.day) && c.literal(" ") &&
         c.month(d.month) && c.literal(" ") && c.number(4, d.year) && c.literal(" ") &&
         c.time_of_day(d.hour, d.minute, d.second) && c.literal(" GMT") && c.done();
}

// Sunday, 06-Nov-94 08:49:37 GMT
bool parse_rfc850(DateCursor c, DateParts& d, int now_year) {
  int yy = 0;
  if (!(c.day_name() && c.literal(", ") && c.number(2, d.day) && c.literal("-") &&
        c.month(d.month) && c.literal("-") && c.number(2, yy) && c.literal(" ") &&
        c.time_of_day(d.hour, d.minute, d.second) && c.literal(" GMT") && c.done())) {
    return false;
  }
  d.year = now_year - now_year % 100 + yy;
  if (d.year > now_year + 50) d.year -= 100;
  return true;
}

// Sun Nov  6 08:49:37 1994
bool parse_asctime(DateCursor c, DateParts& d) {
  if (!(c.day_name() && c.literal(" ") && c.month(d.month) && c.literal(" "))) return false;
  if (!(c.literal(" ") ? c.number(1, d.day) : c.number(2, d.day))) return false;
  return c.literal(" ") && c.time_of_day(d.hour, d.minute, d.second) && c.literal(" ") &&
         c.number(4, d.year) && c.done();
}

std::optional<WallTime> to_wall_time(const DateParts& d) {
  using namespace std::chrono;
  const year_month_day date{year{d.year}, month{static_cast<unsigned>(d.month)},
                            day{static_cast<unsigned>(d.day)}};
  if (!date.ok() || d.hour > 23 || d.minute > 59 || d.second > 60) return std::nullopt;
  const auto at = sys_days(date) + hours(d.hour) + minutes(d.minute) + seconds(d.second);
  return WallTime(duration_cast<milliseconds>(at.time_since_epoch()).count());
}

int year_of(WallTime t) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(t.value())));
  return static_cast<int>(year_month_day(day).year());
}

}  // namespace

std::optional<WallTime> parse_http_date(std::string_view text, WallTime now) {
  DateParts d;
  const DateCursor c(trim(text));
  if (parse_imf_fixdate(c, d) || parse_rfc850(c, d, year_of(now)) || parse_asctime(c, d)) {
    return to_wall_time(d);
  }
  return std::nullopt;
}

std::optional<milliseconds> parse_retry_after(std::string_view value, WallTime now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    // A number too large for the type is still a valid, very long wait; the caller caps it.
    constexpr uint64_t kMaxSeconds = std::numeric_limits<int64_t>::max() / 1000;
    uint64_t seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc::result_out_of_range || seconds > kMaxSeconds) seconds = kMaxSeconds;
    return milliseconds(static_cast<int64_t>(seconds) * 1000);
  }
  const std::optional<WallTime> at = parse_http_date(value, now);
  if (!at) return std::nullopt;
  return milliseconds(std::max<int64_t>(0, at->value() - now.value()));
}

}  // namespace eddy
