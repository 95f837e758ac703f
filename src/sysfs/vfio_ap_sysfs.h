// vfio_ap in the sysfs tree (docs/sysfs-abi.md, "The tree under the mount"):
// the matrix device /sys/devices/vfio_ap/matrix with `features` and the mdev
// type vfio_ap-passthrough, one directory per mdev with its attributes and
// links, the bus/class links libvirt and mdevctl follow, an IOMMU group and
// the VFIO character devices per mdev, and each bound queue's `status`.
#ifndef VAP_SYSFS_VFIO_AP_SYSFS_H_
#define VAP_SYSFS_VFIO_AP_SYSFS_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "driver/mdev_observer.h"
#include "driver/vfio_ap.h"
#include "matrix/uuid.h"
#include "sysfs/ap_bus_sysfs.h"
#include "sysfs/power_entries.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"
#include "sysfs/vfio_device_entries.h"

namespace vap::sysfs {

// The mdev directories follow the driver (driver::MdevObserver): however
// an mdev is created or removed, its directory, links and IOMMU group
// appear and go with it.
class VfioApSysfs : private driver::MdevObserver, private VfioNumberSource {
 public:
  // Builds vfio_ap's part of `tree` for the mdevs `driver` already has,
  // and follows the driver from then on; writes to `uevent` files go to
  // `uevents`. All references must outlive this object.
  VfioApSysfs(Tree& tree, driver::VfioAp& driver, ApBusSysfs& bus_sysfs,
              UeventSource& uevents);

  // The `create` store (create_store() in drivers/vfio/mdev/mdev_sysfs.c):
  // the mdev exists, directory included, when it returns (mdevctl writes
  // its attributes right after).
  Status Create(std::string_view buf);

 private:
  // driver::MdevObserver
  void OnMdevCreated(const Uuid& uuid) override { BuildMdevDir(uuid); }
  void OnMdevChanged(const Uuid&) override {}
  void OnMdevUnbound(const Uuid& uuid) override { TearDownBinding(uuid); }
  void OnMdevRemoved(const Uuid& uuid) override { TearDownMdev(uuid); }

  // VfioNumberSource
  std::optional<VfioNumbers> ByGroup(int group) const override
      VAP_EXCLUDES(mu_);
  std::vector<VfioNumbers> AllNumbers() const override VAP_EXCLUDES(mu_);
  size_t Count() const override VAP_EXCLUDES(mu_);

  class MdevEntries;
  class MdevDriverLinks;
  void BuildMatrixDevice();
  // The mdevs bound to vfio_ap_mdev now, by UUID text.
  std::vector<std::string> MdevNames() const VAP_EXCLUDES(mu_);
  bool HasBoundMdev(const Uuid& uuid) const VAP_EXCLUDES(mu_);
  void AddBusFiles(const std::string& bus, const std::string& driver);
  // bus/mdev/drivers/vfio_ap_mdev's `bind` and `unbind`.
  void AddMdevDriverBinding(const NodeRef& dir);
  // The mdev whose directory has key `key`, and its IOMMU group (-1 while
  // it is bound to no driver).
  struct KeyedMdev {
    Uuid uuid;
    int group;
  };
  std::optional<KeyedMdev> MdevOfKey(uint64_t key) const VAP_EXCLUDES(mu_);
  void BuildMdevDir(const Uuid& uuid) VAP_EXCLUDES(mu_);
  // What the binding to vfio_ap_mdev added: the IOMMU group, the VFIO
  // devices, the driver's link, the attributes.
  void TearDownBinding(const Uuid& uuid) VAP_EXCLUDES(mu_);
  // The mdev's `remove` store (remove_store() in
  // drivers/vfio/mdev/mdev_sysfs.c).
  Status RemoveStore(const Uuid& uuid, std::string_view buf)
      VAP_EXCLUDES(mu_);
  bool Removing(const Uuid& uuid) const VAP_EXCLUDES(mu_);
  void TearDownMdev(const Uuid& uuid) VAP_EXCLUDES(mu_);

  Tree& tree_;
  driver::VfioAp& driver_;
  UeventSource& uevents_;
  NodeRef matrix_;  // devices/vfio_ap/matrix
  NodeRef
      type_devices_;  // .../mdev_supported_types/vfio_ap-passthrough/devices
  NodeRef mdev_devices_;  // bus/mdev/devices
  NodeRef iommu_groups_;  // kernel/iommu_groups
  // The power directories of the matrix device, the mdevs and their VFIO
  // devices.
  const std::shared_ptr<PowerEntries> power_;
  // Every mdev directory's attributes and links are computed (about
  // 200 bytes saved per entry: 65,536 mdevs fit).
  std::shared_ptr<const DynamicEntries> mdev_entries_;
  std::shared_ptr<const DynamicEntries> group_entries_;
  const VfioDeviceEntries vfio_entries_;

  // An mdev directory's key (the index of its UUID in by_key_) and its
  // IOMMU group number, -1 once unbound. A group number is the lowest
  // free one (ida_alloc() in iommu_group_alloc()); the VFIO device index
  // and the character devices' minors are allocated and freed with it,
  // lowest free too, so they are the same number (VfioNumbers).
  struct Numbers {
    uint32_t key;
    int group;
  };
  // Rank kLeaf.
  mutable Mutex mu_{LockRank::kLeaf, "vfio_ap_sysfs"};
  std::map<Uuid, Numbers> numbers_ VAP_GUARDED_BY(mu_);
  std::map<int, Uuid> mdev_of_group_ VAP_GUARDED_BY(mu_);
  std::vector<std::optional<Uuid>> by_key_ VAP_GUARDED_BY(mu_);
  std::vector<uint32_t> free_keys_ VAP_GUARDED_BY(mu_);
  // Numbers below next_iommu_group_ that are free again.
  std::set<int> free_groups_ VAP_GUARDED_BY(mu_);
  // Mdevs whose `remove` store runs: one writer removes, as
  // kernfs_remove_self() lets one win, and `remove` is gone meanwhile.
  std::set<Uuid> removing_ VAP_GUARDED_BY(mu_);
  int next_iommu_group_ VAP_GUARDED_BY(mu_) = 0;
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_VFIO_AP_SYSFS_H_
