#include "sysfs/host_tree.h"

namespace vap::sysfs {

HostTree::HostTree(const Clock& clock, const ap::HostProfile& profile)
    : drivers_(clock, profile),
      bus_sysfs_(tree_, drivers_.bus(), drivers_.zcrypt()),
      vfio_sysfs_(tree_, drivers_.vfio(), bus_sysfs_) {
  drivers_.bus().Scan();
}

}  // namespace vap::sysfs
