#include "base/event_fd.h"

#include <gtest/gtest.h>

#include <thread>

namespace vap {
namespace {

TEST(EventFdTest, ReadTakesTheCounterSignalsKeepCounting) {
  EventFd fd;
  EXPECT_EQ(fd.Read(), 0u);
  fd.Signal();
  fd.Signal();
  EXPECT_EQ(fd.Read(), 2u);
  EXPECT_EQ(fd.Read(), 0u);
  fd.Signal();
  EXPECT_EQ(fd.signals(), 3u);
}

TEST(EventFdTest, PollerWakesOnSignalAndOnClose) {
  auto poller = std::make_shared<EventPoller>();
  EventFd fd(poller);
  std::thread t([&] { fd.Signal(); });
  EXPECT_TRUE(poller->Wait());
  t.join();
  EXPECT_EQ(fd.Read(), 1u);
  std::thread closer([&] { poller->Close(); });
  EXPECT_FALSE(poller->Wait());
  closer.join();
  EXPECT_FALSE(poller->Wait());  // stays closed
}

}  // namespace
}  // namespace vap
