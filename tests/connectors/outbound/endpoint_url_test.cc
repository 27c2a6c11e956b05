#include "connectors/outbound/endpoint_url.h"

#include <gtest/gtest.h>

#include "connectors/outbound/webhook_endpoint.h"

namespace eddy {
namespace {

TEST(EndpointUrl, TakesHttpUrlsApart) {
  struct Case {
    std::string_view url;
    std::string host;
    uint16_t port;
    std::string target;
    std::string host_header;
  };
  const Case cases[] = {
      {"http://hooks.example.com", "hooks.example.com", 80, "/", "hooks.example.com"},
      {"http://hooks.example.com/", "hooks.example.com", 80, "/", "hooks.example.com"},
      {"HTTP://127.0.0.1:8080/in/eddy?x=1", "127.0.0.1", 8080, "/in/eddy?x=1", "127.0.0.1:8080"},
      {"http://127.0.0.1:80/a", "127.0.0.1", 80, "/a", "127.0.0.1"},
      {"http://h?q=1", "h", 80, "/?q=1", "h"},
      {"http://h/p#frag", "h", 80, "/p", "h"},
      {"http://[::1]:9000/hook", "::1", 9000, "/hook", "[::1]:9000"},
      {"http://[::1]/hook", "::1", 80, "/hook", "[::1]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.url));
    auto url = parse_endpoint_url(c.url);
    ASSERT_TRUE(url.is_ok()) << url.status().to_string();
    EXPECT_EQ(url->host, c.host);
    EXPECT_EQ(url->port, c.port);
    EXPECT_EQ(url->target, c.target);
    EXPECT_EQ(url->host_header, c.host_header);
  }
}

TEST(EndpointUrl, RefusesHttpsWithAClearReason) {
  auto url = parse_endpoint_url("https://hooks.example.com/in");
  ASSERT_FALSE(url.is_ok());
  EXPECT_EQ(url.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(url.status().message().find("https:// is not supported"), std::string::npos);
}

TEST(EndpointUrl, RefusesWhatItCannotSendSafely) {
  for (std::string_view text :
       {"", "hooks.example.com/in", "ftp://h/", "http://", "http:///path", "http://h:0/",
        "http://h:65536/", "http://h:/", "http://h:12x/", "http://user:pw@h/", "http://h/a b",
        "http://h/a\r\nX-Injected: 1", "http://[::1/", "http://[::1]x/"}) {
    SCOPED_TRACE(std::string(text));
    EXPECT_FALSE(parse_endpoint_url(text).is_ok());
  }
}

WebhookEndpoint valid_endpoint() {
  WebhookEndpoint e;
  e.name = "crm";
  e.url = "http://127.0.0.1:9/hook";
  e.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  e.dead_letter_path = "dead.ndjson";
  return e;
}

TEST(WebhookEndpointConfig, AcceptsAValidEndpoint) {
  EXPECT_TRUE(validate_endpoint(valid_endpoint()).is_ok());
  WebhookEndpoint unsigned_endpoint = valid_endpoint();
  unsigned_endpoint.secret.clear();
  EXPECT_TRUE(validate_endpoint(unsigned_endpoint).is_ok());
}

TEST(WebhookEndpointConfig, RefusesBadSettingsNamingTheEndpoint) {
  struct Case {
    const char* what;
    void (*change)(WebhookEndpoint&);
  };
  const Case cases[] = {
      {"https", [](WebhookEndpoint& e) { e.url = "https://h/"; }},
      {"secret", [](WebhookEndpoint& e) { e.secret = "whsec_not base64!"; }},
      {"dead_letter_path", [](WebhookEndpoint& e) { e.dead_letter_path.clear(); }},
      {"max_attempts", [](WebhookEndpoint& e) { e.max_attempts = 0; }},
      {"max_in_flight", [](WebhookEndpoint& e) { e.max_in_flight = 0; }},
      {"queue_capacity", [](WebhookEndpoint& e) { e.queue_capacity = 0; }},
      {"timeouts", [](WebhookEndpoint& e) { e.request_timeout_ms = 0; }},
      {"base_backoff_ms", [](WebhookEndpoint& e) { e.base_backoff_ms = e.max_backoff_ms + 1; }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    WebhookEndpoint e = valid_endpoint();
    c.change(e);
    const Status s = validate_endpoint(e);
    ASSERT_FALSE(s.is_ok());
    EXPECT_EQ(s.code(), Errc::kInvalidArgument);
    EXPECT_NE(s.message().find("'crm'"), std::string::npos) << s.message();
  }
  WebhookEndpoint nameless = valid_endpoint();
  nameless.name.clear();
  EXPECT_FALSE(validate_endpoint(nameless).is_ok());
}

}  // namespace
}  // namespace eddy
