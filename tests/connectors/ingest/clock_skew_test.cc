#include "connectors/ingest/clock_skew.h"

#include <gtest/gtest.h>

namespace eddy {
namespace {

constexpr int64_t kReceived = 1'700'000'000'000;

struct Case {
  const char* name;
  std::optional<int64_t> timestamp, original, sent_at;
  int64_t expected;
};

std::optional<EventTime> t(std::optional<int64_t> v) {
  return v ? std::optional<EventTime>(EventTime(*v)) : std::nullopt;
}

TEST(ClockSkew, CorrectsLikeSegment) {
  const int64_t hour = kMillisPerHour;
  const Case cases[] = {
      {"nothing sent: received", {}, {}, {}, kReceived},
      {"timestamp only: as stated", kReceived - 5000, {}, {}, kReceived - 5000},
      {"originalTimestamp only: as stated", {}, kReceived - 7000, {}, kReceived - 7000},
      {"timestamp wins over originalTimestamp without sentAt",
       kReceived - 1,
       kReceived - 2,
       {},
       kReceived - 1},
      // The client's clock is an hour fast: it says it sent at +1h, 3 s after the event.
      {"fast client clock", kReceived + hour - 3000, {}, kReceived + hour, kReceived - 3000},
      {"slow client clock", kReceived - hour - 3000, {}, kReceived - hour, kReceived - 3000},
      {"originalTimestamp is preferred with sentAt", kReceived, kReceived - 10'000,
       kReceived - 4000, kReceived - 6000},
      {"right clock, no change", kReceived - 2500, {}, kReceived, kReceived - 2500},
      {"sentAt without an event time: received", {}, {}, kReceived - hour, kReceived},
      {"event after sending (a confused client) lands after receipt",
       kReceived + 1000,
       {},
       kReceived,
       kReceived + 1000},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ClientTimes times{t(c.timestamp), t(c.original), t(c.sent_at)};
    EXPECT_EQ(corrected_event_time(times, WallTime(kReceived)).value(), c.expected);
  }
}

}  // namespace
}  // namespace eddy
