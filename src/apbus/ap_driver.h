// ApDriver: the interface an AP device driver offers the AP bus (the kernel's
// struct ap_driver in drivers/s390/crypto/ap_bus.h). The bus calls these with
// its scan/bind lock (ap_scan_bus_mutex, rank kApScanBus) held and no leaf
// lock, except InUse, which it calls holding ap_attr_mutex (rank kApAttr), as
// the kernel's apmask/aqmask stores do. Drivers must outlive the bus's use of
// them (register, then unregister before destroying).
//
// This layer never includes a driver: src/driver implements this for
// vfio_ap, src/apbus/zcrypt.h for the host's default drivers.
#ifndef VAP_APBUS_AP_DRIVER_H_
#define VAP_APBUS_AP_DRIVER_H_

#include <string>
#include <string_view>
#include <vector>

#include "ap/qci.h"
#include "apbus/ap_device.h"
#include "base/status.h"
#include "matrix/ap_mask.h"

namespace vap::apbus {

class ApDriver {
 public:
  virtual ~ApDriver() = default;

  // The driver's name in /sys/bus/ap/drivers ("vfio_ap", "cex4queue").
  virtual std::string_view name() const = 0;
  // AP_DRIVER_FLAG_DEFAULT: a host driver, given the queues that apmask
  // and aqmask reserve for the host.
  virtual bool is_default() const = 0;
  // The id table: which device kind, for compatible types 10..14.
  virtual bool Matches(const ApDevice& dev) const = 0;

  // Binds `dev`. An error refuses it (ENODEV: "rejects match", quietly).
  virtual Status Probe(const ApDevice& dev) = 0;
  // Unbinds `dev` (unbind, mask change, device removal).
  virtual void Remove(const ApDevice& dev) = 0;

  // Asked before apmask/aqmask reserve APQNs for the host: an error if any
  // APQN of apm x aqm is in use by this driver (the bus answers EBUSY).
  virtual Status InUse(const ApMask& /*apm*/, const ApMask& /*aqm*/) {
    return Status::Ok();
  }
  // The host's AP configuration changed: called at the start of the scan
  // that noticed, before devices are added or removed ...
  virtual void OnConfigChanged(const ap::QciInfo& /*cur*/,
                               const ap::QciInfo& /*prev*/) {}
  // ... and at its end, after.
  virtual void OnScanComplete(const ap::QciInfo& /*cur*/,
                              const ap::QciInfo& /*prev*/) {}
};

// Told of device and driver changes; the sysfs layer maintains the tree
// with it and sends the kernel's uevents from it. Called with the bus's
// scan/bind lock held and no leaf lock, in the order the kernel sends its
// uevents. Drivers are registered once and stay (vap has no module
// unload).
class BusObserver {
 public:
  virtual ~BusObserver() = default;
  virtual void OnDeviceAdded(const ApDevice& dev) = 0;
  virtual void OnDeviceRemoved(const ApDevice& dev) = 0;
  virtual void OnDriverRegistered(const ApDriver& drv) = 0;
  // The driver core's bind and unbind (driver_bound() and
  // __device_release_driver() in drivers/base/dd.c): `dev` as it is after,
  // with its driver or without; `old_driver`: the one it had.
  virtual void OnDeviceBound(const ApDevice& /*dev*/) {}
  virtual void OnDeviceUnbound(const ApDevice& /*dev*/,
                               std::string_view /*old_driver*/) {}
  // A change uevent of the AP bus's (ap_send_*_uevent() in
  // drivers/s390/crypto/ap_bus.c): on `dev`, or on the bus's root device
  // /devices/ap when null, with `env` (KEY=VALUE each).
  virtual void OnChangeEvent(const ApDevice* /*dev*/,
                             const std::vector<std::string>& /*env*/) {}
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_AP_DRIVER_H_
