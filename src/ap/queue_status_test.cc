#include "ap/queue_status.h"

#include <gtest/gtest.h>

namespace vap::ap {
namespace {

TEST(QueueStatusTest, WordLayoutMatchesTheArchitecture) {
  QueueStatus s;
  s.queue_empty = true;
  s.irq_enabled = true;
  s.response_code = kRcDeconfigured;
  EXPECT_EQ(s.Word(), 0x81030000u);
  EXPECT_EQ(QueueStatus::Rc(kRcQueueNotAvailable).Word(), 0x00010000u);
  QueueStatus all;
  all.queue_empty = all.replies_waiting = all.queue_full = all.async =
      all.irq_enabled = true;
  all.response_code = 0xff;
  EXPECT_EQ(all.Word(), 0xe3ff0000u);
}

TEST(QueueStatusTest, RoundTrips) {
  for (uint32_t word : {0x00000000u, 0x81030000u, 0x40050000u, 0x22360000u}) {
    EXPECT_EQ(QueueStatus::FromWord(word).Word(), word);
  }
}

TEST(QueueStatusTest, Names) {
  EXPECT_EQ(ResponseCodeName(kRcResetInProgress), "reset in progress");
  EXPECT_EQ(ResponseCodeName(kRcAssociationFailed), "association failed");
  EXPECT_EQ(ResponseCodeName(0x99), "0x99");
}

}  // namespace
}  // namespace vap::ap
