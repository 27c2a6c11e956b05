#include "runtime/inbox.h"

#include <gtest/gtest.h>

#include <thread>

#include "runtime/batch_builder.h"

namespace eddy {
namespace {

Message batch_of(size_t n) {
  BatchBuilder b;
  EventDraft d;
  d.key = "k";
  for (size_t i = 0; i < n; ++i) {
    d.time = EventTime(static_cast<int64_t>(i));
    b.add(d);
  }
  Message m;
  m.batch = b.finish();
  return m;
}

TEST(Inbox, ReservesUpToItsCapacityThenSaysBusy) {
  Inbox inbox(1, 100);
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 60));
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 40));
  EXPECT_FALSE(inbox.try_reserve(StageId(0), 1));
  inbox.release(StageId(0), 40);
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 40));
}

TEST(Inbox, LetsAnOversizedBatchIntoAnEmptyQueue) {
  Inbox inbox(1, 10);
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 50));
  EXPECT_FALSE(inbox.try_reserve(StageId(0), 1));
}

TEST(Inbox, TheBudgetIsFreedWhenABatchIsHandledNotWhenPopped) {
  Inbox inbox(2, 10);
  ASSERT_TRUE(inbox.try_reserve(StageId(1), 10, 0));
  inbox.push(StageId(1), batch_of(10));
  EXPECT_FALSE(inbox.try_reserve(StageId(1), 1, 0));
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 10)) << "stages have separate budgets";
  Message out[4];
  ASSERT_EQ(inbox.pop(StageId(1), out, 4), 1u);
  EXPECT_EQ(inbox.queued_events(StageId(1)), 10) << "a popped batch still holds its room";
  EXPECT_FALSE(inbox.try_reserve(StageId(1), 1, 0));
  inbox.release(StageId(1), 10, 0);  // what the worker does once it has handled the batch
  EXPECT_EQ(inbox.queued_events(StageId(1)), 0);
  EXPECT_TRUE(inbox.try_reserve(StageId(1), 10, 0));
}

TEST(Inbox, EachWorkerHasItsOwnShareOfALaterStage) {
  Inbox inbox(2, 100, /*senders=*/4);
  EXPECT_TRUE(inbox.try_reserve(StageId(1), 25, 0));
  EXPECT_FALSE(inbox.try_reserve(StageId(1), 1, 0)) << "worker 0 used its share";
  EXPECT_TRUE(inbox.try_reserve(StageId(1), 25, 3)) << "worker 3 still has its own";
  EXPECT_TRUE(inbox.try_reserve(StageId(0), 100)) << "the source has the whole first stage";
  EXPECT_EQ(inbox.queued_events(StageId(1)), 50);
  inbox.release(StageId(1), 25, 0);
  EXPECT_TRUE(inbox.try_reserve(StageId(1), 25, 0));
}

TEST(Inbox, BatchesCrossThreadsIntactAndInOrder) {
  Inbox inbox(1, 1 << 20);
  constexpr int kBatches = 2000;
  std::thread producer([&] {
    for (int i = 0; i < kBatches; ++i) {
      Message m = batch_of(1 + i % 17);
      m.barrier = static_cast<uint64_t>(i);  // sequence number
      while (!inbox.try_reserve(StageId(0), static_cast<int64_t>(m.batch.size())))
        std::this_thread::yield();
      inbox.push(StageId(0), std::move(m));
    }
  });
  int next = 0;
  Message out[16];
  while (next < kBatches) {
    const size_t n = inbox.pop(StageId(0), out, 16);
    if (n == 0) {
      inbox.wait(1000);
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(out[i].barrier, static_cast<uint64_t>(next));
      ASSERT_EQ(out[i].batch.size(), static_cast<size_t>(1 + next % 17));
      for (size_t e = 0; e < out[i].batch.size(); ++e) {
        EventRef ref(out[i].batch.events[e], *out[i].batch.payload);
        ASSERT_EQ(ref.time(), EventTime(static_cast<int64_t>(e)));
        ASSERT_EQ(ref.key(), "k");
      }
      ++next;
    }
  }
  producer.join();
}

}  // namespace
}  // namespace eddy
