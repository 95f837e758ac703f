#include "base/rate_limit.h"

#include <gtest/gtest.h>

namespace vap {
namespace {

using std::chrono::milliseconds;

TEST(RateLimitTest, BurstThenSilenceUntilTheIntervalEnds) {
  RateLimit limit(milliseconds(5000), 3);
  EXPECT_TRUE(limit.Allow(milliseconds(0)));
  EXPECT_TRUE(limit.Allow(milliseconds(10)));
  EXPECT_TRUE(limit.Allow(milliseconds(20)));
  EXPECT_FALSE(limit.Allow(milliseconds(30)));
  EXPECT_FALSE(limit.Allow(milliseconds(4999)));
  EXPECT_TRUE(limit.Allow(milliseconds(5000)));
  EXPECT_TRUE(limit.Allow(milliseconds(5001)));
}

}  // namespace
}  // namespace vap
