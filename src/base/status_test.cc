#include "base/status.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vap {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.errno_value(), 0);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesErrnoAndMessage) {
  Status s = Status::Error(EADDRINUSE, "queue 05.0004 is assigned to U1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.errno_value(), EADDRINUSE);
  EXPECT_EQ(s.ToString(), "EADDRINUSE: queue 05.0004 is assigned to U1");
}

TEST(StatusTest, ToStringFallsBackToDescription) {
  EXPECT_EQ(Status::Error(ENODEV, "").ToString(), "ENODEV: No such device");
}

TEST(StatusTest, ErrnoNamesAndDescriptionsMatchGlibc) {
  EXPECT_EQ(ErrnoName(EINVAL), "EINVAL");
  EXPECT_EQ(ErrnoName(EADDRNOTAVAIL), "EADDRNOTAVAIL");
  EXPECT_EQ(ErrnoDescription(EADDRNOTAVAIL), "Cannot assign requested address");
  EXPECT_EQ(ErrnoDescription(ERANGE), "Numerical result out of range");
  EXPECT_EQ(ErrnoDescription(EUSERS), "Too many users");
  EXPECT_EQ(ErrnoName(100000), "E100000");
}

TEST(StatusTest, ReturnIfErrorPropagates) {
  auto inner = [](bool fail) {
    return fail ? Status::Error(EIO, "x") : Status::Ok();
  };
  auto outer = [&](bool fail) -> Status {
    VAP_RETURN_IF_ERROR(inner(fail));
    return Status::Error(EAGAIN, "reached");
  };
  EXPECT_EQ(outer(true).errno_value(), EIO);
  EXPECT_EQ(outer(false).errno_value(), EAGAIN);
}

TEST(StatusDeathTest, ErrorNeedsPositiveErrno) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH((void)Status::Error(0, "no"), "positive errno");
}

}  // namespace
}  // namespace vap
