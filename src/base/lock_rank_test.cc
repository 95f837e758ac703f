#include "base/lock_rank.h"

#include <gtest/gtest.h>

#include "base/mutex.h"

namespace vap {
namespace {

class LockRankDeathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (!VAP_LOCK_RANK_CHECKS) GTEST_SKIP() << "rank checks compiled out";
  }
};

TEST_F(LockRankDeathTest, GuestsLockUnderMdevsLockAborts) {
  Mutex guests(LockRank::kGuests, "guests_lock");
  Mutex mdevs(LockRank::kMdevs, "mdevs_lock");
  EXPECT_DEATH(
      {
        MutexLock hold(mdevs);
        MutexLock bad(guests);
      },
      "lock order violation: acquiring 'guests_lock' \\(kGuests\\) while "
      "holding 'mdevs_lock' \\(kMdevs\\)");
}

TEST_F(LockRankDeathTest, TwoLocksOfEqualRankAbort) {
  // Two guests' kvm->lock are never held together.
  Mutex kvm_a(LockRank::kKvm, "kvm->lock");
  Mutex kvm_b(LockRank::kKvm, "kvm->lock");
  EXPECT_DEATH(
      {
        MutexLock a(kvm_a);
        MutexLock b(kvm_b);
      },
      "lock order violation");
}

// SAFETY: deliberately takes `mu` twice, which the static analysis
// rejects; the point is that the run-time checker rejects it too.
void LockTwice(Mutex& mu) VAP_NO_THREAD_SAFETY_ANALYSIS {
  mu.Lock();
  mu.Lock();
}

TEST_F(LockRankDeathTest, RecursiveAcquireAborts) {
  Mutex mu(LockRank::kMdevs, "mdevs_lock");
  EXPECT_DEATH(LockTwice(mu), "recursive acquire of 'mdevs_lock'");
}

TEST_F(LockRankDeathTest, ReaderUnderGuestsLockAborts) {
  // The PQAP hook semaphore is never taken under the update locks.
  RwSemaphore hook(LockRank::kPqapHook, "pqap_hook_rwsem");
  Mutex guests(LockRank::kGuests, "guests_lock");
  EXPECT_DEATH(
      {
        MutexLock g(guests);
        ReaderLock r(hook);
      },
      "acquiring 'pqap_hook_rwsem' \\(kPqapHook\\) while holding "
      "'guests_lock'");
}

TEST_F(LockRankDeathTest, AssertHeldWithoutTheLockAborts) {
  Mutex mu(LockRank::kMdevs, "mdevs_lock");
  EXPECT_DEATH(mu.AssertHeld(), "lock 'mdevs_lock' is not held");
}

TEST(LockRankTest, DocumentedOrderIsAccepted) {
  Mutex scan(LockRank::kApScanBus, "ap_scan_bus_mutex");
  Mutex attr(LockRank::kApAttr, "ap_attr_mutex");
  Mutex guests(LockRank::kGuests, "guests_lock");
  Mutex kvm(LockRank::kKvm, "kvm->lock");
  Mutex mdevs(LockRank::kMdevs, "mdevs_lock");
  Mutex leaf(LockRank::kLeaf, "leaf");
  {
    MutexLock l1(scan);
    MutexLock l2(attr);
    MutexLock l3(guests);
    MutexLock l4(kvm);
    MutexLock l5(mdevs);
    MutexLock l6(leaf);
    mdevs.AssertHeld();
    if (VAP_LOCK_RANK_CHECKS) {
      EXPECT_EQ(lock_rank_internal::HeldCount(), 6);
    }
  }
  EXPECT_EQ(lock_rank_internal::HeldCount(), 0);
}

TEST(LockRankTest, PqapPathReadSideThenMdevs) {
  RwSemaphore hook(LockRank::kPqapHook, "pqap_hook_rwsem");
  Mutex mdevs(LockRank::kMdevs, "mdevs_lock");
  ReaderLock r(hook);
  MutexLock m(mdevs);
  hook.AssertReaderHeld();
}

TEST(LockRankTest, ReleaseOutOfOrderKeepsTheRest) {
  Mutex a(LockRank::kGuests, "a");
  Mutex b(LockRank::kMdevs, "b");
  a.Lock();
  b.Lock();
  a.Unlock();
  b.AssertHeld();
  b.Unlock();
  EXPECT_EQ(lock_rank_internal::HeldCount(), 0);
}

TEST(LockRankTest, TryLockOutOfOrderIsAllowed) {
  // A try-lock cannot deadlock, so it needs no order check.
  Mutex guests(LockRank::kGuests, "guests_lock");
  Mutex mdevs(LockRank::kMdevs, "mdevs_lock");
  MutexLock m(mdevs);
  if (guests.TryLock()) {
    guests.Unlock();
  } else {
    ADD_FAILURE() << "TryLock of a free mutex failed";
  }
}

TEST(LockRankTest, RankNames) {
  EXPECT_STREQ(LockRankName(LockRank::kPqapHook), "kPqapHook");
  EXPECT_STREQ(LockRankName(LockRank::kLeaf), "kLeaf");
}

}  // namespace
}  // namespace vap
