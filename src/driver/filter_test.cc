#include "driver/filter.h"

#include <gtest/gtest.h>

namespace vap::driver {
namespace {

ap::QciInfo Host() {
  ap::QciInfo info;
  info.apxa = true;
  info.na = info.nd = 255;
  info.apm = ApMask::Of({5, 6});
  info.aqm = ApMask::Of({4, 0x47, 0xab});
  info.adm = ApMask::Of({4, 0xab});
  return info;
}

ApMatrix Matrix(std::initializer_list<unsigned> apm,
                std::initializer_list<unsigned> aqm) {
  ApMatrix m;
  m.apm() = ApMask::Of(apm);
  m.aqm() = ApMask::Of(aqm);
  return m;
}

BlockedTable AllPassable() { return BlockedTable{}; }

TEST(FilterTest, CutsToTheHostConfiguration) {
  ApMatrix shadow = EmptyShadow(Host());
  const MatrixFilterResult r = FilterMatrix(Matrix({5, 6, 7}, {4, 0x10}),
                                            Host(), AllPassable(), &shadow);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(shadow.apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(shadow.aqm(), ApMask::Of({4}));
  EXPECT_TRUE(r.filtered.Empty());
}

TEST(FilterTest, OneUnpassableQueueDropsTheWholeAdapter) {
  BlockedTable blocked = AllPassable();
  blocked[0xab].Set(5);
  ApMatrix shadow = EmptyShadow(Host());
  shadow.apm() = ApMask::Of({5, 6});  // the guest had both
  shadow.aqm() = ApMask::Of({4, 0xab});
  const MatrixFilterResult r =
      FilterMatrix(Matrix({5, 6}, {4, 0xab}), Host(), blocked, &shadow);
  EXPECT_TRUE(r.changed);
  EXPECT_EQ(shadow.apm(), ApMask::Of({6}));
  EXPECT_EQ(shadow.aqm(), ApMask::Of({4, 0xab}));  // domains stay
  EXPECT_EQ(r.filtered, ApMask::Of({5}));
}

TEST(FilterTest, DomainsNotInTheHostDoNotDropAdapters) {
  BlockedTable blocked = AllBlocked();
  blocked[4].Clear(5);  // 05.0004 passable; 05.0010 does not exist:
                        // domain 0x10 is not configured
  ApMatrix shadow = EmptyShadow(Host());
  FilterMatrix(Matrix({5}, {4, 0x10}), Host(), blocked, &shadow);
  EXPECT_EQ(shadow.apm(), ApMask::Of({5}));
}

TEST(FilterTest, AllAdaptersDroppedLeavesDomains) {
  ApMatrix shadow = EmptyShadow(Host());
  FilterMatrix(Matrix({5}, {4}), Host(), AllBlocked(), &shadow);
  EXPECT_TRUE(shadow.apm().Empty());
  EXPECT_EQ(shadow.aqm(), ApMask::Of({4}));
}

TEST(FilterTest, UnchangedAndControlDomains) {
  ApMatrix m = Matrix({5}, {4});
  m.adm() = ApMask::Of({4, 0x10, 0xab});
  ApMatrix shadow = EmptyShadow(Host());
  EXPECT_TRUE(FilterMatrix(m, Host(), AllPassable(), &shadow).changed);
  EXPECT_FALSE(FilterMatrix(m, Host(), AllPassable(), &shadow).changed);
  EXPECT_TRUE(FilterControlDomains(m, Host(), &shadow));
  EXPECT_EQ(shadow.adm(), ApMask::Of({4, 0xab}));
  EXPECT_FALSE(FilterControlDomains(m, Host(), &shadow));
  // The matrix filter keeps ADM; maxima come from the host.
  FilterMatrix(m, Host(), AllPassable(), &shadow);
  EXPECT_EQ(shadow.adm(), ApMask::Of({4, 0xab}));
  ap::QciInfo legacy = Host();
  legacy.apxa = false;
  FilterMatrix(m, legacy, AllPassable(), &shadow);
  EXPECT_EQ(shadow.apm_max(), 63);
  EXPECT_EQ(shadow.aqm_max(), 15);
}

}  // namespace
}  // namespace vap::driver
