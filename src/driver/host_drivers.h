// HostDrivers: the host below the sysfs tree, assembled in one place: the
// AP firmware of a host profile, the AP bus, the zcrypt card and queue
// drivers and vfio_ap, registered in the order the kernel's module loads
// give them (ap, zcrypt, vfio_ap). The bus is not scanned yet: observers
// (the sysfs layer) are added first, then Scan() (sysfs::HostTree does
// both). The driver tests' fixture uses it alone.
//
// Adding an AP driver means adding it here, and nowhere else.
#ifndef VAP_DRIVER_HOST_DRIVERS_H_
#define VAP_DRIVER_HOST_DRIVERS_H_

#include "ap/firmware.h"
#include "ap/profile.h"
#include "apbus/ap_bus.h"
#include "apbus/zcrypt.h"
#include "base/clock.h"
#include "base/log.h"
#include "driver/vfio_ap.h"

namespace vap::driver {

class HostDrivers {
 public:
  // `clock` must outlive this object; the profile is copied by the
  // firmware; `log_sink` (may be null) sees every log line from the
  // first on (Logger::SetSink). Registering the drivers on a fresh bus
  // cannot fail: a failure is a bug (VAP_CHECK).
  HostDrivers(const Clock& clock, const ap::HostProfile& profile,
              Logger::Sink log_sink = nullptr);
  HostDrivers(const HostDrivers&) = delete;
  HostDrivers& operator=(const HostDrivers&) = delete;

  const Clock& clock() const { return clock_; }
  Logger& log() { return log_; }
  ap::Firmware& firmware() { return firmware_; }
  const ap::Firmware& firmware() const { return firmware_; }
  apbus::ApBus& bus() { return bus_; }
  const apbus::ApBus& bus() const { return bus_; }
  apbus::Zcrypt& zcrypt() { return zcrypt_; }
  const apbus::Zcrypt& zcrypt() const { return zcrypt_; }
  VfioAp& vfio() { return vfio_; }

 private:
  const Clock& clock_;
  Logger log_;
  ap::Firmware firmware_;
  apbus::ApBus bus_;
  apbus::Zcrypt zcrypt_;
  VfioAp vfio_;
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_HOST_DRIVERS_H_
