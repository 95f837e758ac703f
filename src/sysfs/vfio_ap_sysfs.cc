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

// An mdev directory's entries. The attributes ask the driver with the
// mdev's UUID; once the mdev is gone they answer ENODEV, as a removed
// node would. `remove` is gone while its store runs.
class VfioApSysfs::MdevEntries : public DynamicEntries {
 public:
  explicit MdevEntries(VfioApSysfs& s) : s_(s) {}

  std::vector<DirEntry> List(uint64_t) const override {
    std::vector<DirEntry> out;
    for (const char* n : {"ap_config", "control_domains", "guest_matrix",
                          "matrix", "remove", "uevent"})
      out.push_back({n, NodeType::kAttribute});
    for (const MdevStore& st : kMdevStores)
      out.push_back({st.name, NodeType::kAttribute});
    for (const char* n : {"driver", "iommu_group", "mdev_type", "subsystem"})
      out.push_back({n, NodeType::kSymlink});
    for (const char* n : {"power", "vfio-dev"}) out.push_back({n, NodeType::kDir});
    return out;
  }
  uint32_t Subdirs(uint64_t) const override { return 2; }  // power, vfio-dev

  std::optional<DynamicEntry> Find(uint64_t key,
                                   std::string_view name) const override {
    const std::optional<Uuid> u = s_.MdevOfKey(key);
    if (!u) return std::nullopt;
    const Uuid uuid = *u;
    driver::VfioAp& d = s_.driver_;
    for (const MdevStore& st : kMdevStores) {
      if (name != st.name) continue;
      return Attribute(kWo, nullptr,
                       [&d, uuid, method = st.method](std::string_view buf) {
                         return (d.*method)(uuid, buf);
                       });
    }
    if (name == "remove") {
      if (s_.Removing(uuid)) return std::nullopt;
      VfioApSysfs* s = &s_;
      return Attribute(kWo, nullptr, [s, uuid](std::string_view buf) {
        return s->RemoveStore(uuid, buf);
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
    if (name == "uevent") {
      UeventSource* uevents = &s_.uevents_;
      return Attribute(
          kRw, [] { return Text("DRIVER=vfio_ap_mdev\n"); },
          [uevents, uuid](std::string_view buf) {
            return uevents->Synthesize(MdevTarget(uuid), buf);
          });
    }
    if (name == "mdev_type")
      return Symlink(fmt::format("../mdev_supported_types/{}", kTypeDir));
    if (name == "driver")
      return Symlink("../../../../bus/mdev/drivers/vfio_ap_mdev");
    if (name == "subsystem") return Symlink("../../../../bus/mdev");
    if (name == "iommu_group")
      return Symlink(fmt::format("../../../../kernel/iommu_groups/{}", key));
    if (name == "power")
      return PowerEntries::Dir(s_.power_, PowerKey(PowerKind::kMdev, key));
    if (name == "vfio-dev") return ComputedDir(s_.vfio_entries_.vfio_dev_dir, key);
    return std::nullopt;
  }

 private:
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
    if (!uuid.ok() || uuid->ToString() != name || !s_.HasMdev(*uuid))
      return std::nullopt;
    return Symlink(fmt::format("../../../../devices/vfio_ap/matrix/{}", name));
  }

 private:
  const VfioApSysfs& s_;
};

std::vector<std::string> VfioApSysfs::MdevNames() const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  out.reserve(iommu_group_.size());
  for (const auto& [uuid, group] : iommu_group_) out.push_back(uuid.ToString());
  return out;
}

bool VfioApSysfs::HasMdev(const Uuid& uuid) const {
  MutexLock lock(mu_);
  return iommu_group_.count(uuid) != 0;
}

std::optional<VfioNumbers> VfioApSysfs::ByGroup(int group) const {
  MutexLock lock(mu_);
  auto it = mdev_of_group_.find(group);
  if (it == mdev_of_group_.end()) return std::nullopt;
  return VfioNumbers{it->second, group, group};
}

std::optional<VfioNumbers> VfioApSysfs::ByIndex(int index) const {
  return ByGroup(index);
}

std::vector<VfioNumbers> VfioApSysfs::AllNumbers() const {
  MutexLock lock(mu_);
  std::vector<VfioNumbers> out;
  out.reserve(mdev_of_group_.size());
  for (const auto& [group, uuid] : mdev_of_group_)
    out.push_back({uuid, group, group});
  return out;
}

size_t VfioApSysfs::Count() const {
  MutexLock lock(mu_);
  return iommu_group_.size();
}

std::optional<Uuid> VfioApSysfs::MdevOfKey(uint64_t key) const {
  MutexLock lock(mu_);
  auto it = mdev_of_group_.find(static_cast<int>(key));
  if (it == mdev_of_group_.end()) return std::nullopt;
  return it->second;
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
  VAP_CHECK(tree_
                .MakeDynamicDir(Dir(tree_, "bus/mdev/drivers"), "vfio_ap_mdev",
                                std::make_shared<MdevDriverLinks>(*this), 0)
                .ok());
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

Status VfioApSysfs::Create(std::string_view buf) {
  VAP_ASSIGN_OR_RETURN(Uuid uuid, Uuid::ParseCreateInput(buf));
  return driver_.CreateMdev(uuid);
}

void VfioApSysfs::BuildMdevDir(const Uuid& uuid) {
  const std::string name = uuid.ToString();
  int group;
  {
    MutexLock lock(mu_);
    if (free_groups_.empty()) {
      group = next_iommu_group_++;
    } else {
      group = *free_groups_.begin();
      free_groups_.erase(free_groups_.begin());
    }
    iommu_group_[uuid] = group;
    mdev_of_group_[group] = uuid;
  }
  const NodeRef dir = *tree_.MakeDynamicDir(matrix_, name, mdev_entries_,
                                            static_cast<uint64_t>(group));
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

void VfioApSysfs::TearDownMdev(const Uuid& uuid) {
  const std::string name = uuid.ToString();
  int group;
  {
    MutexLock lock(mu_);
    group = iommu_group_.at(uuid);
    iommu_group_.erase(uuid);
    mdev_of_group_.erase(group);
  }
  // What BuildMdevDir made, found from the directories it was made in;
  // only this removes them, so each is there.
  const auto remove = [this](const NodeRef& dir, const std::string& child) {
    const Status removed = tree_.Remove(tree_.PathOf(dir) + "/" + child);
    VAP_CHECK_MSG(removed.ok(), removed.ToString().c_str());
  };
  remove(iommu_groups_, fmt::format("{}", group));
  remove(mdev_devices_, name);
  // The computed links and directories went with iommu_group_'s entry.
  tree_.EntriesChanged("bus/mdev/drivers/vfio_ap_mdev", name);
  tree_.EntriesChanged("class/vfio-dev", fmt::format("vfio{}", group));
  tree_.EntriesChanged("class/vfio", fmt::format("{}", group));
  tree_.EntriesChanged("devices/virtual/vfio", fmt::format("{}", group));
  remove(type_devices_, name);
  remove(matrix_, name);
  // After the directory is gone (its stores drained), so no store can set
  // `control` again for a number the next mdev may get.
  const auto key = static_cast<uint64_t>(group);
  for (PowerKind kind :
       {PowerKind::kMdev, PowerKind::kVfioGroup, PowerKind::kVfioDevice})
    power_->Forget(PowerKey(kind, key));
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

}  // namespace vap::sysfs
