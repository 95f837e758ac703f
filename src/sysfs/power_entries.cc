#include "sysfs/power_entries.h"

#include <cerrno>
#include <utility>

#include "sysfs/attr.h"

namespace vap::sysfs {

namespace {

constexpr const char* kAutosuspendDelay = "autosuspend_delay_ms";
constexpr const char* kControl = "control";
constexpr const char* kActiveTime = "runtime_active_time";
constexpr const char* kStatus = "runtime_status";
constexpr const char* kSuspendedTime = "runtime_suspended_time";

Status NoAutosuspend() {
  return Status::Error(EIO, "the device does not use autosuspend");
}

}  // namespace

std::vector<DirEntry> PowerEntries::List(uint64_t) const {
  std::vector<DirEntry> out;
  for (const char* name :
       {kAutosuspendDelay, kControl, kActiveTime, kStatus, kSuspendedTime})
    out.push_back({name, NodeType::kAttribute});
  return out;
}

std::optional<DynamicEntry> PowerEntries::Find(uint64_t key,
                                               std::string_view name) const {
  if (name == kAutosuspendDelay) {
    // autosuspend_delay_ms_show() and _store(): EIO unless
    // pm_runtime_use_autosuspend() was called.
    return Attribute(
        kRw, []() -> Result<std::string> { return NoAutosuspend(); },
        [](std::string_view) { return NoAutosuspend(); });
  }
  if (name == kControl) {
    return Attribute(
        kRw, [this, key] { return Text(Forbidden(key) ? "on\n" : "auto\n"); },
        [this, key](std::string_view buf) { return StoreControl(key, buf); });
  }
  if (name == kActiveTime || name == kSuspendedTime) {
    // Nothing is accounted while runtime PM is disabled
    // (update_pm_runtime_accounting()).
    return Attribute(kRo, [] { return Text("0\n"); });
  }
  if (name == kStatus) return Attribute(kRo, [] { return Text("unsupported\n"); });
  return std::nullopt;
}

bool PowerEntries::Forbidden(uint64_t key) const {
  MutexLock lock(mu_);
  return forbidden_.count(key) != 0;
}

// control_store(): "on" forbids runtime PM, "auto" allows it again, both
// compared with sysfs_streq(); anything else is EINVAL.
Status PowerEntries::StoreControl(uint64_t key, std::string_view buf) const {
  const std::string_view text = StreqText(buf);
  MutexLock lock(mu_);
  if (text == "on") {
    forbidden_.insert(key);
  } else if (text == "auto") {
    forbidden_.erase(key);
  } else {
    return Status::Error(EINVAL, "power/control takes \"on\" or \"auto\"");
  }
  return Status::Ok();
}

void PowerEntries::Forget(uint64_t key) {
  MutexLock lock(mu_);
  forbidden_.erase(key);
}

DynamicEntry PowerEntries::Dir(std::shared_ptr<const PowerEntries> self,
                               uint64_t key) {
  return ComputedDir(std::move(self), key);
}

}  // namespace vap::sysfs
