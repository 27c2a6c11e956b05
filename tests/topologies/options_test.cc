#include "topologies/ecommerce/options.h"

#include <gtest/gtest.h>

namespace eddy {
namespace {

TEST(EddyOptions, DefaultsRunOnLoopbackWithLocalData) {
  auto o = parse_eddy_options({});
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->http, "127.0.0.1:8080");
  EXPECT_EQ(o->data_dir, "./data");
  EXPECT_EQ(o->runtime.key_groups, 128u);
}

TEST(EddyOptions, ParsesBothFlagForms) {
  auto o = parse_eddy_options({"--workers", "3", "--key-groups=64", "--time-mode", "replay",
                               "--allowed-lateness-ms=60000"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->runtime.workers, 3u);
  EXPECT_EQ(o->runtime.key_groups, 64u);
  EXPECT_EQ(o->runtime.time_mode, TimeMode::kReplay);
  EXPECT_EQ(o->runtime.allowed_lateness_ms, 60000);
  auto cart = parse_eddy_options({"--cart-timeout-ms", "172800000"});
  ASSERT_TRUE(cart.is_ok());
  EXPECT_EQ(cart->ecommerce.cart_timeout_ms, 172'800'000) << "48 h, the seed case study's setting";
  EXPECT_FALSE(parse_eddy_options({"--cart-timeout-ms", "0"}).is_ok());
}

TEST(EddyOptions, ErrorsSayWhichFlagAndWhy) {
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--nope", "1"}, "unknown flag --nope"},
      {{"--workers"}, "--workers needs a value"},
      {{"--workers", "-1"}, "--workers: -1 is outside 0..1024"},
      {{"--key-groups", "12x"}, "--key-groups: '12x' is not a whole number"},
      {{"--time-mode", "fast"}, "--time-mode: expected live or replay"},
      {{"--http", "localhost"}, "--http: expected HOST:PORT"},
      {{"--workers", "9", "--key-groups", "4"}, "workers must not exceed key_groups"},
      {{"stray"}, "unexpected argument 'stray'"},
  };
  for (const auto& [args, expected] : cases) {
    SCOPED_TRACE(expected);
    auto o = parse_eddy_options(args);
    ASSERT_FALSE(o.is_ok());
    EXPECT_NE(o.status().message().find(expected), std::string::npos) << o.status().message();
  }
}

TEST(EddyOptions, UsageListsEveryFlag) {
  const std::string usage = eddy_usage();
  for (const char* flag :
       {"--http", "--data-dir", "--workers", "--key-groups", "--inbox-capacity-events",
        "--allowed-lateness-ms", "--max-out-of-orderness-ms", "--idle-timeout-ms",
        "--max-future-skew-ms", "--time-mode", "--max-pending-tasks", "--exchange-batch-events",
        "--config"}) {
    EXPECT_NE(usage.find(flag), std::string::npos) << flag;
  }
}

}  // namespace
}  // namespace eddy
