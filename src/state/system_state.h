// SystemState: what vapd keeps across restarts with --state
// (docs/state.md): the host as it is now, the AP bus masks and the
// bindings that differ from what the masks imply, the zcrypt devices set
// offline, and every mdev with its matrix. Bindings the masks imply are
// not kept: a restore's scan and mask stores make them again. Guests are not kept: after a
// restart every mdev is there and no guest runs, as after a host reboot
// with the mdevs defined.
#ifndef VAP_STATE_SYSTEM_STATE_H_
#define VAP_STATE_SYSTEM_STATE_H_

#include <string>
#include <vector>

#include "ap/profile.h"
#include "base/status.h"
#include "matrix/ap_mask.h"
#include "matrix/uuid.h"
#include "system/system.h"

namespace vap::state {

// A device a user left unbound (`driver` empty), or one with a
// driver_override [6.19] and the driver it is bound to.
struct DeviceBinding {
  std::string device;  // "card05" or "05.0047"
  std::string driver;  // empty: unbound
  std::string driver_override;
  friend bool operator==(const DeviceBinding&, const DeviceBinding&) = default;
};

struct MdevRecord {
  Uuid uuid;
  ApMask apm, aqm, adm;  // what `ap_config` shows
  // Bound to no driver (the `unbind` store): the masks are empty. Absent
  // in older files: bound.
  bool unbound = false;
  friend bool operator==(const MdevRecord&, const MdevRecord&) = default;
};

struct SystemState {
  ap::HostProfile host;
  ApMask apmask = ApMask::All();
  ApMask aqmask = ApMask::All();
  int ap_domain = -1;
  int config_time = 30;
  bool drivers_autoprobe = true;  // bus/ap's; absent in older files: on
  std::vector<DeviceBinding> bindings;  // by device name
  std::vector<std::string> offline;     // cards first, then queues
  std::vector<MdevRecord> mdevs;        // by UUID
  friend bool operator==(const SystemState&, const SystemState&) = default;
};

// A consistent look at `system`: taken holding ap_scan_bus_mutex and
// ap_attr_mutex, so no scan, (un)binding, mask store or assignment runs
// meanwhile (docs/locking.md P1).
SystemState Capture(System& system);
// The same without the mdevs (`mdevs` empty): what a journal's "global"
// record holds. Costs the bindings a user made, not the mdevs.
SystemState CaptureGlobal(System& system);

// Puts `state` onto a system freshly created from state.host, through the
// same paths the stores take. The first step that fails is returned with
// a message naming it; the system is then half restored and should be
// dropped.
Status Restore(System& system, const SystemState& state);

}  // namespace vap::state

#endif  // VAP_STATE_SYSTEM_STATE_H_
