#include "matrix/mask_parse.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "matrix/mask_format.h"

namespace vap {
namespace {

std::string Hex(const Result<ApMask>& r) {
  return r.ok() ? FormatMaskHex(*r) : r.status().ToString();
}

int Errno(const Result<ApMask>& r) {
  return r.ok() ? 0 : r.status().errno_value();
}

constexpr const char* kZero =
    "0x0000000000000000000000000000000000000000000000000000000000000000";

TEST(ParseHexMaskTest, DigitsFillIdsFromZeroLeftAligned) {
  EXPECT_EQ(*ParseHexMask("0x41"), ApMask::Of({1, 7}));
  EXPECT_EQ(*ParseHexMask("41"), ApMask::Of({1, 7}));
  EXPECT_EQ(*ParseHexMask("x41"), ApMask::Of({1, 7}));
  EXPECT_EQ(*ParseHexMask("0x06"), ApMask::Of({5, 6}));
  EXPECT_EQ(*ParseHexMask("6"), ApMask::Of({1, 2}));
  EXPECT_EQ(*ParseHexMask("08"), ApMask::Of({4}));
  EXPECT_EQ(*ParseHexMask("0xAbC\n"), *ParseHexMask("abc"));
}

TEST(ParseHexMaskTest, EmptyAndBarePrefixAreAllZero) {
  EXPECT_EQ(Hex(ParseHexMask("")), kZero);
  EXPECT_EQ(Hex(ParseHexMask("0x")), kZero);
  EXPECT_EQ(Hex(ParseHexMask("x")), kZero);
  EXPECT_EQ(Hex(ParseHexMask("\n")), kZero);
  EXPECT_EQ(Hex(ParseHexMask("0")), kZero);
}

TEST(ParseHexMaskTest, SixtyFourDigitsAtMost) {
  const std::string full(64, 'f');
  EXPECT_EQ(*ParseHexMask(full), ApMask::All());
  EXPECT_EQ(*ParseHexMask("0x" + full + "\n"), ApMask::All());
  EXPECT_EQ(Errno(ParseHexMask(full + "f")), EINVAL);
  EXPECT_EQ(Errno(ParseHexMask("0x" + full + "0")), EINVAL);
}

TEST(ParseHexMaskTest, RejectsEverythingElse) {
  for (const char* bad : {"0X41", "0x41zz", "0x41 ", " 0x41", "0x41\n\n", "xx1",
                          "00x1", "+5", "-5", "0x4,1", "g"}) {
    EXPECT_EQ(Errno(ParseHexMask(bad)), EINVAL) << bad;
  }
}

TEST(ParseApBusMaskTest, RelativeTermsApplyLeftToRight) {
  const ApMask all = ApMask::All();
  EXPECT_EQ(*ParseApBusMask("-5,-6", all), all.AndNot(ApMask::Of({5, 6})));
  EXPECT_EQ(*ParseApBusMask("-0-255,+1-16", all), ApMask::Range(1, 16));
  EXPECT_EQ(*ParseApBusMask("+0-15,-0x80", ApMask()), ApMask::Range(0, 15));
  EXPECT_EQ(*ParseApBusMask("+0x41", ApMask()), ApMask::Of({0x41}));
  EXPECT_EQ(*ParseApBusMask("+5,-5", ApMask()), ApMask());  // last wins
  EXPECT_EQ(*ParseApBusMask("-5,+5", ApMask()), ApMask::Of({5}));
  // Octal and hex numbers, newline and repeated separators.
  EXPECT_EQ(*ParseApBusMask("+010,\n,,+0x10\n", ApMask()), ApMask::Of({8, 16}));
  // IDs not named keep their value.
  EXPECT_EQ(*ParseApBusMask("+3", ApMask::Of({200})), ApMask::Of({3, 200}));
  // Examples from the kernel's comment.
  EXPECT_EQ(*ParseApBusMask("+1,+2,+3,+4,-5,-7-10", ApMask::Range(5, 10)),
            ApMask::Of({1, 2, 3, 4, 6}));
}

TEST(ParseApBusMaskTest, RelativeErrors) {
  const ApMask m = ApMask::Of({9});
  for (const char* bad :
       {"+256", "-256", "+5,6", "+", "+-5", "+5-", "+6-5", "+5-256", "+5 ",
        "+5,x", "+0x", "+08", "+5--6", "+5;+6", "-0xg"}) {
    EXPECT_EQ(Errno(ParseApBusMask(bad, m)), EINVAL) << bad;
  }
}

TEST(ParseApBusMaskTest, RelativeNumbersWrapLikeSimpleStrtoul) {
  // simple_strtoul does not detect overflow: 2^64 + 5 wraps to 5.
  EXPECT_EQ(*ParseApBusMask("+18446744073709551621", ApMask()),
            ApMask::Of({5}));
}

TEST(ParseApBusMaskTest, AbsoluteStartsFromZero) {
  EXPECT_EQ(*ParseApBusMask("0x41", ApMask::All()), ApMask::Of({1, 7}));
  EXPECT_EQ(*ParseApBusMask("", ApMask::All()), ApMask());
  EXPECT_EQ(Errno(ParseApBusMask("0x41zz", ApMask::All())), EINVAL);
}

TEST(ParseApBusMaskTest, StopsAtNul) {
  EXPECT_EQ(*ParseApBusMask(std::string("+5\0+6", 5), ApMask()),
            ApMask::Of({5}));
}

TEST(ParseApConfigTest, ThreeTokensWithCommaOrNewline) {
  const Result<ApConfigMasks> r = ParseApConfig("0x06,0x08,0x\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->apm, ApMask::Of({5, 6}));
  EXPECT_EQ(r->aqm, ApMask::Of({4}));
  EXPECT_EQ(r->adm, ApMask());
  const Result<ApConfigMasks> nl = ParseApConfig("0x80\n0x40\n0x20");
  ASSERT_TRUE(nl.ok());
  EXPECT_EQ(nl->adm, ApMask::Of({2}));
}

TEST(ParseApConfigTest, NeedsTwoSeparators) {
  EXPECT_TRUE(ParseApConfig("0x06,0x08\n").ok());  // third token empty
  EXPECT_TRUE(ParseApConfig("0x06,0x08,").ok());
  EXPECT_TRUE(ParseApConfig(",,").ok());
  EXPECT_FALSE(ParseApConfig("0x06,0x08").ok());
  EXPECT_FALSE(ParseApConfig("0x06").ok());
  EXPECT_FALSE(ParseApConfig("").ok());
}

TEST(ParseApConfigTest, RejectsBadTokens) {
  for (const char* bad :
       {"0X06,0x08,0x\n", "+5,0x08,0x\n", "0x06,zz,0x\n", "0x06,0x08,0x1 \n"}) {
    const Result<ApConfigMasks> r = ParseApConfig(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().errno_value(), EINVAL);
  }
}

TEST(ParseApConfigTest, ReadsOnlyTheFirst201Bytes) {
  const std::string mask = "0x" + std::string(64, 'f');
  const std::string full = mask + "," + mask + "," + mask + "\n";
  ASSERT_EQ(full.size(), 201u);
  // A 202nd byte of junk is never seen.
  const Result<ApConfigMasks> r = ParseApConfig(full + "junk");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->adm, ApMask::All());
  // The 201st byte is still read: a 65th digit there is an error.
  EXPECT_FALSE(ParseApConfig(mask + "," + mask + "," + mask + "f").ok());
}

}  // namespace
}  // namespace vap
