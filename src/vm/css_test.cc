#include "vm/css.h"

#include <gtest/gtest.h>

namespace vap::vm {
namespace {

TEST(ChannelSubsystemTest, NoEventAnswers0005) {
  ChannelSubsystem css;
  EXPECT_FALSE(css.StoreCrw().has_value());
  EXPECT_EQ(css.StoreEventInformation().response_code, 0x0005);
}

TEST(ChannelSubsystemTest, OneCrwUntilSeiIsDrainedThenNt0Blocks) {
  ChannelSubsystem css;
  css.ApConfigChanged();
  css.ApConfigChanged();  // SEI pending: no second CRW
  const std::optional<Crw> crw = css.StoreCrw();
  ASSERT_TRUE(crw.has_value());
  EXPECT_EQ(crw->rsc(), 0xb);
  EXPECT_EQ(crw->erc(), 0x0);
  EXPECT_FALSE(css.StoreCrw().has_value());

  SeiResponse r = css.StoreEventInformation();
  EXPECT_EQ(r.response_code, 0x0001);
  // length 12, code 1, nt 0, flags 0x80 (more), rs 5, cc 3.
  const std::array<uint8_t, 12> first{0, 12, 0, 1, 0, 0, 0, 0, 0x80, 0, 5, 3};
  EXPECT_EQ(r.nt0, first);
  r = css.StoreEventInformation();
  EXPECT_EQ(r.response_code, 0x0001);
  EXPECT_FALSE(r.more_pending());
  EXPECT_FALSE(css.sei_pending());
  EXPECT_EQ(css.StoreEventInformation().response_code, 0x0005);
  // Drained: the next change queues a CRW again.
  css.ApConfigChanged();
  EXPECT_TRUE(css.StoreCrw().has_value());
}

TEST(ChannelSubsystemTest, EventsAreBounded) {
  ChannelSubsystem css;
  for (size_t i = 0; i < ChannelSubsystem::kMaxEvents + 10; ++i)
    css.ApConfigChanged();
  EXPECT_EQ(css.pending_events(), ChannelSubsystem::kMaxEvents);
}

}  // namespace
}  // namespace vap::vm
