#include "connectors/ndjson_file_sink.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "runtime/batch_builder.h"

namespace eddy {
namespace {

std::shared_ptr<EventTypeRegistry> types() {
  auto t = std::make_shared<EventTypeRegistry>();
  t->add_all({"Cart Abandoned"});
  return t;
}

EventBatch one_batch(const EventTypeRegistry& t, int n) {
  BatchBuilder b;
  PropDraft props[] = {{"trigger_id", PropValue::of_string("ab\"c")},
                       {"items", PropValue::of_int(2)},
                       {"open", PropValue::of_bool(true)}};
  for (int i = 0; i < n; ++i) {
    std::string key = "u" + std::to_string(i);
    EventDraft d;
    d.key = key;
    d.type = t.find("Cart Abandoned");
    d.time = EventTime(1000 + i);
    d.amount = 12.5;
    d.quantity = 3;
    d.props = props;
    b.add(d);
  }
  return b.finish();
}

TEST(NdjsonFileSink, WritesOneParsableLinePerEventFromManyThreads) {
  const auto path =
      std::filesystem::temp_directory_path() / ("eddy-ndjson-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  auto t = types();
  auto sink = NdjsonFileSink::open(path.string(), t);
  ASSERT_TRUE(sink.is_ok()) << sink.status().to_string();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        (*sink)->write(one_batch(*t, 10));
    });
  }
  for (auto& w : writers)
    w.join();
  EXPECT_EQ((*sink)->written(), 2000u);
  EXPECT_EQ((*sink)->failed_writes(), 0u);

  std::ifstream in(path);
  std::string line;
  size_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << line;
    EXPECT_EQ(v.at("type").as_string(), "Cart Abandoned");
    EXPECT_EQ(v.at("properties").at("trigger_id").as_string(), "ab\"c");
    EXPECT_EQ(v.at("properties").at("items").as_int64(), 2);
    EXPECT_TRUE(v.at("properties").at("open").as_bool());
  }
  EXPECT_EQ(lines, 2000u);
  std::filesystem::remove(path);
}

TEST(NdjsonFileSink, ReportsAPathItCannotOpen) {
  auto sink = NdjsonFileSink::open("/nonexistent-dir/x.ndjson", types());
  ASSERT_FALSE(sink.is_ok());
  EXPECT_EQ(sink.status().code(), Errc::kIo);
}

}  // namespace
}  // namespace eddy
