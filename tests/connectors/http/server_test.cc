#include "connectors/http/server.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/connectors/http/raw_client.h"

namespace eddy {
namespace {

using namespace std::chrono_literals;
using test::RawClient;

// Responders the test answers by hand, to control when and in which order answers come back.
struct Held {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<std::string, Responder>> waiting;

  void add(std::string id, Responder r) {
    std::lock_guard lock(mu);
    waiting.emplace_back(std::move(id), std::move(r));
    cv.notify_all();
  }
  bool wait_for(size_t n) { return wait_for_ms(n, 10'000); }
  bool wait_for_ms(size_t n, int ms) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::milliseconds(ms), [&] { return waiting.size() >= n; });
  }
};

class ServerTest : public ::testing::Test {
 protected:
  void start(HttpSettings settings = {}) {
    settings.port = 0;
    settings.io_threads = 2;
    auto router = std::make_shared<Router>(settings.tokens);
    router->add(http::verb::get, "/echo/{id}", RouteAccess::kOpen,
                [](HttpRequest& req, Responder respond) {
                  boost::json::object o{{"id", req.param("id")}, {"q", req.query_param("q")}};
                  respond(json_response(http::status::ok, boost::json::serialize(o)));
                });
    router->add(http::verb::post, "/body", RouteAccess::kOpen,
                [](HttpRequest& req, Responder respond) {
                  respond(json_response(http::status::ok, std::to_string(req.body().size())));
                });
    router->add(http::verb::get, "/held/{id}", RouteAccess::kOpen,
                [this](HttpRequest& req, Responder respond) {
                  held_.add(std::string(req.param("id")), std::move(respond));
                });
    router->add(http::verb::get, "/throws", RouteAccess::kOpen,
                [](HttpRequest&, Responder) { throw std::runtime_error("boom"); });
    router->add(
        http::verb::get, "/secret", RouteAccess::kToken,
        [](HttpRequest&, Responder respond) { respond(json_response(http::status::ok, "{}")); });
    router->add(http::verb::get, "/stream", RouteAccess::kOpen,
                [this](HttpRequest&, Responder respond) {
                  HttpResponse r;
                  r.stream = std::make_shared<EventStream>(16);
                  {
                    std::lock_guard lock(held_.mu);
                    streams_.push_back(r.stream);
                    held_.cv.notify_all();
                  }
                  respond(std::move(r));
                });
    server_ = std::make_unique<HttpServer>(settings, router);
    ASSERT_TRUE(server_->start());
  }
  void TearDown() override {
    if (server_) server_->stop(2s);
  }
  uint16_t port() const { return server_->port(); }

  std::string get(std::string_view target, std::string_view extra_headers = "") {
    RawClient c(port());
    c.send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_headers) +
           "\r\n");
    return c.read_responses(1);
  }

  Held held_;
  std::vector<std::shared_ptr<EventStream>> streams_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(ServerTest, RoutesCapturePathParametersAndQuery) {
  start();
  const std::string r = get("/echo/a%20b?q=x+y");
  EXPECT_NE(r.find("HTTP/1.1 200 OK"), std::string::npos) << r;
  EXPECT_NE(r.find(R"({"id":"a b","q":"x y"})"), std::string::npos) << r;
}

TEST_F(ServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  start();
  const std::string missing = get("/nope");
  EXPECT_NE(missing.find("404 Not Found"), std::string::npos) << missing;
  EXPECT_NE(missing.find(R"("code":"not_found")"), std::string::npos) << missing;
  const std::string wrong = get("/body");
  EXPECT_NE(wrong.find("405 Method Not Allowed"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("Allow: POST"), std::string::npos) << wrong;
}

TEST_F(ServerTest, ARouteThatThrowsAnswers500AndTheServerGoesOn) {
  start();
  const std::string r = get("/throws");
  EXPECT_NE(r.find("500 Internal Server Error"), std::string::npos) << r;
  EXPECT_NE(r.find("the route failed: boom"), std::string::npos) << r;
  EXPECT_NE(get("/echo/after").find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, TokenRoutesNeedABearerTokenWhenTokensAreSet) {
  HttpSettings s;
  s.tokens = {"t0ken"};
  start(s);
  EXPECT_NE(get("/secret").find("401 Unauthorized"), std::string::npos);
  EXPECT_NE(get("/secret", "Authorization: Bearer wrong\r\n").find("401"), std::string::npos);
  EXPECT_NE(get("/secret", "Authorization: Bearer t0ken\r\n").find("200 OK"), std::string::npos);
  EXPECT_NE(get("/echo/open").find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, PipelinedAnswersAreWrittenInRequestOrder) {
  start();
  RawClient c(port());
  c.send(
      "GET /held/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /held/2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /held/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(held_.wait_for(3));
  {
    std::lock_guard lock(held_.mu);
    for (auto it = held_.waiting.rbegin(); it != held_.waiting.rend(); ++it)
      it->second(json_response(http::status::ok, "\"" + it->first + "\""));
  }
  const std::string r = c.read_responses(3);
  const size_t one = r.find("\"1\""), two = r.find("\"2\""), three = r.find("\"3\"");
  ASSERT_NE(three, std::string::npos) << r;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
}

TEST_F(ServerTest, AConnectionOwingTooManyAnswersStopsReading) {
  HttpSettings s;
  s.max_pipelined_responses = 2;
  start(s);
  RawClient c(port());
  c.send(
      "GET /held/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /held/2 HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /held/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(held_.wait_for(2));
  // The third request stays unread while two answers are owed.
  EXPECT_FALSE(held_.wait_for_ms(3, 300));
  {
    std::lock_guard lock(held_.mu);
    held_.waiting[0].second(json_response(http::status::ok, "\"1\""));
  }
  ASSERT_TRUE(held_.wait_for(3)) << "reading resumes once an answer is written";
  {
    std::lock_guard lock(held_.mu);
    held_.waiting[1].second(json_response(http::status::ok, "\"2\""));
    held_.waiting[2].second(json_response(http::status::ok, "\"3\""));
  }
  EXPECT_EQ(RawClient::complete_responses(c.read_responses(3)), 3u);
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawClient c(port());
  for (int i = 0; i < 3; ++i) {
    c.send("GET /echo/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    c.read_responses(static_cast<size_t>(i) + 1);
  }
  EXPECT_EQ(RawClient::complete_responses(c.received()), 3u);
  EXPECT_FALSE(c.closed());
}

TEST_F(ServerTest, AmbiguousFramingIsRefusedAndTheConnectionClosed) {
  start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"length then chunked",
       "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
       "0\r\n\r\n"},
      {"chunked then length",
       "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
       "0\r\n\r\n"},
      {"not ending in chunked",
       "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"},
      {"chunked in HTTP/1.0",
       "POST /body HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {"two lengths",
       "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"},
  };
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    RawClient c(port());
    c.send(bytes + "GET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string r = c.read_to_close();
    EXPECT_EQ(r.find("HTTP/1.1 400 Bad Request"), 0u) << r;
    EXPECT_EQ(r.find("smuggled"), std::string::npos) << r;
    EXPECT_TRUE(c.closed());
  }
}

TEST_F(ServerTest, AnAnswerThatComesLaterStillReachesAClientThatAskedToClose) {
  start();
  RawClient c(port());
  c.send("GET /held/late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(held_.wait_for(1));
  {
    std::lock_guard lock(held_.mu);
    held_.waiting.front().second(json_response(http::status::ok, "\"late\""));
  }
  const std::string r = c.read_to_close();
  EXPECT_NE(r.find("\"late\""), std::string::npos) << r;
}

TEST_F(ServerTest, ChunkedBodiesAreRead) {
  start();
  RawClient c(port());
  c.send(
      "POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n"
      "0\r\n\r\n");
  const std::string r = c.read_responses(1);
  EXPECT_NE(r.find("\r\n\r\n5"), std::string::npos) << r;
}

TEST_F(ServerTest, ExpectContinueGetsAnInterimResponse) {
  start();
  RawClient c(port());
  c.send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  c.read_until([](const std::string& s) { return s.find("100 Continue") != std::string::npos; },
               10s);
  ASSERT_NE(c.received().find("HTTP/1.1 100 Continue"), std::string::npos);
  c.send("abc");
  const std::string r = c.read_until(
      [](const std::string& s) { return s.find("\r\n\r\n3") != std::string::npos; }, 10s);
  EXPECT_NE(r.find("200 OK"), std::string::npos) << r;
}

TEST_F(ServerTest, OversizeBodyIs413AndOversizeHeadersAre431) {
  HttpSettings s;
  s.max_body_bytes = 100;
  s.max_header_bytes = 1024;
  start(s);
  {
    RawClient c(port());
    c.send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + std::string(101, 'a'));
    EXPECT_NE(c.read_to_close().find("413 Payload Too Large"), std::string::npos);
  }
  {
    RawClient c(port());
    c.send("GET /echo/a HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'b') + "\r\n\r\n");
    EXPECT_NE(c.read_to_close().find("431"), std::string::npos);
  }
}

TEST_F(ServerTest, BodiesLargerThanBeastsDefaultLimitAreReadUpToTheSetting) {
  start();  // max_body_bytes: 64 MiB; Beast's own default is 1 MiB
  const std::string body(3 * 1024 * 1024, 'a');
  RawClient c(port());
  c.send("POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body);
  const std::string r = c.read_responses(1);
  EXPECT_NE(r.find("200 OK"), std::string::npos) << r.substr(0, 300);
  EXPECT_NE(r.find("\r\n\r\n" + std::to_string(body.size())), std::string::npos);
}

TEST_F(ServerTest, TrickledHeadersAreCutOffWhileOthersAreServed) {
  HttpSettings s;
  s.header_timeout_ms = 500;
  start(s);
  RawClient slow(port());
  slow.send("GET /echo/slow HTTP/1.1\r\n");
  const auto started = std::chrono::steady_clock::now();
  // One header byte every 100 ms, the way a slowloris client holds a connection open.
  bool cut_off = false;
  for (int i = 0; i < 100 && !cut_off; ++i) {
    cut_off = !slow.send("X");
    slow.read_until([](const std::string&) { return false; }, 100ms);
    cut_off = cut_off || slow.closed();
    if (i == 2) {
      EXPECT_NE(get("/echo/fast").find("200 OK"), std::string::npos);
    }
  }
  EXPECT_TRUE(cut_off);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  // The deadline closes the connection; nothing was served on it.
  EXPECT_EQ(slow.received().find("200"), std::string::npos) << slow.received();
}

TEST_F(ServerTest, ManyIdleConnectionsDoNotStopService) {
  start();
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 1000; ++i) {
    idle.push_back(std::make_unique<RawClient>(port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  EXPECT_NE(get("/echo/still").find("200 OK"), std::string::npos);
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503) {
  HttpSettings s;
  s.max_connections = 3;
  start(s);
  std::vector<std::unique_ptr<RawClient>> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(std::make_unique<RawClient>(port()));
    open.back()->send("GET /echo/a HTTP/1.1\r\nHost: x\r\n\r\n");
    open.back()->read_responses(1);
  }
  RawClient extra(port());
  EXPECT_NE(extra.read_to_close().find("503 Service Unavailable"), std::string::npos);
  EXPECT_EQ(server_->refused_connections(), 1u);
}

TEST_F(ServerTest, EventStreamsDeliverPushedEventsUntilTheClientLeaves) {
  start();
  auto client = std::make_unique<RawClient>(port());
  client->send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  client->read_until(
      [](const std::string& s) { return s.find(": connected") != std::string::npos; }, 10s);
  ASSERT_NE(client->received().find("Content-Type: text/event-stream"), std::string::npos);
  std::shared_ptr<EventStream> stream;
  {
    std::lock_guard lock(held_.mu);
    ASSERT_EQ(streams_.size(), 1u);
    stream = streams_.front();
  }
  EXPECT_TRUE(stream->push("enter", R"({"id":"u1"})"));
  const std::string r = client->read_until(
      [](const std::string& s) {
        return s.find("\n\n", s.find("event: enter")) != std::string::npos;
      },
      10s);
  EXPECT_NE(r.find("event: enter\ndata: {\"id\":\"u1\"}\n\n"), std::string::npos) << r;
  client.reset();
  // The server notices the departure when it next writes; pushes then start to fail.
  bool refused = false;
  for (int i = 0; i < 2000 && !refused; ++i) {
    refused = !stream->push("enter", "{}");
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_TRUE(refused);
}

TEST_F(ServerTest, StopAnswersWhatIsInFlightThenCloses) {
  start();
  RawClient c(port());
  c.send("GET /held/last HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(held_.wait_for(1));
  std::thread stopper([this] { server_->stop(10s); });
  // Once the listener is closed the server is stopping, so the answer must close the connection.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (RawClient(port()).connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  {
    std::lock_guard lock(held_.mu);
    held_.waiting.front().second(json_response(http::status::ok, "\"done\""));
  }
  const std::string r = c.read_to_close();
  stopper.join();
  server_.reset();
  EXPECT_NE(r.find("\"done\""), std::string::npos) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
}

}  // namespace
}  // namespace eddy
