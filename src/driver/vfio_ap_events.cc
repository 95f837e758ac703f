// VfioAp as an AP bus driver: queue probe and remove, in_use, and the
// host configuration callbacks (vfio_ap_mdev_probe_queue(),
// vfio_ap_mdev_remove_queue(), vfio_ap_mdev_resource_in_use(),
// vfio_ap_on_cfg_changed() and vfio_ap_on_scan_complete() in
// drivers/s390/crypto/vfio_ap_ops.c), with the 2026 fixes
// (docs/fidelity.md, "Baseline and fixes").
#include <fmt/format.h>

#include <cerrno>

#include "driver/update_locks.h"
#include "driver/vfio_ap.h"

namespace vap::driver {

bool VfioAp::Matches(const apbus::ApDevice& dev) const {
  return dev.kind == apbus::DeviceKind::kQueue &&
         dev.hwtype >= ap::kHwtypeCex4 && dev.hwtype <= ap::kHwtypeCex8;
}

Status VfioAp::Probe(const apbus::ApDevice& dev) {
  const Apqn apqn = dev.apqn();
  auto queue = std::make_unique<Queue>(apqn);
  ApqnUpdateLocks locks(*this, apqn);
  Queue& q = *queue;
  queues_[apqn.qid()] = std::move(queue);
  MdevState* m = locks.mdev();
  if (m == nullptr) return Status::Ok();
  LinkLocked(*m, q);
  // A host-config addition pending for this mdev: the scan's end will
  // filter and plug (as vfio_ap_mdev_probe_queue() defers to
  // vfio_ap_on_scan_complete()).
  if (m->apm_add.Any() || m->aqm_add.Any()) return Status::Ok();
  FilterAndPlugLocked(*m, {});
  return Status::Ok();
}

void VfioAp::Remove(const apbus::ApDevice& dev) {
  const Apqn apqn = dev.apqn();
  QueueUpdateLocks locks(*this, apqn);
  Queue* q = locks.queue();
  if (q == nullptr) return;
  MdevState* m = q->mdev;
  if (m != nullptr && m->shadow_apcb.HasApqn(apqn)) {
    // The guest loses the whole adapter, then its queues are reset
    // (vfio_ap_mdev_remove_queue()).
    m->shadow_apcb.apm().Clear(apqn.apid);
    UpdateGuestApcbLocked(*m);
    (void)ResetQueuesLocked(QueuesOfApidsLocked(*m, ApMask::Of({apqn.apid})));
  } else if (info_.apm.Test(apqn.apid) && info_.aqm.Test(apqn.apqi)) {
    (void)ResetQueuesLocked({q});
  }
  DropIrqLocked(*q);  // left without a reset (not in the host configuration)
  UnlinkLocked(*q);
  queues_.erase(apqn.qid());
}

Status VfioAp::InUse(const ApMask& apm, const ApMask& aqm) {
  MutexLock guests(guests_mu_);
  MutexLock mdevs(mdevs_mu_);
  for (const auto& m : mdevs_) {
    const ApMask a = apm & m->matrix.apm();
    const ApMask d = aqm & m->matrix.aqm();
    if (a.Empty() || d.Empty()) continue;
    a.ForEach([&](unsigned apid) {
      d.ForEach([&](unsigned apqi) {
        log_.DevLog(
            LogLevel::kWarning, kMdevDriver, m->uuid.ToString(),
            fmt::format("Can not reserve queue {:02x}.{:04x} for host driver: "
                        "in use by mdev",
                        apid, apqi));
      });
    });
    return Status::Error(EADDRINUSE,
                         "APQNs are assigned to " + m->uuid.ToString());
  }
  return Status::Ok();
}

void VfioAp::OnConfigChanged(const ap::QciInfo& cur, const ap::QciInfo& prev) {
  MutexLock guests(guests_mu_);
  // The mdev list and guests cannot change while guests_lock is held.
  std::vector<std::pair<Uuid, kvm::Guest*>> mdevs;
  {
    MutexLock lock(mdevs_mu_);
    for (const auto& m : mdevs_) mdevs.emplace_back(m->uuid, m->guest);
  }
  // Removal part: cut what left the host configuration from every shadow,
  // publishing where anything was cut. No resets: the queues are going.
  const ApMask aprem = prev.apm.AndNot(cur.apm);
  const ApMask aqrem = prev.aqm.AndNot(cur.aqm);
  const ApMask cdrem = prev.adm.AndNot(cur.adm);
  if (aprem.Any() || aqrem.Any() || cdrem.Any()) {
    for (const auto& [uuid, guest] : mdevs) {
      KvmLockIfAttached kvm(guest);
      {
        MutexLock lock(mdevs_mu_);
        MdevState* m = FindMdevLocked(uuid);
        ApMatrix& s = m->shadow_apcb;
        const ApMatrix before = s;
        s.apm() = s.apm().AndNot(aprem & m->matrix.apm());
        s.aqm() = s.aqm().AndNot(aqrem & m->matrix.aqm());
        s.adm() = s.adm().AndNot(cdrem & m->matrix.adm());
        if (!(before == s)) UpdateGuestApcbLocked(*m);
      }
    }
  }
  // Addition part: remember, per mdev, the additions it has assigned;
  // OnScanComplete plugs them once the new queues are bound.
  ApMask apm_add = cur.apm.AndNot(prev.apm);
  const ApMask aqm_add = cur.aqm.AndNot(prev.aqm);
  const ApMask adm_add = cur.adm.AndNot(prev.adm);
  MutexLock lock(mdevs_mu_);
  if ((apm_add.Any() || aqm_add.Any() || adm_add.Any()) && !mdevs_.empty()) {
    // Adapters whose new queues answer with an unusable type do not count.
    apm_add.ForEach([&](unsigned apid) {
      aqm_add.ForEach([&](unsigned apqi) {
        const ap::TapqResult r = bus_.firmware().Tapq(
            Apqn(static_cast<uint8_t>(apid), static_cast<uint8_t>(apqi)));
        const uint8_t rc = r.status.response_code;
        const bool info_valid = rc == ap::kRcNormal ||
                                rc == ap::kRcResetInProgress ||
                                rc == ap::kRcDeconfigured ||
                                rc == ap::kRcCheckstopped || rc == ap::kRcBusy;
        if (!info_valid || r.info.raw_hwtype < ap::kHwtypeCex4)
          apm_add.Clear(apid);
      });
    });
    for (const auto& m : mdevs_) {
      m->apm_add = m->matrix.apm() & apm_add;
      m->aqm_add = m->matrix.aqm() & aqm_add;
      m->adm_add = m->matrix.adm() & adm_add;
    }
  }
  info_ = cur;
}

void VfioAp::OnScanComplete(const ap::QciInfo& /*cur*/,
                            const ap::QciInfo& /*prev*/) {
  MutexLock guests(guests_mu_);
  std::vector<std::pair<Uuid, kvm::Guest*>> mdevs;
  {
    MutexLock lock(mdevs_mu_);
    for (const auto& m : mdevs_) {
      if (m->apm_add.Any() || m->aqm_add.Any() || m->adm_add.Any()) {
        mdevs.emplace_back(m->uuid, m->guest);
      }
    }
  }
  for (const auto& [uuid, guest] : mdevs) {
    KvmLockIfAttached kvm(guest);
    {
      MutexLock lock(mdevs_mu_);
      MdevState* m = FindMdevLocked(uuid);
      FilterAndPlugLocked(
          *m, {.matrix = (m->matrix.apm() & m->apm_add).Any() ||
                         (m->matrix.aqm() & m->aqm_add).Any(),
               .cdoms = (m->matrix.adm() & m->adm_add).Any(),
               .reset_always = true});
      m->apm_add = m->aqm_add = m->adm_add = ApMask();
    }
  }
}

}  // namespace vap::driver
