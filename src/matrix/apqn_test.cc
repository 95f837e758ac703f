#include "matrix/apqn.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vap {
namespace {

TEST(ApqnTest, EncodesApidHighApqiLow) {
  const Apqn q(0x05, 0xab);
  EXPECT_EQ(q.qid(), 0x05ab);
  EXPECT_EQ(Apqn::FromQid(0x0a04), Apqn(0x0a, 0x04));
}

TEST(ApqnTest, PrintsAsSysfsDoes) {
  EXPECT_EQ(Apqn(0x05, 0x04).ToString(), "05.0004");
  EXPECT_EQ(Apqn(0x0a, 0xab).ToString(), "0a.00ab");
  EXPECT_EQ(CardName(0x05), "card05");
}

TEST(ApqnTest, ParsesWhatItPrints) {
  EXPECT_EQ(*Apqn::Parse("05.0004"), Apqn(5, 4));
  EXPECT_EQ(*Apqn::Parse("FF.00AB"), Apqn(0xff, 0xab));
  for (const char* bad :
       {"5.0004", "05.004", "05.0100", "05-0004", "zz.0004", "05.0004\n", ""}) {
    const Result<Apqn> r = Apqn::Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().errno_value(), EINVAL);
  }
}

TEST(ApqnTest, OrdersByApidThenApqi) {
  EXPECT_LT(Apqn(1, 0xff), Apqn(2, 0));
  EXPECT_LT(Apqn(2, 1), Apqn(2, 2));
}

}  // namespace
}  // namespace vap
