#include "system/system.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/uevent.h"

namespace vap {
namespace {

const Uuid kU = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");

class SystemTest : public ::testing::Test {
 protected:
  void SetUp() override { Make(/*guest_kernels=*/true); }
  void Make(bool guest_kernels) {
    system_.reset();
    SystemOptions o;
    o.time_scale = 0.01;
    o.periodic_scans = false;
    o.guest_kernels = guest_kernels;
    Result<std::unique_ptr<System>> s = System::Create(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    system_ = std::move(*s);
  }
  sysfs::Tree& tree() { return system_->tree(); }
  // The walkthrough's preparation: 05.0047 and 05.00ab for vfio_ap, an
  // mdev with them.
  void MakeMdev() {
    ASSERT_TRUE(tree().Write("bus/ap/apmask", "-5\n").ok());
    ASSERT_TRUE(tree().Write("bus/ap/aqmask", "-0x47,-0xab\n").ok());
    const std::string type =
        "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/";
    ASSERT_TRUE(tree().Write(type + "create", kU.ToString() + "\n").ok());
    const std::string dir = "devices/vfio_ap/matrix/" + kU.ToString() + "/";
    ASSERT_TRUE(tree().Write(dir + "assign_adapter", "5\n").ok());
    ASSERT_TRUE(tree().Write(dir + "assign_domain", "0x47\n").ok());
    ASSERT_TRUE(tree().Write(dir + "assign_domain", "0xab\n").ok());
  }
  std::unique_ptr<System> system_;
};

TEST(SystemCreateTest, BadProfileOrScaleIsRefused) {
  SystemOptions o;
  o.host = "builtin:nosuch";
  EXPECT_EQ(System::Create(o).status().errno_value(), ENOENT);
  o.host = "builtin:default";
  o.time_scale = 0;
  EXPECT_EQ(System::Create(o).status().errno_value(), EINVAL);
}

// The tree follows the driver (driver::MdevObserver): an mdev made or
// removed without the sysfs stores shows up and goes in the tree as one
// made by `create` does, and an injected clock is the one the host runs on.
TEST(SystemClockTest, TheHostRunsOnTheInjectedClock) {
  ManualClock clock(/*auto_advance=*/true);
  SystemOptions o;
  o.clock = &clock;
  o.periodic_scans = false;
  Result<std::unique_ptr<System>> s = System::Create(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(&(*s)->clock(), &clock);
}

TEST_F(SystemTest, MdevsMadeThroughTheDriverAreInTheTree) {
  const std::string dir = "devices/vfio_ap/matrix/" + kU.ToString();
  ASSERT_TRUE(system_->vfio().CreateMdev(kU).ok());
  EXPECT_EQ(*tree().Read(dir + "/matrix"), "");
  EXPECT_EQ(*tree().ReadLink("bus/mdev/devices/" + kU.ToString()),
            "../../../" + dir);
  EXPECT_EQ(*tree().ReadLink(dir + "/iommu_group"),
            "../../../../kernel/iommu_groups/0");
  EXPECT_TRUE(tree().Write(dir + "/assign_adapter", "3\n").ok());
  EXPECT_EQ(system_->vfio().Mdev(kU)->matrix.apm().Ids(),
            std::vector<unsigned>{3});
  ASSERT_TRUE(system_->vfio().RemoveMdev(kU).ok());
  EXPECT_EQ(tree().Lookup(dir).status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("kernel/iommu_groups/0").status().errno_value(),
            ENOENT);
  // And back through the store, twice: the lowest free IOMMU group
  // (ida_alloc() in iommu_group_alloc()), 0 again, then 1.
  const std::string type =
      "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/";
  ASSERT_TRUE(tree().Write(type + "create", kU.ToString()).ok());
  EXPECT_EQ(*tree().ReadLink(dir + "/iommu_group"),
            "../../../../kernel/iommu_groups/0");
  const Uuid other = *Uuid::Parse("66666666-7777-4888-9999-aaaaaaaaaaaa");
  ASSERT_TRUE(tree().Write(type + "create", other.ToString()).ok());
  EXPECT_EQ(*tree().ReadLink("devices/vfio_ap/matrix/" + other.ToString() +
                             "/iommu_group"),
            "../../../../kernel/iommu_groups/1");
  ASSERT_TRUE(system_->vfio().RemoveMdev(other).ok());
  ASSERT_TRUE(tree().Write(dir + "/remove", "1").ok());
  EXPECT_TRUE(system_->vfio().Mdevs().empty());
}

// What every bus and driver has (drivers/base/bus.c, dd.c) in bus/matrix
// and bus/mdev: drivers_autoprobe (kept; the mdev core binds each mdev
// itself), drivers_probe (ENODEV for a name not on the bus), and the
// driver's link to each mdev it has bound (driver_sysfs_add()).
TEST_F(SystemTest, TheMatrixAndMdevBusesHaveWhatEveryBusHas) {
  const std::string u = kU.ToString();
  for (const std::string bus : {"bus/matrix", "bus/mdev"}) {
    EXPECT_EQ(*tree().Read(bus + "/drivers_autoprobe"), "1\n") << bus;
    ASSERT_TRUE(tree().Write(bus + "/drivers_autoprobe", "0").ok());
    EXPECT_EQ(*tree().Read(bus + "/drivers_autoprobe"), "0\n") << bus;
    EXPECT_EQ(tree().Write(bus + "/drivers_probe", "nosuch\n").status().errno_value(),
              ENODEV);
    EXPECT_EQ(tree().Write(bus + "/drivers_probe", "..").status().errno_value(),
              ENODEV);
    EXPECT_EQ(tree().GetAttr(bus + "/drivers_probe")->mode, 0200u);
  }
  EXPECT_TRUE(tree().Write("bus/matrix/drivers_probe", "matrix\n").ok());
  ASSERT_TRUE(system_->vfio().CreateMdev(kU).ok());
  EXPECT_TRUE(tree().Write("bus/mdev/drivers_probe", u).ok());
  EXPECT_EQ(*tree().ReadLink("bus/mdev/drivers/vfio_ap_mdev/" + u),
            "../../../../devices/vfio_ap/matrix/" + u);
  EXPECT_EQ(*tree().Read("bus/mdev/drivers/vfio_ap_mdev/" + u + "/matrix"), "");
  ASSERT_TRUE(system_->vfio().RemoveMdev(kU).ok());
  EXPECT_EQ(tree().Lookup("bus/mdev/drivers/vfio_ap_mdev/" + u, false)
                .status()
                .errno_value(),
            ENOENT);
  EXPECT_EQ(tree().Write("bus/mdev/drivers_probe", u).status().errno_value(), ENODEV);
}

// The VFIO core's entries of a bound mdev (vfio_device_add(),
// vfio_create_group() in drivers/vfio): its character devices with their
// numbers, the class links, and `power` everywhere; gone with the mdev.
TEST_F(SystemTest, AnMdevHasItsVfioDevicesAndPowerDirectories) {
  const std::string u = kU.ToString();
  const std::string dir = "devices/vfio_ap/matrix/" + u;
  ASSERT_TRUE(system_->vfio().CreateMdev(kU).ok());
  EXPECT_EQ(tree().GetAttr(dir)->nlink, 4u);  // power, vfio-dev
  std::vector<std::string> names;
  const Result<std::vector<sysfs::DirEntry>> entries =
      tree().List(dir + "/vfio-dev/vfio0");
  ASSERT_TRUE(entries.ok());
  for (const sysfs::DirEntry& e : *entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dev", "device", "power",
                                             "subsystem", "uevent"}));
  const std::string dev = dir + "/vfio-dev/vfio0";
  EXPECT_EQ(*tree().Read(dev + "/dev"), "242:0\n");
  EXPECT_EQ(*tree().Read(dev + "/uevent"),
            "MAJOR=242\nMINOR=0\nDEVNAME=vfio/devices/vfio0\n");
  EXPECT_EQ(*tree().ReadLink(dev + "/device"), "../../../" + u);
  EXPECT_EQ(*tree().Lookup(dev + "/device"), *tree().Lookup(dir));
  EXPECT_EQ(*tree().ReadLink(dev + "/subsystem"),
            "../../../../../../class/vfio-dev");
  EXPECT_EQ(*tree().Lookup(dev + "/subsystem"), *tree().Lookup("class/vfio-dev"));
  EXPECT_EQ(*tree().ReadLink("class/vfio-dev/vfio0"), "../../" + dev);
  EXPECT_EQ(*tree().Read("class/vfio-dev/vfio0/power/runtime_status"),
            "unsupported\n");
  EXPECT_EQ(*tree().ReadLink("class/vfio/0"), "../../devices/virtual/vfio/0");
  EXPECT_EQ(*tree().Read("class/vfio/0/dev"), "243:0\n");
  EXPECT_EQ(*tree().Read("devices/virtual/vfio/0/uevent"),
            "MAJOR=243\nMINOR=0\nDEVNAME=vfio/0\n");
  EXPECT_EQ(*tree().ReadLink("devices/virtual/vfio/0/subsystem"),
            "../../../../class/vfio");
  EXPECT_EQ(tree().GetAttr("devices/virtual/vfio")->nlink, 3u);
  EXPECT_EQ(tree().Lookup("class/vfio-dev/vfio00").status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("class/vfio/00").status().errno_value(), ENOENT);
  // A write to the device's uevent file sends its event (ENODEV-free).
  EXPECT_TRUE(tree().Write(dev + "/uevent", "change").ok());
  EXPECT_TRUE(tree().Write(dir + "/power/control", "on").ok());
  EXPECT_EQ(*tree().Read(dir + "/power/control"), "on\n");
  EXPECT_EQ(*tree().Read("devices/vfio_ap/matrix/power/control"), "auto\n");
  EXPECT_EQ(*tree().Read("devices/vfio_ap/power/control"), "auto\n");
  ASSERT_TRUE(system_->vfio().RemoveMdev(kU).ok());
  for (const std::string& gone :
       {dev, std::string("class/vfio-dev/vfio0"), std::string("class/vfio/0"),
        std::string("devices/virtual/vfio/0")})
    EXPECT_EQ(tree().Lookup(gone, false).status().errno_value(), ENOENT) << gone;
  EXPECT_EQ(tree().GetAttr("devices/virtual/vfio")->nlink, 2u);
  // The same UUID again is a new device: power/control is "auto".
  ASSERT_TRUE(system_->vfio().CreateMdev(kU).ok());
  EXPECT_EQ(*tree().Read(dir + "/power/control"), "auto\n");
}

// /sys/module as it behaves (kernel/module/sysfs.c, kernel/params.c):
// vfio_ap's reference count follows the open mdevs, ap's `domain`
// parameter is the bus's selection, and vfio_ap's root device links its
// module (__root_device_register()). The IOMMU group of an mdev is the
// VFIO core's emulated one, whose type cannot be set.
TEST_F(SystemTest, TheModulesAndAnMdevsIommuGroupBehaveAsOnAHost) {
  EXPECT_EQ(*tree().ReadLink("devices/vfio_ap/module"), "../../module/vfio_ap");
  EXPECT_EQ(*tree().Lookup("devices/vfio_ap/module"), *tree().Lookup("module/vfio_ap"));
  EXPECT_EQ(tree().Lookup("devices/ap/module", false).status().errno_value(), ENOENT);
  EXPECT_EQ(*tree().Read("module/ap/parameters/domain"),
            *tree().Read("bus/ap/ap_domain"));
  EXPECT_EQ(*tree().Read("module/ap/parameters/msgpool_min_items"), "8\n");
  EXPECT_EQ(*tree().Read("module/vfio_ap/refcnt"), "0\n");
  MakeMdev();
  const std::string group = "kernel/iommu_groups/0/";
  EXPECT_EQ(*tree().Read(group + "name"), "vfio-noiommu\n");
  EXPECT_EQ(tree().Write(group + "type", "DMA").status().errno_value(), EINVAL);
  EXPECT_EQ(tree().Write(group + "type", "identity\n").status().errno_value(), EINVAL);
  EXPECT_EQ(*tree().Read(group + "type"), "unknown\n");
  EXPECT_EQ(*tree().Read(group + "reserved_regions"), "");
  ASSERT_TRUE(system_->StartGuest("vm1", kU, 1).ok());
  EXPECT_EQ(*tree().Read("module/vfio_ap/refcnt"), "1\n");
  // A module's uevent file sends a synthetic event; a bad action is EINVAL.
  EXPECT_TRUE(tree().Write("module/vfio_ap/uevent", "change").ok());
  EXPECT_EQ(tree().Write("module/vfio_ap/uevent", "nosuch").status().errno_value(),
            EINVAL);
  ASSERT_TRUE(system_->StopGuest("vm1").ok());
  EXPECT_EQ(*tree().Read("module/vfio_ap/refcnt"), "0\n");
}

// bus/mdev/drivers/vfio_ap_mdev's unbind (unbind_store() in
// drivers/base/bus.c, vfio_ap_mdev_remove()): the mdev core's device stays
// with its own entries only; the driver's attributes, matrix, IOMMU group
// and VFIO devices go, its queues are reset and freed. `bind` gives ENODEV
// for every name (mdev_match() matches nothing), and `remove` still works.
TEST_F(SystemTest, AnMdevUnboundFromVfioApMdevKeepsOnlyTheMdevCoresEntries) {
  MakeMdev();
  const std::string u = kU.ToString();
  const std::string dir = "devices/vfio_ap/matrix/" + u;
  const std::string drv = "bus/mdev/drivers/vfio_ap_mdev/";
  const std::string type =
      "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/";
  EXPECT_EQ(tree().GetAttr(drv + "bind")->mode, 0200u);
  EXPECT_EQ(tree().GetAttr(drv + "unbind")->mode, 0200u);
  const std::string instances = *tree().Read(type + "available_instances");
  std::unique_ptr<UeventHub::Subscription> events =
      system_->uevents().Subscribe();
  EXPECT_EQ(tree().Write(drv + "unbind", "nosuch").status().errno_value(), ENODEV);
  std::string upper = u;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(tree().Write(drv + "unbind", upper).status().errno_value(), ENODEV);
  ASSERT_TRUE(tree().Write(drv + "unbind", u + "\n").ok());

  std::vector<std::string> names;
  const Result<std::vector<sysfs::DirEntry>> entries = tree().List(dir);
  ASSERT_TRUE(entries.ok());
  for (const sysfs::DirEntry& e : *entries) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"mdev_type", "power", "remove",
                                             "subsystem", "uevent"}));
  EXPECT_EQ(tree().GetAttr(dir)->nlink, 3u);  // power
  EXPECT_EQ(*tree().Read(dir + "/uevent"), "");
  EXPECT_EQ(tree().Read(dir + "/matrix").status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup(drv + u, false).status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("kernel/iommu_groups/0").status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("class/vfio/0", false).status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("class/vfio-dev/vfio0", false).status().errno_value(),
            ENOENT);
  EXPECT_TRUE(tree().Lookup("bus/mdev/devices/" + u).ok());
  EXPECT_TRUE(tree().Lookup(type + "devices/" + u).ok());
  EXPECT_EQ(*tree().Read(type + "available_instances"), instances);
  // Its queues are free: the queue's status says so.
  EXPECT_EQ(*tree().Read("devices/ap/card05/05.0047/status"), "unassigned\n");
  EXPECT_TRUE(system_->vfio().Mdevs().empty());
  EXPECT_EQ(system_->vfio().UnboundMdevs(), std::vector<Uuid>{kU});
  // The event: unbind, without DRIVER.
  std::optional<Uevent> e = events->Next(std::chrono::seconds(5));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->action(), "unbind");
  EXPECT_EQ(e->devpath(), "/devices/vfio_ap/matrix/" + u);
  EXPECT_EQ(e->Get("DRIVER"), "");

  EXPECT_EQ(tree().Write(drv + "bind", u).status().errno_value(), ENODEV);
  EXPECT_EQ(tree().Write(drv + "unbind", u).status().errno_value(), ENODEV);
  EXPECT_EQ(tree().Write(type + "create", u).status().errno_value(), EEXIST);
  // Another mdev takes the freed IOMMU group.
  const Uuid other = *Uuid::Parse("66666666-7777-4888-9999-aaaaaaaaaaaa");
  ASSERT_TRUE(tree().Write(type + "create", other.ToString()).ok());
  EXPECT_EQ(*tree().ReadLink("devices/vfio_ap/matrix/" + other.ToString() +
                             "/iommu_group"),
            "../../../../kernel/iommu_groups/0");
  ASSERT_TRUE(tree().Write(dir + "/remove", "1").ok());
  EXPECT_EQ(tree().Lookup(dir).status().errno_value(), ENOENT);
  EXPECT_EQ(tree().Lookup("bus/mdev/devices/" + u, false).status().errno_value(),
            ENOENT);
  EXPECT_TRUE(system_->vfio().UnboundMdevs().empty());
  e = events->Next(std::chrono::seconds(5));  // the other's add and bind
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->action(), "add");
  e = events->Next(std::chrono::seconds(5));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->action(), "bind");
  e = events->Next(std::chrono::seconds(5));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->action(), "remove");  // no second unbind
  EXPECT_EQ(e->devpath(), "/devices/vfio_ap/matrix/" + u);
  ASSERT_TRUE(tree().Write(type + "create", u).ok());  // the UUID is free
}

// Each guest runs its own kernel's AP bus (src/guest): it finds the
// mdev's queues, enables their interrupts through vfio_ap, and after a
// re-IPL (scenario 24) a new kernel finds them again.
TEST_F(SystemTest, AGuestsKernelDiscoversItsQueuesAndAgainAfterAReboot) {
  MakeMdev();
  ASSERT_TRUE(system_->StartGuest("vm1", kU, 1).ok());
  std::shared_ptr<guest::GuestKernel> k = *system_->GuestKernelOf("vm1");
  const auto wait_irqs = [](guest::GuestKernel& kernel) {
    for (int i = 0; i < 500; ++i) {
      Result<std::string> a =
          kernel.tree().Read("devices/ap/card05/05.0047/interrupt");
      Result<std::string> b =
          kernel.tree().Read("devices/ap/card05/05.00ab/interrupt");
      if (a.ok() && b.ok() && *a == "Interrupts enabled.\n" &&
          *b == "Interrupts enabled.\n")
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  EXPECT_EQ(*k->tree().Read("bus/ap/ap_domain"), "71\n");  // 0x47
  EXPECT_EQ(*k->tree().Read("bus/ap/bindings"), "2/2 (complete)\n");
  EXPECT_TRUE(wait_irqs(*k));
  const GuestInfo info = *system_->ShowGuest("vm1");
  EXPECT_TRUE(info.queues[0].interrupts);  // the host queue's I bit
  ASSERT_TRUE(system_->GuestReset("vm1").ok());
  std::shared_ptr<guest::GuestKernel> again = *system_->GuestKernelOf("vm1");
  EXPECT_NE(again.get(), k.get());
  EXPECT_EQ(again->bus()->scans(), 1u);
  EXPECT_EQ(*again->tree().Read("bus/ap/bindings"), "2/2 (complete)\n");
  EXPECT_TRUE(wait_irqs(*again));
  EXPECT_EQ(system_->GuestKernelOf("nosuch").status().errno_value(), ENOENT);
  k.reset();  // a kernel is not to be held past its guest's stop
  again.reset();
  ASSERT_TRUE(system_->StopGuest("vm1").ok());
  system_->vfio().CheckInvariants();
}

// Scenario 16: a CPU model without `apqi` gives the guest no adapter
// interrupt; its queues poll, show "Interrupts disabled." and issue no
// AQIC (the host queue's I bit stays off).
TEST_F(SystemTest, WithoutApqiTheGuestsQueuesStayWithoutInterrupts) {
  MakeMdev();
  ASSERT_TRUE(system_->StartGuest("vm1", kU, 1, *kvm::ParseCpuModel("apqi=off")).ok());
  std::shared_ptr<guest::GuestKernel> k = *system_->GuestKernelOf("vm1");
  EXPECT_EQ(*k->tree().Read("bus/ap/ap_interrupts"), "0\n");
  for (int i = 0; i < 1000 && k->bus()->QueuesPolling(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(*k->tree().Read("devices/ap/card05/05.0047/interrupt"),
            "Interrupts disabled.\n");
  const GuestInfo info = *system_->ShowGuest("vm1");
  EXPECT_FALSE(info.queues[0].interrupts);
  EXPECT_EQ(kvm::FormatCpuModel(info.cpu), "ap=on,apqci=on,apft=on,apqi=off");
  k.reset();
  ASSERT_TRUE(system_->StopGuest("vm1").ok());
}

// A refused store answers its errno with the kernel's reason, the line
// the driver logs for it: what `vap sysfs write` and sysfs.write show.
TEST_F(SystemTest, ARefusedStoreCarriesTheLoggedReason) {
  MakeMdev();
  const Uuid u2 = *Uuid::Parse("4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2");
  ASSERT_TRUE(system_->vfio().CreateMdev(u2).ok());
  const std::string dir = "devices/vfio_ap/matrix/" + u2.ToString() + "/";
  ASSERT_TRUE(tree().Write(dir + "assign_domain", "0x47\n").ok());
  const Result<size_t> r = tree().Write(dir + "assign_adapter", "5\n");
  ASSERT_FALSE(r.ok());
  const std::string reason =
      "Userspace may not assign queue 05.0047 to mdev: already assigned to " +
      kU.ToString();
  EXPECT_EQ(r.status(), Status::Error(EADDRINUSE, reason));
  EXPECT_NE(system_->log().LastText().find(reason), std::string::npos);
}

TEST_F(SystemTest, DefaultHostAsAfterBoot) {
  EXPECT_EQ(*tree().Read("bus/ap/ap_max_adapter_id"), "255\n");
  EXPECT_TRUE(tree().Lookup("devices/ap/card03/03.0047").ok());
  EXPECT_EQ(system_->profile().name, "default");
}

// A guest whose threads cannot be made (a process limit) fails with
// EAGAIN and gives its name back: the same start works once threads can
// be made again. In a child process, which drops to 'nobody' so that
// RLIMIT_NPROC applies.
void StartUnderAThreadLimit(System& system) {
  rlimit old{};
  if (getrlimit(RLIMIT_NPROC, &old) != 0) _exit(9);
  const rlimit one{1, old.rlim_max};
  if (setrlimit(RLIMIT_NPROC, &one) != 0) _exit(10);
  if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534))
    _exit(11);
  const Status failed = system.StartGuest("vm1", kU, 2);
  if (failed.errno_value() != EAGAIN) _exit(12);
  if (!system.GuestNames().empty()) _exit(13);
  if (system.StopGuest("vm1").errno_value() != ENOENT) _exit(14);
  if (setrlimit(RLIMIT_NPROC, &old) != 0) _exit(15);
  if (!system.StartGuest("vm1", kU, 2).ok()) _exit(16);  // not EEXIST
  _exit(0);
}

TEST_F(SystemTest, AGuestThatCannotStartGivesItsNameBack) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop to nobody";
  // Re-executed rather than forked: the system's threads exist, and
  // TSan does not start threads in a child forked from many.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  MakeMdev();
  EXPECT_EXIT(StartUnderAThreadLimit(*system_), ::testing::ExitedWithCode(0),
              "");
}

// Writers racing on an mdev's `remove`: one removes, the others return at
// once, successfully (kernfs_remove_self()); `remove` is gone meanwhile.
TEST_F(SystemTest, ConcurrentRemovalsOfOneMdevHaveOneWinner) {
  MakeMdev();
  const std::string remove =
      "devices/vfio_ap/matrix/" + kU.ToString() + "/remove";
  std::vector<sysfs::NodeRef> handles;
  for (int i = 0; i < 4; ++i)
    handles.push_back(*tree().Open(remove, false, true));
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (const sysfs::NodeRef& h : handles) {
    writers.emplace_back([&, h] {
      Result<size_t> n = tree().Write(h, "1\n");
      // Before the removal: success; after it: ENODEV (a removed node).
      if (!n.ok() && n.status().errno_value() != ENODEV) ++failed;
    });
  }
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_TRUE(system_->vfio().Mdevs().empty());
  EXPECT_FALSE(tree().Lookup("devices/vfio_ap/matrix/" + kU.ToString()).ok());
  system_->vfio().CheckInvariants();
}

TEST_F(SystemTest, GuestLifecycle) {
  Make(/*guest_kernels=*/false);  // the test issues the guest's PQAPs
  MakeMdev();
  EXPECT_EQ(system_->StartGuest("bad name", kU, 2).errno_value(), EINVAL);
  EXPECT_EQ(system_->StartGuest("vm1", kU, 0).errno_value(), EINVAL);
  const Uuid other = *Uuid::Parse("00000000-0000-0000-0000-000000000001");
  EXPECT_EQ(system_->StartGuest("vm1", other, 2).errno_value(), ENODEV);
  ASSERT_TRUE(system_->StartGuest("vm1", kU, 2).ok());
  EXPECT_EQ(system_->StartGuest("vm1", kU, 2).errno_value(), EEXIST);
  EXPECT_EQ(system_->StartGuest("vm2", kU, 2).errno_value(), EBUSY);
  EXPECT_EQ(system_->GuestNames(), std::vector<std::string>{"vm1"});

  GuestInfo info = *system_->ShowGuest("vm1");
  EXPECT_EQ(info.mdev, kU.ToString());
  EXPECT_EQ(info.format, 2);
  EXPECT_EQ(info.apcb.apm(), ApMask::Of({5}));
  EXPECT_EQ(info.queues.size(), 2u);
  EXPECT_FALSE(info.queues[0].interrupts);

  // AQIC enable from a vCPU: the queue shows interrupts on.
  kvm::PqapRegs r;
  r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | Apqn(5, 0x47).qid();
  r.gr1 = kvm::kAqicIrBit | 3;
  r.gr2 = 0x1000;
  EXPECT_EQ(system_->GuestPqap("vm1", r)->cc, 0);
  info = *system_->ShowGuest("vm1");
  EXPECT_TRUE(info.queues[0].interrupts);
  EXPECT_EQ(info.queues[0].apqn, Apqn(5, 0x47));

  // Hot unplug through the tree: the guest is told.
  const std::string dir = "devices/vfio_ap/matrix/" + kU.ToString() + "/";
  ASSERT_TRUE(tree().Write(dir + "unassign_domain", "0xab\n").ok());
  info = *system_->ShowGuest("vm1");
  EXPECT_EQ(info.cfg_chg_count, 1u);
  EXPECT_EQ(info.queues.size(), 1u);

  EXPECT_TRUE(system_->GuestReset("vm1").ok());
  ASSERT_TRUE(system_->StopGuest("vm1").ok());
  EXPECT_EQ(system_->StopGuest("vm1").errno_value(), ENOENT);
  EXPECT_EQ(system_->ShowGuest("vm1").status().errno_value(), ENOENT);
  EXPECT_FALSE(system_->firmware().IrqEnabled(Apqn(5, 0x47)));
  system_->vfio().CheckInvariants();
}

TEST_F(SystemTest, RemovingAnMdevAGuestHoldsUnplugsIt) {
  MakeMdev();
  ASSERT_TRUE(system_->StartGuest("vm1", kU, 1).ok());
  const std::string dir = "devices/vfio_ap/matrix/" + kU.ToString() + "/";
  ASSERT_TRUE(tree().Write(dir + "remove", "1\n").ok());
  EXPECT_FALSE(tree().Lookup(dir).ok());
  const GuestInfo info = *system_->ShowGuest("vm1");
  EXPECT_EQ(info.mdev, "");
  EXPECT_EQ(info.req_count, 1u);
}

}  // namespace
}  // namespace vap
