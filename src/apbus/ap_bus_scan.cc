// ApBus: the bus scan (ap_scan_bus() in drivers/s390/crypto/ap_bus.c).
#include <fmt/format.h>

#include "apbus/ap_bus.h"

namespace vap::apbus {

namespace {

// TAPQ answers that carry valid type information (ap_queue_info).
bool InfoValid(uint8_t rc) {
  return rc == ap::kRcNormal || rc == ap::kRcResetInProgress ||
         rc == ap::kRcDeconfigured || rc == ap::kRcCheckstopped ||
         rc == ap::kRcBusy;
}

bool InConfig(const std::optional<ap::QciInfo>& qci, bool adapter,
              unsigned id) {
  // Without QCI every ID up to the maxima counts as configured.
  if (!qci) return true;
  return adapter ? qci->apm.Test(id) : qci->aqm.Test(id);
}

}  // namespace

std::optional<uint8_t> ApBus::CompatibleType(
    uint8_t raw, const std::optional<ap::QciInfo>& qci) const {
  if (raw < ap::kHwtypeCex4) return std::nullopt;
  if (raw <= ap::kHwtypeCex8) return raw;
  // A newer type: usable as CEX8 if QACT says so (modelled as: QACT
  // available).
  if (qci && qci->qact) return ap::kHwtypeCex8;
  return std::nullopt;
}

void ApBus::ScanLocked() {
  std::optional<ap::QciInfo> old_qci;
  std::optional<ap::QciInfo> new_qci = machine_.QueryConfig();
  {
    MutexLock lock(devices_mu_);
    old_qci = qci_;
    qci_ = new_qci;
  }
  std::vector<ApDriver*> drivers;
  {
    MutexLock lock(devices_mu_);
    drivers = drivers_;
  }
  const bool changed = new_qci && old_qci && !(*new_qci == *old_qci);
  if (changed) {
    for (ApDriver* d : drivers) d->OnConfigChanged(*new_qci, *old_qci);
    // New adapters or domains: their queues are to be bound (the kernel
    // re-initializes ap_apqn_bindings_complete).
    if (new_qci->apm.AndNot(old_qci->apm).Any() ||
        new_qci->aqm.AndNot(old_qci->aqm).Any()) {
      MutexLock lock(devices_mu_);
      bindings_armed_ = true;
    }
  }
  SelectDomainLocked();
  for (unsigned apid = 0; apid <= max_adapter_id_; ++apid) {
    ScanAdapterLocked(static_cast<uint8_t>(apid), new_qci);
  }
  if (changed) {
    for (ApDriver* d : drivers) d->OnScanComplete(*new_qci, *old_qci);
  }
  uint64_t scans;
  {
    MutexLock lock(devices_mu_);
    scans = ++scans_;
  }
  if (scans == 1) ChangeEventLocked(nullptr, {"INITSCAN=done"});
  CheckBindingsCompleteLocked();
}

void ApBus::SelectDomainLocked() {
  if (ap_domain() >= 0) return;
  const std::optional<ap::QciInfo> qci = this->qci();
  const ApMask apm = apmask();
  const ApMask aqm = aqmask();
  for (unsigned dom = 0; dom <= max_domain_id_; ++dom) {
    if (!InConfig(qci, false, dom) || !aqm.Test(dom)) continue;
    for (unsigned card = 0; card <= max_adapter_id_; ++card) {
      if (!InConfig(qci, true, card) || !apm.Test(card)) continue;
      const Apqn apqn(static_cast<uint8_t>(card), static_cast<uint8_t>(dom));
      if (machine_.TestQueue(apqn).status.response_code == ap::kRcNormal) {
        ChangeCount::Scope change(changes_);
        MutexLock lock(devices_mu_);
        ap_domain_ = static_cast<int>(dom);
        return;
      }
    }
  }
}

void ApBus::ScanAdapterLocked(uint8_t apid,
                              const std::optional<ap::QciInfo>& qci) {
  const std::optional<ApDevice> card = Card(apid);
  if (!InConfig(qci, true, apid)) {
    if (card) RemoveCardLocked(apid);
    return;
  }
  // The first domain with valid TAPQ information describes the card.
  std::optional<ap::TapqResult> info;
  for (unsigned dom = 0; dom <= max_domain_id_ && !info; ++dom) {
    if (!InConfig(qci, false, dom)) continue;
    ap::TapqResult r = machine_.TestQueue(Apqn(apid, static_cast<uint8_t>(dom)));
    if (InfoValid(r.status.response_code)) info = r;
  }
  if (!info || info->info.raw_hwtype == 0) {
    if (card) RemoveCardLocked(apid);
    return;
  }
  const bool decfg = info->status.response_code == ap::kRcDeconfigured;
  const bool chkstop = info->status.response_code == ap::kRcCheckstopped;
  const std::optional<uint8_t> type =
      CompatibleType(info->info.raw_hwtype, qci);
  if (card && (!type || card->hwtype != *type ||
               card->functions != info->info.functions)) {
    RemoveCardLocked(apid);  // type or functions changed: rebuild
  } else if (card) {
    {
      MutexLock lock(devices_mu_);
      ApDevice& dev = cards_[apid].dev;
      dev.chkstop = chkstop;
      dev.config = !decfg;
    }
    if (card->config == decfg) SendConfigLocked(apid, std::nullopt, !decfg);
  }
  if (!type) return;  // unsupported: no device
  if (!Card(apid)) {
    ApDevice dev;
    dev.kind = DeviceKind::kCard;
    dev.apid = apid;
    dev.hwtype = *type;
    dev.raw_hwtype = info->info.raw_hwtype;
    dev.functions = info->info.functions;
    dev.depth = info->info.depth;
    dev.config = !decfg;
    dev.chkstop = chkstop;
    AddDeviceLocked(dev);
  }
  ScanDomainsLocked(apid, qci);
}

void ApBus::ScanDomainsLocked(uint8_t apid,
                              const std::optional<ap::QciInfo>& qci) {
  const ApDevice card = *Card(apid);
  for (unsigned d = 0; d <= max_domain_id_; ++d) {
    const Apqn apqn(apid, static_cast<uint8_t>(d));
    const std::optional<ApDevice> queue = Queue(apqn);
    if (!InConfig(qci, false, d)) {
      if (queue) RemoveQueueLocked(apqn);
      continue;
    }
    const uint8_t rc = machine_.TestQueue(apqn).status.response_code;
    if (!InfoValid(rc)) {
      if (queue) RemoveQueueLocked(apqn);
      continue;
    }
    const bool decfg = rc == ap::kRcDeconfigured;
    const bool chkstop = rc == ap::kRcCheckstopped;
    if (queue) {
      UpdateQueueLocked(*queue, decfg, chkstop);
      continue;
    }
    ApDevice dev = card;
    dev.kind = DeviceKind::kQueue;
    dev.apqi = apqn.apqi;
    dev.driver.clear();
    dev.config = !decfg;
    dev.chkstop = chkstop;
    dev.sm = QueueSm{};
    AddDeviceLocked(dev);  // device_register(): the probe comes first
    if (!decfg && !chkstop) InitQueueState(apqn);
  }
}

Status ApBus::SetCardConfig(uint8_t apid, bool configured) {
  // config_store() in ap_card.c: SCLP only for a change; its error as it
  // comes (EOPNOTSUPP in a QEMU guest).
  const std::optional<ApDevice> card = Card(apid);
  if (!card) return Status::Error(ENODEV, "no such card");
  if (card->config != configured) {
    const Status s = machine_.ConfigureAdapter(apid, configured);
    if (!s.ok()) {
      return s.errno_value() == ENOENT ? Status::Error(ENODEV, s.message())
                                       : s;
    }
  }
  {
    MutexLock lock(devices_mu_);
    auto rec = cards_.find(apid);
    if (rec != cards_.end()) rec->second.dev.config = configured;
  }
  // config_store() in ap_card.c: CONFIG= on every successful write.
  MutexLock scan(scan_mu_);
  SendConfigLocked(apid, std::nullopt, configured);
  return Status::Ok();
}

void ApBus::SendConfigLocked(uint8_t apid, std::optional<uint8_t> apqi,
                             bool config) {
  const std::optional<ApDevice> dev =
      apqi ? Queue(Apqn(apid, *apqi)) : Card(apid);
  if (!dev) return;
  ChangeEventLocked(&*dev, {fmt::format("CONFIG={}", config ? 1 : 0)});
}

}  // namespace vap::apbus
