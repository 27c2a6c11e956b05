#include "operators/segments.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <future>
#include <set>

#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/instance_driver.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

// Keeps the amount of the key's latest "Score Set" event as feature "score": a value that can go
// down as well as up, which the built-in features cannot.
class ScoreSetter final : public Operator {
 public:
  static Result<std::unique_ptr<Operator>> create(const OperatorArgs& args) {
    auto op = std::make_unique<ScoreSetter>();
    op->type_ = args.types.find("Score Set");
    return std::unique_ptr<Operator>(std::move(op));
  }
  void on_new_slot(uint32_t slot) override { scores_.resize(slot + 1, -1); }
  Flow on_event(const EventRef& e, Context& ctx) override {
    if (e.type() == type_) scores_[ctx.slot()] = e.amount();
    return Flow::kPass;
  }
  void snapshot(StateWriter& out) const override {
    out.put<uint64_t>(scores_.size());
    for (double v : scores_)
      out.put<double>(v);
  }
  Status restore(StateReader& in, uint32_t slots) override {
    scores_.assign(in.get<uint64_t>(), 0);
    for (double& v : scores_)
      v = in.get<double>();
    return in.ok() && scores_.size() == slots ? Status() : Status(Errc::kCorrupt, "scores");
  }
  Status declare_features(FeatureCatalog& c) override {
    return c.add("score", FeatureValue::Kind::kNumber, [this](uint32_t slot, EventTime) {
      return scores_[slot] < 0 ? FeatureValue::missing() : FeatureValue::of_number(scores_[slot]);
    });
  }
  LatenessPolicy lateness_policy() const override { return LatenessPolicy::kDeliver; }

 private:
  EventType type_;
  std::vector<double> scores_;
};

std::shared_ptr<OperatorRegistry> registry() {
  auto r = testing::test_registry();
  (void)r->add("score_setter", &ScoreSetter::create);
  return r;
}

TopologySpec topology(boost::json::array segments, int64_t sweep_ms = kMillisPerHour) {
  auto spec =
      TopologyBuilder("segments", registry())
          .accept_types({"Score Set", "Order Completed", "Segment Entered", "Segment Exited"})
          .stage("profiles")
          .op("score", "score_setter")
          .op("orders", "keyed_counter",
              {{"label", "orders"}, {"types", boost::json::array{"Order Completed"}}})
          .op("segments", "segments",
              {{"segments", std::move(segments)}, {"sweep_interval_ms", sweep_ms}})
          .sink("changes", {"Segment Entered", "Segment Exited"})
          .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

boost::json::object high_value(int64_t dwell_ms = 0) {
  return {{"id", "high_value"},
          {"enter", "score >= 4"},
          {"exit", "score <= 2"},
          {"min_dwell_ms", dwell_ms}};
}

// "+id@time" for an enter, "-id@time" for an exit, in time order, for one key.
std::vector<std::string> changes(Harness& h, const std::string& key) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& r : h.sink("changes")) {
    if (r.key != key) continue;
    std::string segment;
    for (const auto& [name, value] : r.props) {
      if (name == "segment") segment = value;
    }
    const bool entered = r.type == h.engine().topology().types().find("Segment Entered");
    out.emplace_back(r.time.value(),
                     (entered ? "+" : "-") + segment + "@" + std::to_string(r.time.value()));
  }
  std::sort(out.begin(), out.end());
  std::vector<std::string> flat;
  for (auto& [t, s] : out)
    flat.push_back(s);
  return flat;
}

TEST(Segments, HysteresisKeepsMembershipBetweenTheEnterAndExitThresholds) {
  auto h = Harness::create(topology({high_value()}), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Score Set", 1).amount(3), ev("u1", "Score Set", 2).amount(4),
                         ev("u1", "Score Set", 3).amount(3), ev("u1", "Score Set", 4).amount(4),
                         ev("u1", "Score Set", 5).amount(2.5), ev("u1", "Score Set", 6).amount(2),
                         ev("u1", "Score Set", 7).amount(3), ev("u1", "Score Set", 8).amount(4)})
                  .is_ok());
  EXPECT_EQ(changes(**h, "u1"),
            (std::vector<std::string>{"+high_value@2", "-high_value@6", "+high_value@8"}));
  auto q = (*h)->query("profiles", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(boost::json::serialize(q->at("segments")), R"(["high_value"])");
}

TEST(Segments, WithoutAnExitRuleMembersLeaveWhenEnterStopsHolding) {
  auto h = Harness::create(topology({{{"id", "four"}, {"enter", "score == 4"}}}), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({ev("u1", "Score Set", 1).amount(4), ev("u1", "Score Set", 2).amount(5)}).is_ok());
  EXPECT_EQ(changes(**h, "u1"), (std::vector<std::string>{"+four@1", "-four@2"}));
}

TEST(Segments, MinimumDwellDefersTheExitUntilItEnds) {
  const int64_t hour = kMillisPerHour;
  auto h = Harness::create(topology({high_value(hour)}), {});
  ASSERT_TRUE(h.is_ok());
  // Enters at 0; the exit rule holds from 10 min on; the dwell ends at 1 h: exit then.
  ASSERT_TRUE((*h)->run({ev("u1", "Score Set", 0).amount(5),
                         ev("u1", "Score Set", 600'000).amount(1), Step::watermark(hour - 1)})
                  .is_ok());
  EXPECT_EQ(changes(**h, "u1"), std::vector<std::string>{"+high_value@0"});
  ASSERT_TRUE((*h)->run({Step::watermark(hour)}).is_ok());
  EXPECT_EQ(changes(**h, "u1"), (std::vector<std::string>{"+high_value@0", "-high_value@3600000"}));

  // A member that recovers during its dwell stays.
  ASSERT_TRUE((*h)->run({ev("u2", "Score Set", 2 * hour).amount(5),
                         ev("u2", "Score Set", 2 * hour + 1).amount(1),
                         ev("u2", "Score Set", 2 * hour + 2).amount(3), Step::watermark(4 * hour)})
                  .is_ok());
  EXPECT_EQ(changes(**h, "u2"), std::vector<std::string>{"+high_value@7200000"});
}

TEST(Segments, ASegmentDefinedLaterIsBackFilledOverEveryExistingKey) {
  HarnessOptions o;
  o.workers = 2;
  o.batch_size = 1000;
  auto h = Harness::create(topology({}), o);
  ASSERT_TRUE(h.is_ok());
  std::vector<Step> steps;
  constexpr int kCustomers = 100'000;
  for (int i = 0; i < kCustomers; ++i) {
    steps.push_back(ev("c" + std::to_string(i), "Score Set", 1000).amount(i % 5 + 1));  // 1..5
  }
  steps.push_back(Step::watermark(5000));
  steps.push_back(Step::command(
      "segments", {{"action", "put"}, {"id", "high_value"}, {"enter", "score >= 4"}}));
  ASSERT_TRUE((*h)->run(steps).is_ok());
  ASSERT_TRUE((*h)->engine().sync().is_ok());
  const auto entered = (*h)->sink("changes");
  EXPECT_EQ(entered.size(), static_cast<size_t>(kCustomers * 2 / 5));
  for (const auto& r : entered)
    ASSERT_EQ(r.time, EventTime(5000)) << "back-fill happens at the watermark";

  // The members, gathered over all workers, page by page in hash order.
  std::atomic<uint64_t> size{0};
  std::promise<void> done;
  ASSERT_TRUE((*h)->engine()
                  .run_on_all(
                      [&](Worker& w) {
                        for (KeyGroup g : w.owned_groups()) {
                          StageInstance* inst = w.instance(StageId(0), g);
                          const auto& seg = static_cast<const Segments&>(
                              inst->op(*inst->find_operator("segments")));
                          for (const auto& [def, n] : seg.definitions())
                            size += def.id == "high_value" ? n : 0;
                        }
                      },
                      [&] { done.set_value(); })
                  .is_ok());
  done.get_future().wait();
  EXPECT_EQ(size.load(), static_cast<uint64_t>(kCustomers * 2 / 5));
}

TEST(Segments, BadRulesAreRefusedWithThePositionBeforeReachingAWorker) {
  auto h = Harness::create(topology({}), {});
  ASSERT_TRUE(h.is_ok());
  Status s = (*h)->engine().command("segments",
                                    {{"action", "put"}, {"id", "x"}, {"enter", "score >= \"a\""}});
  EXPECT_EQ(s.code(), Errc::kInvalidArgument);
  EXPECT_NE(s.message().find("segment 'x', enter rule at 9: cannot compare a number with a string"),
            std::string::npos)
      << s.message();
  s = (*h)->engine().command("segments",
                             {{"action", "put"}, {"id", "x"}, {"enter", "rfm.nope > 1"}});
  EXPECT_NE(s.message().find("at 0: unknown feature 'rfm.nope'"), std::string::npos) << s.message();
  EXPECT_EQ((*h)->engine().command("segments", {{"action", "delete"}, {"id", "x"}}).code(),
            Errc::kNotFound);
  EXPECT_EQ(
      (*h)->engine()
          .command("segments", {{"action", "put"}, {"id", "bad id!"}, {"enter", "true == true"}})
          .code(),
      Errc::kInvalidArgument);
  EXPECT_EQ((*h)->engine().command("nobody", {{"action", "put"}}).code(), Errc::kNotFound);

  auto bad_config = TopologyBuilder("t", registry())
                        .accept_types({"Score Set", "Segment Entered", "Segment Exited"})
                        .stage("p")
                        .op("score", "score_setter")
                        .op("segments", "segments",
                            {{"segments", boost::json::array{{{"id", "s"}, {"enter", "score >"}}}}})
                        .build();
  ASSERT_FALSE(bad_config.is_ok());
  EXPECT_NE(bad_config.status().message().find("operator 'segments': segment 's', enter rule at 7"),
            std::string::npos)
      << bad_config.status().message();
}

TEST(Segments, DeletingASegmentMakesEveryMemberExit) {
  auto h = Harness::create(topology({high_value()}), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE((*h)->run({ev("u1", "Score Set", 1).amount(5), ev("u2", "Score Set", 1).amount(1),
                         Step::watermark(100),
                         Step::command("segments", {{"action", "delete"}, {"id", "high_value"}}),
                         ev("u1", "Score Set", 200).amount(5)})
                  .is_ok());
  EXPECT_EQ(changes(**h, "u1"), (std::vector<std::string>{"+high_value@1", "-high_value@100"}));
  EXPECT_TRUE(changes(**h, "u2").empty());
  auto q = (*h)->query("profiles", "u1");
  ASSERT_TRUE(q.is_ok());
  EXPECT_EQ(boost::json::serialize(q->at("segments")), "[]");
}

TEST(Segments, RulesThatAgeWithTimeAreRecheckedAsTheWatermarkMoves) {
  const int64_t day = kMillisPerDay;
  auto h = Harness::create(
      topology({{{"id", "lapsed"}, {"enter", "days_since(orders.last_time_ms) >= 30"}}}, day), {});
  ASSERT_TRUE(h.is_ok());
  ASSERT_TRUE(
      (*h)->run({ev("u1", "Order Completed", 0).amount(10), Step::watermark(29 * day)}).is_ok());
  EXPECT_TRUE(changes(**h, "u1").empty());
  ASSERT_TRUE((*h)->run({Step::watermark(30 * day)}).is_ok());
  EXPECT_EQ(changes(**h, "u1"), std::vector<std::string>{"+lapsed@" + std::to_string(30 * day)});
  ASSERT_TRUE((*h)->run({ev("u1", "Order Completed", 31 * day).amount(10)}).is_ok());
  EXPECT_EQ(changes(**h, "u1").back(), "-lapsed@" + std::to_string(31 * day));
}

// A sweep visits every key of its key group. If every group swept at the same watermark, a worker
// would stop for all of its keys at once each interval; each group has its own point in the
// interval instead, the same whatever the worker count.
TEST(Segments, KeyGroupsSweepAtTheirOwnPointsOfTheInterval) {
  const int64_t day = kMillisPerDay;
  std::set<int64_t> times;
  for (uint32_t workers : {1u, 3u}) {
    HarnessOptions o;
    o.workers = workers;
    auto h = Harness::create(
        topology({{{"id", "lapsed"}, {"enter", "days_since(orders.last_time_ms) >= 1"}}}, day), o);
    ASSERT_TRUE(h.is_ok());
    std::vector<Step> steps;
    for (int c = 0; c < 64; ++c)
      steps.push_back(ev("u" + std::to_string(c), "Order Completed", 0).amount(10));
    for (int hour = 0; hour <= 48; ++hour)
      steps.push_back(Step::watermark(hour * kMillisPerHour));
    ASSERT_TRUE((*h)->run(steps).is_ok());
    std::set<int64_t> these;
    for (int c = 0; c < 64; ++c) {
      const auto seen = changes(**h, "u" + std::to_string(c));
      ASSERT_EQ(seen.size(), 1u) << "u" << c;
      const int64_t at = std::stoll(seen[0].substr(seen[0].find('@') + 1));
      EXPECT_GE(at, day) << "not before the rule holds";
      EXPECT_LE(at, 2 * day) << "within one interval of it";
      these.insert(at);
    }
    EXPECT_GE(these.size(), 8u) << "the groups' sweeps are spread over the day";
    if (workers == 1) {
      times = these;
    } else {
      EXPECT_EQ(these, times) << "the same points for any worker count";
    }
  }
}

TEST(Segments, SameMembershipForAnyWorkerCountAndBatching) {
  std::mt19937_64 rng(5);
  std::vector<Step> steps;
  for (int i = 0; i < 4000; ++i) {
    steps.push_back(ev("c" + std::to_string(rng() % 200), "Score Set", i * 1000)
                        .amount(static_cast<double>(rng() % 6)));
    if (i == 1500)
      steps.push_back(Step::command(
          "segments",
          {{"action", "put"}, {"id", "top"}, {"enter", "score == 5"}, {"min_dwell_ms", 20'000}}));
    if (i % 250 == 0) steps.push_back(Step::watermark(i * 1000));
  }
  auto run = [&](const HarnessOptions& o) {
    auto h = Harness::create(topology({high_value(50'000)}), o);
    EXPECT_TRUE(h.is_ok());
    EXPECT_TRUE((*h)->run(steps).is_ok());
    return (*h)->sink("changes");
  };
  const auto expected = run({});
  ASSERT_GT(expected.size(), 100u);
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const HarnessOptions o = HarnessOptions::random(seed);
    SCOPED_TRACE(o.describe());
    EXPECT_EQ(run(o), expected);
  }
}

TEST(Segments, RestoringASnapshotContinuesLikeTheOriginal) {
  TopologySpec spec = topology({high_value(10'000)});
  auto make = [&] {
    return std::move(StageInstance::create(spec, StageId(0), KeyGroup(0), EventTime(0))).value();
  };
  struct Out final : StageOutput {
    std::vector<std::string> seen;
    void output(StageId, const EventRef& e) override {
      seen.push_back(std::string(e.key()) + ":" + std::to_string(e.type().value()) + "@" +
                     std::to_string(e.time().value()));
    }
    void side_output(StageId, std::string_view, const EventRef&) override {}
    void rejected(StageId, std::string_view, const EventRef&) override {}
  };
  auto feed = [&](StageInstance& inst, Out& out, const char* key, int64_t t, double score) {
    BatchBuilder b;
    EventDraft d;
    d.key = key;
    d.type = spec.types().find("Score Set");
    d.time = EventTime(t);
    d.amount = score;
    b.add(d);
    EventBatch batch = b.finish();
    inst.on_event(EventRef(batch.events[0], *batch.payload), EventTime(t), out);
  };
  auto original = make();
  Out before;
  feed(*original, before, "u1", 1, 5);
  feed(*original, before, "u2", 2, 1);
  feed(*original, before, "u1", 3, 1);  // exit pending on the dwell
  StateWriter w;
  original->snapshot(w);
  auto restored = make();
  StateReader r(w.bytes());
  ASSERT_TRUE(restored->restore(r).is_ok());
  Out a, b;
  for (auto* pair : {&a, &b})
    (void)pair;
  original->on_watermark(EventTime(20'000), a);
  restored->on_watermark(EventTime(20'000), b);
  feed(*original, a, "u2", 20'001, 4);
  feed(*restored, b, "u2", 20'001, 4);
  EXPECT_EQ(a.seen, b.seen);
  EXPECT_FALSE(a.seen.empty());
  EXPECT_EQ(original->query(hash_key("u1"), EventTime(0)),
            restored->query(hash_key("u1"), EventTime(0)));
  EXPECT_EQ(original->query(hash_key("u2"), EventTime(0)),
            restored->query(hash_key("u2"), EventTime(0)));
}

// Identity resolution (Segments::move_key_out / merge_key_in), in a stage whose other operators
// merge their own state first: the segments read the merged cart and lifecycle features.
using testing::InstanceDriver;
using Record = CollectingSink::Record;

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = kMillisPerMinute;

TopologySpec merging_topology(boost::json::array segments) {
  auto spec = TopologyBuilder("merging", registry())
                  .accept_types({"Product Viewed", "Product Added", "Product Removed",
                                 "Order Completed", "Cart Abandoned", "Lifecycle Changed",
                                 "Segment Entered", "Segment Exited"})
                  .stage("profiles")
                  .op("carts", "cart_abandonment", {{"timeout_ms", 10 * kMillisPerHour}})
                  .op("lifecycle", "lifecycle")
                  .op("segments", "segments", {{"segments", std::move(segments)}})
                  .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

boost::json::array merge_segments() {
  return {{{"id", "big_cart"}, {"enter", "cart.value >= 50"}},
          {{"id", "repeat"}, {"enter", "lifecycle.orders >= 2"}},
          {{"id", "considering"}, {"enter", "lifecycle == \"consideration\""}}};
}

testing::EventMaker added(const std::string& key, int64_t t, const std::string& product,
                          double price) {
  return ev(key, "Product Added", t).item(product).amount(price).quantity(1);
}

using testing::rekeyed;

std::string prop_of(const Record& r, std::string_view name) {
  for (const auto& [n, v] : r.props) {
    if (n == name) return v;
  }
  return "<absent>";
}

bool is_segment_change(const Record& r) {
  return prop_of(r, "segment") != "<absent>";
}

// "key +segment reason@ms since kT0" for an entry, "-" for an exit.
std::vector<std::string> described(const TopologySpec& spec, const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const Record& r : records) {
    const bool in = r.type == spec.types().find("Segment Entered");
    out.push_back(r.key + " " + (in ? "+" : "-") + prop_of(r, "segment") + " " +
                  prop_of(r, "reason") + "@" + std::to_string(r.time.value() - kT0));
  }
  return out;
}

struct Merged {
  std::unique_ptr<InstanceDriver> split;  // the history as written, "anon" then moved into "user"
  std::unique_ptr<InstanceDriver> whole;  // the same history under "user" alone
  std::vector<Record> of_move;            // the segment changes the move emitted
};

// Runs `history` both ways, moves "anon" into "user" on the split instance at the watermark
// `move_at`, then runs `after` on both.
Merged merged(const TopologySpec& spec, const std::vector<Step>& history, int64_t move_at,
              const std::vector<Step>& after) {
  Merged m{InstanceDriver::create(spec), InstanceDriver::create(spec), {}};
  m.split->run(history);
  m.split->watermark(move_at);
  const size_t before = m.split->outputs().size();
  m.split->move("anon", "user");
  for (size_t i = before; i < m.split->outputs().size(); ++i) {
    if (is_segment_change(m.split->outputs()[i])) m.of_move.push_back(m.split->outputs()[i]);
  }
  m.split->run(after);
  m.whole->run(rekeyed(history, "user"));
  m.whole->watermark(move_at);
  m.whole->run(after);
  return m;
}

// The segment changes of `key` later than `t`.
std::vector<Record> changes_after(const InstanceDriver& d, const std::string& key, int64_t t) {
  std::vector<Record> out;
  for (const Record& r : d.outputs()) {
    if (r.key == key && r.time.value() > t && is_segment_change(r)) out.push_back(r);
  }
  return out;
}

uint64_t member_count(InstanceDriver& d, std::string_view id) {
  StageInstance& inst = d.instance();
  const auto& seg = static_cast<const Segments&>(inst.op(*inst.find_operator("segments")));
  for (const auto& [def, n] : seg.definitions()) {
    if (def.id == id) return n;
  }
  return 0;
}

TEST(SegmentsMerge, TheMovedKeyExitsAndTheSurvivingKeyIsRecheckedOnTheMergedFeatures) {
  const TopologySpec spec = merging_topology(merge_segments());
  // The anonymous cart alone is big; the user's alone is not; together they are.
  const std::vector<Step> history = {added("anon", kT0, "a", 45),
                                     ev("user", "Product Viewed", kT0 + 1).item("p1"),
                                     added("user", kT0 + 2, "b", 10)};
  const std::vector<Step> after = {ev("user", "Order Completed", kT0 + kMinute).amount(55),
                                   ev("user", "Order Completed", kT0 + 2 * kMinute).amount(5)};
  Merged m = merged(spec, history, kT0 + 2, after);
  EXPECT_EQ(described(spec, m.of_move), (std::vector<std::string>{
                                            "anon -considering identity_merge@2",
                                            "user +big_cart identity_merge@2",
                                        }));
  // What the merged features earn: the whole history's membership, and from there the same
  // changes as further input comes (the orders close the cart and make a repeat customer).
  EXPECT_EQ(m.split->query("user"), m.whole->query("user"));
  const auto later = changes_after(*m.split, "user", kT0 + 2);
  EXPECT_EQ(later, changes_after(*m.whole, "user", kT0 + 2));
  EXPECT_EQ(described(spec, later), (std::vector<std::string>{
                                        "user -considering event@60000",
                                        "user -big_cart event@60000",
                                        "user +repeat event@120000",
                                    }));
  EXPECT_EQ(m.split->query("anon")->at("segments"), boost::json::array());
  EXPECT_EQ(member_count(*m.split, "big_cart"), 0u);
  EXPECT_EQ(member_count(*m.split, "repeat"), 1u);
  EXPECT_EQ(member_count(*m.split, "considering"), 0u);
}

TEST(SegmentsMerge, TheMovedKeyLeavesEverySegmentItWasIn) {
  const TopologySpec spec = merging_topology(merge_segments());
  auto d = InstanceDriver::create(spec);
  d->run({added("anon", kT0, "a", 80), ev("anon", "Order Completed", kT0 + 1).amount(80),
          ev("anon", "Order Completed", kT0 + 2).amount(1), added("anon", kT0 + 3, "b", 60),
          Step::watermark(kT0 + 5)});
  ASSERT_EQ(d->query("anon")->at("segments"), (boost::json::array{"big_cart", "repeat"}));
  const size_t before = d->outputs().size();
  d->move("anon", "user");
  std::vector<Record> moved(d->outputs().begin() + static_cast<ptrdiff_t>(before),
                            d->outputs().end());
  std::erase_if(moved, [](const Record& r) { return !is_segment_change(r); });
  EXPECT_EQ(described(spec, moved), (std::vector<std::string>{
                                        "anon -big_cart identity_merge@5",
                                        "anon -repeat identity_merge@5",
                                        "user +big_cart identity_merge@5",
                                        "user +repeat identity_merge@5",
                                    }))
      << "the user's lifecycle change (none>retention) reaches the segments first, but neither "
         "rule reads the stage: the merge's re-check enters them";
  EXPECT_EQ(d->query("anon")->at("segments"), boost::json::array());
  EXPECT_EQ(d->query("user")->at("segments"), (boost::json::array{"big_cart", "repeat"}));
  EXPECT_EQ(member_count(*d, "big_cart"), 1u);
  EXPECT_EQ(member_count(*d, "repeat"), 1u);
  // The old key starts afresh and nothing more happens to it without input.
  d->watermark(kT0 + 400 * kMillisPerDay);
  for (const Record& r : d->outputs()) {
    if (r.time.value() > kT0 + 5) {
      EXPECT_NE(r.key, "anon") << r.time.value();
    }
  }
  d->run({added("anon", kT0 + 401 * kMillisPerDay, "c", 70)});
  EXPECT_EQ(d->query("anon")->at("segments"), (boost::json::array{"big_cart", "considering"}));
  EXPECT_EQ(d->query("anon")->at("cart").at("units").as_int64(), 1);
}

TEST(SegmentsMerge, MembershipEnteredByAMergeKeepsItsMinimumDwell) {
  const int64_t hour = kMillisPerHour;
  const TopologySpec spec = merging_topology(
      {{{"id", "big_cart"}, {"enter", "cart.value >= 50"}, {"min_dwell_ms", hour}}});
  auto d = InstanceDriver::create(spec);
  // "anon" enters at 0 with its dwell until 1 h; it is moved at 10 min into "user", whose free
  // sample keeps its lifecycle stage as it is, so that the segments' own merge decides.
  d->run({added("anon", kT0, "a", 50), added("user", kT0 + 1, "sample", 0),
          Step::watermark(kT0 + 10 * kMinute)});
  d->move("anon", "user");
  // The merged cart is closed by an order at once, but the user's dwell began with the merge.
  d->run({ev("user", "Order Completed", kT0 + 20 * kMinute).amount(50),
          Step::watermark(kT0 + 10 * kMinute + hour - 1)});
  auto all = d->outputs();
  std::erase_if(all, [](const Record& r) { return !is_segment_change(r); });
  EXPECT_EQ(described(spec, all), (std::vector<std::string>{
                                      "anon +big_cart event@0",
                                      "anon -big_cart identity_merge@600000",
                                      "user +big_cart identity_merge@600000",
                                  }));
  d->watermark(kT0 + 10 * kMinute + hour);
  all = d->outputs();
  std::erase_if(all, [](const Record& r) { return !is_segment_change(r); });
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(described(spec, {all.back()})[0], "user -big_cart dwell_ended@4200000");
  EXPECT_EQ(member_count(*d, "big_cart"), 0u);
}

TEST(SegmentsMerge, RefusesTruncatedOrForeignBytesAndNamesTheOperator) {
  const TopologySpec spec = merging_topology(merge_segments());
  auto d = InstanceDriver::create(spec);
  d->run({added("anon", kT0, "a", 60)});
  DiscardOutput out;
  auto moved = d->instance().move_key_out(hash_key("anon"), EventTime(kT0), out);
  ASSERT_TRUE(moved.has_value());
  StateReader r(*moved);
  ASSERT_EQ(r.get<uint32_t>(), 3u);
  std::vector<std::string> parts;
  for (int i = 0; i < 3; ++i)
    parts.push_back(r.get_string());
  ASSERT_TRUE(r.ok() && r.at_end());
  auto merge_with = [&](std::string_view segments_bytes) {
    StateWriter w;
    w.put<uint32_t>(3);
    w.put_string(parts[0]);
    w.put_string(parts[1]);
    w.put_string(segments_bytes);
    return d->instance().merge_key_in(hash_key("user"), "user", w.bytes(), EventTime(kT0), out);
  };
  for (std::string_view bad : {std::string_view(), std::string_view("\x09", 1)}) {
    const Status s = merge_with(bad);
    EXPECT_EQ(s.code(), Errc::kCorrupt);
    EXPECT_NE(s.message().find("operator 'segments'"), std::string::npos) << s.message();
  }
  EXPECT_TRUE(merge_with(parts[2]).is_ok());
}

}  // namespace
}  // namespace eddy
