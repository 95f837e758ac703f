// The VFIO core's sysfs entries for each mdev vfio_ap has bound, all
// computed (a stored node per mdev would break the per-mdev memory
// target, docs/performance.md):
//   - the mdev's `vfio-dev/vfioN`, the device's character device
//     (vfio_device_add() in drivers/vfio/vfio_main.c, with
//     CONFIG_VFIO_DEVICE_CDEV), and its link /sys/class/vfio-dev/vfioN;
//   - the mdev's VFIO group /sys/devices/virtual/vfio/G, the /dev/vfio/G
//     character device (vfio_create_group() in drivers/vfio/group.c, no
//     parent), and its link /sys/class/vfio/G. G is the IOMMU group's
//     number (the emulated-IOMMU group of vfio_register_emulated_iommu_dev()).
// Each has `dev`, `uevent` (MAJOR, MINOR, DEVNAME), `subsystem` and
// `power`; vfioN also has `device`, its link to the mdev.
#ifndef VAP_SYSFS_VFIO_DEVICE_ENTRIES_H_
#define VAP_SYSFS_VFIO_DEVICE_ENTRIES_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "matrix/uuid.h"
#include "sysfs/power_entries.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"

namespace vap::sysfs {

// The character device majors: dynamic in the kernel (alloc_chrdev_region()
// hands them out from 254 down; the groups' region is allocated first, in
// vfio_group_init()); vap's choice is docs/fidelity.md's.
inline constexpr int kVfioGroupMajor = 243;
inline constexpr int kVfioDeviceMajor = 242;

// An mdev's VFIO number: its IOMMU group's, which is also its VFIO device
// index (the N of vfioN) and the minor of both character devices. The
// kernel allocates the three from separate IDAs, each lowest free first,
// at the same events, so on a host whose only VFIO devices are vfio_ap's
// mdevs they are one number.
struct VfioNumbers {
  Uuid uuid;
  int group = 0;
};

// Where the entries learn the mdevs' numbers (vfio_ap's sysfs layer).
class VfioNumberSource {
 public:
  virtual ~VfioNumberSource() = default;
  virtual std::optional<VfioNumbers> ByGroup(int group) const = 0;
  // Every mdev's numbers, by group.
  virtual std::vector<VfioNumbers> AllNumbers() const = 0;
  // How many mdevs there are.
  virtual size_t Count() const = 0;
};

// The providers: each is a DynamicEntries for one kind of directory.
struct VfioDeviceEntries {
  // An mdev's `vfio-dev` directory (key: the group).
  std::shared_ptr<const DynamicEntries> vfio_dev_dir;
  // /sys/class/vfio-dev, /sys/class/vfio and /sys/devices/virtual/vfio.
  std::shared_ptr<const DynamicEntries> class_vfio_dev;
  std::shared_ptr<const DynamicEntries> class_vfio;
  std::shared_ptr<const DynamicEntries> virtual_vfio;
};

// `numbers`, `power` and `uevents` must outlive what this returns.
VfioDeviceEntries MakeVfioDeviceEntries(const VfioNumberSource& numbers,
                                        std::shared_ptr<PowerEntries> power,
                                        UeventSource& uevents);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_VFIO_DEVICE_ENTRIES_H_
