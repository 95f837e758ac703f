#include "sysfs/host_tree.h"

#include <utility>

#include "sysfs/module_sysfs.h"

namespace vap::sysfs {

HostTree::~HostTree() { drivers_.bus().StopWorkers(); }

HostTree::HostTree(const Clock& clock, const ap::HostProfile& profile,
                   Logger::Sink log_sink)
    : drivers_(clock, profile, std::move(log_sink)),
      uevent_source_(uevent_hub_, drivers_.log()),
      bus_sysfs_(tree_, drivers_.bus(), drivers_.zcrypt(), uevent_source_),
      vfio_sysfs_(tree_, drivers_.vfio(), bus_sysfs_, uevent_source_) {
  // After the tree's own observers, so a device's directory is there when
  // its event is sent (device_add() makes it first).
  drivers_.bus().AddObserver(uevent_source_);
  drivers_.vfio().AddMdevObserver(uevent_source_);
  uevent_source_.MatrixRegistered();
  AddModules(tree_, drivers_.bus(), drivers_.vfio(), uevent_source_);
  drivers_.bus().Scan();
}

}  // namespace vap::sysfs
