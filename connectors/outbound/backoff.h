#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "runtime/ids.h"

namespace eddy {

// How long a failed delivery waits before its next attempt.
struct BackoffPolicy {
  std::chrono::milliseconds base{1'000};
  std::chrono::milliseconds max{5 * 60'000};
};

// The longest wait before retry number `retry` (0 for the first retry): min(max, base * 2^retry).
// Saturates instead of overflowing for any `retry`.
std::chrono::milliseconds backoff_ceiling(const BackoffPolicy& policy, uint32_t retry);

// "Full jitter": a uniform random wait in [0, backoff_ceiling]. When a receiver comes back after
// an outage, the deliveries that failed together do not all retry together; the seeded generator
// makes a test's waits reproducible.
std::chrono::milliseconds full_jitter_backoff(const BackoffPolicy& policy, uint32_t retry,
                                              std::mt19937_64& rng);

// The wait a receiver asked for with Retry-After, capped by the policy's max so that a receiver
// cannot park deliveries for days.
std::chrono::milliseconds throttled_backoff(const BackoffPolicy& policy,
                                            std::chrono::milliseconds asked);

// A Retry-After value (RFC 9110 section 10.2.3) as a wait from `now`: delay-seconds, or an
// HTTP-date in any of the three forms recipients must accept. A date in the past gives zero;
// nullopt for anything else, so the caller falls back to its own backoff.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, WallTime now);

// An HTTP-date (IMF-fixdate, RFC 850 or asctime form) as milliseconds since the epoch. A two-digit
// RFC 850 year more than 50 years after `now` is taken to be in the previous century.
std::optional<WallTime> parse_http_date(std::string_view text, WallTime now);

}  // namespace eddy
