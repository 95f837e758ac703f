// Compiled by tests/CMakeLists.txt with clang -Wthread-safety
// -Wthread-safety-beta -Werror, once as is (must compile) and once per
// VAP_TSA_CASE (must fail with the analysis' message). It shows that a
// missing or wrong lock annotation fails the build.
#include "base/mutex.h"

namespace vap {

class Driver {
 public:
  void Good() VAP_EXCLUDES(guests_mu_, mdevs_mu_) {
    MutexLock guests(guests_mu_);
    MutexLock mdevs(mdevs_mu_);
    CountLocked();
  }

#if VAP_TSA_CASE == 1
  // A guarded field written without its lock.
  void Unguarded() { ++mdev_count_; }
#elif VAP_TSA_CASE == 2
  // A helper that touches guarded state without VAP_REQUIRES.
  void MissingRequires() { CountLocked(); }
#elif VAP_TSA_CASE == 3
  // Locks taken against the declared order (mdevs_lock before guests_lock).
  void WrongOrder() VAP_EXCLUDES(guests_mu_, mdevs_mu_) {
    MutexLock mdevs(mdevs_mu_);
    MutexLock guests(guests_mu_);
  }
#elif VAP_TSA_CASE == 4
  // A lock left held at the end of a function.
  void Leak() VAP_EXCLUDES(mdevs_mu_) { mdevs_mu_.Lock(); }
#elif VAP_TSA_CASE == 5
  // Writing under the read side of a semaphore.
  void WriteUnderRead() VAP_EXCLUDES(hook_sem_) {
    ReaderLock r(hook_sem_);
    hook_ = 1;
  }
#endif

 private:
  void CountLocked() VAP_REQUIRES(mdevs_mu_) { ++mdev_count_; }

  RwSemaphore hook_sem_{LockRank::kPqapHook, "pqap_hook_rwsem"};
  int hook_ VAP_GUARDED_BY(hook_sem_) = 0;
  Mutex guests_mu_{LockRank::kGuests, "guests_lock"};
  Mutex mdevs_mu_ VAP_ACQUIRED_AFTER(guests_mu_){LockRank::kMdevs,
                                                 "mdevs_lock"};
  int mdev_count_ VAP_GUARDED_BY(mdevs_mu_) = 0;
};

void Use() {
  Driver d;
  d.Good();
}

}  // namespace vap
