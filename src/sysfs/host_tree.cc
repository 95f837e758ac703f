#include "sysfs/host_tree.h"

#include <utility>

namespace vap::sysfs {

HostTree::HostTree(const Clock& clock, const ap::HostProfile& profile,
                   Logger::Sink log_sink)
    : drivers_(clock, profile, std::move(log_sink)),
      bus_sysfs_(tree_, drivers_.bus(), drivers_.zcrypt()),
      vfio_sysfs_(tree_, drivers_.vfio(), bus_sysfs_) {
  drivers_.bus().Scan();
}

}  // namespace vap::sysfs
