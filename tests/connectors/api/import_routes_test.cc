// POST /v1/import and GET /v1/imports/{id} through the router, on an engine whose topology takes
// customer records; the records go to a fake intake instead of a write-ahead log.

#include <gtest/gtest.h>

#include <zlib.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <optional>
#include <thread>

#include "connectors/api/api_context.h"
#include "connectors/api/import_jobs.h"
#include "connectors/api/import_tracker.h"
#include "runtime/identity_fields.h"
#include "runtime/topology_builder.h"

namespace eddy {
namespace {

std::string gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(compressBound(static_cast<uLong>(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class ImportRoutes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = std::make_shared<OperatorRegistry>();
    auto topology = TopologyBuilder("imports", registry)
                        .accept_types({kCustomerRecordType, kCustomerMatchedType})
                        .stage("identity", "identifier")
                        .sink(std::string(kCustomerMatchesSink), {kCustomerMatchedType})
                        .build();
    ASSERT_TRUE(topology.is_ok()) << topology.status().to_string();
    tracker_ = std::make_shared<ImportTracker>(topology->types().find(kCustomerMatchedType));
    EngineOptions options;
    options.clock = &clock_;
    options.run_ticker = false;
    options.settings.workers = 1;
    options.sinks[std::string(kCustomerMatchesSink)] = tracker_;
    auto engine = Engine::create(std::move(topology).value(), std::move(options));
    ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
    engine_ = std::move(engine).value();
    ImportSettings settings;
    settings.max_concurrent = 1;
    jobs_.emplace(settings, *tracker_, clock_);
    api_.engine = engine_.get();
    api_.imports = &*jobs_;
    api_.default_phone_region = "DE";
    api_.submit_records = [this](const EventBatch& batch, std::function<void(Status)> done) {
      if (busy_) return Status(Errc::kBusy, "full");
      taken_ += batch.size();
      done(Status());
      return Status();
    };
    add_import_routes(router_, api_);
  }

  void TearDown() override { jobs_.reset(); }

  HttpResponse call(http::verb method, const std::string& target, const std::string& body = "",
                    const std::string& content_type = "text/csv",
                    const std::string& encoding = "") {
    HttpRequest req;
    req.message.method(method);
    req.message.target(target);
    if (!content_type.empty()) req.message.set(http::field::content_type, content_type);
    if (!encoding.empty()) req.message.set(http::field::content_encoding, encoding);
    req.message.body() = body;
    HttpResponse got;
    got.status = http::status::unknown;
    router_.dispatch(req, Responder([&got](HttpResponse r) { got = std::move(r); }));
    return got;
  }

  std::string code_of(const HttpResponse& r) {
    return std::string(boost::json::parse(r.body).as_object().at("code").as_string());
  }

  // Polls the import's status until it has submitted everything.
  boost::json::object status_when_submitted(const std::string& id) {
    boost::json::object status;
    for (int i = 0; i < 2000; ++i) {
      HttpResponse r = call(http::verb::get, "/v1/imports/" + id);
      EXPECT_EQ(r.status, http::status::ok) << r.body;
      status = boost::json::parse(r.body).as_object();
      const auto state = status.at("state").as_string();
      if (state != "reading" && state != "submitting") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return status;
  }

  ManualClock clock_{WallTime(1'700'000'000'000)};
  std::shared_ptr<ImportTracker> tracker_;
  std::unique_ptr<Engine> engine_;
  std::optional<ImportJobs> jobs_;
  std::atomic<bool> busy_{false};
  std::atomic<size_t> taken_{0};
  ApiContext api_;
  Router router_;
};

TEST_F(ImportRoutes, AcceptsAGzippedCsvAndReportsItsProgress) {
  const std::string csv = "id,email,last_name\n1,a@example.com,Lee\n2,,\n";
  HttpResponse r = call(http::verb::post, "/v1/import?source=crm", gzip(csv), "text/csv", "gzip");
  ASSERT_EQ(r.status, http::status::accepted) << r.body;
  const auto accepted = boost::json::parse(r.body).as_object();
  const std::string id(accepted.at("import_id").as_string());
  EXPECT_EQ(std::string(accepted.at("status_url").as_string()), "/v1/imports/" + id);

  const boost::json::object status = status_when_submitted(id);
  EXPECT_EQ(status.at("state"), "matching") << boost::json::serialize(status);
  EXPECT_EQ(status.at("lines"), 2);
  EXPECT_EQ(status.at("submitted"), 1);
  EXPECT_EQ(status.at("rejected"), 1);
  EXPECT_EQ(taken_, 1u);
  const auto& rejection = status.at("rejections").as_array().at(0).as_object();
  EXPECT_EQ(rejection.at("line"), 3);
  EXPECT_EQ(rejection.at("code"), "invalid_record");
}

TEST_F(ImportRoutes, RefusesWhatCannotBeImportedWithAStableCode) {
  struct Case {
    std::string target, body, content_type;
    http::status status;
    std::string code;
  };
  const Case cases[] = {
      {"/v1/import", "id\n1\n", "application/xml", http::status::unsupported_media_type,
       "unsupported_media_type"},
      {"/v1/import", "id\n1\n", "", http::status::unsupported_media_type, "unsupported_media_type"},
      {"/v1/import?source=CRM", "id\n1\n", "text/csv", http::status::bad_request, "invalid_source"},
      {"/v1/import?source=", "id\n1\n", "text/csv", http::status::bad_request, "invalid_source"},
      {"/v1/import", " \n", "text/csv", http::status::bad_request, "empty_body"},
      {"/v1/import", "email\nx@example.com\n", "text/csv", http::status::bad_request,
       "invalid_body"},
      {"/v1/import", "[{\"id\":\"1\"}]", "application/json", http::status::bad_request,
       "invalid_body"},
      {"/v1/imports/import_nope", "", "", http::status::not_found, "unknown_import"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target + " " + c.content_type + " " + c.body);
    const http::verb method =
        c.target.starts_with("/v1/imports/") ? http::verb::get : http::verb::post;
    HttpResponse r = call(method, c.target, c.body, c.content_type);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(code_of(r), c.code);
  }
}

TEST_F(ImportRoutes, AnswersTooManyImportsBeyondTheLimit) {
  busy_ = true;  // the first import waits on the intake
  ASSERT_EQ(call(http::verb::post, "/v1/import", "id,last_name\n1,Lee\n").status,
            http::status::accepted);
  HttpResponse r = call(http::verb::post, "/v1/import", "id,last_name\n2,Lee\n");
  EXPECT_EQ(r.status, http::status::too_many_requests) << r.body;
  EXPECT_EQ(code_of(r), "too_many_imports");
  busy_ = false;
}

TEST_F(ImportRoutes, IsNotEnabledWithoutImportJobs) {
  ApiContext bare;
  bare.engine = engine_.get();
  Router router;
  add_import_routes(router, bare);
  HttpRequest req;
  req.message.method(http::verb::post);
  req.message.target("/v1/import");
  req.message.set(http::field::content_type, "text/csv");
  req.message.body() = "id,last_name\n1,Lee\n";
  HttpResponse got;
  router.dispatch(req, Responder([&got](HttpResponse r) { got = std::move(r); }));
  EXPECT_EQ(got.status, http::status::not_found);
  EXPECT_EQ(code_of(got), "not_enabled");
}

}  // namespace
}  // namespace eddy
