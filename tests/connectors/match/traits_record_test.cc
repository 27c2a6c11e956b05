#include "connectors/match/traits_record.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace eddy {
namespace {

std::optional<RawCustomerRecord> from(const char* json) {
  return customer_record_from_traits(boost::json::parse(json).as_object(), "u1");
}

TEST(TraitsRecord, ReadsSegmentsTraitNames) {
  auto r = from(R"({"email":"a@b.c","phone":"+44 20 7946 0958","firstName":"Ann","lastName":"Lee",
                    "address":{"street":"1 Main St","postalCode":"SW1A 1AA","city":"London",
                               "country":"GB"},"plan":"pro"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id, "u1");
  EXPECT_EQ(r->email, "a@b.c");
  EXPECT_EQ(r->phone, "+44 20 7946 0958");
  EXPECT_EQ(r->first_name, "Ann");
  EXPECT_EQ(r->last_name, "Lee");
  EXPECT_EQ(r->street, "1 Main St");
  EXPECT_EQ(r->postcode, "SW1A 1AA");
  EXPECT_EQ(r->city, "London");
  EXPECT_EQ(r->country, "GB");
}

TEST(TraitsRecord, ReadsSnakeCaseAFullNameAndNumbers) {
  auto r = from(R"({"first_name":"Ann","last_name":"Lee","phone":4915112345678,
                    "address":{"postal_code":10115}})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first_name, "Ann");
  EXPECT_EQ(r->phone, "4915112345678");
  EXPECT_EQ(r->postcode, "10115");
  auto full = from(R"({"name":"Anne Marie Smith"})");
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->first_name, "Anne Marie");
  EXPECT_EQ(full->last_name, "Smith");
}

TEST(TraitsRecord, NothingToMatchByIsNoRecord) {
  EXPECT_FALSE(from(R"({"plan":"pro","firstName":"Ann"})").has_value());
  EXPECT_FALSE(from(R"({"email":42,"address":"somewhere"})").has_value());
}

}  // namespace
}  // namespace eddy
