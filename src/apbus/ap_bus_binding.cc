// ApBus: device records, binding (ap_device_probe and the driver core's
// bind/unbind/attach), apmask/aqmask stores and re-binding after them.
#include <fmt/format.h>

#include <cerrno>

#include "apbus/ap_bus.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"

namespace vap::apbus {

void ApBus::SetDriverRecLocked(const ApDevice& dev, ApDriver* drv) {
  ChangeCount::Scope change(changes_);
  auto card = cards_.find(dev.apid);
  if (card == cards_.end()) return;
  if (dev.kind == DeviceKind::kCard) {
    card->second.driver = drv;
    return;
  }
  auto q = card->second.queues.find(dev.apqi);
  if (q == card->second.queues.end()) return;
  q->second.driver = drv;
}

Status ApBus::ProbeLocked(const ApDevice& dev, ApDriver& drv) {
  if (!drv.Matches(dev)) return Status::Error(ENODEV, "driver does not match");
  if (dev.kind == DeviceKind::kQueue) {
    if (!dev.driver_override.empty()) {
      if (dev.driver_override != drv.name()) {
        return Status::Error(ENODEV, "driver_override names another driver");
      }
    } else {
      bool reserved;
      {
        MutexLock lock(attr_mu_);
        reserved = apmask_.Test(dev.apid) && aqmask_.Test(dev.apqi);
      }
      if (reserved != drv.is_default()) {
        return Status::Error(ENODEV, reserved
                                         ? "APQN is reserved for the host"
                                         : "APQN is not reserved for the host");
      }
    }
  }
  {
    // ap_device_probe() re-arms the bindings completion for every device
    // past the reservation check, whatever the driver's probe answers.
    MutexLock lock(devices_mu_);
    bindings_armed_ = true;
  }
  Status s = drv.Probe(dev);
  if (!s.ok()) {
    if (s.errno_value() != ENODEV) {
      log_.DevLog(LogLevel::kErr, "ap", dev.Name(),
                  fmt::format("probe with driver {} failed with error -{}",
                              drv.name(), s.errno_value()));
    }
    return s;
  }
  {
    MutexLock lock(devices_mu_);
    SetDriverRecLocked(dev, &drv);
  }
  if (dev.kind == DeviceKind::kQueue) {
    // zcrypt's queue probe calls ap_queue_init_state(); any bound queue
    // joins the ones the tasklet polls.
    if (drv.is_default()) InitQueueState(dev.apqn());
    else QueueBound(dev.apqn());
  }
  ApDevice bound = dev;
  bound.driver = std::string(drv.name());
  for (BusObserver* o : observers_) o->OnDeviceBound(bound);
  return Status::Ok();
}

void ApBus::AttachLocked(const ApDevice& dev) {
  std::vector<ApDriver*> drivers;
  {
    MutexLock lock(devices_mu_);
    drivers = drivers_;
  }
  for (ApDriver* drv : drivers) {
    if (ProbeLocked(dev, *drv).ok()) return;
  }
}

void ApBus::DetachLocked(const ApDevice& dev) {
  ApDriver* drv = nullptr;
  ApDevice current = dev;
  {
    MutexLock lock(devices_mu_);
    auto card = cards_.find(dev.apid);
    if (card == cards_.end()) return;
    if (dev.kind == DeviceKind::kCard) {
      drv = card->second.driver;
      current = SnapshotLocked(card->second.dev, drv);
    } else {
      auto q = card->second.queues.find(dev.apqi);
      if (q == card->second.queues.end()) return;
      drv = q->second.driver;
      current = SnapshotLocked(q->second.dev, drv);
    }
  }
  if (drv == nullptr) return;
  const bool queue = dev.kind == DeviceKind::kQueue;
  if (queue) QueueShutdown(dev.apqn());
  drv->Remove(current);
  if (queue) QueueRemoved(dev.apqn());
  {
    MutexLock lock(devices_mu_);
    SetDriverRecLocked(dev, nullptr);
  }
  current.driver.clear();
  for (BusObserver* o : observers_) o->OnDeviceUnbound(current, drv->name());
}

void ApBus::AddDeviceLocked(const ApDevice& dev) {
  ChangeCount::Scope change(changes_);
  {
    MutexLock lock(devices_mu_);
    if (dev.kind == DeviceKind::kCard) {
      cards_[dev.apid].dev = dev;
    } else {
      cards_[dev.apid].queues[dev.apqi].dev = dev;
    }
  }
  for (BusObserver* o : observers_) o->OnDeviceAdded(dev);
  // bus_probe_device(): only with drivers_autoprobe on.
  if (drivers_autoprobe()) AttachLocked(dev);
}

void ApBus::RemoveQueueLocked(Apqn apqn) {
  ChangeCount::Scope change(changes_);
  std::optional<ApDevice> dev = Queue(apqn);
  if (!dev) return;
  DetachLocked(*dev);
  {
    MutexLock lock(devices_mu_);
    auto card = cards_.find(apqn.apid);
    if (card != cards_.end()) {
      auto q = card->second.queues.find(apqn.apqi);
      if (q != card->second.queues.end()) {
        if (!q->second.dev.driver_override.empty()) --overrides_;
        card->second.queues.erase(q);
      }
    }
  }
  for (BusObserver* o : observers_) o->OnDeviceRemoved(*dev);
}

void ApBus::RemoveCardLocked(uint8_t apid) {
  ChangeCount::Scope change(changes_);
  for (const ApDevice& q : QueuesOfCard(apid)) RemoveQueueLocked(q.apqn());
  std::optional<ApDevice> dev = Card(apid);
  if (!dev) return;
  DetachLocked(*dev);
  {
    MutexLock lock(devices_mu_);
    cards_.erase(apid);
  }
  for (BusObserver* o : observers_) o->OnDeviceRemoved(*dev);
}

Status ApBus::Bind(std::string_view driver, std::string_view device) {
  MutexLock scan(scan_mu_);
  ApDriver* drv;
  std::optional<ApDevice> dev;
  {
    MutexLock lock(devices_mu_);
    drv = FindDriverLocked(driver);
    dev = DeviceLocked(device);
  }
  if (drv == nullptr || !dev) return Status::Error(ENODEV, "no such device");
  if (!drv->Matches(*dev))
    return Status::Error(ENODEV, "driver does not match");
  if (!dev->driver.empty()) return Status::Error(EBUSY, "device is bound");
  return ProbeLocked(*dev, *drv);
}

Status ApBus::Unbind(std::string_view driver, std::string_view device) {
  MutexLock scan(scan_mu_);
  std::optional<ApDevice> dev = Device(device);
  if (!dev || dev->driver != driver) {
    return Status::Error(ENODEV, "device is not bound to this driver");
  }
  DetachLocked(*dev);
  return Status::Ok();
}

Status ApBus::DriversProbe(std::string_view device) {
  MutexLock scan(scan_mu_);
  std::optional<ApDevice> dev = Device(device);
  if (!dev) return Status::Error(ENODEV, "no such device");
  if (dev->driver.empty()) AttachLocked(*dev);
  return Status::Ok();
}

Status ApBus::SetDriverOverride(Apqn apqn, std::string_view name) {
  ChangeCount::Scope change(changes_);
  MutexLock attr(attr_mu_);
  if (apmask_ != ApMask::All() || aqmask_ != ApMask::All()) {
    return Status::Error(EINVAL,
                         "driver_override needs apmask and aqmask all ones");
  }
  MutexLock lock(devices_mu_);
  auto card = cards_.find(apqn.apid);
  if (card == cards_.end()) return Status::Error(ENODEV, "no such queue");
  auto q = card->second.queues.find(apqn.apqi);
  if (q == card->second.queues.end())
    return Status::Error(ENODEV, "no such queue");
  std::string& current = q->second.dev.driver_override;
  if (current.empty() && !name.empty()) ++overrides_;
  if (!current.empty() && name.empty()) --overrides_;
  current = std::string(name);
  return Status::Ok();
}

bool ApBus::OwnedByDefaultDriverLocked(Apqn apqn) const {
  {
    MutexLock lock(devices_mu_);
    auto card = cards_.find(apqn.apid);
    if (card != cards_.end()) {
      auto q = card->second.queues.find(apqn.apqi);
      if (q != card->second.queues.end() &&
          !q->second.dev.driver_override.empty()) {
        return q->second.driver != nullptr && q->second.driver->is_default();
      }
    }
  }
  return apmask_.Test(apqn.apid) && aqmask_.Test(apqn.apqi);
}

bool ApBus::AnyOwnedByDefaultDriverLocked(const ApMask& apm,
                                          const ApMask& aqm) const {
  bool overrides;
  {
    MutexLock lock(devices_mu_);
    overrides = overrides_ > 0;
  }
  if (!overrides) return (apm & apmask_).Any() && (aqm & aqmask_).Any();
  for (unsigned a : apm.Ids()) {
    for (unsigned d : aqm.Ids()) {
      if (OwnedByDefaultDriverLocked(
              Apqn(static_cast<uint8_t>(a), static_cast<uint8_t>(d)))) {
        return true;
      }
    }
  }
  return false;
}

Status ApBus::WriteApmask(std::string_view buf) { return WriteMask(true, buf); }

Status ApBus::WriteAqmask(std::string_view buf) {
  return WriteMask(false, buf);
}

Status ApBus::WriteMask(bool is_apmask, std::string_view buf) {
  ApMask changed_to;
  {
    MutexLock attr(attr_mu_);
    std::vector<ApDriver*> drivers;
    {
      MutexLock lock(devices_mu_);
      if (overrides_ > 0) {
        return Status::Error(EINVAL, "a queue has a driver_override");
      }
      drivers = drivers_;
    }
    ApMask& mask = is_apmask ? apmask_ : aqmask_;
    VAP_ASSIGN_OR_RETURN(ApMask parsed, ParseApBusMask(buf, mask));
    if (parsed == mask) return Status::Ok();  // no re-binding, no uevent
    const ApMask reserved = parsed.AndNot(mask);
    if (reserved.Any()) {
      for (ApDriver* drv : drivers) {
        const Status in_use = is_apmask ? drv->InUse(reserved, aqmask_)
                                        : drv->InUse(apmask_, reserved);
        if (!in_use.ok()) {
          return Status::Error(
              EBUSY, "APQNs are in use by " + std::string(drv->name()));
        }
      }
    }
    ChangeCount::Scope change(changes_);
    mask = parsed;
    changed_to = parsed;
  }
  MutexLock scan(scan_mu_);
  ReviseBindingsLocked();
  // ap_send_mask_changed_uevent(), after the re-binding.
  ChangeEventLocked(nullptr, {(is_apmask ? "APMASK=" : "AQMASK=") +
                              FormatApBusMask(changed_to)});
  return Status::Ok();
}

void ApBus::ReviseBindingsLocked() {
  ApMask apm;
  ApMask aqm;
  {
    MutexLock attr(attr_mu_);
    apm = apmask_;
    aqm = aqmask_;
  }
  for (const ApDevice& q : Queues()) {
    // A queue with the wrong kind of driver, or none, is re-probed (the
    // kernel reads the driver of an unbound queue through a NULL pointer
    // here; vap tries to attach it, docs/fidelity.md).
    bool wants_default;
    bool has_right_driver;
    {
      MutexLock lock(devices_mu_);
      ApDriver* drv = FindDriverLocked(q.driver);
      if (!q.driver_override.empty()) {
        has_right_driver = drv != nullptr && drv->name() == q.driver_override;
        wants_default = false;
      } else {
        wants_default = apm.Test(q.apid) && aqm.Test(q.apqi);
        has_right_driver = drv != nullptr && drv->is_default() == wants_default;
      }
    }
    if (has_right_driver) continue;
    DetachLocked(q);
    AttachLocked(*Queue(q.apqn()));
  }
}

}  // namespace vap::apbus
