// The attributes of an mdev's IOMMU group, /sys/kernel/iommu_groups/N
// (drivers/iommu/iommu.c's group attributes). An mdev's group is the one
// the VFIO core makes for an emulated-IOMMU device
// (vfio_noiommu_group_alloc() in drivers/vfio/group.c): named
// "vfio-noiommu", with no default domain (so `type` shows "unknown" and a
// store fails with EINVAL) and no reserved regions (an empty file).
// Computed, so a group costs nothing but its directory.
#ifndef VAP_SYSFS_IOMMU_GROUP_ENTRIES_H_
#define VAP_SYSFS_IOMMU_GROUP_ENTRIES_H_

#include <optional>
#include <string_view>
#include <vector>

#include "sysfs/tree.h"

namespace vap::sysfs {

class IommuGroupEntries : public DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t key) const override;
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override;
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_IOMMU_GROUP_ENTRIES_H_
