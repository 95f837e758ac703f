#include "sysfs/ap_bus_sysfs.h"

#include <fmt/format.h>

#include <cerrno>

#include "apbus/device_uevent.h"
#include "base/check.h"
#include "matrix/kernel_number.h"
#include "matrix/mask_format.h"
#include "sysfs/attr.h"

namespace vap::sysfs {

namespace {

using apbus::ApDevice;
using apbus::DeviceKind;

// poll_timeout's default outside z/VM, and its maximum (120 s in ns).
constexpr uint64_t kPollTimeoutNs = 250000;
constexpr uint64_t kPollTimeoutMaxNs = 120000000000ULL;

// bus/ap/devices: a link per card and queue device.
class BusDeviceLinks : public DynamicEntries {
 public:
  explicit BusDeviceLinks(apbus::ApBus& bus) : bus_(bus) {}
  std::vector<DirEntry> List(uint64_t) const override {
    std::vector<DirEntry> out;
    for (const ApDevice& c : bus_.Cards())
      out.push_back({c.Name(), NodeType::kSymlink});
    for (const ApDevice& q : bus_.Queues())
      out.push_back({q.Name(), NodeType::kSymlink});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t,
                                   std::string_view name) const override {
    std::optional<ApDevice> dev = bus_.Device(name);
    if (!dev) return std::nullopt;
    return Symlink("../../.." + apbus::DeviceDevpath(*dev));
  }
 private:
  apbus::ApBus& bus_;
};

// bus/ap/drivers/<name>: a link per device bound to the driver.
class DriverLinks : public DynamicEntries {
 public:
  DriverLinks(apbus::ApBus& bus, std::string name)
      : bus_(bus), name_(std::move(name)) {}
  std::vector<DirEntry> List(uint64_t) const override {
    std::vector<DirEntry> out;
    for (const ApDevice& d : bus_.DevicesOf(name_))
      out.push_back({d.Name(), NodeType::kSymlink});
    return out;
  }
  std::optional<DynamicEntry> Find(uint64_t,
                                   std::string_view name) const override {
    std::optional<ApDevice> dev = bus_.Device(name);
    if (!dev || dev->driver != name_) return std::nullopt;
    return Symlink("../../../.." + apbus::DeviceDevpath(*dev));
  }

 private:
  apbus::ApBus& bus_;
  const std::string name_;
};

std::string Features(const ap::QciInfo& qci) {
  std::string out;
  const std::pair<bool, const char*> flags[] = {{qci.apsc, "APSC"},
                                                {qci.apxa, "APXA"},
                                                {qci.qact, "QACT"},
                                                {qci.rc8a, "RC8A"},
                                                {qci.apsb, "APSB"}};
  for (const auto& [on, name] : flags) {
    if (!on) continue;
    if (!out.empty()) out += " ";
    out += name;
  }
  return out + "\n";
}

// ap_adapter_mask & co: the QCI masks, or "not supported" without QCI.
ShowFn QciMask(apbus::ApBus& bus, ApMask ap::QciInfo::*mask) {
  return [&bus, mask]() -> Result<std::string> {
    std::optional<ap::QciInfo> qci = bus.qci();
    if (!qci) return std::string("not supported\n");
    return FormatMaskHex((*qci).*mask) + "\n";
  };
}

}  // namespace

ApBusSysfs::ApBusSysfs(Tree& tree, apbus::ApBus& bus, apbus::Zcrypt& zcrypt,
                       UeventSource& uevents)
    : tree_(tree),
      bus_(bus),
      uevents_(uevents),
      power_(std::make_shared<PowerEntries>()),
      card_entries_(std::make_shared<CardEntries>(bus, zcrypt, uevents, power_)),
      queue_entries_(
          std::make_shared<QueueEntries>(bus, zcrypt, uevents, power_)) {
  devices_ap_ = *tree_.MakeDirs("devices/ap");
  VAP_CHECK(tree_
                .MakeDynamicDir(devices_ap_, "power", power_,
                                PowerKey(PowerKind::kApRoot, 0))
                .ok());
  // The bus's root device: no keys of its own (ap_uevent()), its events
  // SUBSYSTEM=ap; dev_err() names it "ap ap".
  AddAttribute(
      tree_, devices_ap_, "uevent", kRw, [] { return Text(""); },
      [&uevents](std::string_view buf) {
        return uevents.Synthesize({"/devices/ap", "ap", {}, "ap ap", false},
                                  buf);
      });
  const NodeRef bus_ap = *tree_.MakeDirs("bus/ap");
  AddBusAttributes(bus_ap);
  VAP_CHECK(tree_
                .MakeDynamicDir(bus_ap, "devices",
                                std::make_shared<BusDeviceLinks>(bus_), 0)
                .ok());
  drivers_ = *tree_.MakeDir(bus_ap, "drivers");
  for (const std::string& name : bus_.DriverNames()) AddDriverDir(name);
  for (const ApDevice& card : bus_.Cards()) OnDeviceAdded(card);
  for (const ApDevice& queue : bus_.Queues()) OnDeviceAdded(queue);
  bus_.AddObserver(*this);
}

void ApBusSysfs::AddQueueDriverEntries(
    std::string driver, std::shared_ptr<const DynamicEntries> provider) {
  queue_entries_->AddDriverEntries(std::move(driver), std::move(provider));
}

void ApBusSysfs::AddBusAttributes(const NodeRef& dir) {
  apbus::ApBus& bus = bus_;
  AddAttribute(
      tree_, dir, "ap_domain", kRw,
      [&bus] { return Text(fmt::format("{}\n", bus.ap_domain())); },
      [&bus](std::string_view buf) { return bus.SetApDomain(buf); });
  AddAttribute(tree_, dir, "ap_control_domain_mask", kRo,
               QciMask(bus, &ap::QciInfo::adm));
  AddAttribute(tree_, dir, "ap_usage_domain_mask", kRo,
               QciMask(bus, &ap::QciInfo::aqm));
  AddAttribute(tree_, dir, "ap_adapter_mask", kRo,
               QciMask(bus, &ap::QciInfo::apm));
  AddAttribute(
      tree_, dir, "config_time", kRw,
      [&bus] { return Text(fmt::format("{}\n", bus.config_time())); },
      [&bus](std::string_view buf) { return bus.SetConfigTime(buf); });
  // The poll thread and timer drive request processing, which vap does not
  // model. poll_thread_store() parses with kstrtobool(); writing 1 starts
  // no thread on a host with adapter interrupts (ap_poll_thread_start()
  // returns at once when ap_irq_flag is set). Every vap host has them; a
  // guest without them would start one, which vap does not model
  // (docs/fidelity.md), so poll_thread stays 0.
  AddAttribute(
      tree_, dir, "poll_thread", kRw, [] { return Text("0\n"); },
      [](std::string_view buf) -> Status {
        VAP_ASSIGN_OR_RETURN(const bool on, ParseKstrtobool(buf));
        (void)on;
        return Status::Ok();
      });
  AddAttribute(tree_, dir, "ap_interrupts", kRo, [&bus] {
    return Text(bus.interrupts() ? "1\n" : "0\n");
  });
  auto poll_timeout = std::make_shared<std::atomic<uint64_t>>(kPollTimeoutNs);
  AddAttribute(
      tree_, dir, "poll_timeout", kRw,
      [poll_timeout] { return Text(fmt::format("{}\n", poll_timeout->load())); },
      [poll_timeout](std::string_view buf) -> Status {
        VAP_ASSIGN_OR_RETURN(uint64_t ns, ParseKstrtoul(buf));
        if (ns > kPollTimeoutMaxNs) return Status::Error(EINVAL, "above 120 s");
        *poll_timeout = ns;
        return Status::Ok();
      });
  AddAttribute(tree_, dir, "ap_max_domain_id", kRo, [&bus] {
    return Text(fmt::format("{}\n", bus.max_domain_id()));
  });
  AddAttribute(tree_, dir, "ap_max_adapter_id", kRo, [&bus] {
    return Text(fmt::format("{}\n", bus.max_adapter_id()));
  });
  AddAttribute(
      tree_, dir, "apmask", kRw,
      [&bus] { return Text(FormatApBusMask(bus.apmask())); },
      [&bus](std::string_view buf) { return bus.WriteApmask(buf); });
  AddAttribute(
      tree_, dir, "aqmask", kRw,
      [&bus] { return Text(FormatApBusMask(bus.aqmask())); },
      [&bus](std::string_view buf) { return bus.WriteAqmask(buf); });
  AddAttribute(
      tree_, dir, "scans", kRw,
      [&bus] { return Text(fmt::format("{}\n", bus.scans())); },
      [&bus](std::string_view) {
        bus.Scan();
        return Status::Ok();
      });
  AddAttribute(tree_, dir, "bindings_complete_count", kRo, [&bus] {
    return Text(fmt::format("{}\n", bus.bindings_complete_count()));
  });
  AddAttribute(tree_, dir, "bindings", kRo, [&bus] {
    const apbus::Bindings b = bus.bindings();
    return Text(fmt::format("{}/{}{}\n", b.bound, b.total,
                           b.complete ? " (complete)" : ""));
  });
  AddAttribute(tree_, dir, "features", kRo, [&bus] {
    std::optional<ap::QciInfo> qci = bus.qci();
    return Text(qci ? Features(*qci) : "-\n");
  });
  // What every bus has (drivers/base/bus.c).
  AddAttribute(tree_, dir, "drivers_probe", kWo, nullptr,
               [&bus](std::string_view buf) {
                 return bus.DriversProbe(buf.substr(0, buf.find('\n')));
               });
  AddDriversAutoprobe(
      tree_, dir, [&bus] { return bus.drivers_autoprobe(); },
      [&bus](bool on) { bus.SetDriversAutoprobe(on); });
  // bus_uevent_store(): the bus's own kobject, SUBSYSTEM=bus.
  UeventSource& uevents = uevents_;
  AddAttribute(tree_, dir, "uevent", kWo, nullptr,
               [&uevents](std::string_view buf) {
                 return uevents.Synthesize({"/bus/ap", "bus", {}, "", false},
                                           buf);
               });
}

void ApBusSysfs::AddDriverDir(std::string_view name) {
  Result<NodeRef> dir = tree_.MakeDynamicDir(
      drivers_, name, std::make_shared<DriverLinks>(bus_, std::string(name)),
      0);
  VAP_CHECK(dir.ok());
  apbus::ApBus& bus = bus_;
  const std::string driver(name);
  // bind/unbind compare names with sysfs_streq().
  AddAttribute(tree_, *dir, "bind", kWo, nullptr,
               [&bus, driver](std::string_view buf) {
                 return bus.Bind(driver, StreqText(buf));
               });
  AddAttribute(tree_, *dir, "unbind", kWo, nullptr,
               [&bus, driver](std::string_view buf) {
                 return bus.Unbind(driver, StreqText(buf));
               });
  // The driver's uevent_store(): its kobject, SUBSYSTEM=drivers.
  UeventSource& uevents = uevents_;
  const UeventTarget target{"/bus/ap/drivers/" + driver, "drivers", {}, "",
                            false};
  AddAttribute(tree_, *dir, "uevent", kWo, nullptr,
               [&uevents, target](std::string_view buf) {
                 return uevents.Synthesize(target, buf);
               });
}

std::string ApBusSysfs::DevicePath(const ApDevice& dev) {
  return apbus::DeviceDevpath(dev).substr(1);  // relative to the root
}

void ApBusSysfs::OnDeviceAdded(const ApDevice& dev) {
  if (dev.kind == DeviceKind::kCard) {
    VAP_CHECK(
        tree_.MakeDynamicDir(devices_ap_, dev.Name(), card_entries_, dev.apid)
            .ok());
    return;
  }
  Result<NodeRef> card =
      tree_.Lookup(fmt::format("devices/ap/{}", CardName(dev.apid)));
  VAP_CHECK(card.ok());
  VAP_CHECK(
      tree_.MakeDynamicDir(*card, dev.Name(), queue_entries_, dev.apqn().qid())
          .ok());
}

void ApBusSysfs::OnDeviceRemoved(const ApDevice& dev) {
  VAP_CHECK(tree_.Remove(DevicePath(dev)).ok());
  power_->Forget(dev.kind == DeviceKind::kCard
                     ? PowerKey(PowerKind::kCard, dev.apid)
                     : PowerKey(PowerKind::kQueue, dev.apqn().qid()));
  tree_.EntriesChanged("bus/ap/devices", dev.Name());
}

void ApBusSysfs::OnDriverRegistered(const apbus::ApDriver& drv) {
  AddDriverDir(drv.name());
}

void ApBusSysfs::OnDeviceBound(const ApDevice& dev) {
  tree_.EntriesChanged(DevicePath(dev));
  tree_.EntriesChanged("bus/ap/drivers/" + dev.driver, dev.Name());
}

void ApBusSysfs::OnDeviceUnbound(const ApDevice& dev,
                                 std::string_view old_driver) {
  tree_.EntriesChanged(DevicePath(dev));
  tree_.EntriesChanged(fmt::format("bus/ap/drivers/{}", old_driver), dev.Name());
}

// A card's or queue's configuration or online state can change which
// attributes it has.
void ApBusSysfs::OnChangeEvent(const ApDevice* dev,
                               const std::vector<std::string>& /*env*/) {
  if (dev != nullptr) tree_.EntriesChanged(DevicePath(*dev));
}

}  // namespace vap::sysfs
