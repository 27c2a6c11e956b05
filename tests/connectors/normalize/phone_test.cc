#include "connectors/normalize/phone.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace eddy {
namespace {

struct Case {
  const char* raw;
  const char* region;
  const char* e164;
};

TEST(NormalizePhone, WritesRealWorldFormatsAsE164) {
  const Case cases[] = {
      {"+49 151 23456789", "DE", "+4915123456789"},
      {"0151 23456789", "DE", "+4915123456789"},
      {"0151-234 567 89", "de", "+4915123456789"},
      {"(0151) 23456789", "DE", "+4915123456789"},
      {"+49 (0)151 23456789", "DE", "+4915123456789"},
      {"030 1234567", "DE", "+49301234567"},
      {"0049 30 1234567", "DE", "+49301234567"},
      {"(415) 555-2671", "US", "+14155552671"},
      {"415.555.2671", "US", "+14155552671"},
      {"1-415-555-2671", "US", "+14155552671"},
      {"+1 415 555 2671", "DE", "+14155552671"},       // a country code wins over the default
      {"011 44 20 7946 0958", "US", "+442079460958"},  // the US international prefix
      {"0044 20 7946 0958", "DE", "+442079460958"},
      {"0044 20 7946 0958", "US", "+442079460958"},  // "00" from a region dialling 011
      {"020 7946 0958", "GB", "+442079460958"},
      {"07911 123456", "GB", "+447911123456"},
      {"+33 6 12 34 56 78", "FR", "+33612345678"},
      {"06 12 34 56 78", "FR", "+33612345678"},
      {"+41 44 668 18 00", "CH", "+41446681800"},
      {"  +49 151 23456789  ", "", "+4915123456789"},  // no default region needed
      {"+49 151 23456789", "", "+4915123456789"},
      {"0044 20 7946 0958", "", "+442079460958"},
      {"tel:+1-415-555-2671", "US", "+14155552671"},
      {"(415) 555-2671 ext. 12", "US", "+14155552671"},  // the extension is dropped
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.raw) + " in " + c.region);
    const Result<std::string> phone = normalize_phone(c.raw, c.region);
    ASSERT_TRUE(phone.is_ok()) << phone.status().to_string();
    EXPECT_EQ(*phone, c.e164);
  }
}

struct Bad {
  const char* raw;
  const char* region;
  const char* word;
};

TEST(NormalizePhone, RefusesWhatIsNoPhoneNumberSayingWhy) {
  const Bad cases[] = {
      {"", "DE", "empty"},
      {"   ", "DE", "empty"},
      {"abc", "DE", "does not look like a phone number"},
      {"not a number", "US", "does not look like a phone number"},
      {"12", "DE", "numbering plan"},
      {"+1 555 555 5555", "US", "numbering plan"},  // the fictional 555 range
      {"+49 151 2345678901234567", "DE", "too long"},
      {"+49 151 234567890123456789012345678901234567890123456789012345678901234", "DE",
       "longer than 64"},
      {"0151 23456789", "", "country code"},  // national, and no region to place it
      {"+999 1234567", "DE", "country code"},
      {"\xff\xfe\xfd", "DE", "phone number"},
      {"0151 23456789", "XX", "default region"},
      {"0151 23456789", "DEU", "default region"},
      {"+4915123456789", "Germany", "default region"},
  };
  for (const Bad& c : cases) {
    SCOPED_TRACE(std::string(c.raw) + " in " + c.region);
    const Result<std::string> phone = normalize_phone(c.raw, c.region);
    ASSERT_FALSE(phone.is_ok()) << *phone;
    EXPECT_EQ(phone.status().code(), Errc::kInvalidArgument);
    EXPECT_NE(phone.status().message().find(c.word), std::string::npos) << phone.status().message();
  }
}

TEST(NormalizePhone, NeverRepeatsTheNumberInItsMessage) {
  const Result<std::string> phone = normalize_phone("+1 555 555 5555", "US");
  ASSERT_FALSE(phone.is_ok());
  EXPECT_EQ(phone.status().message().find("555"), std::string::npos);
}

TEST(NormalizePhone, GivesTheSameAnswersFromManyThreadsAtOnce) {
  const Case cases[] = {
      {"0151 23456789", "DE", "+4915123456789"},
      {"(415) 555-2671", "US", "+14155552671"},
      {"0044 20 7946 0958", "US", "+442079460958"},
  };
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  std::vector<int> wrong(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        const Case& c = cases[(i + t) % std::size(cases)];
        const Result<std::string> phone = normalize_phone(c.raw, c.region);
        if (!phone.is_ok() || *phone != c.e164) ++wrong[t];
      }
    });
  }
  for (std::thread& t : threads)
    t.join();
  for (int t = 0; t < kThreads; ++t)
    EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace eddy
