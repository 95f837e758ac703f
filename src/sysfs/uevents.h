// The kernel's uevents for what the tree shows (docs/sysfs-abi.md,
// "uevents"), sent to a UeventHub:
//   - AP cards and queues (a bus observer): add, bind, unbind, remove in
//     the driver core's order, and the AP bus's change events (INITSCAN,
//     BINDINGS/COMPLETECOUNT, APMASK/AQMASK on /devices/ap; CONFIG and
//     ONLINE on devices);
//   - the matrix device's registration (add, bind, MDEV_STATE=registered)
//     and vfio_ap's mdevs (an mdev observer): add and bind at creation
//     (mdev_device_create()), unbind at an unbind, unbind and remove at
//     removal;
//   - writes to `uevent` files (Synthesize: kobject_synth_uevent()).
#ifndef VAP_SYSFS_UEVENTS_H_
#define VAP_SYSFS_UEVENTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "apbus/ap_driver.h"
#include "base/log.h"
#include "base/uevent.h"
#include "driver/mdev_observer.h"

namespace vap::sysfs {

// Who a `uevent` file belongs to, as a synthetic event names it.
struct UeventTarget {
  std::string devpath;    // "/devices/ap/card05", "/bus/ap"
  std::string subsystem;  // "ap", "matrix", "mdev", "bus", "drivers"
  std::vector<std::string> env;  // the object's own keys (dev_uevent())
  // dev_err()'s prefix for a device ("cex4card card05"); empty for a bus
  // or driver, whose store logs nothing of its own.
  std::string dev_name;
  // The vfio_ap root device: no bus, no class, so its events are filtered
  // out (dev_uevent_filter()); a valid write sends nothing.
  bool filtered = false;
};

class UeventSource : public apbus::BusObserver, public driver::MdevObserver {
 public:
  // Both must outlive this object.
  UeventSource(UeventHub& hub, Logger& log) : hub_(hub), log_(log) {}

  UeventHub& hub() { return hub_; }

  // A write to the `uevent` file of `target`: the event it asks for, or
  // EINVAL (ENOMEM past the kernel's limits), logged as the kernel logs it.
  Status Synthesize(const UeventTarget& target, std::string_view buf);

  // The matrix device appears, binds to vfio_ap and registers as an mdev
  // parent (vfio_ap_init()).
  void MatrixRegistered();

  // apbus::BusObserver
  void OnDeviceAdded(const apbus::ApDevice& dev) override;
  void OnDeviceRemoved(const apbus::ApDevice& dev) override;
  void OnDriverRegistered(const apbus::ApDriver&) override {}
  void OnDeviceBound(const apbus::ApDevice& dev) override;
  void OnDeviceUnbound(const apbus::ApDevice& dev,
                       std::string_view old_driver) override;
  void OnChangeEvent(const apbus::ApDevice* dev,
                     const std::vector<std::string>& env) override;

  // driver::MdevObserver
  void OnMdevCreated(const Uuid& uuid) override;
  void OnMdevChanged(const Uuid&) override {}
  void OnMdevUnbound(const Uuid& uuid) override;
  void OnMdevRemoved(const Uuid& uuid) override;

 private:
  // An event of the model's own: within the kernel's limits by design.
  // Only numbered when nobody listens.
  void Send(std::string_view action, std::string_view devpath,
            std::string_view subsystem, const std::vector<std::string>& env);
  // The same once the caller knows someone listens.
  void Deliver(std::string_view action, std::string_view devpath,
               std::string_view subsystem, const std::vector<std::string>& env);
  void Device(std::string_view action, apbus::ApDevice dev);

  UeventHub& hub_;
  Logger& log_;
};

// The matrix device's and an mdev's `uevent` targets.
UeventTarget MatrixTarget();
// An mdev bound to no driver has no DRIVER key, and dev_err() names it
// by its bus.
UeventTarget MdevTarget(const Uuid& uuid, bool bound = true);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_UEVENTS_H_
