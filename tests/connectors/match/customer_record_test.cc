#include "connectors/match/customer_record.h"

#include <gtest/gtest.h>

#include <string>

namespace eddy {
namespace {

RawCustomerRecord ann() {
  RawCustomerRecord r;
  r.id = " C1 ";
  r.email = "  Ann.Smith@Example.COM ";
  r.phone = "07911 123456";
  r.first_name = " ANN ";
  r.last_name = "Smith-Jönes";
  r.street = "10 High St.";
  r.postcode = "sw1a 1aa";
  r.city = "LONDON";
  r.country = "United Kingdom";
  return r;
}

TEST(NormalizeCustomerRecord, NormalisesEveryField) {
  const Result<CustomerRecord> r = normalize_customer_record(ann(), "DE");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->id, "C1");
  EXPECT_EQ(r->email, "ann.smith@example.com");
  EXPECT_EQ(r->phone, "+447911123456");  // read in the record's country, not the default
  EXPECT_EQ(r->first_name, "ann");
  EXPECT_EQ(r->last_name, "smith jones");
  EXPECT_EQ(r->street, "10 high street");
  EXPECT_EQ(r->postcode, "SW1A1AA");
  EXPECT_EQ(r->city, "london");
  EXPECT_EQ(r->country, "GB");
  EXPECT_TRUE(r->warnings.empty());
}

struct PostcodeCase {
  const char* raw;
  const char* normalized;
};

TEST(NormalizeCustomerRecord, WritesPostcodesWithoutSpacesAndDashesInUpperCase) {
  const PostcodeCase cases[] = {
      {"sw1a 1aa", "SW1A1AA"}, {" 10115 ", "10115"},  {"94107-1234", "94107"},  // ZIP+4
      {"1234 AB", "1234AB"},   {"H3Z-2Y7", "H3Z2Y7"}, {"", ""},
  };
  for (const PostcodeCase& c : cases) {
    SCOPED_TRACE(c.raw);
    RawCustomerRecord raw = ann();
    raw.postcode = c.raw;
    const Result<CustomerRecord> r = normalize_customer_record(raw, "DE");
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r->postcode, c.normalized);
  }
}

TEST(NormalizeCustomerRecord, ReadsThePhoneInTheDefaultRegionWhenTheCountryDoesNotFit) {
  RawCustomerRecord raw = ann();
  raw.country = "";
  raw.phone = "0151 23456789";
  EXPECT_EQ(normalize_customer_record(raw, "DE")->phone, "+4915123456789");
  raw.country = "US";  // a German mobile in an American address: not a US number
  EXPECT_EQ(normalize_customer_record(raw, "DE")->phone, "+4915123456789");
  raw.country = "AQ";  // a country libphonenumber has no numbering plan for
  EXPECT_EQ(normalize_customer_record(raw, "DE")->phone, "+4915123456789");
}

TEST(NormalizeCustomerRecord, DropsAFieldItCannotNormaliseWithAWarningNotRepeatingIt) {
  RawCustomerRecord raw = ann();
  raw.email = "ann.smith.example.com";
  raw.phone = "+1 555 555 5555";
  raw.country = "Smithland";
  const Result<CustomerRecord> r = normalize_customer_record(raw, "DE");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->email, "");
  EXPECT_EQ(r->phone, "");
  EXPECT_EQ(r->country, "");
  EXPECT_EQ(r->last_name, "smith jones");
  ASSERT_EQ(r->warnings.size(), 3u);
  EXPECT_EQ(r->warnings[0].rfind("country dropped: ", 0), 0u) << r->warnings[0];
  EXPECT_EQ(r->warnings[1], "email dropped: invalid email: it has no '@'");
  EXPECT_EQ(r->warnings[2].rfind("phone dropped: invalid phone number: ", 0), 0u) << r->warnings[2];
  for (const std::string& w : r->warnings) {
    EXPECT_EQ(w.find("smith"), std::string::npos) << w;
    EXPECT_EQ(w.find("555"), std::string::npos) << w;
    EXPECT_EQ(w.find("Smithland"), std::string::npos) << w;
  }
}

TEST(NormalizeCustomerRecord, FailsWithoutAnId) {
  RawCustomerRecord raw = ann();
  raw.id = "  ";
  const Result<CustomerRecord> r = normalize_customer_record(raw, "DE");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no id"), std::string::npos);
}

TEST(NormalizeCustomerRecord, FailsWhenNothingIsLeftToMatchBy) {
  RawCustomerRecord raw;
  raw.id = "C2";
  raw.email = "not an email";
  raw.first_name = "Ann";
  raw.street = "10 High Street";
  const Result<CustomerRecord> r = normalize_customer_record(raw, "DE");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  const std::string& message = r.status().message();
  EXPECT_NE(message.find("no email, phone or last name"), std::string::npos) << message;
  EXPECT_NE(message.find("email dropped"), std::string::npos) << message;  // and why
  raw.last_name = "O'";  // nothing left of it either... but it is a name: kept
  EXPECT_TRUE(normalize_customer_record(raw, "DE").is_ok());
  raw.last_name = " - ";
  EXPECT_FALSE(normalize_customer_record(raw, "DE").is_ok());
}

TEST(NormalizeCustomerRecord, KeepsARecordWithOnlyAPhoneOrOnlyAnEmail) {
  RawCustomerRecord raw;
  raw.id = "C3";
  raw.phone = "+49 151 23456789";
  EXPECT_TRUE(normalize_customer_record(raw, "").is_ok());
  raw.phone.clear();
  raw.email = "x@example.com";
  EXPECT_TRUE(normalize_customer_record(raw, "").is_ok());
}

TEST(NormalizeCustomerRecord, FailsOnAnUnknownDefaultRegionInsteadOfDroppingEveryPhone) {
  RawCustomerRecord raw = ann();
  raw.country.clear();
  const Result<CustomerRecord> r = normalize_customer_record(raw, "XX");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Errc::kInvalidArgument);
  EXPECT_NE(r.status().message().find("default region"), std::string::npos);
}

}  // namespace
}  // namespace eddy

namespace eddy {
namespace {

TEST(NormalizeCustomerRecordWithPhone, TakesThePhoneAnEarlierCallMadeAndNormalisesTheRest) {
  RawCustomerRecord raw;
  raw.id = " 7 ";
  raw.phone = "030 1234567";
  raw.last_name = "Müller";
  const std::string earlier = "+49301234567";
  auto r = normalize_customer_record(raw, "DE", &earlier);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->phone, earlier);
  EXPECT_EQ(r->id, "7");
  auto afresh = normalize_customer_record(raw, "DE");
  ASSERT_TRUE(afresh.is_ok());
  EXPECT_EQ(r->phone, afresh->phone) << "the same as normalising it afresh";
  EXPECT_EQ(r->last_name, afresh->last_name);
  const std::string dropped;
  EXPECT_EQ(normalize_customer_record(raw, "DE", &dropped)->phone, "");
}

}  // namespace
}  // namespace eddy
