// /sys/module: the AP modules and their drivers' links (module_sysfs.h).
#include "sysfs/module_sysfs.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "base/check.h"
#include "sysfs/attr.h"

namespace vap::sysfs {
namespace {

// A module parameter's file: its mode as module_param_named() gave it.
constexpr uint32_t kParamRo = 0440;

NodeRef Dir(Tree& tree, const std::string& path) {
  Result<NodeRef> dir = tree.MakeDirs(path);
  VAP_CHECK(dir.ok());
  return *dir;
}

// `uevent` of a module's kobject (module_uevent's store_uevent()).
void AddUevent(Tree& tree, const NodeRef& dir, const std::string& module,
               UeventSource& uevents) {
  const UeventTarget target{"/module/" + module, "module", {}, "", false};
  AddAttribute(tree, dir, "uevent", kWo, nullptr,
               [&uevents, target](std::string_view buf) {
                 return uevents.Synthesize(target, buf);
               });
}

// The attributes of a loaded module (modinfo_attrs: initstate, refcnt,
// taint) and its holders/ (the modules that use its symbols).
NodeRef AddLoadable(Tree& tree, const std::string& module, ShowFn refcnt,
                    const std::vector<std::string>& holders,
                    UeventSource& uevents) {
  NodeRef dir = Dir(tree, "module/" + module);
  AddAttribute(tree, dir, "initstate", kRo, [] { return Text("live\n"); });
  AddAttribute(tree, dir, "refcnt", kRo, std::move(refcnt));
  AddAttribute(tree, dir, "taint", kRo, [] { return Text("\n"); });
  NodeRef holders_dir = Dir(tree, "module/" + module + "/holders");
  for (const std::string& h : holders) {
    VAP_CHECK(tree.AddSymlink(holders_dir, h, "../../" + h).ok());
  }
  AddUevent(tree, dir, module, uevents);
  return dir;
}

// The two links module_add_driver() makes.
void LinkDriver(Tree& tree, const std::string& module, const std::string& bus,
                const std::string& driver) {
  const std::string driver_dir = "bus/" + bus + "/drivers/" + driver;
  Result<NodeRef> dir = tree.Lookup(driver_dir);
  VAP_CHECK_MSG(dir.ok(), "a module link for a driver without a directory");
  VAP_CHECK(tree.AddSymlink(*dir, "module", "../../../../module/" + module).ok());
  NodeRef drivers = Dir(tree, "module/" + module + "/drivers");
  VAP_CHECK(tree.AddSymlink(drivers, bus + ":" + driver,
                            "../../../" + driver_dir)
                .ok());
}

// ap_bus.c's parameters, as param_get_int() and param_get_charp() show
// them. `domain` is ap_domain_index itself, which the bus's domain
// selection updates; the masks were not given on the command line.
void AddApModule(Tree& tree, apbus::ApBus& bus, UeventSource& uevents) {
  NodeRef params = Dir(tree, "module/ap/parameters");
  AddAttribute(tree, params, "apmask", kParamRo, [] { return Text("(null)\n"); });
  AddAttribute(tree, params, "aqmask", kParamRo, [] { return Text("(null)\n"); });
  AddAttribute(tree, params, "domain", kParamRo, [&bus] {
    return Text(fmt::format("{}\n", bus.ap_domain()));
  });
  // The AP message pool's size (v6.16's ap_msg_pool_min_items).
  AddAttribute(tree, params, "msgpool_min_items", kParamRo,
               [] { return Text("8\n"); });
  AddAttribute(tree, params, "poll_thread", kParamRo, [] { return Text("0\n"); });
  AddAttribute(tree, params, "useirq", kParamRo, [] { return Text("1\n"); });
  AddUevent(tree, Dir(tree, "module/ap"), "ap", uevents);
}

}  // namespace

void AddModules(Tree& tree, apbus::ApBus& bus, driver::VfioAp& vfio,
                UeventSource& uevents) {
  AddApModule(tree, bus, uevents);
  // zcrypt is held by zcrypt_cex4, which uses its symbols.
  AddLoadable(tree, "zcrypt", [] { return Text("1\n"); }, {"zcrypt_cex4"},
              uevents);
  AddLoadable(tree, "zcrypt_cex4", [] { return Text("0\n"); }, {}, uevents);
  // The VFIO core takes a reference on vfio_ap for each open mdev
  // (vfio_device_open()): in vap, each mdev a guest uses.
  AddLoadable(
      tree, "vfio_ap",
      [&vfio] {
        int open = 0;
        for (const Uuid& u : vfio.Mdevs()) {
          Result<driver::MdevInfo> m = vfio.Mdev(u);
          if (m.ok() && !m->guest.empty()) ++open;
        }
        return Text(fmt::format("{}\n", open));
      },
      {}, uevents);
  LinkDriver(tree, "zcrypt_cex4", "ap", "cex4card");
  LinkDriver(tree, "zcrypt_cex4", "ap", "cex4queue");
  LinkDriver(tree, "vfio_ap", "ap", "vfio_ap");
  LinkDriver(tree, "vfio_ap", "mdev", "vfio_ap_mdev");
  // vfio_ap's root device names its module (root_device_register() is
  // __root_device_register(name, THIS_MODULE) in drivers/base/core.c).
  Result<NodeRef> root = tree.Lookup("devices/vfio_ap");
  VAP_CHECK_MSG(root.ok(), "a module link for a missing root device");
  VAP_CHECK(tree.AddSymlink(*root, "module", "../../module/vfio_ap").ok());
}

}  // namespace vap::sysfs
