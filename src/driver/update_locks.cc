#include "driver/update_locks.h"

namespace vap::driver {

// SAFETY (for the whole file): the constructors acquire guests_mu_, then
// possibly a kvm->lock, then mdevs_mu_ across two functions (the guest is
// found between the two), which -Wthread-safety cannot follow; the class
// annotations state the net effect, and the rank checker verifies the
// order at run time.

UpdateLocksBase::UpdateLocksBase(VfioAp& d) VAP_NO_THREAD_SAFETY_ANALYSIS
    : d_(d) {
  d_.guests_mu_.Lock();
}

void UpdateLocksBase::Finish(kvm::Guest* guest) VAP_NO_THREAD_SAFETY_ANALYSIS {
  guest_ = guest;
  if (guest_ != nullptr) guest_->kvm_mu().Lock();
  d_.mdevs_mu_.Lock();
}

UpdateLocksBase::~UpdateLocksBase() VAP_NO_THREAD_SAFETY_ANALYSIS {
  d_.mdevs_mu_.Unlock();
  if (guest_ != nullptr) guest_->kvm_mu().Unlock();
  d_.guests_mu_.Unlock();
}

MdevUpdateLocks::MdevUpdateLocks(VfioAp& d,
                                 const Uuid& uuid) VAP_NO_THREAD_SAFETY_ANALYSIS
    : UpdateLocksBase(d),
      mdev_(d.FindMdevForUpdate(uuid)) {
  Finish(mdev_ != nullptr ? mdev_->guest : nullptr);
}

GuestUpdateLocks::GuestUpdateLocks(VfioAp& d, kvm::Guest& guest)
    VAP_NO_THREAD_SAFETY_ANALYSIS : UpdateLocksBase(d) {
  Finish(&guest);
}

ApqnUpdateLocks::ApqnUpdateLocks(VfioAp& d,
                                 Apqn apqn) VAP_NO_THREAD_SAFETY_ANALYSIS
    : UpdateLocksBase(d),
      mdev_(d.MdevOfApqnForUpdate(apqn)) {
  Finish(mdev_ != nullptr ? mdev_->guest : nullptr);
}

QueueUpdateLocks::QueueUpdateLocks(VfioAp& d,
                                   Apqn apqn) VAP_NO_THREAD_SAFETY_ANALYSIS
    : UpdateLocksBase(d),
      queue_(d.QueueForUpdate(apqn)) {
  VfioAp::MdevState* m = queue_ != nullptr ? queue_->mdev : nullptr;
  Finish(m != nullptr ? m->guest : nullptr);
}

// SAFETY: a conditional acquisition, which the analysis cannot follow;
// the rank checker orders it (kKvm after kGuests, before kMdevs).
KvmLockIfAttached::KvmLockIfAttached(kvm::Guest* guest)
    VAP_NO_THREAD_SAFETY_ANALYSIS : guest_(guest) {
  if (guest_ != nullptr) guest_->kvm_mu().Lock();
}

KvmLockIfAttached::~KvmLockIfAttached() VAP_NO_THREAD_SAFETY_ANALYSIS {
  if (guest_ != nullptr) guest_->kvm_mu().Unlock();
}

}  // namespace vap::driver
