// The guest's own AP bus against a host: cards 05 (CEX8C) and 06 (CEX8A)
// with domains 0x04, 0x47 and 0xab for vfio_ap; an mdev with adapters 05
// and 06, domains 0x04 and 0xab, control domains 0x04, 0x47 and 0xab; a
// QEMU model on it, and the guest kernel behind it. Every
// look at the guest's /sys goes through a FUSE mount of its tree, as a
// tool in `vap sandbox --guest` looks (needs root; the mounts stay in a
// private mount namespace of this process).
#include "guest/guest_kernel.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/uevent.h"
#include "fuse/fuse_mount.h"
#include "fuse/private_mount_namespace.h"
#include "matrix/mask_format.h"
#include "sysfs/host_tree.h"

namespace vap::guest {
namespace {

const Uuid kM = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
const std::string kMdevDir = "devices/vfio_ap/matrix/" + kM.ToString() + "/";

// What a test changes of the VM: the CPU model's `ap` (APIE) and `apqi`
// (facility 65), the host's APXA, the guest kernel's periodic scans (off:
// every guest scan is one the test can count).
struct Model {
  bool apie = true;
  bool apqi = true;
  bool host_apxa = true;
  bool periodic_scans = false;
};

class GuestKernelTest : public ::testing::Test {
 protected:
  GuestKernelTest() : host_(clock_, *ap::BuiltinProfile("default")) {
    HostWrite("bus/ap/apmask", "-5,-6");
    HostWrite("bus/ap/aqmask", "-0x04,-0x47,-0xab");
    HostWrite("devices/vfio_ap/matrix/mdev_supported_types/"
              "vfio_ap-passthrough/create",
              kM.ToString());
    for (const char* a : {"5", "6"}) HostWrite(kMdevDir + "assign_adapter", a);
    for (const char* d : {"0x04", "0xab"}) HostWrite(kMdevDir + "assign_domain", d);
    for (const char* d : {"0x04", "0x47", "0xab"})
      HostWrite(kMdevDir + "assign_control_domain", d);
  }
  static void SetUpTestSuite() { private_ns_ = fuse::EnterPrivateMountNamespace(); }
  void SetUp() override {
    if (!private_ns_) GTEST_SKIP() << "needs root (a FUSE mount)";
  }
  ~GuestKernelTest() override {
    if (mount_ != nullptr) mount_->Unmount();
    mount_.reset();
    if (!dir_.empty()) rmdir(dir_.c_str());
    if (vm_ != nullptr) vm_->AttachGuestOs(nullptr);
    kernel_.reset();
    vm_.reset();
  }

  // Serves the guest kernel's tree at a mount point of its own.
  void MountGuestTree() {
    char tmpl[] = "/tmp/vap-guest-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Result<std::unique_ptr<fuse::FuseMount>> m =
        fuse::FuseMount::Mount(kernel_->tree(), {dir_});
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    mount_ = std::move(*m);
  }
  std::string P(const std::string& rel) const { return dir_ + "/" + rel; }

  // The VM, its device not yet realized.
  void MakeVm(const Model& model = {}) {
    model_ = model;
    vm::VmOptions o;
    o.guest.name = "g";
    o.guest.firmware = &host_.drivers().firmware();
    o.guest.apie = model.apie;
    o.guest.facility65 = model.apqi;
    o.guest.host_apxa = model.host_apxa;
    o.vcpus = 1;
    vm_ = std::make_unique<vm::Qemu>(host_.drivers().vfio(), o);
  }
  // The guest kernel boots, and its tree is mounted.
  void BootKernel() {
    kernel_ = std::make_unique<GuestKernel>(
        vm_->guest(), host_.drivers().firmware(), clock_,
        GuestKernelOptions{.useirq = true,
                           .periodic_scans = model_.periodic_scans});
    vm_->AttachGuestOs(kernel_.get());
    MountGuestTree();
  }
  // A re-IPL (what RunningGuest::Reboot() does): the kernel halts, QEMU's
  // system reset resets the device (VFIO_DEVICE_RESET), a new kernel
  // boots, and its tree is mounted (at a new mount point).
  void Reboot() {
    mount_->Unmount();
    mount_.reset();
    rmdir(dir_.c_str());
    vm_->AttachGuestOs(nullptr);
    kernel_->Halt();
    kernel_.reset();
    ASSERT_TRUE(vm_->SystemReset().ok());
    BootKernel();
  }
  void Boot(const Model& model = {}) {
    // The queues handed to vfio_ap were reset (ZAPQ at the hand-over): a
    // guest is started once those resets are over, as on a host.
    ASSERT_TRUE(Eventually([&] {
      for (const Apqn q : {Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4), Apqn(6, 0xab)})
        if (host_.drivers().firmware().Tapq(q).status.response_code ==
            ap::kRcResetInProgress)
          return false;
      return true;
    }));
    MakeVm(model);
    ASSERT_TRUE(vm_->Realize(kM).ok());
    vm_->StartVcpus();
    BootKernel();
  }

  void HostWrite(const std::string& path, const std::string& value) {
    const Result<size_t> r = host_.tree().Write(path, value);
    ASSERT_TRUE(r.ok()) << path << " <- " << value << ": " << r.status().ToString();
  }
  // cat(1) through the mount: the text, or "errno N".
  std::string Read(const std::string& path) {
    const int fd = open(P(path).c_str(), O_RDONLY);
    if (fd < 0) return "errno " + std::to_string(errno);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    const int err = errno;
    close(fd);
    return n < 0 ? "errno " + std::to_string(err) : out;
  }
  // echo -n VALUE > PATH through the mount: 0 or the errno.
  int Write(const std::string& path, const std::string& value) {
    const int fd = open(P(path).c_str(), O_WRONLY);
    if (fd < 0) return errno;
    const ssize_t n = write(fd, value.data(), value.size());
    const int err = errno;
    close(fd);
    return n == static_cast<ssize_t>(value.size()) ? 0 : err;
  }
  // ls(1) through the mount, sorted; "errno N" if it cannot be listed.
  std::vector<std::string> Ls(const std::string& path) {
    DIR* d = opendir(P(path).c_str());
    if (d == nullptr) return {"errno " + std::to_string(errno)};
    std::vector<std::string> out;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") out.push_back(name);
    }
    closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Link(const std::string& path) {
    char buf[256];
    const ssize_t n = readlink(P(path).c_str(), buf, sizeof buf);
    return n < 0 ? "errno " + std::to_string(errno) : std::string(buf, static_cast<size_t>(n));
  }
  // Waits (5 s at most) for `done`.
  static bool Eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 500; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  uint64_t Scans() { return kernel_->bus()->scans(); }
  std::string HostRead(const std::string& path) {
    Result<std::string> r = host_.tree().Read(path);
    return r.ok() ? *r : "errno " + std::to_string(r.status().errno_value());
  }
  // The guest's queue devices, as /sys/bus/ap/devices lists them.
  std::vector<std::string> GuestQueues() {
    std::vector<std::string> out;
    for (const std::string& n : Ls("bus/ap/devices"))
      if (n.find('.') != std::string::npos) out.push_back(n);
    return out;
  }
  // Writing the guest's `scans`: a synchronous scan.
  void GuestScan() { ASSERT_EQ(Write("bus/ap/scans", "1"), 0); }

  // Waits until every queue of the guest shows "Interrupts enabled.".
  bool InterruptsEnabled(const std::vector<std::string>& queues) {
    return Eventually([&] {
      for (const std::string& q : queues)
        if (Read("devices/ap/card" + q.substr(0, 2) + "/" + q + "/interrupt") !=
            "Interrupts enabled.\n")
          return false;
      return true;
    });
  }

  static inline bool private_ns_ = false;
  Model model_;
  RealClock clock_{0.01};
  sysfs::HostTree host_;
  std::unique_ptr<vm::Qemu> vm_;
  std::unique_ptr<GuestKernel> kernel_;
  std::string dir_;
  std::unique_ptr<fuse::FuseMount> mount_;
};

// Scenarios 1-3: what the guest discovers at boot.
TEST_F(GuestKernelTest, BootFindsTheShadowsCardsQueuesAndDefaultDomain) {
  Boot();
  EXPECT_EQ(Ls("devices/ap"), (std::vector<std::string>{
                                  "card05", "card06", "power", "uevent"}));
  EXPECT_EQ(Read("devices/ap/card05/type"), "CEX8C\n");
  EXPECT_EQ(Read("devices/ap/card06/type"), "CEX8A\n");
  EXPECT_EQ(Read("devices/ap/card05/hwtype"), "14\n");
  for (const char* q : {"card05/05.0004", "card05/05.00ab", "card06/06.0004",
                        "card06/06.00ab"})
    EXPECT_EQ(Read(std::string("devices/ap/") + q + "/online"), "1\n") << q;
  EXPECT_EQ(Read("devices/ap/card05/05.0047/online"), "errno 2");  // control only
  EXPECT_EQ(Read("bus/ap/bindings"), "4/4 (complete)\n");
  EXPECT_EQ(Read("bus/ap/ap_domain"), "4\n");
  EXPECT_EQ(Read("bus/ap/ap_adapter_mask"), FormatMaskHex(ApMask::Of({5, 6})) + "\n");
  EXPECT_EQ(Read("bus/ap/ap_usage_domain_mask"),
            FormatMaskHex(ApMask::Of({4, 0xab})) + "\n");
  EXPECT_EQ(Read("bus/ap/ap_control_domain_mask"),
            FormatMaskHex(ApMask::Of({4, 0x47, 0xab})) + "\n");
  EXPECT_EQ(Read("bus/ap/apmask"), FormatMaskHex(ApMask::All()) + "\n");
  EXPECT_EQ(Read("bus/ap/ap_interrupts"), "1\n");
  EXPECT_EQ(Link("devices/ap/card05/05.0004/driver"),
            "../../../../bus/ap/drivers/cex4queue");
  EXPECT_GE(Scans(), 1u);
}

// Scenario 15: the guest's queues reset and enable interrupts on ISC 6
// through vfio_ap and the guest's GISA.
TEST_F(GuestKernelTest, GuestQueuesEnableInterruptsThroughVfioAp) {
  Boot();
  ASSERT_TRUE(Eventually([&] {
    return Read("devices/ap/card05/05.0004/interrupt") == "Interrupts enabled.\n" &&
           Read("devices/ap/card06/06.00ab/interrupt") == "Interrupts enabled.\n";
  }));
  EXPECT_TRUE(host_.drivers().firmware().GuestIrqEnabled(Apqn(5, 4)));
  EXPECT_EQ(vm_->guest().AlertMask() & 0x02, 0x02);  // 0x80 >> 6
  EXPECT_EQ(Read("bus/ap/ap_interrupts"), "1\n");
  ASSERT_TRUE(InterruptsEnabled({"05.0004", "05.00ab", "06.0004", "06.00ab"}));
  for (const Apqn q : {Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4), Apqn(6, 0xab)}) {
    const auto irq = host_.drivers().vfio().QueueIrq(q);
    ASSERT_TRUE(irq.has_value()) << q.ToString();
    EXPECT_EQ(irq->second, 6) << q.ToString();  // vfio_ap's saved_isc
  }
}

// Scenario 16: a CPU model without `apqi` (facility 65): the guest has
// no adapter interrupts, its queues show "Interrupts disabled." and it
// issues no AQIC, so vfio_ap records nothing for them.
TEST_F(GuestKernelTest, WithoutApqiTheGuestsQueuesStayWithoutInterrupts) {
  Boot({.apqi = false});
  EXPECT_EQ(Read("bus/ap/ap_interrupts"), "0\n");
  ASSERT_TRUE(Eventually([&] { return !kernel_->bus()->QueuesPolling(); }));
  for (const char* q : {"card05/05.0004", "card05/05.00ab", "card06/06.0004",
                        "card06/06.00ab"})
    EXPECT_EQ(Read(std::string("devices/ap/") + q + "/interrupt"),
              "Interrupts disabled.\n")
        << q;
  for (const Apqn q : {Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4), Apqn(6, 0xab)}) {
    const auto irq = host_.drivers().vfio().QueueIrq(q);
    ASSERT_TRUE(irq.has_value()) << q.ToString();
    EXPECT_EQ(irq->second, driver::kIscInvalid) << q.ToString();
    EXPECT_FALSE(host_.drivers().firmware().GuestIrqEnabled(q)) << q.ToString();
  }
  EXPECT_TRUE(host_.drivers().vfio().PinnedPages(kM).empty());
}

// Scenarios 5-7: a hot plug is seen once the config-change event is
// handled, not before; an unplugged queue answers RC 0x01 until then.
TEST_F(GuestKernelTest, HotPlugIsSeenAfterTheEventAndNotBefore) {
  Boot();
  vm_->SetGuestHandlesCrws(false);
  const uint64_t scans = Scans();
  HostWrite(kMdevDir + "assign_domain", "0x47");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Read("devices/ap/card05/05.0047/online"), "errno 2");
  EXPECT_EQ(Scans(), scans);
  vm_->SetGuestHandlesCrws(true);
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card05/05.0047/online") == "1\n"; }));
  EXPECT_EQ(Read("devices/ap/card06/06.0047/online"), "1\n");
  EXPECT_EQ(Read("devices/ap/card06/type"), "CEX8A\n");
  EXPECT_EQ(Scans(), scans + 1);

  vm_->SetGuestHandlesCrws(false);
  HostWrite(kMdevDir + "unassign_adapter", "6");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Read("devices/ap/card06/type"), "CEX8A\n");  // still listed
  EXPECT_EQ(kernel_->bus()->machine().TestQueue(Apqn(6, 4)).status.response_code,
            ap::kRcQueueNotAvailable);
  EXPECT_EQ(Read("devices/ap/card06/06.0004/interrupt"), "Interrupts disabled.\n");
  EXPECT_EQ(Read("devices/ap/card06/06.0004/ap_functions"), "0x00000000\n");
  vm_->SetGuestHandlesCrws(true);
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card06/type") == "errno 2"; }));
  EXPECT_EQ(Read("bus/ap/ap_adapter_mask"), FormatMaskHex(ApMask::Of({5})) + "\n");
}

// Scenario 5: an adapter hot plugged while the guest's event handling is
// paused answers TAPQ already, but no card exists and no scan ran until
// the event is handled; then exactly one scan finds it.
TEST_F(GuestKernelTest, AHotPluggedAdapterAppearsWithOneScanAfterTheEvent) {
  HostWrite("bus/ap/apmask", "-4");  // 04.0004 and 04.00ab to vfio_ap
  Boot();
  vm_->SetGuestHandlesCrws(false);
  const uint64_t scans = Scans();
  HostWrite(kMdevDir + "assign_adapter", "4");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(Read("devices/ap/card04/type"), "errno 2");
  EXPECT_EQ(Scans(), scans);
  EXPECT_EQ(kernel_->bus()->machine().TestQueue(Apqn(4, 4)).status.response_code,
            ap::kRcNormal);
  vm_->SetGuestHandlesCrws(true);
  // The scan's count rises at its end, after the card and its queues.
  ASSERT_TRUE(Eventually([&] { return Scans() > scans; }));
  EXPECT_EQ(Read("devices/ap/card04/type"), "CEX8P\n");
  EXPECT_EQ(Scans(), scans + 1);
  EXPECT_EQ(Link("devices/ap/card04/driver"), "../../../bus/ap/drivers/cex4card");
  EXPECT_EQ(Link("devices/ap/card04/04.00ab/driver"),
            "../../../../bus/ap/drivers/cex4queue");
}

// Scenario 17: no SCLP AP reconfiguration in a QEMU guest.
TEST_F(GuestKernelTest, CardConfigChangesAreNotSupported) {
  Boot();
  EXPECT_EQ(Write("devices/ap/card05/config", "0"), EOPNOTSUPP);
  EXPECT_EQ(Read("devices/ap/card05/config"), "1\n");
  EXPECT_EQ(Write("devices/ap/card05/config", "1"), 0);
}

// Scenario 14: without AP instructions there is no AP bus.
TEST_F(GuestKernelTest, WithoutApInstructionsThereIsNoBus) {
  Boot({.apie = false});
  EXPECT_EQ(kernel_->bus(), nullptr);
  EXPECT_EQ(Ls("bus/ap"), std::vector<std::string>{"errno 2"});
  EXPECT_TRUE(Ls("").empty());  // an empty /sys: no AP bus
}

// Scenario 4: the guest sees the real card (TAPQ's GR2 under APFT).
TEST_F(GuestKernelTest, TheGuestSeesTheRealCard) {
  Boot();
  for (const char* a : {"raw_hwtype", "depth", "ap_functions", "hwtype",
                        "max_msg_size", "type"})
    EXPECT_EQ(Read(std::string("devices/ap/card05/") + a),
              HostRead(std::string("devices/ap/card05/") + a))
        << a;
}

// Scenarios 11 and 8: a queue unbound from vfio_ap on the host takes its
// whole adapter out of the guest (the filter), and binding it back
// brings it again.
TEST_F(GuestKernelTest, AnUnboundQueueTakesItsAdapterOutOfTheGuest) {
  Boot();
  const uint64_t scans = Scans();
  HostWrite("bus/ap/drivers/vfio_ap/unbind", "06.00ab");
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card06/type") == "errno 2"; }));
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.0004", "05.00ab"}));
  EXPECT_GT(Scans(), scans);
  HostWrite("bus/ap/drivers/vfio_ap/bind", "06.00ab");
  // The scan adds the card before its queues: wait for all of them.
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 4; }));
  EXPECT_EQ(Read("devices/ap/card06/type"), "CEX8A\n");
}

// Scenario 9: the mdev has an adapter the host does not; when the host
// gains it, the guest finds it after the event.
TEST_F(GuestKernelTest, AnAdapterTheHostGainsReachesTheGuest) {
  HostWrite(kMdevDir + "assign_adapter", "9");
  Boot();
  EXPECT_EQ(Read("devices/ap/card09/type"), "errno 2");
  ASSERT_TRUE(host_.drivers().bus().AddAdapter(
      ap::CardSpec::For(9, *ap::CardType::Parse("CEX8C"))).ok());
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card09/09.0004/online") == "1\n"; }));
  EXPECT_EQ(Read("devices/ap/card09/type"), "CEX8C\n");
}

// Scenario 10: the host loses a usage domain.
TEST_F(GuestKernelTest, AUsageDomainTheHostLosesLeavesTheGuest) {
  Boot();
  ASSERT_TRUE(host_.drivers().bus().RemoveUsageDomain(0xab).ok());
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 2; }));
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.0004", "06.0004"}));
  EXPECT_EQ(Read("bus/ap/ap_usage_domain_mask"), FormatMaskHex(ApMask::Of({4})) + "\n");
}

// Scenario 12: the default domain is never revised.
TEST_F(GuestKernelTest, TheDefaultDomainSticks) {
  Boot();
  HostWrite(kMdevDir + "unassign_domain", "0x04");
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 2; }));
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.00ab", "06.00ab"}));
  EXPECT_EQ(Read("bus/ap/ap_domain"), "4\n");
}

// Scenarios 24 and 12: a re-IPL resets the queues; the new kernel finds
// the same devices, enables their interrupts again, and selects its
// default domain anew (0xab, 171, once 0x04 is gone from the mdev: the
// old kernel kept 4). (request_count is 0 for want of AP messages.)
TEST_F(GuestKernelTest, AfterARebootTheGuestRediscoversAndSelectsItsDomainAgain) {
  Boot();
  ASSERT_TRUE(InterruptsEnabled({"05.0004", "06.00ab"}));
  HostWrite(kMdevDir + "unassign_domain", "0x04");
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 2; }));
  EXPECT_EQ(Read("bus/ap/ap_domain"), "4\n");
  ASSERT_NO_FATAL_FAILURE(Reboot());
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.00ab", "06.00ab"}));
  EXPECT_EQ(Ls("devices/ap"), (std::vector<std::string>{
                                  "card05", "card06", "power", "uevent"}));
  EXPECT_EQ(Read("bus/ap/ap_domain"), "171\n");
  EXPECT_EQ(Read("bus/ap/bindings"), "2/2 (complete)\n");
  ASSERT_TRUE(InterruptsEnabled({"05.00ab", "06.00ab"}));
  EXPECT_EQ(host_.drivers().vfio().QueueIrq(Apqn(5, 0xab))->second, 6);
}

// Scenario 8: an adapter assigned while one of its queues is not bound to
// vfio_ap is filtered out: the guest never sees it, after the event and
// after a forced scan; binding the queue makes it appear with the next
// event.
TEST_F(GuestKernelTest, AFilteredAdapterNeverAppearsUntilItsQueueIsBound) {
  Boot();
  HostWrite("bus/ap/drivers/vfio_ap/unbind", "04.00ab");
  const uint64_t events = vm_->guest_ap_rescans();
  HostWrite(kMdevDir + "assign_adapter", "4");
  EXPECT_EQ(HostRead(kMdevDir + "guest_matrix").find("04."), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  GuestScan();
  EXPECT_EQ(Read("devices/ap/card04/type"), "errno 2");
  EXPECT_EQ(GuestQueues().size(), 4u);
  HostWrite("bus/ap/drivers/vfio_ap/bind", "04.00ab");
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 6; }));
  EXPECT_EQ(Read("devices/ap/card04/type"), "CEX8P\n");
  EXPECT_GT(vm_->guest_ap_rescans(), events);
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"04.0004", "04.00ab", "05.0004",
                                                     "05.00ab", "06.0004", "06.00ab"}));
}

// Scenario 21 with the periodic scan: with the guest's event handling off
// an assign reaches the guest at its next periodic scan (config_time 5:
// 50 ms here, where the default 30 s would be 300 ms).
TEST_F(GuestKernelTest, APeriodicScanFindsWhatNoEventAnnounced) {
  Boot({.periodic_scans = true});
  ASSERT_EQ(Write("bus/ap/config_time", "5"), 0);
  EXPECT_EQ(Read("bus/ap/config_time"), "5\n");
  // Two periodic scans in a row are config_time apart (a generous bound
  // for a loaded machine, still below the default's 300 ms).
  const uint64_t first = Scans() + 1;
  ASSERT_TRUE(Eventually([&] { return Scans() >= first; }));
  const auto at = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return Scans() > first; }));
  EXPECT_LT(std::chrono::steady_clock::now() - at, std::chrono::milliseconds(250));
  vm_->SetGuestHandlesCrws(false);
  const uint64_t events = vm_->guest_ap_rescans();
  const uint64_t scans = Scans();
  HostWrite(kMdevDir + "assign_domain", "0x47");
  ASSERT_TRUE(Eventually([&] { return GuestQueues().size() == 6; }));
  EXPECT_GT(Scans(), scans);
  EXPECT_EQ(vm_->guest_ap_rescans(), events);  // no event was handled
}

// The guest bus's own uevents (scenario 5's hot plug and scenario 7's
// unplug): add and bind of the card and its queues, with cex4card and
// cex4queue as DRIVER, and the bus's BINDINGS=complete once all are bound
// again (the probes re-armed it: ap_device_probe()); then unbind and
// remove, queues before their card.
TEST_F(GuestKernelTest, TheGuestsBusSendsItsDevicesEvents) {
  HostWrite("bus/ap/apmask", "-4");
  Boot();
  std::unique_ptr<UeventHub::Subscription> sub = kernel_->uevents().Subscribe();
  const auto next = [&]() -> std::string {
    std::optional<Uevent> e = sub->Next(std::chrono::seconds(5));
    if (!e) return "none";
    const std::string driver = e->Get("DRIVER"), bindings = e->Get("BINDINGS");
    return e->action() + "@" + e->devpath() + " " + e->subsystem() +
           (driver.empty() ? "" : " " + driver) +
           (bindings.empty() ? "" : " BINDINGS=" + bindings + " COMPLETECOUNT=" +
                                        e->Get("COMPLETECOUNT"));
  };
  HostWrite(kMdevDir + "assign_adapter", "4");
  const std::string card = "/devices/ap/card04";
  EXPECT_EQ(next(), "add@" + card + " ap");
  EXPECT_EQ(next(), "bind@" + card + " ap cex4card");
  for (const char* q : {"04.0004", "04.00ab"}) {
    EXPECT_EQ(next(), "add@" + card + "/" + q + " ap") << q;
    EXPECT_EQ(next(), "bind@" + card + "/" + q + " ap cex4queue") << q;
  }
  EXPECT_EQ(next(), "change@/devices/ap ap BINDINGS=complete COMPLETECOUNT=2");
  HostWrite(kMdevDir + "unassign_adapter", "4");
  std::vector<std::string> gone;
  for (int i = 0; i < 6; ++i) gone.push_back(next());
  EXPECT_EQ(gone, (std::vector<std::string>{
                      "unbind@" + card + "/04.0004 ap",
                      "remove@" + card + "/04.0004 ap",
                      "unbind@" + card + "/04.00ab ap",
                      "remove@" + card + "/04.00ab ap",
                      "unbind@" + card + " ap",
                      "remove@" + card + " ap"}));
}

// Scenario 13: an mdev without a passable adapter.
TEST_F(GuestKernelTest, AnEmptyDeviceShowsNothing) {
  HostWrite(kMdevDir + "unassign_adapter", "5");
  HostWrite(kMdevDir + "unassign_adapter", "6");
  Boot();
  EXPECT_EQ(Read("bus/ap/ap_adapter_mask"), FormatMaskHex(ApMask()) + "\n");
  EXPECT_EQ(Ls("devices/ap"), (std::vector<std::string>{"power", "uevent"}));
  EXPECT_EQ(Read("bus/ap/ap_domain"), "-1\n");
  EXPECT_EQ(Read("bus/ap/bindings"), "0/0 (complete)\n");
}

// Scenario 18: a host checkstop raises no event; the guest sees it at its
// next scan.
TEST_F(GuestKernelTest, AHostCheckstopIsSeenAtTheNextGuestScan) {
  Boot();
  ASSERT_TRUE(host_.drivers().firmware().InjectFault({ap::FaultKind::kCheckstop, 5, {}}).ok());
  const uint64_t rescans = vm_->guest_ap_rescans();
  EXPECT_EQ(Read("devices/ap/card05/chkstop"), "0\n");
  GuestScan();
  EXPECT_EQ(Read("devices/ap/card05/chkstop"), "1\n");
  EXPECT_EQ(Read("devices/ap/card05/05.0004/chkstop"), "1\n");
  EXPECT_EQ(vm_->guest_ap_rescans(), rescans);  // no event came
  // A deconfigured card the same way: its `config` goes to 0 at the scan.
  ASSERT_TRUE(host_.drivers().firmware().InjectFault({ap::FaultKind::kDeconfigure, 6, {}}).ok());
  EXPECT_EQ(Read("devices/ap/card06/config"), "1\n");
  GuestScan();
  EXPECT_EQ(Read("devices/ap/card06/config"), "0\n");
  EXPECT_EQ(Read("devices/ap/card06/06.0004/config"), "0\n");
  EXPECT_EQ(Read("devices/ap/card06/06.0004/online"), "0\n");
  EXPECT_EQ(vm_->guest_ap_rescans(), rescans);
}

// Scenarios 20 and 21: with the guest's event handling off an assign is
// not seen until the guest scans; with it on, three quick assigns end
// with the mdev's guest matrix, one rescan per event QEMU queued.
TEST_F(GuestKernelTest, EventsCoalesceAndAScanFindsWhatNoEventAnnounced) {
  Boot();
  vm_->SetGuestHandlesCrws(false);
  HostWrite(kMdevDir + "assign_domain", "0x47");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(GuestQueues().size(), 4u);
  GuestScan();  // echo 1 > /sys/bus/ap/scans
  EXPECT_EQ(GuestQueues().size(), 6u);
  vm_->SetGuestHandlesCrws(true);  // handles what waited, before it returns
  const uint64_t scans = Scans();
  const uint64_t events = vm_->guest_ap_rescans();
  HostWrite(kMdevDir + "unassign_domain", "0x47");
  HostWrite(kMdevDir + "unassign_domain", "0xab");
  HostWrite(kMdevDir + "assign_domain", "0xab");
  // One rescan per event QEMU queued (1 to 3: eventfd reads coalesce).
  ASSERT_TRUE(Eventually([&] {
    const uint64_t n = vm_->guest_ap_rescans() - events;
    return n > 0 && Scans() - scans == n &&
           GuestQueues() == std::vector<std::string>{"05.0004", "05.00ab",
                                                     "06.0004", "06.00ab"};
  }));
  EXPECT_LE(vm_->guest_ap_rescans() - events, 3u);
}

// Scenario 23: the mdev removed under the running guest.
TEST_F(GuestKernelTest, ARemovedDeviceLeavesTheGuestWithNothing) {
  Boot();
  HostWrite(kMdevDir + "remove", "1");
  GuestScan();
  EXPECT_EQ(Ls("devices/ap"), (std::vector<std::string>{"power", "uevent"}));
  EXPECT_EQ(Read("bus/ap/ap_adapter_mask"), FormatMaskHex(ApMask()) + "\n");
}

// Scenario 22: a vfio-ap device hot plugged into a running guest raises
// no event (QEMU registers the IRQs after the open): the guest finds it at
// its next scan.
TEST_F(GuestKernelTest, ADeviceHotPluggedIntoARunningGuestWaitsForAScan) {
  MakeVm();
  vm_->StartVcpus();
  BootKernel();
  EXPECT_EQ(Read("bus/ap/bindings"), "0/0 (complete)\n");
  ASSERT_TRUE(vm_->Realize(kM).ok());  // device_add vfio-ap
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(GuestQueues().empty());
  EXPECT_EQ(vm_->guest_ap_rescans(), 0u);
  GuestScan();
  EXPECT_EQ(GuestQueues().size(), 4u);
  EXPECT_EQ(Read("bus/ap/ap_domain"), "4\n");  // chosen at the first scan with queues
}

// Scenario 25: a format 1 guest (host without APXA).
TEST_F(GuestKernelTest, AFormat1GuestHasTheSmallMaxima) {
  Boot({.host_apxa = false});
  EXPECT_EQ(Read("bus/ap/ap_max_adapter_id"), "63\n");
  EXPECT_EQ(Read("bus/ap/ap_max_domain_id"), "15\n");
  EXPECT_EQ(Read("bus/ap/features").find("APXA"), std::string::npos);
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.0004", "06.0004"}));
}

}  // namespace
}  // namespace vap::guest
