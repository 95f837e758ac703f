// Capture(): the durable part of a running system, looked at while
// nothing that changes it can run (docs/locking.md P1).
#include "state/system_state.h"

#include <algorithm>

#include "apbus/ap_bus.h"
#include "base/mutex.h"

namespace vap::state {

namespace {

// The bus-wide part; the caller holds ap_scan_bus_mutex and ap_attr_mutex
// (P1: the first stops scans and (un)binding, the second the mask stores
// and every assignment; the driver's mdevs_lock is taken inside, as the
// stores take it).
SystemState GlobalHeld(System& system) {
  apbus::ApBus& bus = system.bus();
  bus.scan_mu().AssertHeld();
  bus.attr_mu().AssertHeld();
  SystemState st;
  st.host = system.CurrentHost();
  st.apmask = bus.ApmaskLocked();
  st.aqmask = bus.AqmaskLocked();
  st.ap_domain = bus.ap_domain();
  st.config_time = bus.config_time();
  st.drivers_autoprobe = bus.drivers_autoprobe();
  std::vector<apbus::ApDevice> devices = bus.Cards();
  for (apbus::ApDevice& q : bus.Queues()) devices.push_back(std::move(q));
  // Only what a user did: a device left unbound, or a driver_override. A
  // device bound otherwise than the masks say is between a mask store's
  // commit and its re-binding (ap_attr_mutex released, ap_scan_bus_mutex
  // not yet taken); the masks already say where it goes.
  for (const apbus::ApDevice& dev : devices) {
    if (dev.driver.empty() || !dev.driver_override.empty()) {
      st.bindings.push_back({dev.Name(), dev.driver, dev.driver_override});
    }
  }
  st.offline = system.zcrypt().OfflineDevices();
  return st;
}

}  // namespace

SystemState CaptureGlobal(System& system) {
  MutexLock scan(system.bus().scan_mu());
  MutexLock attr(system.bus().attr_mu());
  return GlobalHeld(system);
}

SystemState Capture(System& system) {
  apbus::ApBus& bus = system.bus();
  MutexLock scan(bus.scan_mu());
  MutexLock attr(bus.attr_mu());
  SystemState st = GlobalHeld(system);
  for (const Uuid& uuid : system.vfio().Mdevs()) {
    Result<driver::MdevInfo> m = system.vfio().Mdev(uuid);
    if (m.ok())
      st.mdevs.push_back(
          {uuid, m->matrix.apm(), m->matrix.aqm(), m->matrix.adm()});
  }
  for (const Uuid& uuid : system.vfio().UnboundMdevs())
    st.mdevs.push_back({uuid, {}, {}, {}, /*unbound=*/true});
  std::sort(st.mdevs.begin(), st.mdevs.end(),
            [](const MdevRecord& a, const MdevRecord& b) {
              return a.uuid < b.uuid;
            });
  return st;
}

}  // namespace vap::state
