#include "sysfs/vfio_device_entries.h"

#include <fmt/format.h>

#include <charconv>
#include <functional>
#include <string>
#include <utility>

#include "sysfs/attr.h"

namespace vap::sysfs {

namespace {

// The number in `name` after `prefix`, if `name` is exactly prefix + the
// number's decimal form (so "vfio01" is not vfio1).
std::optional<int> NumberAfter(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return std::nullopt;
  const std::string_view digits = name.substr(prefix.size());
  int n = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 0 ||
      fmt::format("{}", n) != digits)
    return std::nullopt;
  return n;
}

std::string DeviceName(const VfioNumbers& n) {
  return fmt::format("vfio{}", n.group);
}

std::string DevicePath(const VfioNumbers& n) {
  return fmt::format("devices/vfio_ap/matrix/{}/vfio-dev/{}",
                     n.uuid.ToString(), DeviceName(n));
}

// A character device's `dev` and `uevent` (dev_show(), dev_uevent() in
// drivers/base/core.c), and its `power`. `devpath` is from the root.
void AddCharDevEntries(std::vector<std::pair<std::string, DynamicEntry>>& out,
                       int major, int minor, const std::string& devname,
                       const std::string& devpath, std::string subsystem,
                       std::string dev_name,
                       const std::shared_ptr<PowerEntries>& power,
                       uint64_t power_key, UeventSource& uevents) {
  out.emplace_back("dev", Attribute(kRo, [major, minor] {
                     return Text(fmt::format("{}:{}\n", major, minor));
                   }));
  UeventTarget target{"/" + devpath, std::move(subsystem),
                      {fmt::format("MAJOR={}", major),
                       fmt::format("MINOR={}", minor), "DEVNAME=" + devname},
                      std::move(dev_name), false};
  std::string text;
  for (const std::string& kv : target.env) text += kv + "\n";
  out.emplace_back("uevent", Attribute(
                                 kRw, [text] { return Text(text); },
                                 [&uevents, target](std::string_view buf) {
                                   return uevents.Synthesize(target, buf);
                                 }));
  out.emplace_back("power", PowerEntries::Dir(power, power_key));
}

using EntryList = std::vector<std::pair<std::string, DynamicEntry>>;

// A directory whose entries are a list computed for its key.
class ListedEntries : public DynamicEntries {
 public:
  std::vector<DirEntry> List(uint64_t key) const override {
    std::vector<DirEntry> out;
    for (auto& [name, e] : Entries(key)) out.push_back({name, e.type});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    for (auto& [n, e] : Entries(key))
      if (n == name) return std::move(e);
    return std::nullopt;
  }
  uint32_t Subdirs(uint64_t) const override { return 1; }  // power

 protected:
  virtual EntryList Entries(uint64_t key) const = 0;
};

// A VFIO character device's directory (key: the group): the mdev's
// vfio-dev/vfioN, or its group's /sys/devices/virtual/vfio/G.
class CharDevDir : public ListedEntries {
 public:
  enum class Kind { kDevice, kGroup };
  CharDevDir(Kind kind, const VfioNumberSource& numbers,
             std::shared_ptr<PowerEntries> power, UeventSource& uevents)
      : kind_(kind), numbers_(numbers), power_(std::move(power)),
        uevents_(uevents) {}

 private:
  EntryList Entries(uint64_t key) const override {
    EntryList out;
    const std::optional<VfioNumbers> n = numbers_.ByGroup(static_cast<int>(key));
    if (!n) return out;
    if (kind_ == Kind::kDevice) {
      AddCharDevEntries(out, kVfioDeviceMajor, n->group,
                        "vfio/devices/" + DeviceName(*n), DevicePath(*n),
                        "vfio-dev", "vfio-dev " + DeviceName(*n), power_,
                        PowerKey(PowerKind::kVfioDevice,
                                 static_cast<uint64_t>(n->group)),
                        uevents_);
      out.emplace_back("device", Symlink("../../../" + n->uuid.ToString()));
      out.emplace_back("subsystem", Symlink("../../../../../../class/vfio-dev"));
      return out;
    }
    const std::string name = fmt::format("{}", n->group);
    AddCharDevEntries(out, kVfioGroupMajor, n->group, "vfio/" + name,
                      "devices/virtual/vfio/" + name, "vfio", "vfio " + name,
                      power_,
                      PowerKey(PowerKind::kVfioGroup,
                               static_cast<uint64_t>(n->group)),
                      uevents_);
    out.emplace_back("subsystem", Symlink("../../../../class/vfio"));
    return out;
  }

  const Kind kind_;
  const VfioNumberSource& numbers_;
  const std::shared_ptr<PowerEntries> power_;
  UeventSource& uevents_;
};

// An mdev's vfio-dev directory (key: the group): its one device.
class VfioDevDir : public DynamicEntries {
 public:
  VfioDevDir(const VfioNumberSource& numbers,
             std::shared_ptr<const DynamicEntries> device)
      : numbers_(numbers), device_(std::move(device)) {}
  std::vector<DirEntry> List(uint64_t key) const override {
    const std::optional<VfioNumbers> n = numbers_.ByGroup(static_cast<int>(key));
    if (!n) return {};
    return {{DeviceName(*n), NodeType::kDir}};
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    const std::optional<VfioNumbers> n = numbers_.ByGroup(static_cast<int>(key));
    if (!n || name != DeviceName(*n)) return std::nullopt;
    return ComputedDir(device_, key);
  }
  uint32_t Subdirs(uint64_t) const override { return 1; }

 private:
  const VfioNumberSource& numbers_;
  const std::shared_ptr<const DynamicEntries> device_;
};

// A directory with one entry per mdev: `name` and `make` give it.
class PerMdev : public DynamicEntries {
 public:
  using NameFn = std::string (*)(const VfioNumbers&);
  using LookFn = std::optional<VfioNumbers> (*)(const VfioNumberSource&,
                                                 std::string_view);
  using MakeFn = std::function<DynamicEntry(const VfioNumbers&)>;
  PerMdev(const VfioNumberSource& numbers, NodeType type, NameFn name,
          LookFn look, MakeFn make)
      : numbers_(numbers), type_(type), name_(name), look_(look),
        make_(std::move(make)) {}
  std::vector<DirEntry> List(uint64_t) const override {
    std::vector<DirEntry> out;
    for (const VfioNumbers& n : numbers_.AllNumbers())
      out.push_back({name_(n), type_});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t,
                                   std::string_view name) const override {
    const std::optional<VfioNumbers> n = look_(numbers_, name);
    if (!n) return std::nullopt;
    return make_(*n);
  }
  uint32_t Subdirs(uint64_t) const override {
    return type_ == NodeType::kDir ? static_cast<uint32_t>(numbers_.Count())
                                   : 0;
  }

 private:
  const VfioNumberSource& numbers_;
  const NodeType type_;
  const NameFn name_;
  const LookFn look_;
  const MakeFn make_;
};

std::string GroupName(const VfioNumbers& n) { return fmt::format("{}", n.group); }

std::optional<VfioNumbers> ByGroupName(const VfioNumberSource& s,
                                       std::string_view name) {
  const std::optional<int> g = NumberAfter(name, "");
  return g ? s.ByGroup(*g) : std::nullopt;
}

std::optional<VfioNumbers> ByDeviceName(const VfioNumberSource& s,
                                        std::string_view name) {
  const std::optional<int> i = NumberAfter(name, "vfio");
  return i ? s.ByGroup(*i) : std::nullopt;
}

}  // namespace

VfioDeviceEntries MakeVfioDeviceEntries(const VfioNumberSource& numbers,
                                        std::shared_ptr<PowerEntries> power,
                                        UeventSource& uevents) {
  VfioDeviceEntries out;
  out.vfio_dev_dir = std::make_shared<VfioDevDir>(
      numbers, std::make_shared<CharDevDir>(CharDevDir::Kind::kDevice, numbers,
                                            power, uevents));
  out.class_vfio_dev = std::make_shared<PerMdev>(
      numbers, NodeType::kSymlink, DeviceName, ByDeviceName,
      [](const VfioNumbers& n) { return Symlink("../../" + DevicePath(n)); });
  out.class_vfio = std::make_shared<PerMdev>(
      numbers, NodeType::kSymlink, GroupName, ByGroupName,
      [](const VfioNumbers& n) {
        return Symlink("../../devices/virtual/vfio/" + GroupName(n));
      });
  std::shared_ptr<const DynamicEntries> group = std::make_shared<CharDevDir>(
      CharDevDir::Kind::kGroup, numbers, power, uevents);
  out.virtual_vfio = std::make_shared<PerMdev>(
      numbers, NodeType::kDir, GroupName, ByGroupName,
      [group](const VfioNumbers& n) {
        return ComputedDir(group, static_cast<uint64_t>(n.group));
      });
  return out;
}

}  // namespace vap::sysfs
