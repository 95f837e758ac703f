// The kernel's "update locks" helpers (drivers/s390/crypto/vfio_ap_ops.c,
// Documentation/arch/s390/vfio-ap-locking.rst): guests_lock, then the
// kvm->lock of the guest concerned if there is one, then mdevs_lock,
// released in reverse. One class per shape:
//   MdevUpdateLocks   for an mdev (get_update_locks_for_mdev)
//   GuestUpdateLocks  for a guest (get_update_locks_for_kvm)
//   ApqnUpdateLocks   by APQN: the mdev whose matrix holds it
//   QueueUpdateLocks  for a queue: the mdev it is linked to
// The analysis sees guests_mu_ and mdevs_mu_; the per-guest kvm->lock is
// checked by its rank at run time, and code that publishes to the guest
// asserts it (docs/locking.md D1).
#ifndef VAP_DRIVER_UPDATE_LOCKS_H_
#define VAP_DRIVER_UPDATE_LOCKS_H_

#include "driver/vfio_ap.h"

namespace vap::driver {

// Base: holds guests_mu_ and mdevs_mu_ and, in between, `guest`'s lock.
class VAP_SCOPED_CAPABILITY UpdateLocksBase {
 public:
  UpdateLocksBase(const UpdateLocksBase&) = delete;
  UpdateLocksBase& operator=(const UpdateLocksBase&) = delete;
  ~UpdateLocksBase() VAP_RELEASE();

 protected:
  // Takes guests_mu_ only; the subclass finds the guest, then calls
  // Finish().
  explicit UpdateLocksBase(VfioAp& d) VAP_ACQUIRE(d.guests_mu_, d.mdevs_mu_);
  // Takes `guest`'s kvm->lock (if any), then mdevs_mu_.
  void Finish(kvm::Guest* guest);

  VfioAp& d_;
  kvm::Guest* guest_ = nullptr;
};

class VAP_SCOPED_CAPABILITY MdevUpdateLocks : public UpdateLocksBase {
 public:
  MdevUpdateLocks(VfioAp& d, const Uuid& uuid)
      VAP_ACQUIRE(d.guests_mu_, d.mdevs_mu_);
  ~MdevUpdateLocks() VAP_RELEASE() = default;
  // The mdev, or null if there is none with that UUID.
  VfioAp::MdevState* mdev() const { return mdev_; }

 private:
  VfioAp::MdevState* mdev_;
};

class VAP_SCOPED_CAPABILITY GuestUpdateLocks : public UpdateLocksBase {
 public:
  GuestUpdateLocks(VfioAp& d, kvm::Guest& guest)
      VAP_ACQUIRE(d.guests_mu_, d.mdevs_mu_);
  ~GuestUpdateLocks() VAP_RELEASE() = default;
};

class VAP_SCOPED_CAPABILITY ApqnUpdateLocks : public UpdateLocksBase {
 public:
  ApqnUpdateLocks(VfioAp& d, Apqn apqn) VAP_ACQUIRE(d.guests_mu_, d.mdevs_mu_);
  ~ApqnUpdateLocks() VAP_RELEASE() = default;
  // The first mdev (newest first) whose matrix holds the APQN, or null.
  VfioAp::MdevState* mdev() const { return mdev_; }

 private:
  VfioAp::MdevState* mdev_;
};

class VAP_SCOPED_CAPABILITY QueueUpdateLocks : public UpdateLocksBase {
 public:
  QueueUpdateLocks(VfioAp& d, Apqn apqn) VAP_ACQUIRE(d.guests_mu_, d.mdevs_mu_);
  ~QueueUpdateLocks() VAP_RELEASE() = default;
  // The queue bound to vfio_ap with that APQN, or null.
  VfioAp::Queue* queue() const { return queue_; }

 private:
  VfioAp::Queue* queue_;
};

// Holds `guest`'s kvm->lock for its scope if `guest` is not null: the
// per-mdev step of the host-event callbacks, which already hold
// guests_lock and take mdevs_lock inside (docs/locking.md D1).
class KvmLockIfAttached {
 public:
  explicit KvmLockIfAttached(kvm::Guest* guest);
  ~KvmLockIfAttached();
  KvmLockIfAttached(const KvmLockIfAttached&) = delete;
  KvmLockIfAttached& operator=(const KvmLockIfAttached&) = delete;

 private:
  kvm::Guest* const guest_;
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_UPDATE_LOCKS_H_
