// Whole-process tests of bulk imports: POST /v1/import of a CSV and an NDJSON body to the real
// eddy binary, polled through GET /v1/imports/{id} until the master customer index has matched
// every record, then read back as customer profiles.

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <string>
#include <utility>
#include <vector>

#include "tests/e2e/eddy_server.h"

namespace eddy::e2e {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr const char* kToken = "tk-import";

Headers with_token(std::string content_type = "") {
  Headers h{{"Authorization", std::string("Bearer ") + kToken}};
  if (!content_type.empty()) h.emplace_back("Content-Type", std::move(content_type));
  return h;
}

// Two records of one customer, whose emails differ only in case and spaces, a third customer, and
// a line that cannot be imported (line 5: nothing to match it by). `tag` makes the emails of one
// test's customers their own, since the tests share a server.
std::string customers_csv(const std::string& tag) {
  std::string csv = "id,email,first_name,last_name,city\n";
  csv += "c1,Anna.Lee." + tag + "@Example.com,Anna,Lee,Berlin\n";
  csv += "c2,  anna.lee." + tag + "@example.COM ,Anna,Lee,Berlin\n";
  csv += "c3,bo.berg." + tag + "@example.com,Bo,Berg,Hamburg\n";
  csv += "c4,,,,Berlin\n";
  return csv;
}

// The same shape as NDJSON, with the bad line second (not JSON).
constexpr const char* kNdjson =
    R"({"id":"n1","email":"Cleo.Diaz@Example.org","firstName":"Cleo","lastName":"Diaz"})"
    "\n"
    "{oops\n"
    R"({"id":"n2","email":"cleo.diaz@example.org ","name":"Cleo Diaz","address":{"city":"Lyon"}})"
    "\n"
    R"({"id":"n3","email":"eli.fox@example.org","name":"Eli Fox"})"
    "\n";

class Import : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new EddyServer("import", {"--tokens", kToken});
    ASSERT_TRUE(server_->started()) << server_->process().output();
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(server_->stop(), 0) << server_->process().output();
    delete server_;
    server_ = nullptr;
  }

  // Starts an import and returns its id; empty (with a failure recorded) when it was refused.
  static std::string start(HttpClient& c, const std::string& target, const std::string& body,
                           const std::string& content_type) {
    HttpReply r = c.post(target, body, with_token(content_type));
    EXPECT_EQ(r.status, 202) << r.body;
    const auto accepted = json_of(r);
    if (r.status != 202 || !accepted.contains("import_id")) return {};
    const std::string id(accepted.at("import_id").as_string());
    EXPECT_EQ(std::string(accepted.at("status_url").as_string()), "/v1/imports/" + id);
    return id;
  }

  // The import's status once it is done or failed, polled for at most 20 s.
  static boost::json::object finished(HttpClient& c, const std::string& id) {
    boost::json::object status;
    const bool ended = eventually([&] {
      HttpReply r = c.get("/v1/imports/" + id, with_token());
      if (r.status != 200) return false;
      status = json_of(r);
      const auto& state = status.at("state").as_string();
      return state == "done" || state == "failed";
    });
    EXPECT_TRUE(ended) << boost::json::serialize(status);
    return status;
  }

  static int64_t count(const boost::json::object& status, const char* name) {
    return status.at(name).to_number<int64_t>();
  }

  static EddyServer* server_;
};
EddyServer* Import::server_ = nullptr;

TEST_F(Import, CsvRecordsAreMatchedMergedAndReadableAsCustomers) {
  HttpClient c = server_->client();
  const std::string id = start(c, "/v1/import", customers_csv("first"), "text/csv; charset=utf-8");
  ASSERT_FALSE(id.empty());
  const boost::json::object status = finished(c, id);
  SCOPED_TRACE(boost::json::serialize(status));
  EXPECT_EQ(status.at("state"), "done");
  EXPECT_EQ(count(status, "lines"), 4);
  EXPECT_EQ(count(status, "submitted"), 3);
  EXPECT_EQ(count(status, "created"), 2);
  EXPECT_EQ(count(status, "merged"), 1);
  EXPECT_EQ(count(status, "updated"), 0);
  EXPECT_EQ(count(status, "placeholders"), 0);
  EXPECT_EQ(count(status, "rejected"), 1);
  ASSERT_EQ(status.at("rejections").as_array().size(), 1u);
  const auto& rejection = status.at("rejections").as_array()[0].as_object();
  EXPECT_EQ(rejection.at("line"), 5);
  EXPECT_EQ(rejection.at("code"), "invalid_record");
  EXPECT_TRUE(status.contains("started_at"));
  EXPECT_TRUE(status.contains("finished_at"));

  // The record's profile carries its traits once the index's answer has reached it.
  boost::json::object profile;
  EXPECT_TRUE(eventually([&] {
    HttpReply r = c.get("/v1/customers/import:c1", with_token());
    if (r.status != 200) return false;
    profile = json_of(r);
    const auto* traits = profile.if_contains("traits");
    return traits != nullptr && traits->is_object() && traits->as_object().contains("email");
  })) << boost::json::serialize(profile);
}

TEST_F(Import, ReimportingTheSameFileUpdatesTheRecordsItKnows) {
  HttpClient c = server_->client();
  const std::string csv = customers_csv("again");
  const std::string first = start(c, "/v1/import?source=reimport", csv, "text/csv");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(finished(c, first).at("state"), "done");
  const std::string again = start(c, "/v1/import?source=reimport", csv, "text/csv");
  ASSERT_FALSE(again.empty());
  const boost::json::object status = finished(c, again);
  SCOPED_TRACE(boost::json::serialize(status));
  EXPECT_EQ(status.at("state"), "done");
  EXPECT_EQ(count(status, "created"), 0);
  EXPECT_EQ(count(status, "merged"), 0);
  EXPECT_EQ(count(status, "updated"), 3);
}

TEST_F(Import, NdjsonRecordsAreMatchedAndABadLineIsNamed) {
  HttpClient c = server_->client();
  const std::string id = start(c, "/v1/import?source=shop", kNdjson, "application/x-ndjson");
  ASSERT_FALSE(id.empty());
  const boost::json::object status = finished(c, id);
  SCOPED_TRACE(boost::json::serialize(status));
  EXPECT_EQ(status.at("state"), "done");
  EXPECT_EQ(count(status, "lines"), 4);
  EXPECT_EQ(count(status, "submitted"), 3);
  EXPECT_EQ(count(status, "created"), 2);
  EXPECT_EQ(count(status, "merged"), 1);
  ASSERT_EQ(status.at("rejections").as_array().size(), 1u);
  const auto& rejection = status.at("rejections").as_array()[0].as_object();
  EXPECT_EQ(rejection.at("line"), 2);
  EXPECT_EQ(rejection.at("code"), "malformed_line");
  EXPECT_TRUE(eventually([&] {
    HttpReply r = c.get("/v1/customers/shop:n1", with_token());
    return r.status == 200 && json_of(r).contains("traits");
  }));
}

TEST_F(Import, AnErasedCustomerOfImportsLeavesNoFileHoldingItAfterTheNextCheckpoint) {
  HttpClient c = server_->client();
  const std::string email = "anna.lee.erase@example.com";  // as normalised
  const std::string id = start(c, "/v1/import?source=erase", customers_csv("erase"), "text/csv");
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(finished(c, id).at("state"), "done");
  // A merged record's id answers with the customer that holds it.
  HttpReply merged = c.get("/v1/customers/erase:c2", with_token());
  ASSERT_EQ(merged.status, 200) << merged.body;
  EXPECT_EQ(json_of(merged).at("customer_id"), "erase:c1");
  ASSERT_FALSE(files_holding(server_->data_dir(), email).empty()) << "the log holds the records";

  HttpReply erased = c.request("DELETE", "/v1/customers/erase:c2", "", with_token());
  ASSERT_EQ(erased.status, 202) << erased.body;
  EXPECT_EQ(json_of(erased).at("customer_id"), "erase:c1");
  for (const char* gone : {"erase:c1", "erase:c2"}) {
    EXPECT_TRUE(eventually([&] {
      return c.get(std::string("/v1/customers/") + gone, with_token()).status == 404;
    })) << gone;
  }
  HttpReply checkpoint = c.post("/v1/admin/checkpoint", "", with_token());
  ASSERT_EQ(checkpoint.status, 200) << checkpoint.body;
  for (const std::string& text : {email, std::string("Anna.Lee.erase@Example.com")})
    EXPECT_EQ(files_holding(server_->data_dir(), text), std::vector<std::string>{}) << text;
  // The other customer of the import stays, index records and all.
  EXPECT_EQ(c.get("/v1/customers/erase:c3", with_token()).status, 200);
  EXPECT_FALSE(files_holding(server_->data_dir(), "bo.berg.erase@example.com").empty());
}

TEST_F(Import, NeedsTheTokenAndSaysWhatItRefuses) {
  HttpClient c = server_->client();
  EXPECT_EQ(c.post("/v1/import", customers_csv("auth"), {{"Content-Type", "text/csv"}}).status,
            401);
  HttpReply xml = c.post("/v1/import", "<customers/>", with_token("application/xml"));
  EXPECT_EQ(xml.status, 415) << xml.body;
  HttpReply unknown = c.get("/v1/imports/import_0000", with_token());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json_of(unknown).at("code"), "unknown_import");
}

}  // namespace
}  // namespace eddy::e2e
