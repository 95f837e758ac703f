// The parser- and printer-level content of the example sessions
// (docs/sysfs-abi.md, "Example sessions"), byte for byte and errno for errno.
// The host and driver state around these sessions is tested where it lives
// (src/apbus, src/driver); here are the exact values that the example
// sessions write and read.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "matrix/ap_matrix.h"
#include "matrix/kernel_number.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"
#include "matrix/uuid.h"

namespace vap {
namespace {

const std::string kAllOnes =
    "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n";
const std::string kZero =
    "0x0000000000000000000000000000000000000000000000000000000000000000";

// 10.1: reserve queues for vfio_ap.
TEST(SpecSection10, ReserveQueuesMaskWrites) {
  const ApMask apmask0 = ApMask::All();
  EXPECT_EQ(FormatApBusMask(apmask0), kAllOnes);
  const Result<ApMask> apmask = ParseApBusMask("-5,-6\n", apmask0);
  ASSERT_TRUE(apmask.ok());
  EXPECT_EQ(
      FormatApBusMask(*apmask),
      "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  const Result<ApMask> aqmask =
      ParseApBusMask("-4,-0x47,-0xab,-0xff\n", ApMask::All());
  ASSERT_TRUE(aqmask.ok());
  EXPECT_EQ(
      FormatApBusMask(*aqmask),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
  const Result<ApMask> zz = ParseApBusMask("0x41zz\n", *apmask);
  ASSERT_FALSE(zz.ok());
  EXPECT_EQ(zz.status().errno_value(), EINVAL);
  const Result<ApMask> big = ParseApBusMask("+256\n", *apmask);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().errno_value(), EINVAL);
}

// 10.2: create an mdev.
TEST(SpecSection10, CreateInput) {
  const Result<Uuid> u1 =
      Uuid::ParseCreateInput("62177883-f1bb-47f0-914d-32a22e3a8804\n");
  ASSERT_TRUE(u1.ok());
  const Result<Uuid> bad = Uuid::ParseCreateInput("not-a-uuid\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().errno_value(), EINVAL);
  // A new mdev prints nothing for matrix / guest_matrix and zeros for
  // ap_config.
  const ApMatrix fresh = ApMatrix::ForQci(true, 255, 255);
  EXPECT_EQ(FormatMatrix(fresh), "");
  EXPECT_EQ(FormatApConfig(fresh), kZero + "," + kZero + "," + kZero + "\n");
}

// 10.3: assign and read back.
TEST(SpecSection10, AssignAndReadBack) {
  ApMatrix m = ApMatrix::ForQci(true, 255, 255);
  m.apm().Set(static_cast<unsigned>(*ParseKstrtoul("5\n")));
  EXPECT_EQ(FormatMatrix(m), "05.\n");
  m.apm().Set(static_cast<unsigned>(*ParseKstrtoul("6\n")));
  m.aqm().Set(static_cast<unsigned>(*ParseKstrtoul("4\n")));
  m.aqm().Set(static_cast<unsigned>(*ParseKstrtoul("0xab\n")));
  m.adm().Set(static_cast<unsigned>(*ParseKstrtoul("0xab\n")));
  EXPECT_EQ(FormatMatrix(m), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
  EXPECT_EQ(FormatControlDomains(m), "00ab\n");
  EXPECT_EQ(
      FormatApConfig(m),
      "0x0600000000000000000000000000000000000000000000000000000000000000,"
      "0x0800000000000000000000000000000000000000001000000000000000000000,"
      "0x0000000000000000000000000000000000000000001000000000000000000000\n");
  ApMatrix domain_only;
  domain_only.aqm().Set(4);
  EXPECT_EQ(FormatMatrix(domain_only), ".0004\n");
}

// 10.4: parse and range errors. The range check (ENODEV) compares the
// parsed value with the mdev's maximum, so the parser must yield it.
TEST(SpecSection10, ParseAndRangeErrors) {
  const ApMatrix m = ApMatrix::ForQci(true, 255, 255);
  EXPECT_GT(*ParseKstrtoul("256\n"), m.apm_max());  // ENODEV
  EXPECT_EQ(ParseKstrtoul("foo\n").status().errno_value(), EINVAL);
  EXPECT_EQ(ParseKstrtoul("08\n").status().errno_value(), EINVAL);
  EXPECT_EQ(ParseKstrtoul("99999999999999999999\n").status().errno_value(),
            ERANGE);
  EXPECT_GT(*ParseKstrtoul("0x100\n"), m.adm_max());  // ENODEV
  const ApMatrix legacy = ApMatrix::ForQci(false, 255, 255);
  EXPECT_GT(*ParseKstrtoul("64\n"), legacy.apm_max());
  EXPECT_GT(*ParseKstrtoul("16\n"), legacy.aqm_max());
}

// 10.5: U2's guest_matrix when adapter 7 is not in the host configuration.
TEST(SpecSection10, GuestMatrixOfDomainsOnly) {
  ApMatrix shadow;
  shadow.aqm().Set(4);
  EXPECT_EQ(FormatMatrix(shadow), ".0004\n");
  ApMatrix u2;
  u2.adm().Set(0x10);
  EXPECT_EQ(FormatControlDomains(u2), "0010\n");
}

// 10.6: apmask/aqmask values around the refused write.
TEST(SpecSection10, MaskValuesAroundRefusedWrite) {
  const ApMask apmask = *ParseApBusMask("-5,-6", ApMask::All());
  const Result<ApMask> plus5 = ParseApBusMask("+5\n", apmask);
  ASSERT_TRUE(plus5.ok());
  EXPECT_EQ(
      FormatApBusMask(*plus5),
      "0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  const ApMask aqmask = *ParseApBusMask("-4,-0x47,-0xab,-0xff", ApMask::All());
  const Result<ApMask> plus4 = ParseApBusMask("+4\n", aqmask);
  ASSERT_TRUE(plus4.ok());
  // Newly reserved: exactly domain 4.
  EXPECT_EQ(plus4->AndNot(aqmask), ApMask::Of({4}));
}

// 10.8: ap_config writes.
TEST(SpecSection10, ApConfigWrites) {
  const Result<ApConfigMasks> a = ParseApConfig("0x06,0x08,0x\n");
  ASSERT_TRUE(a.ok());
  ApMatrix m;
  m.apm() = a->apm;
  m.aqm() = a->aqm;
  m.adm() = a->adm;
  EXPECT_EQ(
      FormatApConfig(m),
      "0x0600000000000000000000000000000000000000000000000000000000000000,"
      "0x0800000000000000000000000000000000000000000000000000000000000000,"
      "0x0000000000000000000000000000000000000000000000000000000000000000\n");

  const Result<ApConfigMasks> b = ParseApConfig("6,08,0\n");
  ASSERT_TRUE(b.ok());
  m.apm() = b->apm;
  m.aqm() = b->aqm;
  m.adm() = b->adm;
  EXPECT_EQ(FormatMatrix(m), "01.0004\n02.0004\n");

  EXPECT_TRUE(ParseApConfig("0x06,0x08\n").ok());
  EXPECT_EQ(ParseApConfig("0x06,0x08").status().errno_value(), EINVAL);
  EXPECT_EQ(ParseApConfig("0X06,0x08,0x\n").status().errno_value(), EINVAL);
  EXPECT_EQ(ParseApConfig("+5,0x08,0x\n").status().errno_value(), EINVAL);
  EXPECT_TRUE(ParseApConfig("0x06,0x08,0x,garbage\n").ok());
  const Result<ApConfigMasks> c = ParseApConfig("0x01,0x08,0x\n");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->apm, ApMask::Of({7}));  // (7,4): U2's queue -> EADDRINUSE
}

}  // namespace
}  // namespace vap
