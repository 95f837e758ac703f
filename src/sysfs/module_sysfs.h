// /sys/module for the AP modules, and the `module` links of their drivers
// (module_add_driver() in drivers/base/module.c; kernel/params.c and the
// module attributes of kernel/module/sysfs.c).
//
// What an s390 host with vfio_ap loaded has: `ap` is built into the kernel
// (drivers/s390/crypto/Makefile builds it whenever zcrypt is configured),
// so /sys/module/ap holds only its parameters and `uevent`; `zcrypt`,
// `zcrypt_cex4` and `vfio_ap` are loadable modules with `initstate`,
// `refcnt`, `taint`, `holders/` and `uevent`, and the ones that register
// drivers a `drivers/` directory linking them as "<bus>:<driver>". A
// driver gets a `module` link when it names its module: the AP drivers
// (ap_driver_register()) and vfio_ap_mdev do; the matrix bus's vfio_ap
// driver has no owner and so no link. vfio_ap's root device,
// /sys/devices/vfio_ap, links its module too (__root_device_register()).
// docs/sysfs-abi.md, "/sys/module".
#ifndef VAP_SYSFS_MODULE_SYSFS_H_
#define VAP_SYSFS_MODULE_SYSFS_H_

#include "apbus/ap_bus.h"
#include "driver/vfio_ap.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"

namespace vap::sysfs {

// Builds /sys/module and the drivers' `module` links; the driver
// directories must exist.
void AddModules(Tree& tree, apbus::ApBus& bus, driver::VfioAp& vfio,
                UeventSource& uevents);

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_MODULE_SYSFS_H_
