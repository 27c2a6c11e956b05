#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cctype>

#include "connectors/api/routes.h"
#include "operators/builtin.h"
#include "topologies/ecommerce/ecommerce.h"

namespace eddy {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The document users read is the one the server has: every route of the server is in
// docs/openapi.json with its method, and the document names no route the server lacks.
TEST(OpenApi, DocumentsEveryRouteTheServerHasAndNoOther) {
  auto registry = std::make_shared<OperatorRegistry>();
  ASSERT_TRUE(register_builtin_operators(*registry));
  auto topology = make_ecommerce_topology(registry);
  ASSERT_TRUE(topology.is_ok());
  ManualClock clock;
  EngineOptions engine_options;
  engine_options.clock = &clock;
  engine_options.run_ticker = false;
  engine_options.settings.workers = 1;
  for (const StageSpec& stage : topology->stages())
    for (const SinkSpec& sink : stage.sinks)
      engine_options.sinks[sink.name] = std::make_shared<CollectingSink>();
  auto engine = Engine::create(std::move(topology).value(), std::move(engine_options));
  ASSERT_TRUE(engine.is_ok()) << engine.status().to_string();
  ApiContext api;
  api.engine = engine->get();
  MessageDedup dedup;
  DirectIntake intake((*engine)->source());
  IngestService ingest(intake, (*engine)->topology().types(), api.http, clock, dedup);
  auto ids = WebhookIdStore::open({}, clock.now());
  ASSERT_TRUE(ids.is_ok());
  auto webhooks = WebhookReceiver::create({}, std::move(ids).value());
  ASSERT_TRUE(webhooks.is_ok());
  Router router;
  add_all_routes(
      router,
      {.api = &api, .ingest = &ingest, .webhooks = webhooks->get(), .clock = &clock, .health = {}});

  const auto doc = boost::json::parse(openapi_document()).as_object();
  EXPECT_EQ(std::string_view(doc.at("openapi").as_string()).substr(0, 2), "3.");
  const auto& paths = doc.at("paths").as_object();
  size_t documented = 0;
  for (const auto& [path, item] : paths)
    documented += item.as_object().size();
  const auto routes = router.routes();
  EXPECT_EQ(routes.size(), documented) << "a documented operation the server does not have";
  for (const RouteInfo& r : routes) {
    SCOPED_TRACE(r.pattern);
    auto* item = paths.if_contains(r.pattern);
    ASSERT_NE(item, nullptr) << "route missing from docs/openapi.json";
    EXPECT_TRUE(item->as_object().contains(lower(std::string(http::to_string(r.method)))));
  }
}

}  // namespace
}  // namespace eddy
