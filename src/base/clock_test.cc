#include "base/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace vap {
namespace {

using std::chrono::milliseconds;

// Sets `done` under `mu` and signals `cv` from another thread.
std::thread SignalLater(Mutex& mu, CondVar& cv, bool& done) {
  return std::thread([&mu, &cv, &done] {
    MutexLock lock(mu);
    done = true;
    cv.SignalAll();
  });
}

TEST(RealClockTest, ScaleSpeedsUpModelTime) {
  RealClock fast(0.001);  // 1 ms of model time takes 1 us
  const Nanos start = fast.Now();
  fast.SleepFor(milliseconds(200));  // about 0.2 ms of real time
  EXPECT_GE(fast.Now() - start, milliseconds(200));
}

TEST(RealClockTest, WaitUntilTimesOut) {
  RealClock clock(0.001);
  Mutex mu(LockRank::kMdevs, "mu");
  CondVar cv;
  MutexLock lock(mu);
  const Nanos deadline = clock.Now() + milliseconds(50);
  while (clock.WaitUntil(cv, mu, deadline)) {
  }
  EXPECT_GE(clock.Now(), deadline);
}

TEST(RealClockTest, WaitUntilForeverWakesOnSignal) {
  RealClock clock(1000.0);  // slow model time: the deadline is far away
  Mutex mu(LockRank::kMdevs, "mu");
  CondVar cv;
  bool done = false;
  std::thread signaller = SignalLater(mu, cv, done);
  {
    MutexLock lock(mu);
    while (!done) (void)clock.WaitUntil(cv, mu, Nanos::max());
  }
  signaller.join();
  EXPECT_TRUE(done);
}

TEST(ManualClockTest, MovesOnlyWhenAdvanced) {
  ManualClock clock;
  EXPECT_EQ(clock.Now(), Nanos(0));
  clock.Advance(milliseconds(20));
  EXPECT_EQ(clock.Now(), milliseconds(20));
  clock.AdvanceTo(milliseconds(10));  // earlier: ignored
  EXPECT_EQ(clock.Now(), milliseconds(20));
}

TEST(ManualClockTest, SleeperWakesWhenTimePassesItsDeadline) {
  ManualClock clock;
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.SleepFor(milliseconds(20));
    woke = true;
  });
  while (clock.sleepers() == 0) std::this_thread::yield();
  clock.Advance(milliseconds(19));
  std::this_thread::sleep_for(milliseconds(5));  // give it a chance to fail
  EXPECT_FALSE(woke.load());
  clock.Advance(milliseconds(1));
  sleeper.join();
  EXPECT_TRUE(woke.load());
}

TEST(ManualClockTest, AutoAdvanceJumpsToTheDeadline) {
  ManualClock clock(/*auto_advance=*/true);
  clock.SleepFor(milliseconds(20));
  EXPECT_EQ(clock.Now(), milliseconds(20));
  Mutex mu(LockRank::kMdevs, "mu");
  CondVar cv;
  MutexLock lock(mu);
  while (clock.WaitUntil(cv, mu, milliseconds(10000))) {
  }
  EXPECT_EQ(clock.Now(), milliseconds(10000));
}

TEST(ManualClockTest, WaitUntilReturnsOnSignal) {
  ManualClock clock;
  Mutex mu(LockRank::kMdevs, "mu");
  CondVar cv;
  bool done = false;
  std::thread signaller = SignalLater(mu, cv, done);
  {
    MutexLock lock(mu);
    while (!done) {
      ASSERT_TRUE(clock.WaitUntil(cv, mu, Nanos::max()) || !done);
    }
  }
  signaller.join();
  EXPECT_EQ(clock.Now(), Nanos(0));
}

}  // namespace
}  // namespace vap
