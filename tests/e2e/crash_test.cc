// The crash test of the durability promise: eddy is killed with SIGKILL at random moments while a
// client sends events whose every id is known, restarted, and the client sends again whatever it
// had no answer for, as a Segment SDK would. At the end every event must have counted exactly
// once: nothing acknowledged lost, nothing retried counted twice. Checkpoints are taken every
// 30 ms, so kills land before, during and after them.
//
// EDDY_CRASH_CYCLES sets the number of kill/restart cycles (20 by default; 1000 for a long run).

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

#include "tests/e2e/eddy_server.h"
#include "tests/e2e/process.h"

namespace eddy::e2e {
namespace {

constexpr int kOrdersPerBatch = 10;
// Each customer gets this many batches, then the next one takes over: RFM keeps at most 1000
// orders per customer (bounded memory), and the count must stay below that to be exact.
constexpr int kBatchesPerCustomer = 50;

const std::vector<std::string> kArgs = {
    "--checkpoint-interval-ms", "30", "--checkpoint-keep", "2", "--wal-segment-bytes", "65536"};

int count_of(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}

int cycles() {
  const char* v = std::getenv("EDDY_CRASH_CYCLES");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : 20;
}

// One request of one customer, with ids that say which batch they are: kOrdersPerBatch orders;
// or, every other batch, one order fewer by a visitor of its own followed by an identify that
// links the visitor to the customer, which moves the visitor's profile into the customer's
// (identity resolution): merges too must happen exactly once across kills.
struct Batch {
  int customer;
  int number;
  bool signs_in() const { return number % 2 == 1; }
  int orders() const { return signs_in() ? kOrdersPerBatch - 1 : kOrdersPerBatch; }
  std::string body() const {
    const std::string user = "crash" + std::to_string(customer);
    const std::string visitor = user + "-visitor" + std::to_string(number);
    boost::json::array items;
    for (int i = 0; i < orders(); ++i) {
      boost::json::object order{
          {"type", "track"},
          {"event", "Order Completed"},
          {"messageId", "b" + std::to_string(number) + "-" + std::to_string(i)},
          {"properties", boost::json::object{{"revenue", 1}}}};
      order[signs_in() ? "anonymousId" : "userId"] = signs_in() ? visitor : user;
      items.push_back(std::move(order));
    }
    if (signs_in()) {
      items.push_back(boost::json::object{{"type", "identify"},
                                          {"anonymousId", visitor},
                                          {"userId", user},
                                          {"messageId", "b" + std::to_string(number) + "-id"}});
    }
    return boost::json::serialize(boost::json::object{{"batch", std::move(items)}});
  }
};

int64_t orders_of(HttpClient& c, int customer) {
  HttpReply r = c.get("/v1/customers/crash" + std::to_string(customer));
  if (r.status != 200) return -1;
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec) return -1;
  return v.at("rfm").at("frequency").to_number<int64_t>();
}

TEST(CrashTest, EveryEventCountsExactlyOnceAcrossRandomKills) {
  const std::string dir = temp_dir("crash");
  const uint32_t seed = std::random_device{}();
  std::mt19937 rng(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::vector<Batch> unanswered;  // sent, but no answer seen: the client must send them again
  std::map<int, int64_t> sent;    // orders per customer, counted once per batch however often sent
  int next_batch = 0;

  int checkpoints = 0;
  int recoveries_killed = 0;
  for (int cycle = 0; cycle < cycles(); ++cycle) {
    if (cycle % 3 == 2) {
      // A kill while eddy restores its checkpoint and replays the log: the next start must
      // recover from what this one left.
      std::vector<std::string> args = {"--http", "127.0.0.1:0", "--data-dir",
                                       dir,      "--workers",   "2"};
      args.insert(args.end(), kArgs.begin(), kArgs.end());
      EddyProcess starting(args);
      std::this_thread::sleep_for(std::chrono::milliseconds(
          std::uniform_int_distribution<int>(0, 40)(rng)));  // the moment of the kill
      starting.signal(SIGKILL);
      (void)starting.wait_exit(10'000);
      if (starting.read_to_end().find("eddy ready") == std::string::npos) ++recoveries_killed;
    }
    // Checkpoints come often and log segments are small, so that kills land during checkpoints
    // and restarts restore one and replay the log after it.
    EddyServer server("crash", kArgs, dir);
    ASSERT_TRUE(server.started()) << "cycle " << cycle << "\n" << server.process().output();
    std::atomic<bool> stop{false};
    std::vector<Batch> still_unanswered;
    std::thread client([&] {
      HttpClient c = server.client();
      std::vector<Batch> todo = std::move(unanswered);
      size_t i = 0;
      while (!stop.load()) {
        Batch b = i < todo.size() ? todo[i] : Batch{next_batch / kBatchesPerCustomer, next_batch};
        if (i >= todo.size()) {
          ++next_batch;
          sent[b.customer] += b.orders();
        }
        ++i;
        const HttpReply r = c.post("/v1/batch", b.body());
        if (r.status == 200) continue;
        // No answer (the kill) or a refusal: it goes again after the restart, as do all not yet
        // resent.
        still_unanswered.push_back(b);
        for (; i < todo.size(); ++i)
          still_unanswered.push_back(todo[i]);
        if (r.status == 0) break;
      }
      for (; i < todo.size(); ++i)
        still_unanswered.push_back(todo[i]);
    });
    // However slow the machine, the first cycle leaves a checkpoint for the others to restore;
    // the periodic ones land wherever they land.
    if (cycle == 0) {
      EXPECT_EQ(server.client().post("/v1/admin/checkpoint", "").status, 200);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(
        std::uniform_int_distribution<int>(5, 150)(rng)));  // the moment of the kill
    server.crash();
    checkpoints += count_of(server.process().read_to_end(), "checkpoint written");
    stop = true;
    client.join();
    unanswered = std::move(still_unanswered);
  }

  RecordProperty("checkpoints", checkpoints);
  RecordProperty("recoveries_killed", recoveries_killed);
  EddyServer last("crash", kArgs, dir);
  ASSERT_TRUE(last.started()) << last.process().output();
  EXPECT_EQ(last.process().output().find(R"("msg":"recovered","checkpoint":0)"), std::string::npos)
      << "the last start restored no checkpoint\n"
      << last.process().output();
  HttpClient c = last.client();
  for (const Batch& b : unanswered)
    ASSERT_EQ(c.post("/v1/batch", b.body()).status, 200);
  for (const auto& [customer, orders] : sent) {
    int64_t seen = -1;
    ASSERT_TRUE(eventually([&, customer = customer, orders = orders] {
      return (seen = orders_of(c, customer)) == orders;
    })) << "customer "
        << customer << ": " << seen << " orders counted, " << orders << " sent";
  }
  EXPECT_GT(next_batch, cycles()) << "the client sent too little to prove anything";
  EXPECT_EQ(last.stop(), 0);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace eddy::e2e
