// Why is a guest missing AP resources? For an mdev: every assigned
// adapter, usage domain and control domain that is not in the guest's
// view (the shadow APCB, or nothing without a guest), each with its reason
// and what would put it back (`vap explain`, docs/architecture.md,
// "Interface contract").
#ifndef VAP_DRIVER_EXPLAIN_H_
#define VAP_DRIVER_EXPLAIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "driver/vfio_ap.h"

namespace vap::driver {

enum class ResourceKind : uint8_t { kAdapter, kDomain, kControlDomain };

enum class MissingReason : uint8_t {
  kNotInHostConfig,    // not in the host's AP configuration (QCI)
  kAdapterTypeTooOld,  // the card is older than CEX4: no AP bus device
  kNoQueueDevice,      // the queue has no device (TAPQ failed)
  kQueueNotBound,      // the queue is bound to another driver, or none
  kResetFailed,        // vfio_ap's last reset of the queue failed
  kNotRefiltered,      // usable now, but the filter has not run since
  kNoGuest,            // in the shadow, but no guest is attached
};

struct MissingResource {
  ResourceKind kind = ResourceKind::kAdapter;
  uint8_t id = 0;
  MissingReason reason = MissingReason::kNotRefiltered;
  std::optional<Apqn> queue;       // the queue that keeps an adapter out
  std::string driver;              // kQueueNotBound: bound to this ("" none)
  bool reserved_by_masks = false;  // kQueueNotBound: apmask x aqmask hold it
  uint8_t reset_rc = 0;            // kResetFailed
  std::string text;  // "adapter 05: queue 05.00ab is bound to cex4queue ..."
  std::string fix;   // what would put it back
};

struct Explanation {
  Uuid uuid;
  std::string guest;  // attached guest; empty if none
  std::vector<MissingResource> missing;
  std::string summary;
};

// What `vap explain` prints: a line per missing resource ("<text>; fix:
// <fix>"), then the summary.
std::string ExplanationText(const Explanation& e);

// ENODEV for an unknown mdev.
Result<Explanation> Explain(const VfioAp& driver, const apbus::ApBus& bus,
                            const Uuid& uuid);

}  // namespace vap::driver

#endif  // VAP_DRIVER_EXPLAIN_H_
