// The `power` directory of every device (dpm_sysfs_add() in
// drivers/base/power/sysfs.c), computed: one provider serves the power
// directories of all devices, each identified by a PowerKey.
//
// An s390 kernel has runtime PM (CONFIG_PM) but no system sleep (s390
// dropped hibernation), and no AP or VFIO device enables runtime PM or can
// wake the system, so each directory holds the runtime group only
// (docs/sysfs-abi.md, "power"):
//   autosuspend_delay_ms  0644  EIO both ways (no autosuspend)
//   control               0644  "auto" until "on" is stored
//   runtime_active_time   0444  0 (runtime PM disabled: no accounting)
//   runtime_status        0444  "unsupported" (disable_depth > 0)
//   runtime_suspended_time 0444 0
#ifndef VAP_SYSFS_POWER_ENTRIES_H_
#define VAP_SYSFS_POWER_ENTRIES_H_

#include <cstdint>
#include <memory>
#include <unordered_set>

#include "base/mutex.h"
#include "sysfs/tree.h"

namespace vap::sysfs {

// Which device a power directory belongs to: a kind and a number unique
// within it.
enum class PowerKind : uint8_t {
  kApRoot,       // /sys/devices/ap
  kCard,         // APID
  kQueue,        // queue id
  kVfioApRoot,   // /sys/devices/vfio_ap
  kMatrix,       // the matrix device
  kMdev,         // the mdev's IOMMU group number
  kVfioDevice,   // vfio-dev/vfioN: N
  kVfioGroup,    // /sys/devices/virtual/vfio/N: N
};

constexpr uint64_t PowerKey(PowerKind kind, uint64_t id) {
  return (uint64_t{static_cast<uint8_t>(kind)} << 32) | id;
}

class PowerEntries : public DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t key) const override;
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override;

  // The device of `key` was removed: a device made later with the same key
  // starts with `control` "auto", as a new struct device does.
  void Forget(uint64_t key) VAP_EXCLUDES(mu_);

  // The `power` entry of a device directory, for its provider's Find.
  static DynamicEntry Dir(std::shared_ptr<const PowerEntries> self,
                          uint64_t key);

 private:
  bool Forbidden(uint64_t key) const VAP_EXCLUDES(mu_);
  Status StoreControl(uint64_t key, std::string_view buf) const
      VAP_EXCLUDES(mu_);

  // Guards forbidden_; rank kLeaf.
  mutable Mutex mu_{LockRank::kLeaf, "power_entries"};
  // Devices whose `control` is "on" (pm_runtime_forbid()); few.
  mutable std::unordered_set<uint64_t> forbidden_ VAP_GUARDED_BY(mu_);
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_POWER_ENTRIES_H_
