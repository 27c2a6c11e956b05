#include "connectors/normalize/email.h"

#include <gtest/gtest.h>

#include <string>

namespace eddy {
namespace {

struct Case {
  const char* raw;
  const char* normalized;
};

TEST(NormalizeEmail, TrimsAndLowerCasesWhatFormsAndCrmsWrite) {
  const Case cases[] = {
      {"ann@example.com", "ann@example.com"},
      {"  Ann.Smith@Example.COM \n", "ann.smith@example.com"},
      {"\tBOB@MAIL.EXAMPLE.CO.UK\r\n", "bob@mail.example.co.uk"},
      {"o'reilly@example.ie", "o'reilly@example.ie"},
      {"a@b.co", "a@b.co"},
      {"x_y-z@sub-domain.example.org", "x_y-z@sub-domain.example.org"},
      {"Jürgen@Bücher.example", "jürgen@bücher.example"},  // UTF-8 kept, ASCII lowered
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<std::string> email = normalize_email(c.raw);
    ASSERT_TRUE(email.is_ok()) << email.status().to_string();
    EXPECT_EQ(*email, c.normalized);
  }
}

TEST(NormalizeEmail, KeepsDotsAndPlusTagsBecauseTheyMayBeSeparateIdentities) {
  EXPECT_EQ(*normalize_email("John.Doe+Shop@Gmail.com"), "john.doe+shop@gmail.com");
  EXPECT_NE(*normalize_email("johndoe@gmail.com"), *normalize_email("john.doe@gmail.com"));
}

struct Bad {
  std::string raw;
  const char* word;  // the message must say this
};

TEST(NormalizeEmail, RefusesMalformedAddressesSayingWhy) {
  const Bad cases[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"ann.example.com", "no '@'"},
      {"ann@@example.com", "more than one '@'"},
      {"ann@x@example.com", "more than one '@'"},
      {"@example.com", "local part"},
      {"ann@", "domain"},
      {"ann@localhost", "no dot"},
      {"ann@.example.com", "empty label"},
      {"ann@example.com.", "empty label"},
      {"ann@example..com", "empty label"},
      {"ann smith@example.com", "whitespace"},
      {"ann@exa mple.com", "whitespace"},
      {std::string("ann\0@example.com", 16), "control"},
      {"ann\x7f@example.com", "control"},
      {"\"ann\"@example.com", "quoted"},
      {std::string(65, 'a') + "@example.com", "64 bytes"},
      {"ann@" + std::string(64, 'b') + ".com", "63 bytes"},
      {std::string(60, 'a') + "@" + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
           std::string(60, 'd') + "." + std::string(60, 'e') + ".com",
       "254 bytes"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(c.raw);
    const Result<std::string> email = normalize_email(c.raw);
    ASSERT_FALSE(email.is_ok());
    EXPECT_EQ(email.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(email.status().message().find(c.word), std::string::npos) << email.status().message();
  }
}

TEST(NormalizeEmail, AcceptsTheLongestAddressAllowed) {
  // 64 + 1 + 189 = 254 bytes, the limit, with labels of at most 63 bytes.
  const std::string local(64, 'a');
  const std::string domain =
      std::string(63, 'b') + "." + std::string(63, 'c') + "." + std::string(61, 'd');
  ASSERT_EQ(local.size() + 1 + domain.size(), 254u);
  EXPECT_TRUE(normalize_email(local + "@" + domain).is_ok());
  EXPECT_FALSE(normalize_email(local + "@" + domain + "d").is_ok());
}

TEST(NormalizeEmail, NeverRepeatsTheAddressInItsMessage) {
  const Result<std::string> email = normalize_email("secret.person@@example.com");
  ASSERT_FALSE(email.is_ok());
  EXPECT_EQ(email.status().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace eddy
