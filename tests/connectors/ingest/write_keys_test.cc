#include "connectors/ingest/write_keys.h"

#include <gtest/gtest.h>

namespace eddy {
namespace {

TEST(WriteKeys, ReadsTheUserNameOfBasicCredentials) {
  struct Case {
    const char* header;
    std::optional<std::string> user;
  };
  const Case cases[] = {
      {"Basic YWJjMTIzOg==", std::string("abc123")},  // base64("abc123:")
      {"basic YWJjMTIzOg==", std::string("abc123")},
      {"BASIC   YWJjMTIzOg==  ", std::string("abc123")},
      {"Basic YWJjMTIz", std::string("abc123")},      // no colon: old clients
      {"Basic YWJjMTIzOnB3", std::string("abc123")},  // "abc123:pw"
      {"Basic Og==", std::string()},                  // ":"
      {"Basic YQ==", std::string("a")},               // padding, or not
      {"Basic YQ", std::string("a")},
      {"Basic YWI=", std::string("ab")},
      {"Basic +/+/", std::string("\xfb\xff\xbf", 3)},
      {"Basic Y", std::nullopt},  // not whole bytes
      {"Basic YW Jj", std::nullopt},
      {"Basic YWJj*", std::nullopt},
      {"Bearer YWJjMTIzOg==", std::nullopt},
      {"BasicYWJjMTIzOg==", std::nullopt},
      {"Basic", std::nullopt},
      {"Basic !!!", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    EXPECT_EQ(basic_auth_user(c.header), c.user);
  }
}

TEST(WriteKeys, ChecksTheHeaderAgainstTheConfiguredKeys) {
  const WriteKeys keys({"abc123", "other"});
  EXPECT_TRUE(keys.required());
  EXPECT_TRUE(keys.valid("abc123"));
  EXPECT_TRUE(keys.valid("other"));
  EXPECT_FALSE(keys.valid("abc12"));
  EXPECT_FALSE(keys.valid("abc1234"));
  EXPECT_FALSE(keys.valid(""));
  struct Case {
    const char* header;
    HeaderAuth expected;
  };
  const Case cases[] = {
      {"Basic YWJjMTIzOg==", HeaderAuth::kGranted},
      {"Basic b3RoZXI6", HeaderAuth::kGranted},  // "other:"
      {"Basic d3Jvbmc6", HeaderAuth::kDenied},   // "wrong:"
      {"Basic Og==", HeaderAuth::kDenied},       // an empty key is never valid
      {"Bearer abc123", HeaderAuth::kDenied},
      {"", HeaderAuth::kAbsent},
      {"   ", HeaderAuth::kAbsent},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.header);
    EXPECT_EQ(keys.check_header(c.header), c.expected);
  }
}

TEST(WriteKeys, WithNoKeysConfiguredAnythingGoes) {
  const WriteKeys keys({});
  EXPECT_FALSE(keys.required());
  EXPECT_EQ(keys.check_header(""), HeaderAuth::kNotRequired);
  EXPECT_EQ(keys.check_header("Basic d3Jvbmc6"), HeaderAuth::kNotRequired);
  EXPECT_EQ(keys.check_header("garbage"), HeaderAuth::kNotRequired);
}

}  // namespace
}  // namespace eddy
