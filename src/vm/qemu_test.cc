// QEMU's side of a guest's life: realize, the request handler that
// unplugs the device when its mdev is removed, the config-change handler
// that reaches the guest as CRW and SEI after a hot unplug, system reset.
#include "vm/qemu.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "driver/driver_fixture.h"

namespace vap::vm {
namespace {

using driver::kU1;
using driver::kU2;

class QemuTest : public driver::DriverFixture {
 protected:
  QemuTest() { MakeU1(); }

  VmOptions Options(std::string name = "V") {
    VmOptions o;
    o.guest.name = std::move(name);
    o.guest.firmware = &fw_;
    o.vcpus = 2;
    return o;
  }
  // Waits (really) until `done` holds; the main loop runs on its own.
  template <typename F>
  static bool Eventually(F done) {
    for (int i = 0; i < 5000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }
};

TEST_F(QemuTest, RealizeOpensTheDeviceWithBothIrqs) {
  Qemu vm(vfio_, Options());
  ASSERT_TRUE(vm.Realize(kU1).ok());
  vm.StartVcpus();
  EXPECT_EQ(Info(kU1).guest, "V");
  EXPECT_EQ(vm.guest().Apcb().apm(), ApMask::Of({5, 6}));
  // Realize's publication happened before the cfg_chg IRQ was registered.
  EXPECT_EQ(vm.cfg_chg_count(), 0u);
  EXPECT_EQ(vm.Realize(kU2).errno_value(), EBUSY);  // one device per VM
  vm.Unrealize();
  EXPECT_EQ(Info(kU1).guest, "");
  EXPECT_FALSE(vm.device().has_value());
}

TEST_F(QemuTest, RealizeFailuresKeepNoDevice) {
  Qemu vm(vfio_, Options());
  EXPECT_EQ(vm.Realize(kU2).errno_value(), ENODEV);
  EXPECT_FALSE(vm.device().has_value());
  Qemu other(vfio_, Options("W"));
  ASSERT_TRUE(vm.Realize(kU1).ok());
  EXPECT_EQ(other.Realize(kU1).errno_value(), EBUSY);  // already open
}

TEST_F(QemuTest, S20_ConfigChangeReachesTheGuestAsCrwAndSei) {
  Qemu vm(vfio_, Options());
  ASSERT_TRUE(vm.Realize(kU1).ok());
  ASSERT_TRUE(vfio_.UnassignAdapter(kU1, "6").ok());
  EXPECT_EQ(vm.cfg_chg_count(), 1u);  // counted where the driver signals
  EXPECT_EQ(vm.guest().Apcb().apm(), ApMask::Of({5}));
  EXPECT_TRUE(Eventually([&] { return vm.guest_ap_rescans() == 1; }));
  EXPECT_FALSE(vm.css().sei_pending());
}

TEST_F(QemuTest, S20_WithoutTheGuestHandlerTheCrwWaits) {
  VmOptions o = Options();
  o.guest_handles_crws = false;
  Qemu vm(vfio_, o);
  ASSERT_TRUE(vm.Realize(kU1).ok());
  ASSERT_TRUE(vfio_.UnassignDomain(kU1, "0xab").ok());
  ASSERT_TRUE(Eventually([&] { return vm.css().sei_pending(); }));
  const std::optional<Crw> crw = vm.css().StoreCrw();
  ASSERT_TRUE(crw.has_value());
  EXPECT_EQ(crw->rsc(), kCrwRscCss);
  const SeiResponse r = vm.css().StoreEventInformation();
  EXPECT_EQ(r.response_code, kChscResponseOk);
  EXPECT_EQ(r.rs(), 5);
  EXPECT_EQ(r.cc(), 3);
  EXPECT_EQ(vm.css().StoreEventInformation().response_code,
            kChscResponseNoEvent);
}

TEST_F(QemuTest, S26_RemovalUnplugsTheDeviceAsQemuDoes) {
  Qemu vm(vfio_, Options());
  ASSERT_TRUE(vm.Realize(kU1).ok());
  vm.StartVcpus();
  // Blocks until QEMU's request handler has closed the device.
  EXPECT_TRUE(vfio_.RemoveMdev(kU1).ok());
  EXPECT_GE(vm.req_count(), 1u);
  EXPECT_GE(vm.cfg_chg_count(), 1u);  // request() clears the masks
  EXPECT_FALSE(vm.device().has_value());
  EXPECT_EQ(vm.guest().Apcb().apm(), ApMask());
  EXPECT_EQ(vm.guest().pqap_hook(), nullptr);
  EXPECT_EQ(vfio_.available_instances(), driver::kMaxMdevs);
}

TEST_F(QemuTest, S26_WithoutTheHandlerTheRequestRepeatsEveryTenSeconds) {
  VmOptions o = Options();
  o.unplug_on_request = false;
  Qemu vm(vfio_, o);
  ASSERT_TRUE(vm.Realize(kU1).ok());
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(vfio_.RemoveMdev(kU1).ok());
    removed = true;
  });
  // The clock advances on its own while the remover waits.
  ASSERT_TRUE(Eventually([&] { return vm.req_count() >= 2; }));
  EXPECT_FALSE(removed.load());
  vm.Unrealize();  // the user closes it
  remover.join();
  EXPECT_TRUE(removed.load());
}

TEST_F(QemuTest, SystemResetResetsTheQueues) {
  Qemu vm(vfio_, Options());
  EXPECT_TRUE(vm.SystemReset().ok());  // no device: nothing to do
  ASSERT_TRUE(vm.Realize(kU1).ok());
  ASSERT_TRUE(
      fw_.InjectFault({ap::FaultKind::kDeconfigure, 6, uint8_t{4}, 1}).ok());
  EXPECT_EQ(vm.SystemReset().errno_value(), EIO);
}

}  // namespace
}  // namespace vap::vm
