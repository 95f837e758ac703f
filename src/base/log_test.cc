#include "base/log.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace vap {
namespace {

using std::chrono::milliseconds;

TEST(LoggerTest, DevLogUsesTheKernelPrefix) {
  ManualClock clock;
  Logger log(clock);
  log.DevLog(LogLevel::kWarning, "vfio_ap_mdev",
             "62177883-f1bb-47f0-914d-32a22e3a8804",
             "Can not reserve queue 07.0004 for host driver: in use by mdev");
  EXPECT_EQ(log.LastText(),
            "vfio_ap_mdev 62177883-f1bb-47f0-914d-32a22e3a8804: Can not "
            "reserve queue 07.0004 for host driver: in use by mdev");
  ASSERT_EQ(log.Read().size(), 1u);
  EXPECT_EQ(log.Read()[0].level, LogLevel::kWarning);
}

TEST(LoggerTest, RingIsBoundedAndSeqKeepsCounting) {
  ManualClock clock;
  Logger log(clock, /*capacity=*/3);
  for (int i = 1; i <= 5; ++i) log.Log(LogLevel::kInfo, std::to_string(i));
  const std::vector<LogLine> lines = log.Read();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].text, "3");
  EXPECT_EQ(lines[0].seq, 3u);
  EXPECT_EQ(lines[2].text, "5");
  EXPECT_EQ(log.last_seq(), 5u);
  ASSERT_EQ(log.Read(/*after_seq=*/4).size(), 1u);
  EXPECT_EQ(log.Read(4)[0].text, "5");
}

TEST(LoggerTest, StampsModelTime) {
  ManualClock clock;
  Logger log(clock);
  clock.Advance(milliseconds(1500));
  log.Log(LogLevel::kInfo, "x");
  EXPECT_EQ(log.Read()[0].time, milliseconds(1500));
  EXPECT_EQ(DmesgTimestamp(milliseconds(1500)), "[    1.500000] ");
}

TEST(LoggerTest, EchoesToStderrInDmesgFormat) {
  ManualClock clock;
  Logger log(clock);
  log.EchoToStderr(true, LogLevel::kWarning);
  testing::internal::CaptureStderr();
  log.Log(LogLevel::kWarning, "shown");
  log.Log(LogLevel::kDebug, "hidden");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "[    0.000000] shown\n");
}

TEST(LoggerTest, ConcurrentLoggingKeepsEveryLine) {
  ManualClock clock;
  Logger log(clock, 100000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) log.Log(LogLevel::kInfo, "x");
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(log.Read().size(), 4000u);
  EXPECT_EQ(log.last_seq(), 4000u);
}

}  // namespace
}  // namespace vap
