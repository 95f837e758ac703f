#include "base/uevent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <string>
#include <thread>

namespace vap {
namespace {

using ::testing::ElementsAre;
using namespace std::chrono_literals;

TEST(UeventTest, KernelOrderAndNetlinkForm) {
  UeventHub hub;
  auto sub = hub.Subscribe();
  ASSERT_TRUE(
      hub.Send("change", "/devices/ap", "ap", {"INITSCAN=done"}).ok());
  const std::optional<Uevent> e = sub->Next(1s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->seqnum(), 1u);
  EXPECT_EQ(e->action(), "change");
  EXPECT_EQ(e->devpath(), "/devices/ap");
  EXPECT_EQ(e->Get("INITSCAN"), "done");
  EXPECT_EQ(e->Get("INIT"), "");
  EXPECT_THAT(e->Env(),
              ElementsAre("ACTION=change", "DEVPATH=/devices/ap",
                          "SUBSYSTEM=ap", "INITSCAN=done", "SEQNUM=1"));
  EXPECT_EQ(e->netlink_message(),
            std::string("change@/devices/ap\0ACTION=change\0DEVPATH=/devices/"
                        "ap\0SUBSYSTEM=ap\0INITSCAN=done\0SEQNUM=1\0",
                        89));
}

TEST(UeventTest, SeqnumsAreSharedAndUsedEvenWithoutSubscribers) {
  UeventHub hub;
  ASSERT_TRUE(hub.Send("add", "/devices/ap/card05", "ap", {}).ok());
  auto sub = hub.Subscribe();
  ASSERT_TRUE(hub.Send("bind", "/devices/ap/card05", "ap", {}).ok());
  EXPECT_EQ(sub->Next(1s)->seqnum(), 2u);
  EXPECT_EQ(hub.seqnum(), 2u);
  EXPECT_FALSE(sub->Next(1ms).has_value());
}

TEST(UeventTest, OverTheKernelsLimitsIsEnomemAndUsesNoNumber) {
  UeventHub hub;
  std::vector<std::string> many(61, "K=v");
  EXPECT_EQ(hub.Send("add", "/x", "y", many).errno_value(), ENOMEM);
  EXPECT_EQ(hub.Send("add", "/x", "y", {"K=" + std::string(2048, 'v')})
                .errno_value(),
            ENOMEM);
  EXPECT_EQ(hub.seqnum(), 0u);
  many.resize(59);
  EXPECT_TRUE(hub.Send("add", "/x", "y", many).ok());
}

// A subscriber that does not read loses what does not fit, counted; the
// sender and the other subscribers go on.
TEST(UeventTest, ASlowSubscriberLosesEventsAndNobodyWaits) {
  UeventHub hub;
  auto slow = hub.Subscribe(/*queue_bytes=*/300);
  auto fast = hub.Subscribe();
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(hub.Send("change", "/devices/ap", "ap", {"N=1"}).ok());
  EXPECT_GT(slow->dropped(), 90u);
  EXPECT_EQ(fast->dropped(), 0u);
  uint64_t expect = 1;
  while (std::optional<Uevent> e = fast->Next(1ms)) EXPECT_EQ(e->seqnum(), expect++);
  EXPECT_EQ(expect, 101u);
  // Read, it receives again.
  while (slow->Next(1ms)) {
  }
  ASSERT_TRUE(hub.Send("change", "/devices/ap", "ap", {}).ok());
  EXPECT_EQ(slow->Next(1s)->seqnum(), 101u);
}

TEST(UeventTest, CloseEndsAWaitingReader) {
  UeventHub hub;
  auto sub = hub.Subscribe();
  std::thread closer([&] {
    std::this_thread::sleep_for(20ms);
    sub->Close();
  });
  EXPECT_FALSE(sub->Next(10s).has_value());
  closer.join();
}

}  // namespace
}  // namespace vap

namespace vap {
namespace {

TEST(UeventHubUnheardTest, NumbersWhatNobodyHearsAndLetsSubscribersHearTheRest) {
  UeventHub hub;
  EXPECT_TRUE(hub.NumberIfUnheard());
  EXPECT_EQ(hub.seqnum(), 1u);
  std::unique_ptr<UeventHub::Subscription> sub = hub.Subscribe();
  EXPECT_FALSE(hub.NumberIfUnheard());  // someone listens: build and send
  EXPECT_EQ(hub.seqnum(), 1u);
  ASSERT_TRUE(hub.Send("add", "/devices/x", "ap", {}).ok());
  EXPECT_EQ(sub->Next(std::chrono::milliseconds(1))->seqnum(), 2u);
  sub.reset();
  EXPECT_TRUE(hub.NumberIfUnheard());
  EXPECT_EQ(hub.seqnum(), 3u);
}

}  // namespace
}  // namespace vap
