#include "connectors/outbound/outbound_sink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "connectors/ndjson_file_sink.h"
#include "connectors/webhooks/standard_webhooks.h"
#include "runtime/batch_builder.h"
#include "tests/connectors/outbound/test_receiver.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using test::RecordedRequest;
using test::ScriptedResponse;
using test::TestReceiver;

// Outcomes come from I/O on other threads; the deadline is generous so that sanitizer builds on
// a loaded machine pass, and a passing test never waits for it.
constexpr milliseconds kWait = 60s;
constexpr std::string_view kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

bool eventually(const std::function<bool()>& done, milliseconds timeout = kWait) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done()) {
    if (steady_clock::now() > deadline) return done();
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

struct TestEvent {
  std::string type;
  std::string key;
  std::string trigger_id;  // none when empty
};

class OutboundSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    types_.add_all({"Cart Abandoned", "Segment Entered", "Product Viewed", "Order Completed"});
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("eddy-outbound-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Timings in milliseconds so that retries take no time worth mentioning.
  WebhookEndpoint endpoint(std::string name, std::string url) const {
    WebhookEndpoint e;
    e.name = std::move(name);
    e.url = std::move(url);
    e.connect_timeout_ms = 10'000;
    e.request_timeout_ms = 20'000;
    e.max_attempts = 5;
    e.base_backoff_ms = 1;
    e.max_backoff_ms = 20;
    e.max_in_flight = 2;
    e.queue_capacity = 1'000;
    e.dead_letter_path = dead_letter_path();
    return e;
  }

  std::string dead_letter_path() const { return (dir_ / "dead.ndjson").string(); }

  std::shared_ptr<OutboundSink> make_sink(std::vector<WebhookEndpoint> endpoints,
                                          OutboundSettings settings = {}) {
    if (!settings.random_seed) settings.random_seed = 1;
    auto sink = OutboundSink::create(
        std::move(endpoints), types_,
        [this](const EventRef& e) { return event_to_json(e, types_); }, settings);
    EXPECT_TRUE(sink.is_ok()) << sink.status().to_string();
    return sink.is_ok() ? std::move(sink).value() : nullptr;
  }

  Result<std::shared_ptr<OutboundSink>> try_create(std::vector<WebhookEndpoint> endpoints) {
    return OutboundSink::create(std::move(endpoints), types_,
                                [this](const EventRef& e) { return event_to_json(e, types_); });
  }

  EventBatch batch(const std::vector<TestEvent>& events) const {
    BatchBuilder b;
    for (size_t i = 0; i < events.size(); ++i) {
      const TestEvent& te = events[i];
      std::vector<PropDraft> props;
      if (!te.trigger_id.empty()) {
        props.push_back({"trigger_id", PropValue::of_string(te.trigger_id)});
      }
      props.push_back({"n", PropValue::of_int(static_cast<int64_t>(i))});
      EventDraft d;
      d.key = te.key;
      d.type = types_.find(te.type);
      d.time = EventTime(1'700'000'000'000 + static_cast<int64_t>(i));
      d.props = props;
      b.add(d);
    }
    return b.finish();
  }

  // `n` "Cart Abandoned" events with trigger ids prefix0, prefix1, ...
  EventBatch carts(size_t n, const std::string& prefix = "t") const {
    std::vector<TestEvent> events;
    for (size_t i = 0; i < n; ++i) {
      events.push_back({"Cart Abandoned", "u" + std::to_string(i), prefix + std::to_string(i)});
    }
    return batch(events);
  }

  std::string json(const EventBatch& b, size_t i) const {
    return event_to_json(EventRef(b.events[i], *b.payload), types_);
  }

  static OutboundEndpointMetrics metrics(const OutboundSink& sink, std::string_view name) {
    OutboundEndpointMetrics found;
    sink.visit([&](const OutboundEndpointMetrics& m) {
      if (m.endpoint == name) found = m;
    });
    return found;
  }

  std::vector<boost::json::object> dead_letters() const {
    std::vector<boost::json::object> lines;
    std::ifstream in(dead_letter_path());
    std::string line;
    while (std::getline(in, line))
      lines.push_back(boost::json::parse(line).as_object());
    return lines;
  }

  EventTypeRegistry types_;
  std::filesystem::path dir_;
};

std::map<std::string, int> delivered_per_id(const std::vector<RecordedRequest>& requests) {
  std::map<std::string, int> count;
  for (const RecordedRequest& r : requests) {
    if (r.answered >= 200 && r.answered < 300) ++count[r.header("webhook-id")];
  }
  return count;
}

TEST_F(OutboundSinkTest, PostsEachEventSignedSoTheReceiverCanVerifyIt) {
  TestReceiver rx;
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.secret = kSecret;
  auto sink = make_sink({e});
  const EventBatch b = batch({{"Cart Abandoned", "u1", "ca_u1_1"}, {"Cart Abandoned", "u2", ""}});
  sink->write(b);
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 2; }));
  EXPECT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);

  const std::vector<WebhookSecret> secrets = {WebhookSecret::parse(kSecret).value()};
  const int64_t now_s = std::time(nullptr);
  std::map<std::string, std::string> id_by_body;
  for (const RecordedRequest& r : rx.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/hook");
    EXPECT_EQ(r.header("content-type"), "application/json");
    const std::string id = r.header("webhook-id");
    const std::string timestamp = r.header("webhook-timestamp");
    const std::string signature = r.header("webhook-signature");
    const WebhookHeaders headers{id, timestamp, signature};
    EXPECT_EQ(verify_webhook(secrets, headers, r.body, now_s), WebhookCheck::kValid);
    EXPECT_EQ(verify_webhook(secrets, headers, r.body + " ", now_s), WebhookCheck::kBadSignature);
    id_by_body[r.body] = id;
  }
  ASSERT_EQ(id_by_body.size(), 2u);
  EXPECT_EQ(id_by_body.at(json(b, 0)), "ca_u1_1");
  EXPECT_EQ(id_by_body.at(json(b, 1)),
            webhook_id_for(EventRef(b.events[1], *b.payload), json(b, 1)));
  EXPECT_TRUE(id_by_body.at(json(b, 1)).starts_with("evt_"));

  const OutboundEndpointMetrics m = metrics(*sink, "crm");
  EXPECT_EQ(m.attempts, 2u);
  EXPECT_EQ(m.retried, 0u);
  EXPECT_EQ(m.dead_lettered_total(), 0u);
  EXPECT_EQ(m.in_flight, 0u);
  EXPECT_EQ(m.queue_depth, 0u);
  EXPECT_FALSE(m.disabled);
}

TEST_F(OutboundSinkTest, SendsNoSignatureWithoutASecret) {
  TestReceiver rx;
  auto sink = make_sink({endpoint("crm", rx.url())});
  sink->write(carts(1));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 1; }));
  const RecordedRequest r = rx.requests().at(0);
  EXPECT_EQ(r.header("webhook-id"), "t0");
  EXPECT_FALSE(r.header("webhook-timestamp").empty());
  EXPECT_EQ(r.headers.count("webhook-signature"), 0u);
}

TEST_F(OutboundSinkTest, DeliversOnlyTheEventTypesAnEndpointAsksFor) {
  TestReceiver carts_rx;
  TestReceiver all_rx;
  WebhookEndpoint only_carts = endpoint("carts", carts_rx.url());
  only_carts.event_types = {"Cart Abandoned", "Segment Entered"};
  auto sink = make_sink({only_carts, endpoint("all", all_rx.url())});
  sink->write(batch({{"Cart Abandoned", "u1", "a"},
                     {"Product Viewed", "u1", ""},
                     {"Segment Entered", "u2", "b"},
                     {"Order Completed", "u3", ""}}));
  ASSERT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  EXPECT_EQ(metrics(*sink, "carts").delivered, 2u);
  EXPECT_EQ(metrics(*sink, "all").delivered, 4u);
  std::multiset<std::string> carts_types;
  for (const RecordedRequest& r : carts_rx.requests()) {
    carts_types.insert(std::string(boost::json::parse(r.body).at("type").as_string()));
  }
  EXPECT_EQ(carts_types, (std::multiset<std::string>{"Cart Abandoned", "Segment Entered"}));
  EXPECT_EQ(all_rx.request_count(), 4u);
  EXPECT_TRUE(dead_letters().empty());
}

TEST_F(OutboundSinkTest, RecoversFromFailuresWithoutLosingOrDuplicatingEvents) {
  TestReceiver rx;
  rx.script({{500, {}, false},
             {503, {}, false},
             {502, {}, false},
             {500, {}, true},
             {500, {}, false},
             {504, {}, true}});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_attempts = 50;
  e.max_in_flight = 3;
  e.secret = kSecret;
  auto sink = make_sink({e});
  std::vector<TestEvent> events;
  for (int i = 0; i < 10; ++i) {
    // Half carry a trigger id, half are identified by the hash of their JSON.
    events.push_back(
        {"Cart Abandoned", "u" + std::to_string(i), i % 2 == 0 ? "t" + std::to_string(i) : ""});
  }
  const EventBatch b = batch(events);
  sink->write(b);
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 10; }));
  ASSERT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);

  const std::vector<RecordedRequest> requests = rx.requests();
  EXPECT_EQ(requests.size(), 16u);
  // Exactly one success per event, and every attempt of an event carried the same id.
  const std::map<std::string, int> successes = delivered_per_id(requests);
  EXPECT_EQ(successes.size(), 10u);
  for (const auto& [id, n] : successes)
    EXPECT_EQ(n, 1) << id;
  std::map<std::string, std::set<std::string>> ids_by_body;
  for (const RecordedRequest& r : requests)
    ids_by_body[r.body].insert(r.header("webhook-id"));
  EXPECT_EQ(ids_by_body.size(), 10u);
  for (size_t i = 0; i < b.size(); ++i) {
    ASSERT_EQ(ids_by_body[json(b, i)].size(), 1u) << i;
  }
  const OutboundEndpointMetrics m = metrics(*sink, "crm");
  EXPECT_EQ(m.retried, 6u);
  EXPECT_EQ(m.attempts, 16u);
  EXPECT_EQ(m.dead_lettered_total(), 0u);
  EXPECT_TRUE(dead_letters().empty());
}

TEST_F(OutboundSinkTest, WaitsAsLongAsRetryAfterSecondsSays) {
  TestReceiver rx;
  rx.script({{429, {{"Retry-After", "1"}}, false}});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_backoff_ms = 30'000;
  auto sink = make_sink({e});
  sink->write(carts(1));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 1; }));
  const std::vector<RecordedRequest> requests = rx.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_GE(requests[1].received - requests[0].received, 1s);
  EXPECT_EQ(metrics(*sink, "crm").retried, 1u);
}

std::string http_date(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

TEST_F(OutboundSinkTest, WaitsUntilTheRetryAfterDate) {
  TestReceiver rx;
  // Two whole seconds ahead, so that the date lies in the future however slow the first attempt.
  const auto not_before =
      std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now()) + 2s;
  rx.script({{503, {{"Retry-After", http_date(not_before)}}, false}});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_backoff_ms = 30'000;
  auto sink = make_sink({e});
  sink->write(carts(1));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 1; }));
  const std::vector<RecordedRequest> requests = rx.requests();
  ASSERT_EQ(requests.size(), 2u);
  // The sender's clock reads whole milliseconds; allow for that rounding and nothing more.
  EXPECT_GE(requests[1].received_wall, not_before - 5ms);
}

TEST_F(OutboundSinkTest, CapsARetryAfterLongerThanMaxBackoff) {
  TestReceiver rx;
  rx.script({{503, {{"Retry-After", "3600"}}, false}});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_backoff_ms = 20;
  auto sink = make_sink({e});
  sink->write(carts(1));
  // Well within the test's deadline, far short of the hour asked for.
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 1; }));
  EXPECT_EQ(rx.request_count(), 2u);
}

TEST_F(OutboundSinkTest, TakesTheStatusOfAnAnswerWithAnOversizedBody) {
  TestReceiver rx;
  ScriptedResponse big;
  big.body = std::string(1024 * 1024, 'x');
  rx.script({big});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_in_flight = 1;
  auto sink = make_sink({e});
  sink->write(carts(2));
  ASSERT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  const OutboundEndpointMetrics m = metrics(*sink, "crm");
  EXPECT_EQ(m.delivered, 2u);
  EXPECT_EQ(m.retried, 0u);
  const std::vector<RecordedRequest> requests = rx.requests();
  ASSERT_EQ(requests.size(), 2u);
  // The unread rest of the large answer makes the first connection unusable.
  EXPECT_NE(requests[0].connection, requests[1].connection);
}

TEST_F(OutboundSinkTest, GoneDisablesTheEndpointAndDeadLettersItsEvents) {
  TestReceiver rx;
  rx.set_default({410, {}, false});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_in_flight = 1;
  auto sink = make_sink({e});
  sink->write(carts(3));
  ASSERT_TRUE(eventually([&] {
    return metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kEndpointGone) == 3;
  }));
  EXPECT_TRUE(metrics(*sink, "crm").disabled);
  EXPECT_EQ(rx.request_count(), 1u);

  // Later events are dead-lettered by write() itself, before it returns.
  sink->write(carts(2, "later"));
  const OutboundEndpointMetrics m = metrics(*sink, "crm");
  EXPECT_EQ(m.dead_lettered_for(DeadLetterReason::kEndpointGone), 5u);
  EXPECT_EQ(m.delivered, 0u);
  EXPECT_EQ(rx.request_count(), 1u);

  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 5u);
  int attempted = 0;
  for (const auto& line : lines) {
    EXPECT_EQ(line.at("reason").as_string(), "endpoint_gone");
    if (line.at("attempts").as_int64() == 1) {
      ++attempted;
      EXPECT_EQ(line.at("last_status").as_int64(), 410);
    } else {
      EXPECT_EQ(line.at("attempts").as_int64(), 0);
    }
  }
  EXPECT_EQ(attempted, 1);
}

TEST_F(OutboundSinkTest, DoesNotRetryAClientError) {
  TestReceiver rx;
  rx.set_default({422, {}, false});
  auto sink = make_sink({endpoint("crm", rx.url())});
  const EventBatch b = carts(1);
  sink->write(b);
  ASSERT_TRUE(eventually(
      [&] { return metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kRejected) == 1; }));
  EXPECT_EQ(rx.request_count(), 1u);
  EXPECT_EQ(metrics(*sink, "crm").retried, 0u);
  EXPECT_FALSE(metrics(*sink, "crm").disabled);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("reason").as_string(), "rejected");
  EXPECT_EQ(lines[0].at("last_status").as_int64(), 422);
  EXPECT_EQ(lines[0].at("attempts").as_int64(), 1);
  EXPECT_EQ(lines[0].at("event"), boost::json::parse(json(b, 0)));
}

TEST_F(OutboundSinkTest, DeadLettersAnEventWhoseAttemptsAllFailed) {
  TestReceiver rx;
  rx.set_default({500, {}, false});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_attempts = 3;
  auto sink = make_sink({e});
  const EventBatch b = carts(1);
  sink->write(b);
  ASSERT_TRUE(eventually([&] {
    return metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kMaxAttempts) == 1;
  }));
  const std::vector<RecordedRequest> requests = rx.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const RecordedRequest& r : requests)
    EXPECT_EQ(r.header("webhook-id"), "t0");
  EXPECT_EQ(metrics(*sink, "crm").retried, 2u);

  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 1u);
  const boost::json::object& line = lines[0];
  EXPECT_EQ(line.at("endpoint").as_string(), "crm");
  EXPECT_EQ(line.at("url").as_string(), rx.url());
  EXPECT_EQ(line.at("webhook_id").as_string(), "t0");
  EXPECT_EQ(line.at("reason").as_string(), "max_attempts");
  EXPECT_EQ(line.at("attempts").as_int64(), 3);
  EXPECT_EQ(line.at("last_status").as_int64(), 500);
  EXPECT_TRUE(line.at("last_error").is_null());
  EXPECT_GT(line.at("time_ms").as_int64(), 0);
  EXPECT_EQ(line.at("event"), boost::json::parse(json(b, 0)));
}

TEST_F(OutboundSinkTest, DeadLettersAtOnceWhatAFullQueueCannotTake) {
  TestReceiver rx;
  rx.hold(true);
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.queue_capacity = 3;
  e.max_in_flight = 1;
  auto sink = make_sink({e});
  sink->write(carts(10));
  // Decided inside write(): no waiting needed.
  EXPECT_EQ(metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kQueueFull), 7u);
  sink->write(carts(1, "extra"));
  EXPECT_EQ(metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kQueueFull), 8u);

  rx.hold(false);
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 3; }));
  EXPECT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 8u);
  std::set<std::string> ids;
  for (const auto& line : lines) {
    EXPECT_EQ(line.at("reason").as_string(), "queue_full");
    EXPECT_EQ(line.at("attempts").as_int64(), 0);
    EXPECT_TRUE(line.at("last_status").is_null());
    ids.insert(std::string(line.at("webhook_id").as_string()));
  }
  EXPECT_EQ(ids, (std::set<std::string>{"t3", "t4", "t5", "t6", "t7", "t8", "t9", "extra0"}));
  EXPECT_EQ(delivered_per_id(rx.requests()),
            (std::map<std::string, int>{{"t0", 1}, {"t1", 1}, {"t2", 1}}));
}

TEST_F(OutboundSinkTest, RetriesARefusedConnectionThenDeadLetters) {
  WebhookEndpoint e =
      endpoint("crm", "http://127.0.0.1:" + std::to_string(test::unused_port()) + "/hook");
  e.max_attempts = 3;
  auto sink = make_sink({e});
  sink->write(carts(1));
  ASSERT_TRUE(eventually([&] {
    return metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kMaxAttempts) == 1;
  }));
  EXPECT_EQ(metrics(*sink, "crm").attempts, 3u);
  EXPECT_EQ(metrics(*sink, "crm").retried, 2u);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0].at("last_status").is_null());
  const std::string error(lines[0].at("last_error").as_string());
  EXPECT_TRUE(error.starts_with("connect: ")) << error;
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
}

TEST_F(OutboundSinkTest, StopDeadLettersWhatIsLeftAtTheDeadline) {
  TestReceiver rx;
  rx.hold(true);
  auto sink = make_sink({endpoint("crm", rx.url())});
  sink->write(carts(5));
  ASSERT_TRUE(rx.wait_for_requests(2, kWait));
  EXPECT_EQ(sink->stop(steady_clock::now() + 200ms), OutboundStopResult::kDeadLettered);
  // After stop, write() still loses nothing.
  sink->write(carts(1, "late"));

  const OutboundEndpointMetrics m = metrics(*sink, "crm");
  EXPECT_EQ(m.delivered, 0u);
  EXPECT_EQ(m.dead_lettered_for(DeadLetterReason::kShutdown), 6u);
  EXPECT_EQ(m.in_flight, 0u);
  EXPECT_EQ(m.queue_depth, 0u);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 6u);
  int in_flight = 0;
  std::set<std::string> ids;
  for (const auto& line : lines) {
    EXPECT_EQ(line.at("reason").as_string(), "shutdown");
    in_flight += line.at("attempts").as_int64() == 1 ? 1 : 0;
    ids.insert(std::string(line.at("webhook_id").as_string()));
  }
  EXPECT_EQ(in_flight, 2);
  EXPECT_EQ(ids, (std::set<std::string>{"t0", "t1", "t2", "t3", "t4", "late0"}));
}

TEST_F(OutboundSinkTest, StopDeliversQueuedEventsBeforeTheDeadline) {
  TestReceiver rx;
  auto sink = make_sink({endpoint("crm", rx.url())});
  sink->write(carts(30));
  EXPECT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  EXPECT_EQ(metrics(*sink, "crm").delivered, 30u);
  EXPECT_EQ(delivered_per_id(rx.requests()).size(), 30u);
  EXPECT_TRUE(dead_letters().empty());
  // A second stop has nothing left to do.
  EXPECT_EQ(sink->stop(steady_clock::now()), OutboundStopResult::kDrained);
}

TEST_F(OutboundSinkTest, StopDoesNotSitOutARetryDueAfterTheDeadline) {
  TestReceiver rx;
  rx.script({{503, {{"Retry-After", "600"}}, false}});
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_backoff_ms = 3'600'000;
  auto sink = make_sink({e});
  sink->write(carts(1));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").retried == 1; }));
  const auto started = steady_clock::now();
  sink->stop(started + 30s);
  EXPECT_LT(steady_clock::now() - started, 20s);
  EXPECT_EQ(metrics(*sink, "crm").dead_lettered_for(DeadLetterReason::kShutdown), 1u);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].at("last_status").as_int64(), 503);
  EXPECT_EQ(lines[0].at("attempts").as_int64(), 1);
}

TEST_F(OutboundSinkTest, ReusesOneKeepAliveConnection) {
  TestReceiver rx;
  WebhookEndpoint e = endpoint("crm", rx.url());
  e.max_in_flight = 1;
  auto sink = make_sink({e});
  sink->write(carts(5));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 5; }));
  std::set<uint64_t> connections;
  for (const RecordedRequest& r : rx.requests())
    connections.insert(r.connection);
  EXPECT_EQ(connections.size(), 1u);
}

TEST_F(OutboundSinkTest, ResendsOnAFreshConnectionWhenTheReceiverClosedTheIdleOne) {
  TestReceiver rx;
  WebhookEndpoint e = endpoint("crm", rx.url());
  // One attempt only: a stale connection must not cost the event its attempt.
  e.max_attempts = 1;
  e.max_in_flight = 1;
  auto sink = make_sink({e});
  sink->write(carts(1, "first"));
  ASSERT_TRUE(eventually([&] { return metrics(*sink, "crm").delivered == 1; }));
  ASSERT_TRUE(eventually([&] { return rx.close_idle_connections() == 1; }));
  sink->write(carts(1, "second"));
  ASSERT_TRUE(eventually([&] {
    const OutboundEndpointMetrics m = metrics(*sink, "crm");
    return m.delivered + m.dead_lettered_total() == 2;
  }));
  EXPECT_EQ(metrics(*sink, "crm").delivered, 2u);
  EXPECT_TRUE(dead_letters().empty());
  const std::vector<RecordedRequest> requests = rx.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].connection, requests[1].connection);
}

TEST_F(OutboundSinkTest, DeliversEverythingFromConcurrentWritersExactlyOnce) {
  TestReceiver carts_rx;
  TestReceiver all_rx;
  WebhookEndpoint only_carts = endpoint("carts", carts_rx.url());
  only_carts.event_types = {"Cart Abandoned"};
  only_carts.max_in_flight = 4;
  WebhookEndpoint all = endpoint("all", all_rx.url());
  all.max_in_flight = 4;
  OutboundSettings settings;
  settings.io_threads = 2;
  auto sink = make_sink({only_carts, all}, settings);
  constexpr int kWriters = 4;
  constexpr int kBatches = 20;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kBatches; ++i) {
        const std::string p = "w" + std::to_string(w) + "-" + std::to_string(i) + "-";
        sink->write(batch({{"Cart Abandoned", "u" + std::to_string(w), p + "a"},
                           {"Product Viewed", "u" + std::to_string(w), p + "b"},
                           {"Cart Abandoned", "v" + std::to_string(w), p + "c"}}));
      }
    });
  }
  for (auto& w : writers)
    w.join();
  ASSERT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  EXPECT_EQ(metrics(*sink, "carts").delivered, 2u * kWriters * kBatches);
  EXPECT_EQ(metrics(*sink, "all").delivered, 3u * kWriters * kBatches);
  for (const auto* rx : {&carts_rx, &all_rx}) {
    const auto per_id = delivered_per_id(rx->requests());
    for (const auto& [id, n] : per_id)
      ASSERT_EQ(n, 1) << id;
  }
  EXPECT_EQ(delivered_per_id(carts_rx.requests()).size(), 2u * kWriters * kBatches);
  EXPECT_EQ(delivered_per_id(all_rx.requests()).size(), 3u * kWriters * kBatches);
  EXPECT_TRUE(dead_letters().empty());
}

TEST_F(OutboundSinkTest, EndpointsSharingADeadLetterFileWriteWholeLines) {
  TestReceiver rx;
  rx.set_default({400, {}, false});
  auto sink = make_sink({endpoint("a", rx.url("/a")), endpoint("b", rx.url("/b"))});
  sink->write(carts(20));
  ASSERT_EQ(sink->stop(steady_clock::now() + kWait), OutboundStopResult::kDrained);
  const std::vector<boost::json::object> lines = dead_letters();
  ASSERT_EQ(lines.size(), 40u);
  std::map<std::string, int> per_endpoint;
  for (const auto& line : lines)
    ++per_endpoint[std::string(line.at("endpoint").as_string())];
  EXPECT_EQ(per_endpoint, (std::map<std::string, int>{{"a", 20}, {"b", 20}}));
}

TEST_F(OutboundSinkTest, VisitsEndpointsInConfigurationOrder) {
  TestReceiver rx;
  auto sink =
      make_sink({endpoint("z", rx.url()), endpoint("a", rx.url()), endpoint("m", rx.url())});
  std::vector<std::string> names;
  sink->visit([&](const OutboundEndpointMetrics& m) { names.emplace_back(m.endpoint); });
  EXPECT_EQ(names, (std::vector<std::string>{"z", "a", "m"}));
}

TEST_F(OutboundSinkTest, RefusesConfigurationsThatCannotWork) {
  TestReceiver rx;
  struct Case {
    const char* what;
    std::vector<WebhookEndpoint> endpoints;
    std::string message;
  };
  WebhookEndpoint unknown_type = endpoint("crm", rx.url());
  unknown_type.event_types = {"Cart Abandonned"};
  WebhookEndpoint https = endpoint("crm", "https://127.0.0.1/hook");
  WebhookEndpoint unwritable = endpoint("crm", rx.url());
  unwritable.dead_letter_path = (dir_ / "missing" / "dead.ndjson").string();
  const Case cases[] = {
      {"no endpoints", {}, "at least one endpoint"},
      {"duplicate names", {endpoint("crm", rx.url()), endpoint("crm", rx.url())}, "twice"},
      {"unknown event type", {unknown_type}, "unknown event type 'Cart Abandonned'"},
      {"https", {https}, "https:// is not supported"},
      {"unwritable dead letters", {unwritable}, "dead-letter file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto sink = try_create(c.endpoints);
    ASSERT_FALSE(sink.is_ok());
    EXPECT_NE(sink.status().message().find(c.message), std::string::npos)
        << sink.status().message();
  }
  EXPECT_FALSE(OutboundSink::create({endpoint("crm", rx.url())}, types_, nullptr).is_ok());
}

}  // namespace
}  // namespace eddy
