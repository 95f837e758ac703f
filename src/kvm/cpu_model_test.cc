#include "kvm/cpu_model.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace vap::kvm {
namespace {

TEST(CpuModelTest, ParsesQemusFeatureSyntax) {
  EXPECT_EQ(*ParseCpuModel(""), CpuModel{});
  const CpuModel m = *ParseCpuModel("ap=on,apqci=on,apft=off,apqi=off");
  EXPECT_TRUE(m.ap);
  EXPECT_TRUE(m.apqci);
  EXPECT_FALSE(m.apft);
  EXPECT_FALSE(m.apqi);
  EXPECT_EQ(FormatCpuModel(m), "ap=on,apqci=on,apft=off,apqi=off");
  EXPECT_FALSE(ParseCpuModel("apqi=off,apqi=on")->apqi == false);  // last wins
  GuestOptions o;
  ApplyCpuModel(*ParseCpuModel("ap=off"), &o);
  EXPECT_FALSE(o.apie);
  EXPECT_TRUE(o.facility65);
}

TEST(CpuModelTest, BadItemsAreEinval) {
  for (const char* bad : {"ap", "ap=yes", "msa=on", "ap=on,", ",ap=on",
                          "ap=on,,apqi=on", "AP=on", "ap=on apqi=on"}) {
    const Result<CpuModel> r = ParseCpuModel(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().errno_value(), EINVAL) << bad;
  }
}

}  // namespace
}  // namespace vap::kvm
