#include "sysfs/uevents.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "apbus/device_uevent.h"
#include "base/check.h"
#include "matrix/synth_uevent.h"

namespace vap::sysfs {

namespace {

constexpr const char* kMatrix = "/devices/vfio_ap/matrix";

std::string MdevDevpath(const Uuid& uuid) {
  return fmt::format("{}/{}", kMatrix, uuid.ToString());
}

// zap_modalias_env(): an unbind event carries no MODALIAS.
std::vector<std::string> WithoutModalias(std::vector<std::string> env) {
  std::erase_if(env, [](const std::string& kv) {
    return kv.starts_with("MODALIAS=");
  });
  return env;
}

std::vector<std::string> Joined(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

UeventTarget MatrixTarget() {
  return {kMatrix, "matrix", {"DRIVER=vfio_ap"}, "vfio_ap matrix", false};
}

UeventTarget MdevTarget(const Uuid& uuid, bool bound) {
  if (!bound) return {MdevDevpath(uuid), "mdev", {}, "mdev " + uuid.ToString(), false};
  return {MdevDevpath(uuid), "mdev", {"DRIVER=vfio_ap_mdev"},
          "vfio_ap_mdev " + uuid.ToString(), false};
}

Status UeventSource::Synthesize(const UeventTarget& target,
                                std::string_view buf) {
  Result<SynthUevent> synth = ParseSynthUevent(buf);
  Status sent;
  if (synth.ok() && !target.filtered) {
    std::vector<std::string> env = Joined(synth->env, target.env);
    if (synth->action == "unbind") env = WithoutModalias(std::move(env));
    sent = hub_.Send(synth->action, target.devpath, target.subsystem, env);
  }
  const Status s = synth.ok() ? sent : synth.status();
  if (s.ok()) return s;
  // kobject_synth_uevent()'s pr_warn, then uevent_store()'s dev_err.
  log_.Log(LogLevel::kWarning,
           fmt::format("synth uevent: {}: {}", target.devpath,
                       synth.ok() ? "failed to send uevent" : s.message()));
  if (!target.dev_name.empty()) {
    log_.Log(LogLevel::kErr,
             fmt::format("{}: uevent: failed to send synthetic uevent: -{}",
                         target.dev_name, s.errno_value()));
  }
  return s;
}

void UeventSource::Send(std::string_view action, std::string_view devpath,
                        std::string_view subsystem,
                        const std::vector<std::string>& env) {
  if (hub_.NumberIfUnheard()) return;
  Deliver(action, devpath, subsystem, env);
}

void UeventSource::Deliver(std::string_view action, std::string_view devpath,
                           std::string_view subsystem,
                           const std::vector<std::string>& env) {
  const Status sent = hub_.Send(action, devpath, subsystem, env);
  VAP_CHECK_MSG(sent.ok(), sent.ToString().c_str());
}

void UeventSource::MatrixRegistered() {
  Send("add", kMatrix, "matrix", {});
  Send("bind", kMatrix, "matrix", {"DRIVER=vfio_ap"});
  // mdev_register_parent(): the caller's key first, then dev_uevent's.
  Send("change", kMatrix, "matrix",
       {"MDEV_STATE=registered", "DRIVER=vfio_ap"});
}

void UeventSource::Device(std::string_view action, apbus::ApDevice dev) {
  if (hub_.NumberIfUnheard()) return;  // nothing to build
  std::vector<std::string> env = apbus::DeviceUeventEnv(dev);
  if (action == "unbind") env = WithoutModalias(std::move(env));
  Deliver(action, apbus::DeviceDevpath(dev), "ap", env);
}

void UeventSource::OnDeviceAdded(const apbus::ApDevice& dev) {
  apbus::ApDevice added = dev;
  added.driver.clear();  // device_add() sends before any probe
  Device("add", std::move(added));
}

void UeventSource::OnDeviceRemoved(const apbus::ApDevice& dev) {
  apbus::ApDevice removed = dev;
  removed.driver.clear();  // unbound first
  Device("remove", std::move(removed));
}

void UeventSource::OnDeviceBound(const apbus::ApDevice& dev) {
  Device("bind", dev);
}

void UeventSource::OnDeviceUnbound(const apbus::ApDevice& dev,
                                   std::string_view /*old_driver*/) {
  Device("unbind", dev);
}

void UeventSource::OnChangeEvent(const apbus::ApDevice* dev,
                                 const std::vector<std::string>& env) {
  if (dev == nullptr) {
    Send("change", "/devices/ap", "ap", env);  // the root: no keys of its own
    return;
  }
  Send("change", apbus::DeviceDevpath(*dev), "ap",
       Joined(env, apbus::DeviceUeventEnv(*dev)));
}

void UeventSource::OnMdevCreated(const Uuid& uuid) {
  Send("add", MdevDevpath(uuid), "mdev", {});
  Send("bind", MdevDevpath(uuid), "mdev", {"DRIVER=vfio_ap_mdev"});
}

void UeventSource::OnMdevUnbound(const Uuid& uuid) {
  Send("unbind", MdevDevpath(uuid), "mdev", {});
}

void UeventSource::OnMdevRemoved(const Uuid& uuid) {
  Send("remove", MdevDevpath(uuid), "mdev", {});
}

}  // namespace vap::sysfs
