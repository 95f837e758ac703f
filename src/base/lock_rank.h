// Lock ranks and the run-time order checker (a small lockdep).
//
// docs/locking.md L1: a thread may take a lock only if its rank is above
// every rank it already holds. Ranks follow the table of L1, outermost first.
// Locks of equal rank never nest: two guests' kvm->lock, or any two leaf
// locks, are never held together.
//
// The checker keeps a per-thread stack of held locks. It is compiled in
// when VAP_LOCK_RANK_CHECKS is 1 (every build type but Release) and
// aborts with a message naming both locks, before blocking, so an
// inverted order is reported at the first attempt instead of deadlocking
// when the race is lost. The compiler's -Wthread-safety-beta checks the
// order of named member locks; this checks all of them, including the
// per-guest kvm->lock the compiler cannot tell apart.
#ifndef VAP_BASE_LOCK_RANK_H_
#define VAP_BASE_LOCK_RANK_H_

#include <cstdint>

#ifndef VAP_LOCK_RANK_CHECKS
#define VAP_LOCK_RANK_CHECKS 1
#endif

namespace vap {

enum class LockRank : uint8_t {
  kOpenFile = 2,    // an open attribute's of->mutex (kernfs_open_file)
  kQemu = 5,        // a VM's QEMU main-loop lock (the BQL), per VM
  // A guest kernel's AP bus (the same locks as the host's, in the same
  // order, per guest): a vCPU holds them when it issues PQAP, so they
  // come before every host lock a PQAP intercept takes.
  kGuestApScanBus = 6,
  kGuestApAttr = 7,
  kGuestApQueue = 8,
  kGuestApPoll = 9,
  kApScanBus = 10,  // ap_scan_bus_mutex: serializes AP bus scans
  kApAttr = 20,     // ap_attr_mutex (ap_perms_mutex before v6.19)
  kPqapHook = 30,   // kvm->arch.crypto.pqap_hook_rwsem, per guest
  kGuests = 40,     // matrix_dev->guests_lock
  kKvm = 50,        // kvm->lock, per guest
  kMdevs = 60,      // matrix_dev->mdevs_lock
  kApQueue = 65,    // the AP bus's queue state machines (aq->lock)
  kApPoll = 67,     // the AP bus's poll timer (ap_poll_timer_lock)
  kLeaf = 70,       // innermost; no lock is taken while one is held
};

// "kGuests" and so on; "rank(N)" for a value outside the enum.
const char* LockRankName(LockRank rank);

namespace lock_rank_internal {

enum class HoldMode : uint8_t { kExclusive, kShared };

// Records that this thread is about to acquire `lock`; aborts if it holds
// a lock of equal or higher rank. `name` must outlive the hold.
void WillAcquire(const void* lock, LockRank rank, const char* name,
                 HoldMode mode);
// Records an acquisition that needs no order check (a successful try-lock:
// it cannot deadlock).
void DidTryAcquire(const void* lock, LockRank rank, const char* name,
                   HoldMode mode);
// Records the release of `lock`; aborts if this thread does not hold it.
void DidRelease(const void* lock);
// True if this thread holds `lock` (in `mode`, or in any mode if null).
bool IsHeld(const void* lock, const HoldMode* mode);
// Number of locks this thread holds.
int HeldCount();

}  // namespace lock_rank_internal
}  // namespace vap

#endif  // VAP_BASE_LOCK_RANK_H_
