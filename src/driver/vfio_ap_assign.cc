// VfioAp: the six assign/unassign stores and ap_config
// (assign_adapter_store() and its siblings, ap_config_store() and
// vfio_ap_mdev_validate_masks() in drivers/s390/crypto/vfio_ap_ops.c). Locks
// first, then the parse, then the checks in the kernel's order.
#include <fmt/format.h>

#include <cerrno>

#include "driver/update_locks.h"
#include "driver/vfio_ap.h"
#include "matrix/kernel_number.h"
#include "matrix/mask_parse.h"

namespace vap::driver {

namespace {

ApMask& MaskOf(ApMatrix& m, int which) {
  return which == 0 ? m.apm() : which == 1 ? m.aqm() : m.adm();
}

uint8_t MaxOf(const ApMatrix& m, int which) {
  return which == 0 ? m.apm_max() : which == 1 ? m.aqm_max() : m.adm_max();
}

// Parses an ID and checks it against the mdev's maximum (ENODEV).
Result<unsigned> ParseId(std::string_view buf, uint8_t max) {
  VAP_ASSIGN_OR_RETURN(uint64_t id, ParseKstrtoul(buf));
  if (id > max) {
    return Status::Error(ENODEV,
                         fmt::format("{} is above the maximum {}", id, max));
  }
  return static_cast<unsigned>(id);
}

}  // namespace

Status VfioAp::AssignAdapter(const Uuid& uuid, std::string_view buf) {
  return Assign(Mask::kApm, uuid, buf);
}
Status VfioAp::AssignDomain(const Uuid& uuid, std::string_view buf) {
  return Assign(Mask::kAqm, uuid, buf);
}
Status VfioAp::AssignControlDomain(const Uuid& uuid, std::string_view buf) {
  return Assign(Mask::kAdm, uuid, buf);
}
Status VfioAp::UnassignAdapter(const Uuid& uuid, std::string_view buf) {
  return Unassign(Mask::kApm, uuid, buf);
}
Status VfioAp::UnassignDomain(const Uuid& uuid, std::string_view buf) {
  return Unassign(Mask::kAqm, uuid, buf);
}
Status VfioAp::UnassignControlDomain(const Uuid& uuid, std::string_view buf) {
  return Unassign(Mask::kAdm, uuid, buf);
}

Status VfioAp::ValidateLocked(const MdevState& m) const {
  // 3.1: reserved for the host's default drivers -> EADDRNOTAVAIL.
  if (bus_.AnyOwnedByDefaultDriverLocked(m.matrix.apm(), m.matrix.aqm())) {
    return Status::Error(EADDRNOTAVAIL, "APQN reserved for the host");
  }
  // 3.2: in another mdev's matrix -> EADDRINUSE, logged per APQN for the
  // first such mdev in the list (the newest), on the assigning mdev. The
  // owner table gives the candidates without a walk over every mdev.
  const MdevState* other = nullptr;
  const std::vector<unsigned> apqis = m.matrix.aqm().Ids();
  for (unsigned apid : m.matrix.apm().Ids()) {
    for (unsigned apqi : apqis) {
      const MdevState* o = owner_[size_t{apid} * 256 + apqi];
      if (o != nullptr && o != &m && (other == nullptr || o->seq > other->seq))
        other = o;
    }
  }
  if (other != nullptr) {
    const ApMask apm = m.matrix.apm() & other->matrix.apm();
    const ApMask aqm = m.matrix.aqm() & other->matrix.aqm();
    // The refusal's reason is the first line logged for it.
    std::string reason;
    apm.ForEach([&](unsigned apid) {
      aqm.ForEach([&](unsigned apqi) {
        std::string line = fmt::format(
            "Userspace may not assign queue {:02x}.{:04x} to mdev: already "
            "assigned to {}",
            apid, apqi, other->uuid.ToString());
        log_.DevLog(LogLevel::kWarning, kMdevDriver, m.uuid.ToString(), line);
        if (reason.empty()) reason = std::move(line);
      });
    });
    return Status::Error(EADDRINUSE, std::move(reason));
  }
  return Status::Ok();
}

Status VfioAp::Assign(Mask which, const Uuid& uuid, std::string_view buf) {
  const int w = static_cast<int>(which);
  if (which == Mask::kAdm) {
    // No ap_attr_mutex and no checks for control domains.
    MdevUpdateLocks locks(*this, uuid);
    MdevState* m = locks.mdev();
    if (m == nullptr) return NoMdev();
    VAP_ASSIGN_OR_RETURN(unsigned id, ParseId(buf, MaxOf(m->matrix, w)));
    if (m->matrix.adm().Test(id)) return Status::Ok();
    m->matrix.adm().Set(id);
    MdevChangedLocked(uuid);
    if (FilterControlDomains(m->matrix, info_, &m->shadow_apcb))
      UpdateGuestApcbLocked(*m);
    return Status::Ok();
  }
  MutexLock attr(bus_.attr_mu());
  MdevUpdateLocks locks(*this, uuid);
  MdevState* m = locks.mdev();
  if (m == nullptr) return NoMdev();
  VAP_ASSIGN_OR_RETURN(unsigned id, ParseId(buf, MaxOf(m->matrix, w)));
  ApMask& mask = MaskOf(m->matrix, w);
  if (mask.Test(id)) return Status::Ok();
  mask.Set(id);
  if (Status s = ValidateLocked(*m); !s.ok()) {
    mask.Clear(id);
    return s;
  }
  MdevChangedLocked(uuid);
  if (which == Mask::kApm) {
    OwnLocked(ApMask::Of({id}), m->matrix.aqm(), m);
  } else {
    OwnLocked(m->matrix.apm(), ApMask::Of({id}), m);
  }
  if (which == Mask::kApm) {
    LinkAdapterLocked(*m, id);
  } else {
    LinkDomainLocked(*m, id);
  }
  FilterAndPlugLocked(*m, {});
  return Status::Ok();
}

std::vector<VfioAp::Queue*> VfioAp::UnplugLocked(MdevState& m,
                                                 const ApMask& apids,
                                                 const ApMask& apqis) {
  // Unlink (a, d) for the removed adapters x assigned domains and the
  // assigned adapters x removed domains, keeping those in the shadow for
  // the reset; then cut the shadow and publish once.
  std::vector<Queue*> reset;
  std::vector<Apqn> gone;
  for (unsigned a : apids.Ids()) {
    for (unsigned d : m.matrix.aqm().Ids()) gone.emplace_back(a, d);
  }
  for (unsigned d : apqis.Ids()) {
    for (unsigned a : m.matrix.apm().Ids()) gone.emplace_back(a, d);
  }
  for (const Apqn apqn : gone) {
    auto it = m.qtable.find(apqn.qid());
    if (it == m.qtable.end()) continue;
    Queue* q = it->second;
    m.qtable.erase(it);
    if (m.shadow_apcb.HasApqn(apqn)) {
      reset.push_back(q);  // back pointer cleared after the reset
    } else {
      DropIrqLocked(*q);  // not reset: AQIC could still have enabled it
      q->mdev = nullptr;
    }
    blocked_[apqn.apqi].Set(apqn.apid);
  }
  const ApMask shadow_apids = m.shadow_apcb.apm() & apids;
  const ApMask shadow_apqis = m.shadow_apcb.aqm() & apqis;
  if (shadow_apids.Any()) {
    m.shadow_apcb.apm() = m.shadow_apcb.apm().AndNot(apids);
    UpdateGuestApcbLocked(m);
  }
  if (shadow_apqis.Any()) {
    m.shadow_apcb.aqm() = m.shadow_apcb.aqm().AndNot(apqis);
    UpdateGuestApcbLocked(m);
  }
  return reset;
}

void VfioAp::ResetAndUnlinkLocked(const std::vector<Queue*>& unplugged) {
  // A failed reset is logged by the reset and leaves the queue unpassable
  // (blocked_), as the kernel's unassign paths go on after it.
  (void)ResetQueuesLocked(unplugged);
  for (Queue* q : unplugged) {
    q->mdev = nullptr;
    UpdatePassableLocked(*q);
  }
}

Status VfioAp::Unassign(Mask which, const Uuid& uuid, std::string_view buf) {
  const int w = static_cast<int>(which);
  MdevUpdateLocks locks(*this, uuid);
  MdevState* m = locks.mdev();
  if (m == nullptr) return NoMdev();
  VAP_ASSIGN_OR_RETURN(unsigned id, ParseId(buf, MaxOf(m->matrix, w)));
  ApMask& mask = MaskOf(m->matrix, w);
  if (!mask.Test(id)) return Status::Ok();
  MdevChangedLocked(uuid);
  if (which == Mask::kAdm) {
    mask.Clear(id);
    if (m->shadow_apcb.adm().Test(id)) {
      m->shadow_apcb.adm().Clear(id);
      UpdateGuestApcbLocked(*m);
    }
    return Status::Ok();
  }
  const ApMask one = ApMask::Of({id});
  if (which == Mask::kApm) {
    OwnLocked(one, m->matrix.aqm(), nullptr);
  } else {
    OwnLocked(m->matrix.apm(), one, nullptr);
  }
  std::vector<Queue*> reset = which == Mask::kApm
                                  ? UnplugLocked(*m, one, ApMask())
                                  : UnplugLocked(*m, ApMask(), one);
  mask.Clear(id);
  ResetAndUnlinkLocked(reset);
  // The filter is not re-run, as in the kernel's unassign stores (a kept
  // quirk: an adapter filtered out earlier comes back only at the next
  // filter run).
  return Status::Ok();
}

Status VfioAp::StoreApConfig(const Uuid& uuid, std::string_view buf) {
  MutexLock attr(bus_.attr_mu());
  MdevUpdateLocks locks(*this, uuid);
  MdevState* m = locks.mdev();
  if (m == nullptr) return NoMdev();
  VAP_ASSIGN_OR_RETURN(ApConfigMasks parsed, ParseApConfig(buf));
  return SetNewGuestConfigLocked(*m, parsed);
}

Status VfioAp::SetNewGuestConfigLocked(MdevState& mdev,
                                       const ApConfigMasks& parsed) {
  MdevState* m = &mdev;
  const ApMatrix old = m->matrix;
  // Validate with the new masks installed; restore them on any error.
  m->matrix.apm() = parsed.apm;
  m->matrix.aqm() = parsed.aqm;
  m->matrix.adm() = parsed.adm;
  Status s = ValidateLocked(*m);
  if (s.ok() && m->matrix.ExceedsMaxima()) {
    s = Status::Error(ENODEV, "an ID is above the mdev's maximum");
  }
  m->matrix = old;
  if (!s.ok()) return s;
  // Unplug what goes (adapters as one batch, then domains), with the old
  // masks in place; then install the new ones and link what comes.
  const ApMask apm_removed = old.apm().AndNot(parsed.apm);
  const ApMask aqm_removed = old.aqm().AndNot(parsed.aqm);
  std::vector<Queue*> reset = UnplugLocked(*m, apm_removed, ApMask());
  std::vector<Queue*> more = UnplugLocked(*m, ApMask(), aqm_removed);
  reset.insert(reset.end(), more.begin(), more.end());
  ResetAndUnlinkLocked(reset);
  const ApMask apm_added = parsed.apm.AndNot(old.apm());
  const ApMask aqm_added = parsed.aqm.AndNot(old.aqm());
  OwnLocked(old.apm(), old.aqm(), nullptr);
  m->matrix.apm() = parsed.apm;
  m->matrix.aqm() = parsed.aqm;
  m->matrix.adm() = parsed.adm;
  OwnLocked(m->matrix.apm(), m->matrix.aqm(), m);
  if (m->matrix.apm() != old.apm() || m->matrix.aqm() != old.aqm() ||
      m->matrix.adm() != old.adm()) {
    MdevChangedLocked(m->uuid);
  }
  for (unsigned apid : apm_added.Ids()) LinkAdapterLocked(*m, apid);
  for (unsigned apqi : aqm_added.Ids()) LinkDomainLocked(*m, apqi);
  FilterAndPlugLocked(*m, {.cdoms = true});
  return Status::Ok();
}

}  // namespace vap::driver
