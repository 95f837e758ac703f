#include "matrix/ap_matrix.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vap {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ApMatrixTest, MaximaFollowTheQciRule) {
  // vfio_ap_matrix_init(): na/nd with apxa (even 0), else 63/15/15.
  const ApMatrix apxa = ApMatrix::ForQci(true, 255, 255);
  EXPECT_EQ(apxa.apm_max(), 255);
  EXPECT_EQ(apxa.aqm_max(), 255);
  EXPECT_EQ(apxa.adm_max(), 255);
  const ApMatrix legacy = ApMatrix::ForQci(false, 255, 255);
  EXPECT_EQ(legacy.apm_max(), 63);
  EXPECT_EQ(legacy.aqm_max(), 15);
  EXPECT_EQ(legacy.adm_max(), 15);
  // A zero na/nd with apxa is taken literally (unlike the AP bus).
  const ApMatrix zero = ApMatrix::ForQci(true, 0, 0);
  EXPECT_EQ(zero.apm_max(), 0);
  EXPECT_EQ(zero.aqm_max(), 0);
}

TEST(ApMatrixTest, ApqnsIsTheCrossProductWithinMaxima) {
  ApMatrix m(63, 15, 15);
  m.apm() = ApMask::Of({5, 6, 64});
  m.aqm() = ApMask::Of({4, 0xab});
  EXPECT_THAT(m.Apqns(), ElementsAre(Apqn(5, 4), Apqn(6, 4)));
  EXPECT_TRUE(m.HasApqn(Apqn(5, 4)));
  EXPECT_FALSE(m.HasApqn(Apqn(5, 5)));
  EXPECT_TRUE(m.ExceedsMaxima());
  m.apm().Clear(64);
  m.aqm().Clear(0xab);
  EXPECT_FALSE(m.ExceedsMaxima());
}

TEST(ApMatrixTest, EmptyWhenEitherMaskIsEmpty) {
  ApMatrix m;
  m.apm() = ApMask::Of({1});
  EXPECT_THAT(m.Apqns(), IsEmpty());
}

TEST(ApMatrixTest, ControlDomainsAboveMaximumExceed) {
  ApMatrix m(63, 15, 15);
  m.adm().Set(16);
  EXPECT_TRUE(m.ExceedsMaxima());
}

}  // namespace
}  // namespace vap
