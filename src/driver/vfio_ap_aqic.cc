// VfioAp: PQAP(AQIC), the guest's interrupt control for a queue
// (handle_pqap(), vfio_ap_irq_enable() and vfio_ap_irq_disable() in
// drivers/s390/crypto/vfio_ap_ops.c), and the release of a queue's
// interrupt resources. With quirk 2 of docs/fidelity.md fixed: a failed
// enable releases the page and ISC it took (the kernel leaked them).
#include <fmt/format.h>

#include "driver/vfio_ap.h"

namespace vap::driver {

namespace {

constexpr Nanos kAqicRetryInterval = std::chrono::milliseconds(20);
constexpr int kAqicDisableAttempts = 6;
constexpr int kIrqOffChecks = 5;
constexpr uint64_t kPageMask = ~uint64_t{0xfff};

}  // namespace

bool VfioAp::HandleAqic(const Uuid& uuid, kvm::Guest& guest,
                        kvm::PqapRegs* regs) {
  if (!guest.aiv()) return false;  // no GISA: not supported
  MutexLock lock(mdevs_mu_);
  ap::QueueStatus status = ap::QueueStatus::Rc(ap::kRcQueueNotAvailable);
  MdevState* m = FindMdevLocked(uuid);
  const Apqn apqn = Apqn::FromQid(static_cast<uint16_t>(regs->gr0));
  if (m != nullptr && m->guest == &guest) {
    // The queue table, not the shadow, decides, as in the kernel's
    // handle_pqap() (docs/fidelity.md quirk 9).
    auto it = m->qtable.find(apqn.qid());
    if (it != m->qtable.end()) {
      Queue& q = *it->second;
      if ((regs->gr1 & kvm::kAqicIrBit) != 0) {
        status = AqicEnableLocked(*m, q, static_cast<uint8_t>(regs->gr1 & 7),
                                  regs->gr2);
      } else {
        status = AqicDisableLocked(q);
      }
    }
  }
  regs->gr1 = status.Word();  // zero-extended: the guest's input is gone
  return true;
}

ap::QueueStatus VfioAp::AqicEnableLocked(MdevState& m, Queue& q, uint8_t isc,
                                         uint64_t nib) {
  kvm::Guest& guest = *m.guest;
  // 1-2. The NIB must be backed by guest memory; pin its page.
  if (nib == 0 || !guest.InMemory(nib))
    return ap::QueueStatus::Rc(ap::kRcInvalidAddress);
  ++m.pins[nib & kPageMask];
  // 5. Register the guest ISC with the GISA.
  Result<uint8_t> nisc = guest.RegisterIsc(isc);
  if (!nisc.ok()) {
    Unpin(m, nib);
    return ap::QueueStatus::Rc(ap::kRcInvalidAddress);
  }
  // 7. The host's AQIC.
  const ap::QueueStatus s = bus_.firmware().AqicEnable(
      q.apqn, *nisc, nib, ap::GisaTarget{guest.gisa(), isc});
  if (s.response_code == ap::kRcNormal) {
    ReleaseIrqLocked(q);  // the previous registration, if any
    q.saved_iova = nib;
    q.saved_isc = isc;
    return s;
  }
  // Not enabled: give back what this attempt took.
  guest.UnregisterIsc(isc);
  Unpin(m, nib);
  if (s.response_code != ap::kRcOtherwiseChanged) (void)AqicDisableLocked(q);
  return s;
}

ap::QueueStatus VfioAp::AqicDisableLocked(Queue& q) {
  ap::QueueStatus s;
  for (int attempt = 1; attempt <= kAqicDisableAttempts; ++attempt) {
    s = bus_.firmware().AqicDisable(q.apqn);
    const uint8_t rc = s.response_code;
    if (rc == ap::kRcNormal || rc == ap::kRcOtherwiseChanged) {
      WaitIrqOffLocked(q);
      break;
    }
    if (rc != ap::kRcResetInProgress && rc != ap::kRcBusy) break;
    if (attempt < kAqicDisableAttempts) clock_.SleepFor(kAqicRetryInterval);
  }
  ReleaseIrqLocked(q);
  return s;
}

void VfioAp::WaitIrqOffLocked(const Queue& q) {
  for (int check = 0; check < kIrqOffChecks; ++check) {
    const ap::QueueStatus s = bus_.firmware().Tapq(q.apqn).status;
    const uint8_t rc = s.response_code;
    const bool settled_rc = rc == ap::kRcNormal || rc == ap::kRcResetInProgress;
    if (settled_rc && !s.irq_enabled) return;
    if (!settled_rc && rc != ap::kRcBusy) return;
    clock_.SleepFor(kAqicRetryInterval);
  }
}

void VfioAp::Unpin(MdevState& m, uint64_t address) {
  auto it = m.pins.find(address & kPageMask);
  if (it == m.pins.end()) return;
  if (--it->second == 0) m.pins.erase(it);
}

void VfioAp::ReleaseIrqLocked(Queue& q) {
  MdevState* m = q.mdev;
  if (q.saved_isc != kIscInvalid && m != nullptr && m->guest != nullptr) {
    m->guest->UnregisterIsc(q.saved_isc);
    q.saved_isc = kIscInvalid;
  }
  if (q.saved_iova != 0 && m != nullptr) {
    Unpin(*m, q.saved_iova);
    q.saved_iova = 0;
  }
}

void VfioAp::DropIrqLocked(Queue& q) {
  if (q.saved_isc != kIscInvalid || q.saved_iova != 0)
    (void)AqicDisableLocked(q);
}

std::map<uint64_t, int> VfioAp::PinnedPages(const Uuid& uuid) const {
  MutexLock lock(mdevs_mu_);
  const MdevState* m = FindMdevLocked(uuid);
  return m != nullptr ? m->pins : std::map<uint64_t, int>{};
}

std::optional<std::pair<uint64_t, uint8_t>> VfioAp::QueueIrq(Apqn apqn) const {
  MutexLock lock(mdevs_mu_);
  auto it = queues_.find(apqn.qid());
  if (it == queues_.end()) return std::nullopt;
  return std::make_pair(it->second->saved_iova, it->second->saved_isc);
}

void VfioAp::DmaUnmap(const Uuid& uuid, uint64_t iova, uint64_t length) {
  MutexLock lock(mdevs_mu_);
  MdevState* m = FindMdevLocked(uuid);
  if (m == nullptr) return;
  for (const auto& [qid, q] : m->qtable) {
    if (q->saved_iova != 0 && q->saved_iova >= iova &&
        q->saved_iova - iova < length) {
      (void)AqicDisableLocked(*q);
    }
  }
}

}  // namespace vap::driver
