// HostTree: a whole host as its sysfs tree shows it, assembled in one
// place: the drivers of driver::HostDrivers, the tree, the AP bus's and
// vfio_ap's parts of it, and the first bus scan (ap_bus_init()'s initial
// scan, after every observer is in place). System, the test fixtures,
// the tools and the benchmarks build hosts with it; adding a layer over
// the drivers means adding it here.
#ifndef VAP_SYSFS_HOST_TREE_H_
#define VAP_SYSFS_HOST_TREE_H_

#include "ap/profile.h"
#include "base/clock.h"
#include "driver/host_drivers.h"
#include "sysfs/ap_bus_sysfs.h"
#include "base/uevent.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"
#include "sysfs/vfio_ap_sysfs.h"

namespace vap::sysfs {

// The uevents of the host (sysfs/uevents.h) start here too: the hub that
// numbers and hands them out, and the source that follows the bus and the
// driver for them.
class HostTree {
 public:
  // `clock` must outlive this object. Returns after the first scan.
  HostTree(const Clock& clock, const ap::HostProfile& profile,
           Logger::Sink log_sink = nullptr);
  // Stops the bus's scan worker and queue poller first: a periodic scan
  // tells the uevent source and the tree's observers, which go before the
  // bus does.
  ~HostTree();
  HostTree(const HostTree&) = delete;
  HostTree& operator=(const HostTree&) = delete;

  driver::HostDrivers& drivers() { return drivers_; }
  const driver::HostDrivers& drivers() const { return drivers_; }
  Tree& tree() { return tree_; }
  UeventHub& uevents() { return uevent_hub_; }

 private:
  driver::HostDrivers drivers_;
  UeventHub uevent_hub_;
  UeventSource uevent_source_;
  Tree tree_;
  ApBusSysfs bus_sysfs_;
  VfioApSysfs vfio_sysfs_;
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_HOST_TREE_H_
