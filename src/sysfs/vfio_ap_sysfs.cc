#include "sysfs/vfio_ap_sysfs.h"

#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <iterator>
#include <memory>

#include "base/check.h"
#include "matrix/kernel_number.h"
#include "sysfs/attr.h"
#include "sysfs/iommu_group_entries.h"

namespace vap::sysfs {

namespace {

constexpr const char* kTypeDir = "vfio_ap-passthrough";


NodeRef Dir(Tree& tree, std::string_view path) {
  Result<NodeRef> dir = tree.MakeDirs(path);
  VAP_CHECK_MSG(dir.ok(), dir.status().ToString().c_str());
  return *dir;
}

void Link(Tree& tree, const NodeRef& dir, std::string_view name,
          std::string target) {
  Result<NodeRef> r = tree.AddSymlink(dir, name, target);
  VAP_CHECK_MSG(r.ok(), r.status().ToString().c_str());
}

// The queue `status` attribute vfio_ap adds while a queue is bound to it.
class QueueStatusEntries : public DynamicEntries {
 public:
  explicit QueueStatusEntries(driver::VfioAp& d) : driver_(d) {}
  std::vector<DirEntry> List(uint64_t) const override {
    return {{"status", NodeType::kAttribute}};
  }
  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    if (name != "status") return std::nullopt;
    const Apqn apqn = Apqn::FromQid(static_cast<uint16_t>(key));
    driver::VfioAp& d = driver_;
    return Attribute(kRo, [&d, apqn] { return d.ShowQueueStatus(apqn); });
  }

 private:
  driver::VfioAp& driver_;
};

using StoreMethod = Status (driver::VfioAp::*)(const Uuid&, std::string_view);

struct MdevStore {
  const char* name;
  StoreMethod method;
};
constexpr MdevStore kMdevStores[] = {
    {"assign_adapter", &driver::VfioAp::AssignAdapter},
    {"assign_control_domain", &driver::VfioAp::AssignControlDomain},
    {"assign_domain", &driver::VfioAp::AssignDomain},
    {"unassign_adapter", &driver::VfioAp::UnassignAdapter},
    {"unassign_control_domain", &driver::VfioAp::UnassignControlDomain},
    {"unassign_domain", &driver::VfioAp::UnassignDomain}};

}  // namespace

// An mdev directory's entries: the mdev core's (mdev_type, remove,
// subsystem, uevent, power), and while vfio_ap_mdev has it bound the
// driver's attributes (its dev_groups), its link and the VFIO core's
// entries. The attributes ask the driver with the mdev's UUID; once the
// mdev is gone they answer ENODEV, as a removed node would. `remove` is
// gone while its store runs.
class VfioApSysfs::MdevEntries : public DynamicEntries {
 public:
  explicit MdevEntries(VfioApSysfs& s) : s_(s) {}

  std::vector<DirEntry> List(uint64_t key) const override {
    const std::optional<KeyedMdev> m = s_.MdevOfKey(key);
    if (!m) return {};
    std::vector<DirEntry> out;
    for (const char* n : {"remove", "uevent"})
      out.push_back({n, NodeType::kAttribute});
    for (const char* n : {"mdev_type", "subsystem"})
      out.push_back({n, NodeType::kSymlink});
    out.push_back({"power", NodeType::kDir});
    if (m->group < 0) return out;
    for (const char* n : {"ap_config", "control_domains", "guest_matrix",
                          "matrix"})
      out.push_back({n, NodeType::kAttribute});
    for (const MdevStore& st : kMdevStores)
      out.push_back({st.name, NodeType::kAttribute});
    for (const char* n : {"driver", "iommu_group"})
      out.push_back({n, NodeType::kSymlink});
    out.push_back({"vfio-dev", NodeType::kDir});
    return out;
  }
  uint32_t Subdirs(uint64_t key) const override {
    const std::optional<KeyedMdev> m = s_.MdevOfKey(key);
    return m && m->group >= 0 ? 2 : 1;  // power, vfio-dev
  }

  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    const std::optional<KeyedMdev> m = s_.MdevOfKey(key);
    if (!m) return std::nullopt;
    const Uuid uuid = m->uuid;
    if (std::optional<DynamicEntry> e = CoreEntry(key, uuid, m->group >= 0, name))
      return e;
    if (m->group < 0) return std::nullopt;
    driver::VfioAp& d = s_.driver_;
    for (const MdevStore& st : kMdevStores) {
      if (name != st.name) continue;
      return Attribute(kWo, nullptr,
                       [&d, uuid, method = st.method](std::string_view buf) {
                         return (d.*method)(uuid, buf);
                       });
    }
    if (name == "ap_config") {
      return Attribute(
          kRw, [&d, uuid] { return d.ShowApConfig(uuid); },
          [&d, uuid](std::string_view buf) { return d.StoreApConfig(uuid, buf); });
    }
    if (name == "control_domains")
      return Attribute(kRo, [&d, uuid] { return d.ShowControlDomains(uuid); });
    if (name == "matrix")
      return Attribute(kRo, [&d, uuid] { return d.ShowMatrix(uuid); });
    if (name == "guest_matrix")
      return Attribute(kRo, [&d, uuid] { return d.ShowGuestMatrix(uuid); });
    if (name == "driver")
      return Symlink("../../../../bus/mdev/drivers/vfio_ap_mdev");
    const auto group = static_cast<uint64_t>(m->group);
    if (name == "iommu_group")
      return Symlink(fmt::format("../../../../kernel/iommu_groups/{}", group));
    if (name == "vfio-dev")
      return ComputedDir(s_.vfio_entries_.vfio_dev_dir, group);
    return std::nullopt;
  }

 private:
  // The mdev core's entries, bound or not.
  std::optional<DynamicEntry> CoreEntry(uint64_t key, const Uuid& uuid,
                                        bool bound, std::string_view name) const {
    if (name == "remove") {
      if (s_.Removing(uuid)) return std::nullopt;
      VfioApSysfs* s = &s_;
      return Attribute(kWo, nullptr, [s, uuid](std::string_view buf) {
        return s->RemoveStore(uuid, buf);
      });
    }
    if (name == "uevent") {
      UeventSource* uevents = &s_.uevents_;
      return Attribute(
          kRw, [bound] { return Text(bound ? "DRIVER=vfio_ap_mdev\n" : ""); },
          [uevents, uuid, bound](std::string_view buf) {
            return uevents->Synthesize(MdevTarget(uuid, bound), buf);
          });
    }
    if (name == "mdev_type")
      return Symlink(fmt::format("../mdev_supported_types/{}", kTypeDir));
    if (name == "subsystem") return Symlink("../../../../bus/mdev");
    if (name == "power")
      return PowerEntries::Dir(s_.power_, PowerKey(PowerKind::kMdev, key));
    return std::nullopt;
  }

  VfioApSysfs& s_;
};

// bus/mdev/drivers/vfio_ap_mdev: the driver's link to each mdev it has
// bound (driver_sysfs_add()), computed (a stored link per mdev would cost
// more than the rest of an mdev's nodes).
class VfioApSysfs::MdevDriverLinks : public DynamicEntries {
 public:
  explicit MdevDriverLinks(const VfioApSysfs& s) : s_(s) {}
  std::vector<DirEntry> List(uint64_t) const override {
    std::vector<DirEntry> out;
    for (std::string& name : s_.MdevNames())
      out.push_back({std::move(name), NodeType::kSymlink});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t, std::string_view name) const override {
    const Result<Uuid> uuid = Uuid::Parse(name);
    if (!uuid.ok() || uuid->ToString() != name || !s_.HasBoundMdev(*uuid))
      return std::nullopt;
    return Symlink(fmt::format("../../../../devices/vfio_ap/matrix/{}", name));
  }

 private:
  const VfioApSysfs& s_;
};

std::vector<std::string> VfioApSysfs::MdevNames() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  out.reserve(numbers_.size());
  for (const auto& [uuid, n] : numbers_)
    if (n.group >= 0) out.push_back(uuid.ToString());
  return out;
}

bool VfioApSysfs::HasBoundMdev(const Uuid& uuid) const {
  MutexLock lock(mu_);
  auto it = numbers_.find(uuid);
  return it != numbers_.end() && it->second.group >= 0;
}

std::optional<VfioNumbers> VfioApSysfs::ByGroup(int group) const {
  MutexLock lock(mu_);
  auto it = mdev_of_group_.find(group);
  if (it == mdev_of_group_.end()) return std::nullopt;
  return VfioNumbers{it->second, group};
}

std::vector<VfioNumbers> VfioApSysfs::AllNumbers() const {
  MutexLock lock(mu_);
  std::vector<VfioNumbers> out;
  out.reserve(mdev_of_group_.size());
  for (const auto& [group, uuid] : mdev_of_group_)
    out.push_back({uuid, group});
  return out;
}

size_t VfioApSysfs::Count() const {
  MutexLock lock(mu_);
  return mdev_of_group_.size();
}

std::optional<VfioApSysfs::KeyedMdev> VfioApSysfs::MdevOfKey(
    uint64_t key) const {
  MutexLock lock(mu_);
  if (key >= by_key_.size() || !by_key_[key]) return std::nullopt;
  const Uuid& uuid = *by_key_[key];
  return KeyedMdev{uuid, numbers_.at(uuid).group};
}

VfioApSysfs::VfioApSysfs(Tree& tree, driver::VfioAp& driver,
                         ApBusSysfs& bus_sysfs, UeventSource& uevents)
    : tree_(tree),
      driver_(driver),
      uevents_(uevents),
      power_(std::make_shared<PowerEntries>()),
      mdev_entries_(std::make_shared<MdevEntries>(*this)),
      group_entries_(std::make_shared<IommuGroupEntries>()),
      vfio_entries_(MakeVfioDeviceEntries(*this, power_, uevents)) {
  BuildMatrixDevice();
  bus_sysfs.AddQueueDriverEntries(
      "vfio_ap", std::make_shared<QueueStatusEntries>(driver_));
  // Oldest first, so IOMMU group numbers follow creation order.
  std::vector<Uuid> mdevs = driver_.Mdevs();
  for (auto it = mdevs.rbegin(); it != mdevs.rend(); ++it) BuildMdevDir(*it);
  for (const Uuid& uuid : driver_.UnboundMdevs()) {
    BuildMdevDir(uuid);
    TearDownBinding(uuid);
  }
  driver_.AddMdevObserver(*this);
}

void VfioApSysfs::BuildMatrixDevice() {
  UeventSource& uevents = uevents_;
  // The vfio_ap root device (root_device_register()): an empty uevent
  // file; its events are filtered out, so a valid write sends nothing.
  const auto power = [this](std::string_view dir, PowerKind kind) {
    VAP_CHECK(
        tree_.MakeDynamicDir(Dir(tree_, dir), "power", power_, PowerKey(kind, 0))
            .ok());
  };
  power("devices/vfio_ap", PowerKind::kVfioApRoot);
  power("devices/vfio_ap/matrix", PowerKind::kMatrix);
  AddAttribute(
      tree_, Dir(tree_, "devices/vfio_ap"), "uevent", kRw,
      [] { return Text(""); },
      [&uevents](std::string_view buf) {
        return uevents.Synthesize({"/devices/vfio_ap", "", {}, " vfio_ap", true},
                                  buf);
      });
  matrix_ = Dir(tree_, "devices/vfio_ap/matrix");
  AddAttribute(tree_, matrix_, "features", kRo,
               [] { return Text(driver::VfioAp::Features()); });
  AddAttribute(
      tree_, matrix_, "uevent", kRw, [] { return Text("DRIVER=vfio_ap\n"); },
      [&uevents](std::string_view buf) {
        return uevents.Synthesize(MatrixTarget(), buf);
      });
  Link(tree_, matrix_, "driver", "../../../bus/matrix/drivers/vfio_ap");
  Link(tree_, matrix_, "subsystem", "../../../bus/matrix");
  const NodeRef type = Dir(
      tree_,
      fmt::format("devices/vfio_ap/matrix/mdev_supported_types/{}", kTypeDir));
  AddAttribute(tree_, type, "name", kRo,
               [] { return Text("VFIO AP Passthrough Device\n"); });
  AddAttribute(tree_, type, "device_api", kRo,
               [] { return Text("vfio-ap\n"); });
  driver::VfioAp& d = driver_;
  AddAttribute(tree_, type, "available_instances", kRo, [&d] {
    return Text(fmt::format("{}\n", d.available_instances()));
  });
  AddAttribute(tree_, type, "create", kWo, nullptr,
               [this](std::string_view buf) { return Create(buf); });
  type_devices_ = *tree_.MakeDir(type, "devices");

  Link(tree_, Dir(tree_, "bus/matrix/devices"), "matrix",
       "../../../devices/vfio_ap/matrix");
  Link(tree_, Dir(tree_, "bus/matrix/drivers/vfio_ap"), "matrix",
       "../../../../devices/vfio_ap/matrix");
  Link(tree_, Dir(tree_, "class/mdev_bus"), "matrix",
       "../../devices/vfio_ap/matrix");
  mdev_devices_ = Dir(tree_, "bus/mdev/devices");
  const Result<NodeRef> mdev_driver =
      tree_.MakeDynamicDir(Dir(tree_, "bus/mdev/drivers"), "vfio_ap_mdev",
                           std::make_shared<MdevDriverLinks>(*this), 0);
  VAP_CHECK(mdev_driver.ok());
  AddMdevDriverBinding(*mdev_driver);
  AddBusFiles("matrix", "vfio_ap");
  AddBusFiles("mdev", "vfio_ap_mdev");
  iommu_groups_ = Dir(tree_, "kernel/iommu_groups");
  const auto computed = [this](std::string_view path,
                               std::shared_ptr<const DynamicEntries> entries) {
    const size_t slash = path.rfind('/');
    VAP_CHECK(tree_
                  .MakeDynamicDir(Dir(tree_, path.substr(0, slash)),
                                  path.substr(slash + 1), std::move(entries), 0)
                  .ok());
  };
  computed("class/vfio-dev", vfio_entries_.class_vfio_dev);
  computed("class/vfio", vfio_entries_.class_vfio);
  computed("devices/virtual/vfio", vfio_entries_.virtual_vfio);
}

// What every bus and driver has (drivers/base/bus.c): the write-only
// `uevent` files of the bus and of its driver (bus_uevent_store(), the
// driver's uevent_store()), which `udevadm trigger --type=subsystems`
// writes; the bus's `drivers_autoprobe` (kept, with no effect here: the
// mdev core binds each new mdev itself with device_driver_attach(), and
// the matrix device is bound when vfio_ap loads) and `drivers_probe`
// (ENODEV for a name that is not one of the bus's devices; its devices
// are always bound, so nothing changes).
void VfioApSysfs::AddBusFiles(const std::string& bus,
                              const std::string& driver) {
  UeventSource& uevents = uevents_;
  const std::string bus_dir = "bus/" + bus;
  auto autoprobe = std::make_shared<std::atomic<bool>>(true);
  AddDriversAutoprobe(
      tree_, Dir(tree_, bus_dir), [autoprobe] { return autoprobe->load(); },
      [autoprobe](bool on) { autoprobe->store(on); });
  Tree& tree = tree_;
  AddAttribute(tree_, Dir(tree_, bus_dir), "drivers_probe", kWo, nullptr,
               [&tree, bus_dir](std::string_view buf) -> Status {
                 const std::string_view name = buf.substr(0, buf.find('\n'));
                 if (name.empty() || name == "." || name == ".." ||
                     name.find('/') != std::string_view::npos ||
                     !tree.GetAttr(bus_dir + "/devices/" + std::string(name)).ok())
                   return Status::Error(ENODEV, "no such device");
                 return Status::Ok();
               });
  const std::string driver_dir = bus_dir + "/drivers/" + driver;
  const UeventTarget bus_target{"/" + bus_dir, "bus", {}, "", false};
  const UeventTarget driver_target{"/" + driver_dir, "drivers", {}, "", false};
  AddAttribute(tree_, Dir(tree_, bus_dir), "uevent", kWo, nullptr,
               [&uevents, bus_target](std::string_view buf) {
                 return uevents.Synthesize(bus_target, buf);
               });
  AddAttribute(tree_, Dir(tree_, driver_dir), "uevent", kWo, nullptr,
               [&uevents, driver_target](std::string_view buf) {
                 return uevents.Synthesize(driver_target, buf);
               });
}

// bind_store() and unbind_store() in drivers/base/bus.c, the device found
// by its name with sysfs_streq(). `bind` fails with ENODEV for every name:
// the mdev bus matches no driver (mdev_match()), so a device unbound from
// vfio_ap_mdev stays unbound. `unbind` detaches an mdev bound to the
// driver (blocking while a guest holds it, as removal does); ENODEV for
// any other name.
void VfioApSysfs::AddMdevDriverBinding(const NodeRef& dir) {
  AddAttribute(tree_, dir, "bind", kWo, nullptr, [](std::string_view) {
    return Status::Error(ENODEV, "the mdev bus matches no driver");
  });
  AddAttribute(tree_, dir, "unbind", kWo, nullptr,
               [this](std::string_view buf) -> Status {
                 const std::string_view name = StreqText(buf);
                 const Result<Uuid> uuid = Uuid::Parse(name);
                 if (!uuid.ok() || uuid->ToString() != name ||
                     !HasBoundMdev(*uuid))
                   return Status::Error(ENODEV, "no such device bound");
                 return driver_.UnbindMdev(*uuid);
               });
}

Status VfioApSysfs::Create(std::string_view buf) {
  VAP_ASSIGN_OR_RETURN(Uuid uuid, Uuid::ParseCreateInput(buf));
  return driver_.CreateMdev(uuid);
}

void VfioApSysfs::BuildMdevDir(const Uuid& uuid) {
  const std::string name = uuid.ToString();
  int group;
  uint32_t key;
  {
    MutexLock lock(mu_);
    if (free_groups_.empty()) {
      group = next_iommu_group_++;
    } else {
      group = *free_groups_.begin();
      free_groups_.erase(free_groups_.begin());
    }
    if (free_keys_.empty()) {
      key = static_cast<uint32_t>(by_key_.size());
      by_key_.emplace_back(uuid);
    } else {
      key = free_keys_.back();
      free_keys_.pop_back();
      by_key_[key] = uuid;
    }
    numbers_[uuid] = {key, group};
    mdev_of_group_[group] = uuid;
  }
  VAP_CHECK(tree_.MakeDynamicDir(matrix_, name, mdev_entries_, key).ok());
  Link(tree_, type_devices_, name, "../../../" + name);
  Link(tree_, mdev_devices_, name, "../../../devices/vfio_ap/matrix/" + name);
  const NodeRef group_dir =
      *tree_.MakeDynamicDir(iommu_groups_, fmt::format("{}", group),
                            group_entries_, static_cast<uint64_t>(group));
  Link(tree_, *tree_.MakeDir(group_dir, "devices"), name,
       "../../../../devices/vfio_ap/matrix/" + name);
  // Its link count: one more group directory.
  tree_.EntriesChanged("devices/virtual/vfio", fmt::format("{}", group));
}

bool VfioApSysfs::Removing(const Uuid& uuid) const {
  MutexLock lock(mu_);
  return removing_.count(uuid) != 0;
}

Status VfioApSysfs::RemoveStore(const Uuid& uuid, std::string_view buf) {
  VAP_ASSIGN_OR_RETURN(uint64_t value, ParseKstrtoul(buf));
  if (value == 0) return Status::Ok();
  {
    // A concurrent writer that lost the race returns at once,
    // successfully (kernfs_remove_self()).
    MutexLock lock(mu_);
    if (!removing_.insert(uuid).second) return Status::Ok();
  }
  // Blocks while a guest holds the device (vfio_unregister_group_dev());
  // the directory goes before it returns (OnMdevRemoved).
  Status removed = driver_.RemoveMdev(uuid);
  MutexLock lock(mu_);
  removing_.erase(uuid);
  if (!removed.ok()) return Status::Error(EAGAIN, removed.message());
  return Status::Ok();
}

void VfioApSysfs::TearDownBinding(const Uuid& uuid) {
  const std::string name = uuid.ToString();
  int group;
  {
    MutexLock lock(mu_);
    Numbers& n = numbers_.at(uuid);
    group = n.group;
    n.group = -1;
    mdev_of_group_.erase(group);
  }
  // The driver's attributes and links, computed, went with the group
  // (device_remove_groups(), driver_sysfs_remove(), the VFIO core's
  // unregistration).
  tree_.EntriesChanged(tree_.PathOf(matrix_) + "/" + name);
  const Status removed =
      tree_.Remove(tree_.PathOf(iommu_groups_) + "/" + fmt::format("{}", group));
  VAP_CHECK_MSG(removed.ok(), removed.ToString().c_str());
  tree_.EntriesChanged("bus/mdev/drivers/vfio_ap_mdev", name);
  tree_.EntriesChanged("class/vfio-dev", fmt::format("vfio{}", group));
  tree_.EntriesChanged("class/vfio", fmt::format("{}", group));
  tree_.EntriesChanged("devices/virtual/vfio", fmt::format("{}", group));
  const auto number = static_cast<uint64_t>(group);
  for (PowerKind kind : {PowerKind::kVfioGroup, PowerKind::kVfioDevice})
    power_->Forget(PowerKey(kind, number));
  // Last: a creation meanwhile must not take the number of directories
  // still there.
  MutexLock lock(mu_);
  free_groups_.insert(group);
  while (!free_groups_.empty() &&
         *free_groups_.rbegin() == next_iommu_group_ - 1) {
    free_groups_.erase(std::prev(free_groups_.end()));
    --next_iommu_group_;
  }
}

void VfioApSysfs::TearDownMdev(const Uuid& uuid) {
  const std::string name = uuid.ToString();
  uint32_t key;
  {
    MutexLock lock(mu_);
    const Numbers n = numbers_.at(uuid);
    VAP_CHECK_MSG(n.group < 0, "an mdev removed while bound");
    key = n.key;
    numbers_.erase(uuid);
    by_key_[key].reset();
  }
  // What BuildMdevDir made, found from the directories it was made in;
  // only this removes them, so each is there.
  const auto remove = [this](const NodeRef& dir, const std::string& child) {
    const Status removed = tree_.Remove(tree_.PathOf(dir) + "/" + child);
    VAP_CHECK_MSG(removed.ok(), removed.ToString().c_str());
  };
  remove(mdev_devices_, name);
  remove(type_devices_, name);
  remove(matrix_, name);
  // After the directory is gone (its stores drained), so no store can set
  // `control` again for a key the next mdev may get; then the key is free.
  power_->Forget(PowerKey(PowerKind::kMdev, key));
  MutexLock lock(mu_);
  free_keys_.push_back(key);
}

}  // namespace vap::sysfs
