#include "runtime/global_aggregate.h"

#include <gtest/gtest.h>

#include <climits>
#include <memory>

namespace eddy {
namespace {

struct Count final : GlobalAggregate {
  explicit Count(int64_t n) : n(n) {}
  int64_t n;
  void merge(const GlobalAggregate& other) override { n += static_cast<const Count&>(other).n; }
  std::unique_ptr<GlobalAggregate> clone() const override { return std::make_unique<Count>(n); }
};

AggregateParts part(int64_t n) {
  return {std::make_shared<Count>(n)};
}

int64_t merged_count(const AggregateBoard& board, int64_t epoch) {
  const AggregateParts parts = board.merged(epoch);
  return parts.empty() ? INT64_MIN : static_cast<const Count&>(*parts[0]).n;
}

TEST(AggregateBoard, AnEpochIsReadyOnceEveryWorkerHasPublishedIt) {
  AggregateBoard board(2);
  board.publish(0, 1, part(3));
  EXPECT_FALSE(board.ready(1));
  board.publish(1, 1, part(4));
  ASSERT_TRUE(board.ready(1));
  EXPECT_EQ(merged_count(board, 1), 7);
}

// A worker that jumped several epochs contributes one part for the whole range.
TEST(AggregateBoard, AJumpCoversTheEpochsItSkipped) {
  AggregateBoard board(2);
  board.publish(0, 1, part(1));
  board.publish(1, 1, part(2));
  board.publish(0, 2, part(10));
  board.publish(1, 5, part(50));
  ASSERT_TRUE(board.ready(2));
  EXPECT_EQ(merged_count(board, 2), 60);
}

}  // namespace
}  // namespace eddy
