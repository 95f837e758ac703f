// Restore(): a captured state put back onto a fresh system through the
// paths the sysfs stores take, so that every check of theirs applies.
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "matrix/ap_matrix.h"
#include "matrix/apqn.h"
#include "matrix/mask_format.h"
#include "state/system_state.h"

namespace vap::state {

namespace {

constexpr std::string_view kType =
    "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/";

// One store through the tree, as a user's write would do it.
Status Store(System& system, const std::string& path,
             const std::string& value, std::string_view what) {
  Result<size_t> n = system.tree().Write(path, value);
  if (n.ok()) return Status::Ok();
  return Status::Error(n.status().errno_value(),
                       fmt::format("{}: write to {}: {}", what, path,
                                   strerror(n.status().errno_value())));
}

Status RestoreBusAttributes(System& system, const SystemState& st) {
  apbus::ApBus& bus = system.bus();
  if (st.ap_domain >= 0 && st.ap_domain != bus.ap_domain()) {
    VAP_RETURN_IF_ERROR(Store(system, "bus/ap/ap_domain",
                              fmt::format("{}", st.ap_domain), "ap_domain"));
  }
  if (st.config_time != bus.config_time()) {
    VAP_RETURN_IF_ERROR(Store(system, "bus/ap/config_time",
                              fmt::format("{}", st.config_time),
                              "config_time"));
  }
  VAP_RETURN_IF_ERROR(
      Store(system, "bus/ap/apmask", FormatMaskHex(st.apmask), "apmask"));
  return Store(system, "bus/ap/aqmask", FormatMaskHex(st.aqmask), "aqmask");
}

std::string DevicePath(const apbus::ApDevice& dev) {
  const std::string card = "devices/ap/" + CardName(dev.apid);
  if (dev.kind == apbus::DeviceKind::kCard) return card;
  return card + "/" + dev.Name();
}

// A device that is gone (its adapter left the configuration while the
// state was captured) keeps no binding, as in the kernel.
Status RestoreBinding(System& system, const DeviceBinding& b) {
  const std::string what = "bindings: " + b.device;
  std::optional<apbus::ApDevice> dev = system.bus().Device(b.device);
  if (!dev) return Status::Ok();
  if (!b.driver_override.empty()) {
    VAP_RETURN_IF_ERROR(Store(system, DevicePath(*dev) + "/driver_override",
                              b.driver_override, what));
  }
  if (dev->driver == b.driver) return Status::Ok();
  if (!dev->driver.empty()) {
    VAP_RETURN_IF_ERROR(Store(
        system, "bus/ap/drivers/" + dev->driver + "/unbind", b.device, what));
  }
  if (!b.driver.empty()) {
    VAP_RETURN_IF_ERROR(Store(system, "bus/ap/drivers/" + b.driver + "/bind",
                              b.device, what));
  }
  return Status::Ok();
}

Status RestoreOffline(System& system, const std::string& device) {
  std::optional<apbus::ApDevice> dev = system.bus().Device(device);
  if (!dev || dev->driver.empty()) return Status::Ok();
  return Store(system, DevicePath(*dev) + "/online", "0", "offline: " + device);
}

Status RestoreMdev(System& system, const MdevRecord& m) {
  const std::string uuid = m.uuid.ToString();
  const std::string what = "mdevs: " + uuid;
  VAP_RETURN_IF_ERROR(
      Store(system, std::string(kType) + "create", uuid, what));
  if (m.apm.Empty() && m.aqm.Empty() && m.adm.Empty()) return Status::Ok();
  ApMatrix x;
  x.apm() = m.apm;
  x.aqm() = m.aqm;
  x.adm() = m.adm;
  return Store(system, "devices/vfio_ap/matrix/" + uuid + "/ap_config",
               FormatApConfig(x), what);
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
