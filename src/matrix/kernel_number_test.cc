#include "matrix/kernel_number.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <ostream>
#include <string>

namespace vap {
namespace {

struct Case {
  std::string input;
  uint64_t value;  // when errno_value == 0
  int errno_value;
};

// Names the case in test listings by its input, escaped.
void PrintTo(const Case& c, std::ostream* os) {
  *os << '"';
  for (char ch : c.input) {
    if (ch == '\n') {
      *os << "\\n";
    } else if (ch == '\0') {
      *os << "\\0";
    } else {
      *os << ch;
    }
  }
  *os << '"';
}

class KstrtoulTest : public ::testing::TestWithParam<Case> {};

TEST_P(KstrtoulTest, MatchesTheKernel) {
  const Case& c = GetParam();
  const Result<uint64_t> r = ParseKstrtoul(c.input);
  if (c.errno_value == 0) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(*r, c.value);
  } else {
    ASSERT_FALSE(r.ok()) << *r;
    EXPECT_EQ(r.status().errno_value(), c.errno_value);
  }
}

// kstrtoul(buf, 0, ...) on the inputs that matter, as `echo` writes them
// (with '\n'): bases, sign, spaces, junk, overflow, plus the rules around
// them.
INSTANTIATE_TEST_SUITE_P(
    SpecTable, KstrtoulTest,
    ::testing::Values(Case{"5\n", 5, 0}, Case{"0x1f\n", 31, 0},
                      Case{"0X1F\n", 31, 0}, Case{"010\n", 8, 0},
                      Case{"+7\n", 7, 0}, Case{"08\n", 0, EINVAL},
                      Case{"-1\n", 0, EINVAL}, Case{" 5\n", 0, EINVAL},
                      Case{"5 6\n", 0, EINVAL}, Case{"5\n6\n", 0, EINVAL},
                      Case{"99999999999999999999\n", 0, ERANGE}));

INSTANTIATE_TEST_SUITE_P(
    Rules, KstrtoulTest,
    ::testing::Values(Case{"5", 5, 0},           // no newline needed
                      Case{"5\n\n", 0, EINVAL},  // at most one newline
                      Case{"", 0, EINVAL}, Case{"\n", 0, EINVAL},
                      Case{"0x", 0, EINVAL},  // octal 0 followed by 'x'
                      Case{"0x\n", 0, EINVAL}, Case{"0xg", 0, EINVAL},
                      Case{"0", 0, 0}, Case{"00", 0, 0}, Case{"0\n", 0, 0},
                      Case{"12a", 0, EINVAL}, Case{"++7", 0, EINVAL},
                      Case{"+", 0, EINVAL}, Case{"5 ", 0, EINVAL},
                      Case{"0xab", 0xab, 0}, Case{"0xAb\n", 0xab, 0},
                      Case{"256\n", 256, 0}, Case{"0x100", 256, 0},
                      Case{"18446744073709551615", 18446744073709551615ULL, 0},
                      Case{"18446744073709551616", 0, ERANGE},
                      Case{"0xffffffffffffffff", 0xffffffffffffffffULL, 0},
                      Case{"0x10000000000000000", 0, ERANGE},
                      // ERANGE is found before the trailing garbage.
                      Case{"99999999999999999999x", 0, ERANGE},
                      Case{"01777777777777777777777", 0xffffffffffffffffULL, 0},
                      Case{"02000000000000000000000", 0, ERANGE},
                      // The buffer is a C string: it ends at the first NUL.
                      Case{std::string("5\0junk", 6), 5, 0},
                      Case{std::string("\0"
                                       "5",
                                       2),
                           0, EINVAL}));

TEST(SimpleStrtoulTest, ParsesAPrefix) {
  size_t used = 0;
  EXPECT_EQ(SimpleStrtoul("0x47,", &used), 0x47u);
  EXPECT_EQ(used, 4u);
  EXPECT_EQ(SimpleStrtoul("017-", &used), 15u);
  EXPECT_EQ(used, 3u);
  EXPECT_EQ(SimpleStrtoul("0x", &used), 0u);  // octal "0", stops at 'x'
  EXPECT_EQ(used, 1u);
  EXPECT_EQ(SimpleStrtoul("-5", &used), 0u);
  EXPECT_EQ(used, 0u);
  EXPECT_EQ(SimpleStrtoul("", &used), 0u);
  EXPECT_EQ(used, 0u);
}

TEST(SimpleStrtoulTest, WrapsOnOverflowAsTheKernelDoes) {
  size_t used = 0;
  // 2^64 + 5
  EXPECT_EQ(SimpleStrtoul("18446744073709551621", &used), 5u);
  EXPECT_EQ(used, 20u);
}

TEST(KstrtoboolTest, TheFirstCharactersDecide) {
  for (const char* yes : {"y", "Y", "t", "T", "1", "on", "ON", "oN", "yes!",
                          "1\n", "true"})
    EXPECT_TRUE(*ParseKstrtobool(yes)) << yes;
  for (const char* no : {"n", "N", "f", "F", "0", "of", "OFF", "off\n",
                         "no way", "0x1"})
    EXPECT_FALSE(*ParseKstrtobool(no)) << no;
  for (const char* bad : {"", "o", "ox", " 1", "2", "-1", "\n"})
    EXPECT_EQ(ParseKstrtobool(bad).status().errno_value(), EINVAL) << bad;
  EXPECT_EQ(ParseKstrtobool(std::string_view("\0y", 2)).status().errno_value(),
            EINVAL);
}

TEST(ScanfIntTest, DecimalAsVsscanfReadsIt) {
  EXPECT_EQ(*ScanfInt("30\n", 10), 30);
  EXPECT_EQ(*ScanfInt("  \t7 seconds", 10), 7);  // spaces, trailing text
  EXPECT_EQ(*ScanfInt("-12", 10), -12);
  EXPECT_EQ(*ScanfInt("0x10", 10), 0);  // "%d" stops at the 'x'
  EXPECT_EQ(*ScanfInt("4294967301", 10), 5);  // wraps into an int
  for (const char* bad : {"", "+5", "-", "x1", " ", "- 1"})
    EXPECT_EQ(ScanfInt(bad, 10).status().errno_value(), EINVAL) << bad;
}

TEST(ScanfIntTest, BaseZeroDetectsHexAndOctal) {
  EXPECT_EQ(*ScanfInt("0x1f", 0), 31);
  EXPECT_EQ(*ScanfInt("017", 0), 15);
  EXPECT_EQ(*ScanfInt("9", 0), 9);
  EXPECT_EQ(*ScanfInt("-0x10", 0), -16);
  EXPECT_EQ(*ScanfInt("08", 0), 0);  // octal: stops at the 8
  EXPECT_EQ(ScanfInt("+1", 0).status().errno_value(), EINVAL);
}

}  // namespace
}  // namespace vap
