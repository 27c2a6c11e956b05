#include "topologies/ecommerce/options.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

namespace eddy {
namespace {

TEST(EddyOptions, DefaultsRunOnLoopbackWithLocalData) {
  auto o = parse_eddy_options({});
  ASSERT_TRUE(o.is_ok());
  EXPECT_EQ(o->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(o->http.address, "127.0.0.1");
  EXPECT_EQ(o->http.port, 8080);
  EXPECT_EQ(check_exposure(*o), "");
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

TEST(EddyOptions, TheCustomerIndexSettings) {
  auto o = parse_eddy_options({"--match-threshold", "0.85", "--match-max-candidates=20"});
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_DOUBLE_EQ(o->ecommerce.match_threshold, 0.85);
  EXPECT_EQ(o->ecommerce.match_max_candidates, 20);
  for (const char* bad : {"0.4", "1.5", "", "0.9x", "nan"})
    EXPECT_FALSE(parse_eddy_options({"--match-threshold", bad}).is_ok()) << bad;
  EXPECT_FALSE(parse_eddy_options({"--match-max-candidates", "0"}).is_ok());
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

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string write_config(const std::string& text) {
  // One file per test and process: ctest runs the tests of this file in parallel processes.
  const std::string path = ::testing::TempDir() + "eddy_options_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           std::to_string(::getpid()) + ".toml";
  std::ofstream(path) << text;
  return path;
}

TEST(EddyOptions, FlagsWinOverTheEnvironmentWhichWinsOverTheFile) {
  const std::string path = write_config(R"(
data_dir = "/srv/eddy"
[http]
listen = "127.0.0.1:9000"
max_body_bytes = 2048
write_keys = ["k1", "k2"]
[runtime]
workers = 2
[ecommerce]
cart_timeout_ms = 172800000
)");
  auto o =
      parse_eddy_options({"--config", path, "--workers", "1"},
                         env_of({{"EDDY_WORKERS", "3"}, {"EDDY_HTTP_MAX_BODY_BYTES", "4096"}}));
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->data_dir, "/srv/eddy");
  EXPECT_EQ(o->http.port, 9000);
  EXPECT_EQ(o->http.max_body_bytes, 4096u) << "the environment overrides the file";
  EXPECT_EQ(o->runtime.workers, 1u) << "a flag overrides the environment";
  EXPECT_EQ(o->http.write_keys, (std::vector<std::string>{"k1", "k2"}));
  EXPECT_EQ(o->ecommerce.cart_timeout_ms, 172'800'000);
  auto from_env = parse_eddy_options({}, env_of({{"EDDY_CONFIG", path}, {"EDDY_TOKENS", "a,b"}}));
  ASSERT_TRUE(from_env.is_ok()) << from_env.status().to_string();
  EXPECT_EQ(from_env->http.port, 9000);
  EXPECT_EQ(from_env->http.tokens, (std::vector<std::string>{"a", "b"}));
}

TEST(EddyOptions, ConfigFileErrorsNameTheFileAndTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[http]\nmax_body_byts = 1\n", "unknown setting 'http.max_body_byts'"},
      {"[runtime]\nworkers = \"many\"\n", "'runtime.workers': --workers: 'many' is not a whole"},
      {"[runtime\n", ":1: "},
      {"[http]\nmax_json_depth = 1.5\n", "'http.max_json_depth' has a value of the wrong kind"},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(expected);
    const std::string path = write_config(text);
    auto o = parse_eddy_options({"--config", path}, env_of({}));
    ASSERT_FALSE(o.is_ok());
    EXPECT_NE(o.status().message().find(path), std::string::npos) << o.status().message();
    EXPECT_NE(o.status().message().find(expected), std::string::npos) << o.status().message();
  }
  auto bad_env = parse_eddy_options({}, env_of({{"EDDY_HTTP_MAX_JSON_DEPTH", "x"}}));
  ASSERT_FALSE(bad_env.is_ok());
  EXPECT_NE(bad_env.status().message().find("EDDY_HTTP_MAX_JSON_DEPTH"), std::string::npos);
}

TEST(EddyOptions, WebhookSourcesComeFromTheConfigFile) {
  const std::string path = write_config(R"(
[webhooks]
tolerance_s = 60
id_fsync = "none"
[webhooks.sources.shop]
secrets = ["whsec_a", "whsec_b"]
mapping = "shop_order"
[webhooks.sources.crm]
secrets = ["whsec_c"]
mapping_file = "/etc/eddy/crm.json"
)");
  auto o = parse_eddy_options({"--config", path}, env_of({}));
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->webhooks.tolerance_s, 60);
  EXPECT_FALSE(o->webhooks.id_fsync);
  ASSERT_EQ(o->webhooks.sources.size(), 2u);
  EXPECT_EQ(o->webhooks.sources[1].name, "shop");
  EXPECT_EQ(o->webhooks.sources[1].secrets, (std::vector<std::string>{"whsec_a", "whsec_b"}));
  EXPECT_EQ(o->webhooks.sources[1].mapping, "shop_order");
  EXPECT_EQ(o->webhooks.sources[0].mapping_file, "/etc/eddy/crm.json");
  auto bad = parse_eddy_options(
      {"--config", write_config("[webhooks.sources.shop]\nsecret = \"x\"\n")}, env_of({}));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("unknown setting 'webhooks.sources.shop.secret'"),
            std::string::npos)
      << bad.status().message();
}

TEST(EddyOptions, OutboundEndpointsComeFromTheConfigFile) {
  const std::string path = write_config(R"(
data_dir = "/srv/eddy"
[[outbound.endpoints]]
name = "crm"
url = "http://127.0.0.1:9000/hooks"
secret = "whsec_a"
event_types = ["Cart Abandoned", "Segment Entered"]
max_attempts = 3
[[outbound.endpoints]]
name = "all"
url = "http://127.0.0.1:9001/"
dead_letter_path = "/tmp/dl.ndjson"
)");
  auto o = parse_eddy_options({"--config", path}, env_of({}));
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  ASSERT_EQ(o->outbound_endpoints.size(), 2u);
  const WebhookEndpoint& crm = o->outbound_endpoints[0];
  EXPECT_EQ(crm.url, "http://127.0.0.1:9000/hooks");
  EXPECT_EQ(crm.event_types, (std::vector<std::string>{"Cart Abandoned", "Segment Entered"}));
  EXPECT_EQ(crm.max_attempts, 3u);
  EXPECT_EQ(crm.dead_letter_path, "/srv/eddy/out/dead_letters.ndjson");
  EXPECT_EQ(o->outbound_endpoints[1].dead_letter_path, "/tmp/dl.ndjson");
  auto bad = parse_eddy_options(
      {"--config", write_config("[[outbound.endpoints]]\nurll = \"x\"\n")}, env_of({}));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("unknown setting 'outbound.endpoints.urll'"),
            std::string::npos);
}

TEST(EddyOptions, ServingBeyondLoopbackNeedsWriteKeysAndTokens) {
  auto open = parse_eddy_options({"--http", "0.0.0.0:8080"}, env_of({}));
  ASSERT_TRUE(open.is_ok());
  const std::string why = check_exposure(*open);
  EXPECT_NE(why.find("without write keys (--write-keys) and bearer tokens (--tokens)"),
            std::string::npos)
      << why;
  auto half = parse_eddy_options({"--http", "0.0.0.0:8080", "--write-keys", "k"}, env_of({}));
  EXPECT_NE(check_exposure(*half).find("without bearer tokens"), std::string::npos);
  auto closed = parse_eddy_options({"--http", "0.0.0.0:8080", "--write-keys", "k", "--tokens", "t"},
                                   env_of({}));
  EXPECT_EQ(check_exposure(*closed), "");
  auto v6 = parse_eddy_options({"--http", "::1:8080"}, env_of({}));
  ASSERT_TRUE(v6.is_ok());
  EXPECT_EQ(check_exposure(*v6), "");
}

TEST(EddyOptions, UsageListsEverySettingWithItsVariableAndKey) {
  const std::string usage = eddy_usage();
  for (const char* text :
       {"--http-max-body-bytes", "EDDY_HTTP_MAX_BODY_BYTES", "[http] max_body_bytes",
        "--write-keys", "--tokens", "--dedup-window-ms", "--http-header-timeout-ms",
        "[runtime] workers", "EDDY_CART_TIMEOUT_MS"}) {
    EXPECT_NE(usage.find(text), std::string::npos) << text;
  }
}

TEST(EddyOptions, TheSegmentsFile) {
  auto defaults = parse_eddy_options({}, env_of({}));
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_EQ(defaults->segments_file, "");
  auto flags = parse_eddy_options({"--segments-file", "/etc/eddy/segments.json"}, env_of({}));
  ASSERT_TRUE(flags.is_ok()) << flags.status().to_string();
  EXPECT_EQ(flags->segments_file, "/etc/eddy/segments.json");
  const std::string path = write_config("[ecommerce]\nsegments_file = \"s.json\"\n");
  auto file = parse_eddy_options({"--config", path}, env_of({}));
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  EXPECT_EQ(file->segments_file, "s.json");
  auto env = parse_eddy_options({}, env_of({{"EDDY_SEGMENTS_FILE", "e.json"}}));
  ASSERT_TRUE(env.is_ok()) << env.status().to_string();
  EXPECT_EQ(env->segments_file, "e.json");
}

TEST(EddyOptions, TrackingPlanAndItsMode) {
  auto defaults = parse_eddy_options({}, env_of({}));
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_EQ(defaults->tracking_plan, "");
  EXPECT_EQ(defaults->tracking_plan_mode, TrackingPlanMode::kReject);

  auto flags = parse_eddy_options(
      {"--tracking-plan", "/etc/eddy/plan.json", "--tracking-plan-mode=tag"}, env_of({}));
  ASSERT_TRUE(flags.is_ok()) << flags.status().to_string();
  EXPECT_EQ(flags->tracking_plan, "/etc/eddy/plan.json");
  EXPECT_EQ(flags->tracking_plan_mode, TrackingPlanMode::kTag);

  const std::string path = write_config(R"(
[ingest]
tracking_plan = "plan.json"
tracking_plan_mode = "tag"
)");
  auto file = parse_eddy_options({"--config", path}, env_of({}));
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  EXPECT_EQ(file->tracking_plan, "plan.json");
  EXPECT_EQ(file->tracking_plan_mode, TrackingPlanMode::kTag);
  auto env = parse_eddy_options(
      {}, env_of({{"EDDY_TRACKING_PLAN_MODE", "reject"}, {"EDDY_TRACKING_PLAN", "p.json"}}));
  ASSERT_TRUE(env.is_ok()) << env.status().to_string();
  EXPECT_EQ(env->tracking_plan, "p.json");
  EXPECT_EQ(env->tracking_plan_mode, TrackingPlanMode::kReject);

  auto bad = parse_eddy_options({"--tracking-plan-mode", "warn"}, env_of({}));
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("--tracking-plan-mode: expected reject or tag, got 'warn'"),
            std::string::npos)
      << bad.status().message();
  EXPECT_NE(eddy_usage().find("--tracking-plan-mode"), std::string::npos);
}

TEST(EddyOptions, ImportLimitsFromFlagsTheEnvironmentAndTheFile) {
  auto defaults = parse_eddy_options({}, env_of({}));
  ASSERT_TRUE(defaults.is_ok());
  EXPECT_EQ(defaults->imports.max_concurrent, 2u);
  EXPECT_EQ(defaults->imports.max_listed_rejections, 1000u);

  auto flags = parse_eddy_options({"--import-max-concurrent", "4", "--import-listed-rejections=10"},
                                  env_of({}));
  ASSERT_TRUE(flags.is_ok()) << flags.status().to_string();
  EXPECT_EQ(flags->imports.max_concurrent, 4u);
  EXPECT_EQ(flags->imports.max_listed_rejections, 10u);

  auto env = parse_eddy_options({}, env_of({{"EDDY_IMPORT_MAX_CONCURRENT", "3"}}));
  ASSERT_TRUE(env.is_ok()) << env.status().to_string();
  EXPECT_EQ(env->imports.max_concurrent, 3u);

  const std::string path = write_config("[import]\nmax_concurrent = 1\nlisted_rejections = 0\n");
  auto file = parse_eddy_options({"--config", path}, env_of({}));
  ASSERT_TRUE(file.is_ok()) << file.status().to_string();
  EXPECT_EQ(file->imports.max_concurrent, 1u);
  EXPECT_EQ(file->imports.max_listed_rejections, 0u);

  auto none = parse_eddy_options({"--import-max-concurrent", "0"}, env_of({}));
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("--import-max-concurrent: 0 is outside 1..64"),
            std::string::npos)
      << none.status().message();
  EXPECT_NE(eddy_usage().find("[import] listed_rejections"), std::string::npos);
}

}  // namespace
}  // namespace eddy
