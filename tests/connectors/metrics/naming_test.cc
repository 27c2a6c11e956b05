#include "connectors/metrics/naming.h"

#include <gtest/gtest.h>

namespace eddy::metrics {
namespace {

TEST(Naming, FamilyNames) {
  struct Case {
    std::string_view name;
    MetricType type;
    bool ok;
  };
  const Case cases[] = {
      {"eddy_http_requests_total", MetricType::kCounter, true},
      {"eddy_http_request_duration_seconds", MetricType::kHistogram, true},
      {"eddy_http_connections", MetricType::kGauge, true},
      {"eddy_ingest_body_bytes", MetricType::kHistogram, true},
      {"http_requests_total", MetricType::kCounter, false},  // no prefix
      {"eddy_", MetricType::kGauge, false},                  // only the prefix
      {"eddy_http_requests", MetricType::kCounter, false},   // counter without _total
      {"eddy_open_total", MetricType::kGauge, false},        // _total on a gauge
      {"eddy_latency_seconds_total", MetricType::kHistogram, false},
      {"eddy_HttpRequests_total", MetricType::kCounter, false},  // camel case
      {"eddy_http-requests_total", MetricType::kCounter, false},
      {"eddy_ns:rule_total", MetricType::kCounter, false},  // colons are for recording rules
      {"eddy_queue_", MetricType::kGauge, false},
      {"eddy_batches_count", MetricType::kGauge, false},  // histogram suffixes
      {"eddy_batches_sum", MetricType::kGauge, false},
      {"eddy_x_bucket", MetricType::kHistogram, false},
      {"eddy_latency_milliseconds", MetricType::kHistogram, false},  // not a base unit
      {"eddy_body_kilobytes", MetricType::kGauge, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    Status s = check_family_name(c.name, c.type);
    EXPECT_EQ(s.is_ok(), c.ok) << s.to_string();
    if (!c.ok) {
      EXPECT_EQ(s.code(), Errc::kInvalidArgument);
    }
  }
}

TEST(Naming, LabelNames) {
  struct Case {
    std::string_view name;
    bool ok;
  };
  const Case cases[] = {
      {"route", true}, {"status_code", true}, {"_private", true}, {"worker2", true},
      {"", false},     {"2xx", false},        {"Route", false},   {"__name__", false},
      {"le", false},   {"a-b", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.name));
    EXPECT_EQ(check_label_name(c.name).is_ok(), c.ok);
  }
}

TEST(Naming, LabelSetsNameEachLabelOnce) {
  EXPECT_TRUE(check_labels({{"a", "1"}, {"b", "1"}}).is_ok());
  EXPECT_FALSE(check_labels({{"a", "1"}, {"a", "2"}}).is_ok());
  EXPECT_FALSE(check_labels({{"le", "1"}}).is_ok());
}

TEST(Naming, HelpIsRequired) {
  EXPECT_FALSE(check_help("").is_ok());
  EXPECT_TRUE(check_help("Requests answered.").is_ok());
}

}  // namespace
}  // namespace eddy::metrics
