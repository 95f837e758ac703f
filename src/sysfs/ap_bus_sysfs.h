// The AP bus in the sysfs tree: /sys/bus/ap (its attributes, devices/,
// drivers/<name>/ with bind and unbind) and /sys/devices/ap/cardXX/XX.YYYY
// (drivers/s390/crypto/ap_bus.c, ap_card.c, ap_queue.c; docs/sysfs-abi.md).
// Device directories follow the bus as an observer; their attributes are
// computed (ap_device_entries.h).
#ifndef VAP_SYSFS_AP_BUS_SYSFS_H_
#define VAP_SYSFS_AP_BUS_SYSFS_H_

#include <memory>
#include <string>

#include "apbus/ap_bus.h"
#include "apbus/zcrypt.h"
#include "sysfs/ap_device_entries.h"
#include "sysfs/power_entries.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"

namespace vap::sysfs {

class ApBusSysfs : public apbus::BusObserver {
 public:
  // Builds the bus's part of `tree` and follows `bus` from now on,
  // including the devices and drivers it already has; writes to `uevent`
  // files go to `uevents`. All four must outlive this object, which must
  // outlive the bus's scans.
  ApBusSysfs(Tree& tree, apbus::ApBus& bus, apbus::Zcrypt& zcrypt,
             UeventSource& uevents);

  // Entries `provider` adds to queue directories while the queue is bound
  // to `driver` (vfio_ap's `status`).
  void AddQueueDriverEntries(std::string driver,
                             std::shared_ptr<const DynamicEntries> provider);

  void OnDeviceAdded(const apbus::ApDevice& dev) override;
  void OnDeviceRemoved(const apbus::ApDevice& dev) override;
  void OnDriverRegistered(const apbus::ApDriver& drv) override;
  // A binding changes computed entries: the device's `driver` link and
  // its driver's attributes, the driver directory's link to it.
  void OnDeviceBound(const apbus::ApDevice& dev) override;
  void OnDeviceUnbound(const apbus::ApDevice& dev,
                       std::string_view old_driver) override;
  void OnChangeEvent(const apbus::ApDevice* dev,
                     const std::vector<std::string>& env) override;

 private:
  void AddBusAttributes(const NodeRef& dir);
  void AddDriverDir(std::string_view name);
  static std::string DevicePath(const apbus::ApDevice& dev);

  Tree& tree_;
  apbus::ApBus& bus_;
  UeventSource& uevents_;
  // The power directories of the bus's devices.
  const std::shared_ptr<PowerEntries> power_;
  const std::shared_ptr<CardEntries> card_entries_;
  const std::shared_ptr<QueueEntries> queue_entries_;
  NodeRef devices_ap_;  // /sys/devices/ap
  NodeRef drivers_;     // /sys/bus/ap/drivers
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_AP_BUS_SYSFS_H_
