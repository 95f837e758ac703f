#include "matrix/mask_format.h"

#include <gtest/gtest.h>

#include <string>

namespace vap {
namespace {

TEST(FormatTest, ApBusMaskIs67Bytes) {
  const std::string s = FormatApBusMask(ApMask::All());
  EXPECT_EQ(s, "0x" + std::string(64, 'f') + "\n");
  EXPECT_EQ(s.size(), 67u);
}

TEST(FormatTest, MatrixFormsByWhatIsSet) {
  ApMatrix m;
  EXPECT_EQ(FormatMatrix(m), "");
  m.apm() = ApMask::Of({5, 6});
  EXPECT_EQ(FormatMatrix(m), "05.\n06.\n");
  m.apm() = ApMask();
  m.aqm() = ApMask::Of({4});
  EXPECT_EQ(FormatMatrix(m), ".0004\n");
  m.apm() = ApMask::Of({5, 6});
  m.aqm() = ApMask::Of({4, 0xab});
  EXPECT_EQ(FormatMatrix(m), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
}

TEST(FormatTest, MatrixHidesIdsAboveTheMaxima) {
  ApMatrix m(63, 15, 15);
  m.apm() = ApMask::Of({5, 64});
  m.aqm() = ApMask::Of({16});
  // APQI 16 is above aqm_max: only the adapter-only form remains.
  EXPECT_EQ(FormatMatrix(m), "05.\n");
}

TEST(FormatTest, MatrixIsCutAtOnePage) {
  ApMatrix m;
  m.apm() = ApMask::All();
  m.aqm() = ApMask::All();
  const std::string s = FormatMatrix(m);
  ASSERT_EQ(s.size(), 4095u);
  // 511 full lines, then the 512th cut to 7 bytes: 01.00ff.
  EXPECT_EQ(s.substr(511 * 8 - 8, 8), "01.00fe\n");
  EXPECT_EQ(s.substr(511 * 8), "01.00ff");
}

TEST(FormatTest, ControlDomains) {
  ApMatrix m(63, 15, 15);
  EXPECT_EQ(FormatControlDomains(m), "");
  m.adm() = ApMask::Of({0xab, 1, 16});
  EXPECT_EQ(FormatControlDomains(m), "0001\n");  // 16 and 0xab above adm_max
  ApMatrix wide;
  wide.adm() = ApMask::Of({0xab, 0x10});
  EXPECT_EQ(FormatControlDomains(wide), "0010\n00ab\n");
}

TEST(FormatTest, ApConfigIsAlways201Bytes) {
  ApMatrix m;
  const std::string zero = "0x" + std::string(64, '0');
  EXPECT_EQ(FormatApConfig(m), zero + "," + zero + "," + zero + "\n");
  m.apm() = ApMask::All();
  EXPECT_EQ(FormatApConfig(m).size(), 201u);
}

}  // namespace
}  // namespace vap
