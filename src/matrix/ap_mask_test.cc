#include "matrix/ap_mask.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "matrix/mask_format.h"

namespace vap {
namespace {

using ::testing::ElementsAre;

TEST(ApMaskTest, IdZeroIsTheMostSignificantBit) {
  // As the kernel's *_bit_inv() helpers number them: ID 0 is the 0x8 bit
  // of the first hex digit, ID 3 its 0x1 bit, ID 4 the 0x8 bit of the
  // second digit.
  EXPECT_EQ(ApMask::Of({0}).words()[0], 0x8000000000000000ULL);
  EXPECT_EQ(ApMask::Of({3}).words()[0], 0x1000000000000000ULL);
  EXPECT_EQ(ApMask::Of({4}).words()[0], 0x0800000000000000ULL);
  EXPECT_EQ(ApMask::Of({63}).words()[0], 1ULL);
  EXPECT_EQ(ApMask::Of({64}).words()[1], 0x8000000000000000ULL);
  EXPECT_EQ(ApMask::Of({255}).words()[3], 1ULL);
}

TEST(ApMaskTest, SetClearTestCount) {
  ApMask m;
  EXPECT_TRUE(m.Empty());
  m.Set(5);
  m.Set(200);
  EXPECT_TRUE(m.Test(5));
  EXPECT_TRUE(m.Test(200));
  EXPECT_FALSE(m.Test(6));
  EXPECT_EQ(m.Count(), 2u);
  m.Clear(5);
  EXPECT_FALSE(m.Test(5));
  EXPECT_EQ(ApMask::All().Count(), 256u);
  EXPECT_EQ(ApMask::Range(16, 31).Count(), 16u);
}

TEST(ApMaskTest, FindNextWalksAscending) {
  const ApMask m = ApMask::Of({0, 63, 64, 130, 255});
  EXPECT_EQ(m.FindFirst(), 0u);
  EXPECT_EQ(m.FindNext(1), 63u);
  EXPECT_EQ(m.FindNext(64), 64u);
  EXPECT_EQ(m.FindNext(65), 130u);
  EXPECT_EQ(m.FindNext(131), 255u);
  EXPECT_EQ(m.FindNext(256), ApMask::kNone);
  EXPECT_EQ(ApMask().FindFirst(), ApMask::kNone);
  EXPECT_THAT(m.Ids(), ElementsAre(0u, 63u, 64u, 130u, 255u));
  EXPECT_THAT(m.Ids(/*max_id=*/64), ElementsAre(0u, 63u, 64u));
}

TEST(ApMaskTest, LimitedToDropsIdsAboveTheMaximum) {
  const ApMask all = ApMask::All();
  EXPECT_EQ(all.LimitedTo(63), ApMask::Range(0, 63));
  EXPECT_EQ(all.LimitedTo(15), ApMask::Range(0, 15));
  EXPECT_EQ(all.LimitedTo(0), ApMask::Of({0}));
  EXPECT_EQ(all.LimitedTo(64), ApMask::Range(0, 64));
  EXPECT_EQ(all.LimitedTo(254), ApMask::Range(0, 254));
  EXPECT_EQ(all.LimitedTo(255), all);
}

TEST(ApMaskTest, SetOperations) {
  const ApMask a = ApMask::Of({1, 2, 3});
  const ApMask b = ApMask::Of({3, 4});
  EXPECT_EQ(a & b, ApMask::Of({3}));
  EXPECT_EQ(a | b, ApMask::Of({1, 2, 3, 4}));
  EXPECT_EQ(a ^ b, ApMask::Of({1, 2, 4}));
  EXPECT_EQ(a.AndNot(b), ApMask::Of({1, 2}));
  EXPECT_TRUE(a.Intersects(b));
  EXPECT_FALSE(a.Intersects(ApMask::Of({9})));
  EXPECT_EQ((~a).Count(), 253u);
}

TEST(ApMaskTest, QciWordsSplitEachWordHighFirst) {
  const ApMask m = ApMask::Of({0, 31, 32, 255});
  const auto w = m.QciWords();
  EXPECT_EQ(w[0], 0x80000001u);
  EXPECT_EQ(w[1], 0x80000000u);
  EXPECT_EQ(w[7], 0x00000001u);
}

TEST(ApMaskTest, BigEndianBytesRoundTrip) {
  const ApMask m = ApMask::Of({0, 7, 8, 100, 255});
  const auto bytes = m.BigEndianBytes();
  EXPECT_EQ(bytes[0], 0x81);
  EXPECT_EQ(bytes[1], 0x80);
  EXPECT_EQ(bytes[12], 0x08);  // ID 100 = byte 12, bit 0x08 (100 % 8 = 4)
  EXPECT_EQ(bytes[31], 0x01);
  EXPECT_EQ(ApMask::FromBigEndianBytes(bytes), m);
}

TEST(ApMaskTest, SpecExamplesOfSection1_2) {
  EXPECT_EQ(
      FormatMaskHex(ApMask::Of({5, 6})),
      "0x0600000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(
      FormatMaskHex(ApMask::Of({4, 0xab})),
      "0x0800000000000000000000000000000000000000001000000000000000000000");
}

}  // namespace
}  // namespace vap
