// Restore(): a captured state put back onto a fresh system through the
// typed operations the sysfs stores call (the bus's mask, binding and
// attribute stores, zcrypt's `online`, vfio_ap's CreateMdev() and
// ap_config), so that every check of theirs applies, and the tree follows
// through the observers as it does for a user's writes.
#include <fmt/format.h>

#include <cerrno>

#include "matrix/ap_matrix.h"
#include "matrix/apqn.h"
#include "matrix/mask_format.h"
#include "state/system_state.h"

namespace vap::state {

namespace {

// A step's refusal, named: "mdevs: UUID: ap_config: <the driver's reason>".
Status Step(Status s, std::string_view what, std::string_view attribute) {
  if (s.ok()) return s;
  const std::string reason =
      s.message().empty() ? ErrnoDescription(s.errno_value()) : s.message();
  return Status::Error(s.errno_value(),
                       fmt::format("{}: {}: {}", what, attribute, reason));
}

Status RestoreBusAttributes(System& system, const SystemState& st) {
  apbus::ApBus& bus = system.bus();
  if (st.ap_domain >= 0 && st.ap_domain != bus.ap_domain()) {
    VAP_RETURN_IF_ERROR(
        Step(bus.SetApDomain(fmt::format("{}", st.ap_domain)), "bus",
             "ap_domain"));
  }
  if (st.config_time != bus.config_time()) {
    VAP_RETURN_IF_ERROR(
        Step(bus.SetConfigTime(fmt::format("{}", st.config_time)), "bus",
             "config_time"));
  }
  bus.SetDriversAutoprobe(st.drivers_autoprobe);
  VAP_RETURN_IF_ERROR(
      Step(bus.WriteApmask(FormatMaskHex(st.apmask)), "bus", "apmask"));
  return Step(bus.WriteAqmask(FormatMaskHex(st.aqmask)), "bus", "aqmask");
}

// A device that is gone (its adapter left the configuration while the
// state was captured) keeps no binding, as in the kernel.
Status RestoreBinding(System& system, const DeviceBinding& b) {
  const std::string what = "bindings: " + b.device;
  apbus::ApBus& bus = system.bus();
  std::optional<apbus::ApDevice> dev = bus.Device(b.device);
  if (!dev) return Status::Ok();
  if (!b.driver_override.empty()) {
    VAP_RETURN_IF_ERROR(
        Step(bus.SetDriverOverride(dev->apqn(), b.driver_override), what,
             "driver_override"));
  }
  if (dev->driver == b.driver) return Status::Ok();
  if (!dev->driver.empty()) {
    VAP_RETURN_IF_ERROR(
        Step(bus.Unbind(dev->driver, b.device), what, "unbind"));
  }
  if (!b.driver.empty()) {
    VAP_RETURN_IF_ERROR(Step(bus.Bind(b.driver, b.device), what, "bind"));
  }
  return Status::Ok();
}

Status RestoreOffline(System& system, const std::string& device) {
  std::optional<apbus::ApDevice> dev = system.bus().Device(device);
  if (!dev || dev->driver.empty()) return Status::Ok();
  apbus::Zcrypt& zcrypt = system.zcrypt();
  const Status s = dev->kind == apbus::DeviceKind::kCard
                       ? zcrypt.StoreCardOnline(dev->apid, "0")
                       : zcrypt.StoreQueueOnline(dev->apqn(), "0");
  return Step(s, "offline: " + device, "online");
}

Status RestoreMdev(System& system, const MdevRecord& m) {
  const std::string what = "mdevs: " + m.uuid.ToString();
  driver::VfioAp& vfio = system.vfio();
  VAP_RETURN_IF_ERROR(Step(vfio.CreateMdev(m.uuid), what, "create"));
  if (m.unbound) return Step(vfio.UnbindMdev(m.uuid), what, "unbind");
  if (m.apm.Empty() && m.aqm.Empty() && m.adm.Empty()) return Status::Ok();
  ApMatrix x;
  x.apm() = m.apm;
  x.aqm() = m.aqm;
  x.adm() = m.adm;
  return Step(vfio.StoreApConfig(m.uuid, FormatApConfig(x)), what,
              "ap_config");
}

}  // namespace

Status Restore(System& system, const SystemState& st) {
  VAP_RETURN_IF_ERROR(RestoreBusAttributes(system, st));
  for (const DeviceBinding& b : st.bindings)
    VAP_RETURN_IF_ERROR(RestoreBinding(system, b));
  for (const std::string& device : st.offline)
    VAP_RETURN_IF_ERROR(RestoreOffline(system, device));
  for (const MdevRecord& m : st.mdevs) VAP_RETURN_IF_ERROR(RestoreMdev(system, m));
  return Status::Ok();
}

}  // namespace vap::state
