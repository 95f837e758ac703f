// MdevObserver: what follows vfio_ap's mdevs from outside the driver, as
// apbus::BusObserver follows AP devices. Every path that creates or
// removes an mdev (the sysfs `create`, `remove` and `unbind` stores, state
// restore, the library's typed operations) goes through
// VfioAp::CreateMdev(), RemoveMdev() and UnbindMdev(), and those tell the
// observers: the sysfs layer
// builds and tears down the mdev's directory (the mdev core's device_add()
// and device_del() in drivers/vfio/mdev/mdev_core.c), durable state notes
// what to write. Later events (uevents) start here.
#ifndef VAP_DRIVER_MDEV_OBSERVER_H_
#define VAP_DRIVER_MDEV_OBSERVER_H_

#include "matrix/uuid.h"

namespace vap::driver {

class MdevObserver {
 public:
  virtual ~MdevObserver() = default;

  // `uuid` was created. Called with guests_lock and mdevs_lock held,
  // before anyone else can see the mdev: take only leaf locks, never wait.
  virtual void OnMdevCreated(const Uuid& uuid) = 0;
  // The matrix of `uuid` changed (an assignment, ap_config, a hot plug or
  // unplug by the bus). Called with mdevs_lock held: leaf locks only.
  virtual void OnMdevChanged(const Uuid& uuid) = 0;
  // `uuid` is gone from the driver (vfio_ap_mdev_remove()): by an unbind,
  // or first in a removal. Called with no driver lock held (the sysfs
  // layer waits there for reads of the mdev's attributes to end); the
  // mdev core's device is still there.
  virtual void OnMdevUnbound(const Uuid& uuid) = 0;
  // The mdev core's device `uuid` is gone too (after OnMdevUnbound, or of
  // an mdev unbound before). Called with no driver lock held; the UUID
  // cannot be created again until every observer has returned.
  virtual void OnMdevRemoved(const Uuid& uuid) = 0;
};

}  // namespace vap::driver

#endif  // VAP_DRIVER_MDEV_OBSERVER_H_
