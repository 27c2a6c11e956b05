// Identity resolution through a real engine: the identity stage (IdentityResolver) in front of a
// profile stage whose first operator carries out links (IdentityMerge), with a counter behind it
// standing in for a customer's state.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <random>

#include "operators/identity_resolver.h"
#include "runtime/batch_builder.h"
#include "runtime/engine.h"
#include "runtime/topology_builder.h"
#include "tests/harness/harness.h"
#include "tests/harness/test_operators.h"

namespace eddy {
namespace {

using testing::ev;
using testing::Harness;
using testing::HarnessOptions;
using testing::Step;

TopologySpec topology() {
  auto spec =
      TopologyBuilder("identities", testing::test_registry())
          .accept_types({"Product Viewed", "identify", "Identity Linked", "Customer Erased"})
          .stage("identity", "identifier")
          .op("identity", "identity")
          .key_by("profiles", "customer", customer_key)
          .op("merge", "identity_merge")
          .op("views", "keyed_counter", {{"label", "views"}})
          .build();
  EXPECT_TRUE(spec.is_ok()) << spec.status().to_string();
  return std::move(spec).value();
}

// An anonymous visitor's view, a known user's view, and a call that links the two.
Step anon_view(const std::string& anon, int64_t t) {
  return ev(anon, "Product Viewed", t);
}
Step user_view(const std::string& user, int64_t t) {
  return ev(user, "Product Viewed", t).prop("user_id", user);
}
Step identify(const std::string& anon, const std::string& user, int64_t t) {
  return ev(anon, "identify", t).prop("user_id", user);
}

// Ten users with three anonymous ids each. Every anonymous id views `before` products, is linked
// by an identify, then views `after` more without a user id; every user views twice on its own.
std::vector<Step> script(int before, int after) {
  std::vector<Step> steps;
  int64_t t = 1000;
  for (int u = 0; u < 10; ++u) {
    const std::string user = "u" + std::to_string(u);
    steps.push_back(user_view(user, ++t));
    for (int a = 0; a < 3; ++a) {
      const std::string anon = "a" + std::to_string(u) + "." + std::to_string(a);
      for (int i = 0; i < before; ++i)
        steps.push_back(anon_view(anon, ++t));
      steps.push_back(identify(anon, user, ++t));
      for (int i = 0; i < after; ++i)
        steps.push_back(anon_view(anon, ++t));
    }
    steps.push_back(user_view(user, ++t));
  }
  steps.push_back(Step::watermark(t + 1));
  return steps;
}

int64_t views(Harness& h, const std::string& customer) {
  auto answer = h.query("profiles", customer);
  if (!answer) return -1;
  return answer->at("views").at("count").to_number<int64_t>();
}

std::vector<std::string> linked(Harness& h, const std::string& customer) {
  std::vector<std::string> out;
  auto answer = h.query("profiles", customer);
  if (!answer) return out;
  for (const auto& id : answer->at("identities").at("linked").as_array())
    out.emplace_back(id.as_string());
  std::sort(out.begin(), out.end());
  return out;
}

std::unique_ptr<Harness> run(const std::vector<Step>& steps, HarnessOptions options) {
  auto h = Harness::create(topology(), options);
  EXPECT_TRUE(h.is_ok()) << h.status().to_string();
  const Status s = (*h)->run(steps);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return std::move(h).value();
}

TEST(Identity, AnAnonymousHistoryMovesIntoTheUserItIsLinkedTo) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const HarnessOptions options = HarnessOptions::random(seed);
    SCOPED_TRACE(options.describe());
    auto h = run(script(/*before=*/2, /*after=*/1), options);
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      // Two views of its own, and per anonymous id two views before, the identify, one after.
      EXPECT_EQ(views(*h, user), 2 + 3 * 4) << user;
      EXPECT_EQ(linked(*h, user), (std::vector<std::string>{"a" + std::to_string(u) + ".0",
                                                            "a" + std::to_string(u) + ".1",
                                                            "a" + std::to_string(u) + ".2"}));
      EXPECT_EQ(views(*h, "a" + std::to_string(u) + ".0"), -1) << "moved and forgotten";
    }
    EXPECT_TRUE(h->side_output("*").empty());
  }
}

TEST(Identity, EventsBeforeOrAfterTheLinkGiveTheSameProfile) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const HarnessOptions options = HarnessOptions::random(seed);
    SCOPED_TRACE(options.describe());
    auto before = run(script(3, 0), options);
    auto after = run(script(0, 3), options);
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      EXPECT_EQ(views(*before, user), views(*after, user)) << user;
      EXPECT_EQ(views(*before, user), 2 + 3 * 4) << user;
      EXPECT_EQ(linked(*before, user), linked(*after, user)) << user;
    }
  }
}

TEST(Identity, LinkingTwiceChangesNothing) {
  auto h = run({anon_view("a", 1), identify("a", "u", 2), identify("a", "u", 3), anon_view("a", 4),
                Step::watermark(5)},
               {});
  EXPECT_EQ(views(*h, "u"), 4);
  EXPECT_EQ(linked(*h, "u"), std::vector<std::string>{"a"});
}

TEST(Identity, TheFirstLinkWinsAndAConflictIsCountedNotMerged) {
  auto h = run({anon_view("a", 1), identify("a", "u1", 2), identify("a", "u2", 3),
                anon_view("a", 4), Step::watermark(5)},
               HarnessOptions::random(3));
  EXPECT_EQ(views(*h, "u1"), 3) << "a's view before, the first identify and a's view after";
  EXPECT_EQ(views(*h, "u2"), 1) << "the conflicting identify counts for its own user only";
  EXPECT_TRUE(linked(*h, "u2").empty());
  EXPECT_EQ(h->side_output("*").size(), 1u);
  auto identity = h->query("identity", "a");
  ASSERT_TRUE(identity.is_ok());
  EXPECT_EQ(identity->at("identity").at("customer").as_string(), "u1");
  EXPECT_EQ(identity->at("identity").at("conflicts").to_number<int64_t>(), 1);
}

TEST(Identity, TwoKnownUsersAreNeverMerged) {
  auto h = run(
      {user_view("u1", 1), identify("u1", "u2", 2), user_view("u2", 3), Step::watermark(4)}, {});
  EXPECT_EQ(views(*h, "u1"), 1);
  EXPECT_EQ(views(*h, "u2"), 2);
  EXPECT_EQ(h->side_output("*").size(), 1u);
}

// --- Through snapshots: merges in flight at the cut are in both halves or in neither. ---

struct Collector {
  std::mutex mu;
  std::vector<Engine::KeyGroupState> groups;
  std::promise<void> done;
};

void submit(Engine& e, const std::vector<Step>& steps) {
  BatchBuilder b;
  for (const Step& step : steps) {
    if (step.kind == Step::Kind::kEvent)
      testing::add_test_event(b, step.event, e.topology().types());
  }
  const EventBatch batch = b.finish();
  for (int attempt = 0; attempt < 1'000'000; ++attempt) {
    const Status s = e.source().submit(batch).status;
    if (s.code() != Errc::kBusy) {
      ASSERT_TRUE(s.is_ok()) << s.to_string();
      return;
    }
    std::this_thread::yield();
  }
  FAIL() << "the engine stayed busy";
}

std::unique_ptr<Engine> start(uint32_t workers) {
  EngineOptions o;
  o.settings.workers = workers;
  o.settings.key_groups = 16;
  o.settings.inbox_capacity_events = 64;
  o.settings.exchange_batch_events = 4;
  o.settings.time_mode = TimeMode::kManual;
  o.run_ticker = false;
  auto engine = Engine::create(topology(), std::move(o));
  EXPECT_TRUE(engine.is_ok()) << engine.status().to_string();
  EXPECT_TRUE((*engine)->start().is_ok());
  return std::move(engine).value();
}

int64_t views(Engine& e, const std::string& customer) {
  auto answer = e.query_key_sync(StageId(1), customer);
  if (!answer) return -1;
  return answer->at("views").at("count").to_number<int64_t>();
}

TEST(Identity, MergesInFlightAtASnapshotAreRestoredAsIfNeverStopped) {
  for (uint32_t workers : {2u, 3u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    const std::vector<Step> first = script(2, 0);
    const std::vector<Step> second = script(0, 2);  // links again (no-ops) and views after
    // Second-half links that move: anonymous ids of their own that are new after the cut.
    std::vector<Step> more;
    for (int u = 0; u < 10; ++u) {
      const std::string anon = "late" + std::to_string(u);
      more.push_back(anon_view(anon, 5000 + u));
      more.push_back(identify(anon, "u" + std::to_string(u), 5100 + u));
      more.push_back(anon_view(anon, 5200 + u));
    }

    auto live = start(workers);
    submit(*live, first);
    Collector snap;
    ASSERT_TRUE(live->snapshot_key_groups(
                        [&](Engine::KeyGroupState g) {
                          std::lock_guard lock(snap.mu);
                          snap.groups.push_back(std::move(g));
                        },
                        [&](std::chrono::microseconds) { snap.done.set_value(); })
                    .is_ok());
    for (int round = 0; round < 5; ++round) {
      submit(*live, second);
      submit(*live, more);
    }
    ASSERT_TRUE(live->sync().is_ok());
    snap.done.get_future().wait();

    // The snapshot holds exactly the first half, every merge of it complete.
    auto restored = start(workers == 2 ? 3 : 2);
    ASSERT_TRUE(restored->restore_key_groups(snap.groups).is_ok());
    auto reference = start(workers);
    submit(*reference, first);
    ASSERT_TRUE(reference->sync().is_ok());
    ASSERT_TRUE(restored->sync().is_ok());
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      EXPECT_EQ(views(*restored, user), views(*reference, user)) << "in the snapshot: " << user;
      EXPECT_EQ(views(*restored, user), 11) << "in the snapshot: " << user;
      EXPECT_EQ(views(*restored, "a" + std::to_string(u) + ".0"), -1) << "moved before the cut";
    }

    for (int round = 0; round < 5; ++round) {
      submit(*restored, second);
      submit(*restored, more);
    }
    ASSERT_TRUE(restored->sync().is_ok());
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      EXPECT_EQ(views(*restored, user), views(*live, user)) << user;
      // 2 + 3 x (2 views + identify) before the cut; per round 2 + 3 x (identify + 2 views) and
      // the late id's 2 views and identify.
      EXPECT_EQ(views(*live, user), 11 + 5 * (2 + 9 + 3)) << user;
    }
  }
}

// What DELETE /v1/customers/{id} sends: one erasure per identifier of the customer.
std::vector<Step> erase_user(int u, int64_t t) {
  const std::string user = "u" + std::to_string(u);
  std::vector<Step> steps{ev(user, "Customer Erased", t)};
  for (int a = 0; a < 3; ++a)
    steps.push_back(ev("a" + std::to_string(u) + "." + std::to_string(a), "Customer Erased", t));
  return steps;
}

bool holds_text(const std::vector<Engine::KeyGroupState>& groups, const std::string& text) {
  for (const auto& g : groups) {
    if (g.bytes.find(text) != std::string::npos) return true;
  }
  return false;
}

std::vector<Engine::KeyGroupState> snapshot_of(Engine& e) {
  Collector snap;
  EXPECT_TRUE(e.snapshot_key_groups(
                   [&](Engine::KeyGroupState g) {
                     std::lock_guard lock(snap.mu);
                     snap.groups.push_back(std::move(g));
                   },
                   [&](std::chrono::microseconds) { snap.done.set_value(); })
                  .is_ok());
  snap.done.get_future().wait();
  return std::move(snap.groups);
}

std::vector<std::string> find_keys(Harness& h, const std::string& customer, size_t limit) {
  std::promise<std::vector<std::string>> found;
  const Status s = h.engine().find_keys(
      StageId(0), customer, limit,
      [&found](std::vector<std::string> keys) { found.set_value(std::move(keys)); });
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  if (!s) return {};
  std::vector<std::string> keys = found.get_future().get();
  std::sort(keys.begin(), keys.end());
  return keys;
}

// What an erasure relies on for links beyond the profile's list: a search of every worker's
// identity stage finds every identifier linked to the customer, and only those.
TEST(IdentityErasure, ASearchFindsEveryIdentifierLinkedToACustomer) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    const HarnessOptions options = HarnessOptions::random(seed);
    SCOPED_TRACE(options.describe());
    std::vector<Step> steps = script(/*before=*/1, /*after=*/0);
    std::vector<std::string> many;
    for (int a = 0; a < 150; ++a) {
      many.push_back("b" + std::to_string(a));
      steps.push_back(anon_view(many.back(), 2000 + a));
      steps.push_back(identify(many.back(), "u3", 2200 + a));
    }
    steps.push_back(Step::watermark(3000));
    auto h = run(steps, options);
    std::vector<std::string> expected = {"a3.0", "a3.1", "a3.2"};
    expected.insert(expected.end(), many.begin(), many.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(find_keys(*h, "u3", 1000), expected);
    EXPECT_EQ(find_keys(*h, "u4", 1000), (std::vector<std::string>{"a4.0", "a4.1", "a4.2"}));
    EXPECT_EQ(find_keys(*h, "u3", 10).size(), 10u) << "at most the limit";
    EXPECT_TRUE(find_keys(*h, "nobody", 1000).empty());
    // The profile lists 100 of them and counts the rest.
    auto profile = h->query("profiles", "u3");
    ASSERT_TRUE(profile.is_ok());
    EXPECT_EQ(profile->at("identities").at("unlisted").to_number<int64_t>(), 53);
  }
}

TEST(IdentityErasure, ForgetsTheCustomerAndEveryLinkedIdOnEveryWorkerAndLeavesOthersAlone) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    const HarnessOptions options = HarnessOptions::random(seed);
    SCOPED_TRACE(options.describe());
    std::vector<Step> steps = script(/*before=*/2, /*after=*/1);
    // Erased right behind the links, so that with small batches merges are still on their way.
    for (int u = 0; u < 5; ++u) {
      for (Step& e : erase_user(u, 900 + u))
        steps.push_back(std::move(e));
    }
    steps.push_back(Step::watermark(1000));
    auto h = run(steps, options);
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      SCOPED_TRACE(user);
      const bool erased = u < 5;
      EXPECT_EQ(views(*h, user), erased ? -1 : 14);
      for (int a = 0; a < 3; ++a) {
        const std::string anon = "a" + std::to_string(u) + "." + std::to_string(a);
        EXPECT_EQ(h->query("identity", anon).is_ok(), !erased) << anon;
        EXPECT_EQ(views(*h, anon), -1) << anon;
      }
      EXPECT_EQ(h->query("identity", user).is_ok(), !erased);
    }
    EXPECT_TRUE(h->side_output("*").empty());
  }
}

TEST(IdentityErasure, NoSnapshotHoldsAnErasedIdAndANewEventStartsAfresh) {
  for (uint32_t workers : {1u, 3u}) {
    SCOPED_TRACE("workers " + std::to_string(workers));
    auto e = start(workers);
    submit(*e, script(2, 1));
    std::vector<Step> erase;
    for (int u = 0; u < 5; ++u) {
      for (Step& s : erase_user(u, 900 + u))
        erase.push_back(std::move(s));
    }
    submit(*e, erase);
    ASSERT_TRUE(e->sync().is_ok());
    const auto groups = snapshot_of(*e);
    for (int u = 0; u < 10; ++u) {
      const std::string user = "u" + std::to_string(u);
      EXPECT_EQ(holds_text(groups, user), u >= 5) << user;
      EXPECT_EQ(holds_text(groups, "a" + std::to_string(u) + ".1"), u >= 5) << user;
    }

    // Restored elsewhere, the erased customers stay gone; one who comes back starts from nothing.
    auto restored = start(workers == 1 ? 2 : 1);
    ASSERT_TRUE(restored->restore_key_groups(groups).is_ok());
    EXPECT_EQ(views(*restored, "u0"), -1);
    EXPECT_EQ(views(*restored, "u7"), 14);
    submit(*restored, {user_view("u0", 2000), anon_view("a0.1", 2001)});
    ASSERT_TRUE(restored->sync().is_ok());
    EXPECT_EQ(views(*restored, "u0"), 1) << "a new customer of the same id";
    EXPECT_EQ(views(*restored, "a0.1"), 1) << "no longer linked to u0";
  }
}

}  // namespace
}  // namespace eddy
