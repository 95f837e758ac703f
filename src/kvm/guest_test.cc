#include "kvm/guest.h"

#include <gtest/gtest.h>

namespace vap::kvm {
namespace {

TEST(GuestTest, FormatFollowsFacility76AndApxa) {
  EXPECT_EQ(Guest({"a", true, true, true}).format(), CrycbFormat::kFormat2);
  EXPECT_EQ(Guest({"b", false, true, true}).format(), CrycbFormat::kFormat1);
  EXPECT_EQ(Guest({"c", true, false, true}).format(), CrycbFormat::kFormat0);
}

TEST(GuestTest, Format2WritesApcb1BigEndian) {
  Guest g({"g"});
  {
    MutexLock lock(g.kvm_mu());
    g.SetMasksLocked(ApMask::Of({0, 7, 8, 64}), ApMask::Of({4, 0xab}),
                     ApMask::Of({0xab}));
  }
  const auto crycb = g.CrycbBytes();
  // Mask bit n is bit 0x80 >> (n % 8) of byte n / 8: APIDs {0, 7, 8, 64}
  // -> 81 80 00 00 00 00 00 00 80.
  EXPECT_EQ(crycb[0x80], 0x81);
  EXPECT_EQ(crycb[0x81], 0x80);
  EXPECT_EQ(crycb[0x88], 0x80);
  EXPECT_EQ(crycb[0xa0], 0x08);             // APQI 4
  EXPECT_EQ(crycb[0xa0 + 0xab / 8], 0x10);  // APQI 0xab
  EXPECT_EQ(crycb[0x00], 0x00);             // APCB0 untouched
  EXPECT_EQ(g.Apcb().apm(), ApMask::Of({0, 7, 8, 64}));
  EXPECT_EQ(g.Apcb().adm(), ApMask::Of({0xab}));
  EXPECT_EQ(g.publications(), 1u);
}

TEST(GuestTest, Format1TruncatesToApcb0) {
  Guest g({"g", false});
  {
    MutexLock lock(g.kvm_mu());
    g.SetMasksLocked(ApMask::Of({5, 64}), ApMask::Of({4, 16}),
                     ApMask::Of({15, 0xab}));
  }
  const ApMatrix apcb = g.Apcb();
  EXPECT_EQ(apcb.apm(), ApMask::Of({5}));
  EXPECT_EQ(apcb.aqm(), ApMask::Of({4}));
  EXPECT_EQ(apcb.adm(), ApMask::Of({15}));
  EXPECT_EQ(g.CrycbBytes()[0x00], 0x04);
  {
    MutexLock lock(g.kvm_mu());
    g.ClearMasksLocked();
  }
  EXPECT_EQ(g.Apcb().apm(), ApMask());
  EXPECT_EQ(g.publications(), 2u);
}

}  // namespace
}  // namespace vap::kvm
