// VfioAp: construction, mdev lifecycle, the shows, linking and
// publication helpers.
#include "driver/vfio_ap.h"

#include <fmt/format.h>

#include <cerrno>

#include "base/check.h"
#include "driver/queue_passable.h"
#include "driver/update_locks.h"
#include "matrix/mask_format.h"

namespace vap::driver {

namespace {

// The vfio core's request period (model time).
constexpr Nanos kRequestPeriod = std::chrono::seconds(10);

}  // namespace

VfioAp::VfioAp(apbus::ApBus& bus, Logger& log, const Clock& clock)
    : bus_(bus), log_(log), clock_(clock) {
  MutexLock lock(mdevs_mu_);
  owner_.assign(size_t{kMaxApId + 1} * (kMaxApId + 1), nullptr);
  // Without QCI the copy stays all zero: every guest is filtered to
  // nothing (vfio_ap_matrix_dev_create() in vfio_ap_drv.c queries QCI only
  // with facility 12).
  info_ = bus_.qci().value_or(ap::QciInfo{});
}

VfioAp::~VfioAp() = default;

// --- Lookups -------------------------------------------------------------

namespace {
// Apqn::qid() of (apid, apqi), from the mask iterators' unsigned ids.
size_t QidOf(unsigned apid, unsigned apqi) { return apid * 256 + apqi; }
}  // namespace

VfioAp::MdevState* VfioAp::FindMdevLocked(const Uuid& uuid) const {
  auto it = by_uuid_.find(uuid);
  return it == by_uuid_.end() ? nullptr : it->second;
}

void VfioAp::OwnLocked(const ApMask& apm, const ApMask& aqm,
                       MdevState* owner) {
  const std::vector<unsigned> apqis = aqm.Ids();
  for (unsigned apid : apm.Ids()) {
    for (unsigned apqi : apqis) owner_[QidOf(apid, apqi)] = owner;
  }
}

// SAFETY (the four ...ForUpdate lookups): mdevs_ membership, an mdev's
// `matrix` and `guest`, and a queue's `mdev` change only with guests_mu_
// and mdevs_mu_ both held (docs/locking.md D2), so guests_mu_ alone is
// enough to read them, which -Wthread-safety cannot express.
VfioAp::MdevState* VfioAp::FindMdevForUpdate(const Uuid& uuid) const
    VAP_NO_THREAD_SAFETY_ANALYSIS {
  guests_mu_.AssertHeld();
  return FindMdevLocked(uuid);
}

VfioAp::MdevState* VfioAp::MdevOfApqnForUpdate(Apqn apqn) const
    VAP_NO_THREAD_SAFETY_ANALYSIS {
  guests_mu_.AssertHeld();
  return owner_[apqn.qid()];
}

VfioAp::Queue* VfioAp::QueueForUpdate(Apqn apqn) const
    VAP_NO_THREAD_SAFETY_ANALYSIS {
  guests_mu_.AssertHeld();
  auto it = queues_.find(apqn.qid());
  return it == queues_.end() ? nullptr : it->second.get();
}

VfioAp::MdevState* VfioAp::MdevOfGuestForUpdate(const kvm::Guest& guest) const
    VAP_NO_THREAD_SAFETY_ANALYSIS {
  guests_mu_.AssertHeld();
  for (const auto& m : mdevs_) {
    if (m->guest == &guest) return m.get();
  }
  return nullptr;
}

// --- Linking -------------------------------------------------------------

void VfioAp::UpdatePassableLocked(const Queue& q) {
  const uint8_t rc = q.reset_status.response_code;
  const bool passable = q.mdev != nullptr && PassableAfterReset(rc);
  blocked_[q.apqn.apqi].Assign(q.apqn.apid, !passable);
}

void VfioAp::LinkLocked(MdevState& m, Queue& q) {
  q.mdev = &m;
  m.qtable[q.apqn.qid()] = &q;  // idempotent
  UpdatePassableLocked(q);
}

void VfioAp::UnlinkLocked(Queue& q) {
  if (q.mdev != nullptr) q.mdev->qtable.erase(q.apqn.qid());
  q.mdev = nullptr;
  UpdatePassableLocked(q);
}

void VfioAp::LinkAdapterLocked(MdevState& m, unsigned apid) {
  for (unsigned apqi : m.matrix.aqm().Ids()) {
    auto it = queues_.find(
        Apqn(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi)).qid());
    if (it != queues_.end()) LinkLocked(m, *it->second);
  }
}

void VfioAp::LinkDomainLocked(MdevState& m, unsigned apqi) {
  for (unsigned apid : m.matrix.apm().Ids()) {
    auto it = queues_.find(
        Apqn(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi)).qid());
    if (it != queues_.end()) LinkLocked(m, *it->second);
  }
}

// --- Publication ---------------------------------------------------------

void VfioAp::UpdateGuestApcbLocked(MdevState& m) {
  if (m.guest == nullptr) return;
  // The update-locks helpers took this guest's kvm->lock (D1).
  m.guest->kvm_mu().AssertHeld();
  const ApMatrix& s = m.shadow_apcb;
  m.guest->SetMasksLocked(s.apm(), s.aqm(), s.adm());
  if (m.cfg_chg_trigger != nullptr) m.cfg_chg_trigger->Signal();
}

std::vector<VfioAp::Queue*> VfioAp::QueuesOfApidsLocked(
    const MdevState& m, const ApMask& apids) const {
  std::vector<Queue*> out;
  apids.ForEach([&](unsigned apid) {
    m.shadow_apcb.aqm().ForEach([&](unsigned apqi) {
      auto it = m.qtable.find(
          Apqn(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi)).qid());
      if (it != m.qtable.end()) out.push_back(it->second);
    });
  });
  return out;
}

void VfioAp::FilterAndPlugLocked(MdevState& m, PlugStep step) {
  MatrixFilterResult r;
  if (step.matrix) r = FilterMatrix(m.matrix, info_, blocked_, &m.shadow_apcb);
  const bool cdoms_changed =
      step.cdoms && FilterControlDomains(m.matrix, info_, &m.shadow_apcb);
  const bool changed = r.changed || cdoms_changed;
  if (changed) UpdateGuestApcbLocked(m);
  // A failed reset keeps its queue unpassable (blocked_); the kernel logs
  // it in the reset itself and goes on, as here.
  if (changed || step.reset_always)
    (void)ResetQueuesLocked(QueuesOfApidsLocked(m, r.filtered));
}

std::vector<VfioAp::Queue*> VfioAp::LinkedQueuesLocked(
    const MdevState& m) const {
  std::vector<Queue*> out;
  for (const auto& [qid, q] : m.qtable) out.push_back(q);
  return out;
}

// --- mdev lifecycle ------------------------------------------------------

unsigned VfioAp::available_instances() const {
  MutexLock lock(mdevs_mu_);
  return available_instances_;
}

Status VfioAp::CreateMdev(const Uuid& uuid) {
  MutexLock guests(guests_mu_);
  MutexLock mdevs(mdevs_mu_);
  if (FindMdevLocked(uuid) != nullptr || retiring_.count(uuid) != 0 ||
      unbound_.count(uuid) != 0) {
    return Status::Error(EEXIST, uuid.ToString() + " exists");
  }
  if (available_instances_ == 0)
    return Status::Error(EUSERS, "no instance left");
  --available_instances_;
  const ApMatrix init = EmptyShadow(info_);
  mdevs_.push_front(std::make_unique<MdevState>(*this, uuid, init));
  MdevState* m = mdevs_.front().get();
  m->seq = next_seq_++;
  by_uuid_[uuid] = m;
  OwnLocked(m->matrix.apm(), m->matrix.aqm(), m);
  for (MdevObserver* o : observers_) o->OnMdevCreated(uuid);
  return Status::Ok();
}

void VfioAp::RequestLocked(MdevState& m) {
  // The vfio core's request callback (vfio_ap_mdev_request()), with the
  // update locks held: the guest loses its AP resources at once.
  if (m.guest != nullptr) {
    m.guest->kvm_mu().AssertHeld();
    m.guest->ClearMasksLocked();
    if (m.cfg_chg_trigger != nullptr) m.cfg_chg_trigger->Signal();
  }
  if (m.req_trigger != nullptr) {
    if (m.requests % 10 == 0) {
      log_.DevLog(
          LogLevel::kNotice, kMdevDriver, m.uuid.ToString(),
          fmt::format("Relaying device request to user (#{})", m.requests));
    }
    m.req_trigger->Signal();
  } else if (m.requests == 0) {
    log_.DevLog(LogLevel::kInfo, kMdevDriver, m.uuid.ToString(),
                "No device request registered, blocked until released by user");
  }
  ++m.requests;
}

Status VfioAp::RemoveMdev(const Uuid& uuid) {
  std::vector<MdevObserver*> observers;
  bool was_bound = true;
  {
    MutexLock guests(guests_mu_);
    MutexLock mdevs(mdevs_mu_);
    if (unbound_.erase(uuid) != 0) {
      // The mdev core's device alone: nothing of the driver's is left.
      was_bound = false;
      retiring_.insert(uuid);
      observers = observers_;
    }
  }
  if (was_bound) {
    VAP_ASSIGN_OR_RETURN(observers, ReleaseFromDriver(uuid, /*keep_device=*/false));
    for (MdevObserver* o : observers) o->OnMdevUnbound(uuid);
  }
  // The observers follow, holding no driver lock; then the UUID is free
  // again.
  for (MdevObserver* o : observers) o->OnMdevRemoved(uuid);
  MutexLock mdevs(mdevs_mu_);
  retiring_.erase(uuid);
  ++available_instances_;  // the mdev core's count, at the device's release
  return Status::Ok();
}

Status VfioAp::UnbindMdev(const Uuid& uuid) {
  VAP_ASSIGN_OR_RETURN(std::vector<MdevObserver*> observers,
                       ReleaseFromDriver(uuid, /*keep_device=*/true));
  for (MdevObserver* o : observers) o->OnMdevUnbound(uuid);
  return Status::Ok();
}

Result<std::vector<MdevObserver*>> VfioAp::ReleaseFromDriver(
    const Uuid& uuid, bool keep_device) {
  // 1. From now on no open starts (the vfio core's unregistration: the
  // device takes no new users); one in progress is waited for below.
  {
    MutexLock lock(mdevs_mu_);
    MdevState* m = FindMdevLocked(uuid);
    if (m == nullptr || m->removing) return NoMdev();
    m->removing = true;
  }
  // 2. While a guest holds the device, relay a device request (under the
  // update locks: the guest loses its AP resources), then wait a period
  // for it to let go, as the vfio core does while unregistering. No
  // driver lock is held while waiting except mdevs_lock inside the wait.
  for (;;) {
    {
      MdevUpdateLocks locks(*this, uuid);
      MdevState* m = locks.mdev();
      VAP_CHECK_MSG(m != nullptr, "an mdev being removed went away");
      if (!HeldLocked(*m)) break;
      if (m->guest != nullptr) RequestLocked(*m);
    }
    MutexLock lock(mdevs_mu_);
    const Nanos deadline = clock_.Now() + kRequestPeriod;
    for (;;) {
      const MdevState* m = FindMdevLocked(uuid);
      if (!HeldLocked(*m) || clock_.Now() >= deadline)
        break;
      (void)clock_.WaitUntil(detached_, mdevs_mu_, deadline);
    }
  }
  // 3. Reset its queues, unlink them and forget the mdev; its UUID stays
  // taken, by the unbound device or until the observers have been told.
  MutexLock guests(guests_mu_);
  MutexLock mdevs(mdevs_mu_);
  ForgetMdevLocked(uuid);
  if (keep_device) {
    unbound_.insert(uuid);
  } else {
    retiring_.insert(uuid);
  }
  return observers_;
}

void VfioAp::ForgetMdevLocked(const Uuid& uuid) {
  MdevState* m = FindMdevLocked(uuid);
  VAP_CHECK_MSG(m != nullptr && !HeldLocked(*m),
                "an mdev being removed was opened");
  const std::vector<Queue*> linked = LinkedQueuesLocked(*m);
  // vfio_ap_mdev_remove() ignores what vfio_ap_mdev_reset_queues()
  // returns: a failed reset has been logged by the reset itself, and the
  // queues are unlinked all the same.
  (void)ResetQueuesLocked(linked);
  for (Queue* q : linked) UnlinkLocked(*q);
  OwnLocked(m->matrix.apm(), m->matrix.aqm(), nullptr);
  by_uuid_.erase(uuid);
  mdevs_.remove_if(
      [m](const std::unique_ptr<MdevState>& p) { return p.get() == m; });
}

std::vector<Uuid> VfioAp::Mdevs() const {
  MutexLock lock(mdevs_mu_);
  std::vector<Uuid> out;
  for (const auto& m : mdevs_) out.push_back(m->uuid);
  return out;
}

std::vector<Uuid> VfioAp::UnboundMdevs() const {
  MutexLock lock(mdevs_mu_);
  return {unbound_.begin(), unbound_.end()};
}

bool VfioAp::IsUnbound(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  return unbound_.count(uuid) != 0;
}

MdevInfo VfioAp::InfoLocked(const MdevState& m) const {
  MdevInfo info;
  info.uuid = m.uuid;
  info.matrix = m.matrix;
  info.shadow_apcb = m.shadow_apcb;
  info.guest = m.guest != nullptr ? m.guest->name() : "";
  for (const auto& [qid, q] : m.qtable) {
    info.linked.push_back(q->apqn);
    info.linked_reset_rc.push_back(q->reset_status.response_code);
  }
  return info;
}

Result<MdevInfo> VfioAp::Mdev(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  return InfoLocked(*m);
}

// --- Shows ---------------------------------------------------------------

Result<std::string> VfioAp::ShowMatrix(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  return FormatMatrix(m->matrix);
}

Result<std::string> VfioAp::ShowGuestMatrix(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  return FormatMatrix(m->shadow_apcb);
}

Result<std::string> VfioAp::ShowControlDomains(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  return FormatControlDomains(m->matrix);
}

Result<std::string> VfioAp::ShowApConfig(const Uuid& uuid) const {
  // The kernel reads without a lock; vap takes mdevs_lock so a concurrent
  // ap_config write is never seen half done (docs/fidelity.md).
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return NoMdev();
  return FormatApConfig(m->matrix);
}

std::string VfioAp::StatusOfLocked(Apqn apqn) const {
  const MdevState* m = owner_[apqn.qid()];
  if (m == nullptr) return "unassigned\n";
  if (m->guest != nullptr && m->shadow_apcb.HasApqn(apqn)) return "in use\n";
  return "assigned\n";
}

Result<std::string> VfioAp::ShowQueueStatus(Apqn apqn) const {
  MutexLock lock(mdevs_mu_);
  if (queues_.count(apqn.qid()) == 0) {
    return Status::Error(ENODEV, "queue is not bound to vfio_ap");
  }
  return StatusOfLocked(apqn);
}

// --- Attach / detach -----------------------------------------------------

Status VfioAp::Attach(const Uuid& uuid, kvm::Guest* guest_or_null) {
  // vfio_ap_mdev_open_device: no KVM, no device.
  if (guest_or_null == nullptr)
    return Status::Error(EINVAL, "no KVM associated with the device");
  kvm::Guest& guest = *guest_or_null;
  kvm::PqapHook* hook;
  {
    MutexLock lock(mdevs_mu_);
    MdevState* m = FindMdevLocked(uuid);
    if (m == nullptr || m->removing) return NoMdev();
    // The device is opened once; a second open_device cannot happen while
    // it is open (the VFIO core counts nested opens of the same user).
    if (m->guest != nullptr)
      return Status::Error(EBUSY, "the device is already open");
    if (!guest.crypto_enabled()) return Status::Ok();  // nothing attached
    // The open's reference: RemoveMdev waits for it, so the hook (part of
    // the mdev) outlives this attach and any guest it is installed in.
    ++m->opening;
    hook = &m->hook;
  }
  const Status attached = AttachHook(uuid, guest, hook);
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  VAP_CHECK_MSG(m != nullptr, "an mdev went away under an open");
  --m->opening;
  detached_.SignalAll();
  return attached;
}

Status VfioAp::AttachHook(const Uuid& uuid, kvm::Guest& guest,
                          kvm::PqapHook* hook) {
  // 1. The hook, under the semaphore's write side, holding nothing else.
  kvm::PqapHook* const old_hook = guest.SetPqapHook(hook);
  {
    GuestUpdateLocks locks(*this, guest);
    MdevState* m = FindMdevLocked(uuid);
    MdevState* other = MdevOfGuestForUpdate(guest);
    if (m != nullptr && other == nullptr) {
      m->guest = &guest;
      m->requests = 0;
      m->mig = std::make_unique<MigrationData>(++next_mig_generation_);
      UpdateGuestApcbLocked(*m);
      return Status::Ok();
    }
  }
  // Refused: put the previous hook back (the 2026 fix; the kernel left the
  // guest's hook pointing at the refused mdev).
  guest.SetPqapHook(old_hook);
  return Status::Error(EPERM, "the guest already has a vfio_ap device");
}

void VfioAp::DetachLocked(MdevState& m) {
  if (m.guest == nullptr) return;
  m.guest->kvm_mu().AssertHeld();
  m.guest->ClearMasksLocked();
  (void)ResetQueuesLocked(LinkedQueuesLocked(m));
  m.mig.reset();  // open files now read and write ENODEV
  m.guest = nullptr;
  detached_.SignalAll();
}

void VfioAp::Detach(const Uuid& uuid) {
  kvm::Guest* guest;
  {
    MutexLock lock(mdevs_mu_);
    MdevState* m = FindMdevLocked(uuid);
    if (m == nullptr || m->guest == nullptr) return;
    guest = m->guest;
  }
  // 1. Remove the hook, holding nothing else (docs/locking.md D3).
  guest->SetPqapHook(nullptr);
  MdevUpdateLocks locks(*this, uuid);
  if (locks.mdev() != nullptr) DetachLocked(*locks.mdev());
}

void VfioAp::AddMdevObserver(MdevObserver& observer) {
  MutexLock lock(mdevs_mu_);
  observers_.push_back(&observer);
}

void VfioAp::RemoveMdevObserver(MdevObserver& observer) {
  MutexLock lock(mdevs_mu_);
  std::erase(observers_, &observer);
}

void VfioAp::MdevChangedLocked(const Uuid& uuid) {
  for (MdevObserver* o : observers_) o->OnMdevChanged(uuid);
}

void VfioAp::set_reset_timeout(Nanos timeout) {
  MutexLock lock(mdevs_mu_);
  reset_timeout_ = timeout;
}

// --- Invariants ----------------------------------------------------------

void VfioAp::CheckInvariants() const {
  MutexLock guests(guests_mu_);
  MutexLock mdevs(mdevs_mu_);
  BlockedTable expected = AllBlocked();
  // Every APQN's owner, worked out afresh: linear in the matrices.
  std::vector<MdevState*> owner(owner_.size(), nullptr);
  for (const auto& m : mdevs_) {
    VAP_CHECK_MSG(by_uuid_.count(m->uuid) == 1 && by_uuid_.at(m->uuid) == m.get(),
                  "the mdev index is out of date");
    m->matrix.apm().ForEach([&](unsigned apid) {
      m->matrix.aqm().ForEach([&](unsigned apqi) {
        MdevState*& o = owner[QidOf(apid, apqi)];
        VAP_CHECK_MSG(o == nullptr, "an APQN is in two mdevs");
        o = m.get();
      });
    });
  }
  VAP_CHECK_MSG(by_uuid_.size() == mdevs_.size(), "the mdev index is out of date");
  VAP_CHECK_MSG(owner == owner_, "the APQN owner table is out of date");
  for (const auto& [qid, q] : queues_) {
    const MdevState* const o = owner[qid];
    VAP_CHECK_MSG(q->mdev == o, "queue linked to the wrong mdev");
    if (o != nullptr) {
      VAP_CHECK_MSG(o->qtable.count(qid) == 1, "queue missing from qtable");
    }
    // I6: interrupt resources only while the queue's mdev has a guest.
    if (q->mdev == nullptr || q->mdev->guest == nullptr) {
      VAP_CHECK_MSG(q->saved_isc == kIscInvalid && q->saved_iova == 0,
                    "a queue without a guest keeps its ISC or NIB");
      VAP_CHECK_MSG(!bus_.firmware().GuestIrqEnabled(q->apqn),
                    "a queue without a guest has interrupts enabled");
    }
    const uint8_t rc = q->reset_status.response_code;
    if (q->mdev != nullptr && PassableAfterReset(rc)) {
      expected[q->apqn.apqi].Clear(q->apqn.apid);
    }
  }
  for (const auto& m : mdevs_) {
    for (const auto& [qid, q] : m->qtable) {
      VAP_CHECK_MSG(q->mdev == m.get(), "qtable holds a queue of another mdev");
    }
    if (m->guest == nullptr) {
      VAP_CHECK_MSG(m->pins.empty(), "an mdev without a guest pins pages");
    } else if (m->guest->format() == kvm::CrycbFormat::kFormat2) {
      // I2: every publication runs under mdevs_lock, held here. Once a
      // device request was relayed the guest's masks were cleared (as the
      // kernel's request callback does); a later hot plug publishes the
      // shadow again.
      const ApMatrix apcb = m->guest->PublishedApcb();
      const bool shadow = apcb.apm() == m->shadow_apcb.apm() &&
                          apcb.aqm() == m->shadow_apcb.aqm() &&
                          apcb.adm() == m->shadow_apcb.adm();
      const bool cleared = apcb.apm().Empty() && apcb.aqm().Empty() &&
                           apcb.adm().Empty();
      VAP_CHECK_MSG(shadow || (m->requests > 0 && cleared),
                    "a guest's APCB is not its mdev's shadow");
    }
  }
  VAP_CHECK_MSG(expected == blocked_, "table of unpassable queues out of date");
}

}  // namespace vap::driver
