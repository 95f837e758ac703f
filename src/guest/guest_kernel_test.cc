// The guest's own AP bus against a host: the spec's setup (cards 05 CEX8C
// and 06 CEX8A, domains 0x04, 0x47 and 0xab for vfio_ap; an mdev with
// adapters 05 and 06, domains 0x04 and 0xab, control domains 0x04, 0x47
// and 0xab), a QEMU model on it, and the guest kernel behind it.
#include "guest/guest_kernel.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "matrix/mask_format.h"
#include "sysfs/host_tree.h"

namespace vap::guest {
namespace {

const Uuid kM = *Uuid::Parse("62177883-f1bb-47f0-914d-32a22e3a8804");
const std::string kMdevDir = "devices/vfio_ap/matrix/" + kM.ToString() + "/";

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
  ~GuestKernelTest() override {
    if (vm_ != nullptr) vm_->AttachGuestOs(nullptr);
    kernel_.reset();
    vm_.reset();
  }

  void Boot(bool apie = true, bool host_apxa = true) {
    vm::VmOptions o;
    o.guest.name = "g";
    o.guest.firmware = &host_.drivers().firmware();
    o.guest.apie = apie;
    o.guest.host_apxa = host_apxa;
    o.vcpus = 1;
    vm_ = std::make_unique<vm::Qemu>(host_.drivers().vfio(), o);
    ASSERT_TRUE(vm_->Realize(kM).ok());
    vm_->StartVcpus();
    // No periodic scans: every guest scan is one the test can count.
    kernel_ = std::make_unique<GuestKernel>(
        vm_->guest(), host_.drivers().firmware(), clock_,
        GuestKernelOptions{.useirq = true, .periodic_scans = false});
    vm_->AttachGuestOs(kernel_.get());
  }

  void HostWrite(const std::string& path, const std::string& value) {
    const Result<size_t> r = host_.tree().Write(path, value);
    ASSERT_TRUE(r.ok()) << path << " <- " << value << ": " << r.status().ToString();
  }
  std::string Read(const std::string& path) {
    Result<std::string> r = kernel_->tree().Read(path);
    return r.ok() ? *r : "errno " + std::to_string(r.status().errno_value());
  }
  std::vector<std::string> Ls(const std::string& path) {
    std::vector<std::string> out;
    Result<std::vector<sysfs::DirEntry>> entries = kernel_->tree().List(path);
    if (!entries.ok()) return {"errno " + std::to_string(entries.status().errno_value())};
    for (const sysfs::DirEntry& e : *entries) out.push_back(e.name);
    return out;
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
  void GuestScan() {
    ASSERT_TRUE(kernel_->tree().Write("bus/ap/scans", "1").ok());
  }

  RealClock clock_{0.01};
  sysfs::HostTree host_;
  std::unique_ptr<vm::Qemu> vm_;
  std::unique_ptr<GuestKernel> kernel_;
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
  EXPECT_EQ(*kernel_->tree().ReadLink("devices/ap/card05/05.0004/driver"),
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

// Scenario 17: no SCLP AP reconfiguration in a QEMU guest.
TEST_F(GuestKernelTest, CardConfigChangesAreNotSupported) {
  Boot();
  const Result<size_t> off = kernel_->tree().Write("devices/ap/card05/config", "0");
  EXPECT_EQ(off.status().errno_value(), EOPNOTSUPP);
  EXPECT_EQ(Read("devices/ap/card05/config"), "1\n");
  EXPECT_TRUE(kernel_->tree().Write("devices/ap/card05/config", "1").ok());
}

// Scenario 14: without AP instructions there is no AP bus.
TEST_F(GuestKernelTest, WithoutApInstructionsThereIsNoBus) {
  Boot(/*apie=*/false);
  EXPECT_EQ(kernel_->bus(), nullptr);
  EXPECT_EQ(kernel_->tree().GetAttr("bus/ap").status().errno_value(), ENOENT);
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
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card06/type") == "CEX8A\n"; }));
  EXPECT_EQ(GuestQueues().size(), 4u);
}

// Scenario 9: the mdev has an adapter the host does not; when the host
// gains it, the guest finds it after the event.
TEST_F(GuestKernelTest, AnAdapterTheHostGainsReachesTheGuest) {
  HostWrite(kMdevDir + "assign_adapter", "9");
  Boot();
  EXPECT_EQ(Read("devices/ap/card09/type"), "errno 2");
  ASSERT_TRUE(host_.drivers().bus().AddAdapter(
      ap::CardSpec::For(9, *ap::CardType::Parse("CEX8C"))).ok());
  ASSERT_TRUE(Eventually([&] { return Read("devices/ap/card09/type") == "CEX8C\n"; }));
  EXPECT_EQ(Read("devices/ap/card09/09.0004/online"), "1\n");
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
  vm::VmOptions o;
  o.guest.name = "g";
  o.guest.firmware = &host_.drivers().firmware();
  o.vcpus = 1;
  vm_ = std::make_unique<vm::Qemu>(host_.drivers().vfio(), o);
  vm_->StartVcpus();
  kernel_ = std::make_unique<GuestKernel>(
      vm_->guest(), host_.drivers().firmware(), clock_,
      GuestKernelOptions{.useirq = true, .periodic_scans = false});
  vm_->AttachGuestOs(kernel_.get());
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
  Boot(/*apie=*/true, /*host_apxa=*/false);
  EXPECT_EQ(Read("bus/ap/ap_max_adapter_id"), "63\n");
  EXPECT_EQ(Read("bus/ap/ap_max_domain_id"), "15\n");
  EXPECT_EQ(Read("bus/ap/features").find("APXA"), std::string::npos);
  EXPECT_EQ(GuestQueues(), (std::vector<std::string>{"05.0004", "06.0004"}));
}

}  // namespace
}  // namespace vap::guest
