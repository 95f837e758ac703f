// The attributes and links of AP card and queue devices
// (/sys/devices/ap/cardXX and .../XX.YYYY), computed from the AP bus when
// looked up: the `full` host has 65,536 queues. Formats are the kernel's
// (ap_card.c, ap_queue.c, zcrypt_card.c, zcrypt_queue.c, zcrypt_cex4.c).
#ifndef VAP_SYSFS_AP_DEVICE_ENTRIES_H_
#define VAP_SYSFS_AP_DEVICE_ENTRIES_H_

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "apbus/ap_bus.h"
#include "apbus/zcrypt.h"
#include "base/mutex.h"
#include "sysfs/power_entries.h"
#include "sysfs/tree.h"
#include "sysfs/uevents.h"

namespace vap::sysfs {

// Card directories; the key is the APID.
class CardEntries : public DynamicEntries {
 public:
  CardEntries(apbus::ApBus& bus, apbus::Zcrypt& zcrypt, UeventSource& uevents,
              std::shared_ptr<const PowerEntries> power)
      : bus_(bus), zcrypt_(zcrypt), uevents_(uevents), power_(std::move(power)) {}
  std::vector<DirEntry> List(uint64_t key) const override;
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override;
  uint32_t Subdirs(uint64_t) const override { return 1; }  // power

 private:
  std::vector<std::pair<std::string, DynamicEntry>> Entries(uint8_t apid) const;

  apbus::ApBus& bus_;
  apbus::Zcrypt& zcrypt_;
  UeventSource& uevents_;
  const std::shared_ptr<const PowerEntries> power_;
};

// Queue directories; the key is the queue id (APID << 8 | APQI). A driver
// other than the host's may add entries of its own while a queue is bound
// to it (vfio_ap's `status`).
class QueueEntries : public DynamicEntries {
 public:
  QueueEntries(apbus::ApBus& bus, apbus::Zcrypt& zcrypt, UeventSource& uevents,
              std::shared_ptr<const PowerEntries> power)
      : bus_(bus), zcrypt_(zcrypt), uevents_(uevents), power_(std::move(power)) {}
  std::vector<DirEntry> List(uint64_t key) const override;
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override;
  uint32_t Subdirs(uint64_t) const override { return 1; }  // power

  // Entries `provider` adds to queues bound to `driver` (key: queue id).
  void AddDriverEntries(std::string driver,
                        std::shared_ptr<const DynamicEntries> provider)
      VAP_EXCLUDES(mu_);

 private:
  std::vector<std::pair<std::string, DynamicEntry>> Entries(Apqn apqn) const;
  std::shared_ptr<const DynamicEntries> DriverEntries(
      const std::string& driver) const VAP_EXCLUDES(mu_);

  apbus::ApBus& bus_;
  apbus::Zcrypt& zcrypt_;
  UeventSource& uevents_;
  const std::shared_ptr<const PowerEntries> power_;
  // Guards driver_entries_; rank kLeaf.
  mutable Mutex mu_{LockRank::kLeaf, "queue_driver_entries"};
  std::map<std::string, std::shared_ptr<const DynamicEntries>> driver_entries_
      VAP_GUARDED_BY(mu_);
};

}  // namespace vap::sysfs

#endif  // VAP_SYSFS_AP_DEVICE_ENTRIES_H_
