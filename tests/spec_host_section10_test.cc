// The example sessions (docs/sysfs-abi.md, "Example sessions";
// tests/integration/sessions/host-10.N.txt), in order and byte for byte,
// errno for errno, log line for log line. 10.7 and 10.9 use the stand-in
// guest of src/kvm (the guest issue adds vCPUs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <thread>

#include "host_fixture.h"
#include "kvm/guest.h"

namespace vap {
namespace {

using ::testing::Contains;
using ::testing::Not;

const std::string M = "devices/vfio_ap/matrix";
const std::string kU1 = "62177883-f1bb-47f0-914d-32a22e3a8804";
const std::string kU2 = "4f8a9a47-31e4-4c1e-b5a7-9d8f4ba6d8e2";
const std::string kCreate =
    M + "/mdev_supported_types/vfio_ap-passthrough/create";
const std::string kAvail =
    M + "/mdev_supported_types/vfio_ap-passthrough/available_instances";
const std::string kZero = "0x" + std::string(64, '0');

class Section10 : public HostFixture {
 protected:
  std::string U1(std::string_view attr) {
    return M + "/" + kU1 + "/" + std::string(attr);
  }
  std::string U2(std::string_view attr) {
    return M + "/" + kU2 + "/" + std::string(attr);
  }

  // 10.1
  void ReserveQueues() {
    ASSERT_EQ(
        Cat("bus/ap/apmask"),
        "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
    ASSERT_EQ(Echo("-5,-6", "bus/ap/apmask"), 0);
    ASSERT_EQ(Echo("-4,-0x47,-0xab,-0xff", "bus/ap/aqmask"), 0);
  }
  // 10.2 + 10.3
  void CreateAndAssignU1() {
    ASSERT_EQ(Echo(kU1, kCreate), 0);
    for (const char* id : {"5", "6"})
      ASSERT_EQ(Echo(id, U1("assign_adapter")), 0);
    for (const char* id : {"4", "0xab"})
      ASSERT_EQ(Echo(id, U1("assign_domain")), 0);
    ASSERT_EQ(Echo("0xab", U1("assign_control_domain")), 0);
  }
  // 10.5 up to U2 = {7} x {4}
  void CreateU2() {
    ASSERT_EQ(Echo(kU2, kCreate), 0);
    ASSERT_EQ(Echo("4", U2("assign_domain")), 0);
    ASSERT_EQ(Echo("7", U2("assign_adapter")), 0);
  }
};

TEST_F(Section10, S10_1_ReserveQueuesForVfioAp) {
  ReserveQueues();
  EXPECT_EQ(
      Cat("bus/ap/apmask"),
      "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(
      Cat("bus/ap/aqmask"),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
  EXPECT_EQ(Cat("devices/ap/card05/05.0004/status"), "unassigned\n");
  EXPECT_EQ(Echo("0x41zz", "bus/ap/apmask"), EINVAL);
  EXPECT_EQ(Echo("+256", "bus/ap/apmask"), EINVAL);
  // Reserved queues have no status: they are bound to the host driver.
  EXPECT_THAT(Ls("devices/ap/card05"), Contains("05.0047"));
  EXPECT_EQ(Cat("bus/ap/bindings"), "8/8 (complete)\n");
  EXPECT_EQ(Cat("devices/ap/card05/05.0004/driver/../../../../bus/ap/bindings"),
            "8/8 (complete)\n");
}

TEST_F(Section10, S10_2_CreateAnMdev) {
  ReserveQueues();
  EXPECT_EQ(Cat(M + "/features"), "guest_matrix hotplug ap_config migratable\n");
  EXPECT_EQ(Cat(M + "/mdev_supported_types/vfio_ap-passthrough/name"),
            "VFIO AP Passthrough Device\n");
  EXPECT_EQ(Cat(M + "/mdev_supported_types/vfio_ap-passthrough/device_api"),
            "vfio-ap\n");
  EXPECT_EQ(Cat(kAvail), "65536\n");
  EXPECT_EQ(Echo(kU1, kCreate), 0);
  EXPECT_EQ(Cat(kAvail), "65535\n");
  EXPECT_EQ(Echo(kU1, kCreate), EEXIST);
  EXPECT_EQ(Echo("not-a-uuid", kCreate), EINVAL);
  EXPECT_EQ(Cat(U1("matrix")), "");
  EXPECT_EQ(Cat(U1("guest_matrix")), "");
  EXPECT_EQ(Cat(U1("ap_config")), kZero + "," + kZero + "," + kZero + "\n");
  // What mdevctl and libvirt follow.
  EXPECT_EQ(*tree_.ReadLink("bus/mdev/devices/" + kU1),
            "../../../devices/vfio_ap/matrix/" + kU1);
  EXPECT_EQ(*tree_.ReadLink(U1("mdev_type")),
            "../mdev_supported_types/vfio_ap-passthrough");
  EXPECT_EQ(Cat("bus/mdev/devices/" + kU1 + "/mdev_type/name"),
            "VFIO AP Passthrough Device\n");
  EXPECT_EQ(*tree_.ReadLink(U1("iommu_group")),
            "../../../../kernel/iommu_groups/0");
  EXPECT_THAT(Ls("kernel/iommu_groups/0/devices"), Contains(kU1));
  EXPECT_THAT(Ls(M + "/mdev_supported_types/vfio_ap-passthrough/devices"),
              Contains(kU1));
  EXPECT_EQ(*tree_.ReadLink("class/mdev_bus/matrix"),
            "../../devices/vfio_ap/matrix");
  EXPECT_EQ(tree_.GetAttr(U1("assign_adapter"))->mode, 0200u);
  EXPECT_EQ(tree_.GetAttr(U1("ap_config"))->mode, 0644u);
  EXPECT_EQ(tree_.GetAttr(U1("matrix"))->mode, 0444u);
  // Uppercase input names the lowercase directory.
  std::string upper = kU2;
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  EXPECT_EQ(Echo(upper, kCreate), 0);
  EXPECT_THAT(Ls(M), Contains(kU2));
}

TEST_F(Section10, S10_3_AssignAndReadBack) {
  ReserveQueues();
  ASSERT_EQ(Echo(kU1, kCreate), 0);
  EXPECT_EQ(Echo("5", U1("assign_adapter")), 0);
  EXPECT_EQ(Cat(U1("matrix")), "05.\n");
  EXPECT_EQ(Echo("6", U1("assign_adapter")), 0);
  EXPECT_EQ(Echo("4", U1("assign_domain")), 0);
  EXPECT_EQ(Echo("0xab", U1("assign_domain")), 0);
  EXPECT_EQ(Echo("0xab", U1("assign_control_domain")), 0);
  EXPECT_EQ(Cat(U1("matrix")), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
  EXPECT_EQ(Cat(U1("guest_matrix")), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
  EXPECT_EQ(Cat(U1("control_domains")), "00ab\n");
  EXPECT_EQ(
      Cat(U1("ap_config")),
      "0x0600000000000000000000000000000000000000000000000000000000000000,"
      "0x0800000000000000000000000000000000000000001000000000000000000000,"
      "0x0000000000000000000000000000000000000000001000000000000000000000\n");
  EXPECT_EQ(Cat("devices/ap/card05/05.0004/status"), "assigned\n");
  EXPECT_EQ(Cat("devices/ap/card05/05.0047/status"), "unassigned\n");
  const uint64_t log_before = log_.last_seq();
  EXPECT_EQ(Echo("5", U1("assign_adapter")), 0);   // already assigned
  EXPECT_EQ(Echo("5", U1("unassign_domain")), 0);  // not assigned
  EXPECT_EQ(log_.last_seq(), log_before);
  EXPECT_EQ(Cat(U1("matrix")), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
}

TEST_F(Section10, S10_3_DomainOnlyForm) {
  ASSERT_EQ(Echo(kU1, kCreate), 0);
  ASSERT_EQ(Echo("4", U1("assign_domain")), 0);
  EXPECT_EQ(Cat(U1("matrix")), ".0004\n");
}

TEST_F(Section10, S10_4_ParseAndRangeErrors) {
  ReserveQueues();
  CreateAndAssignU1();
  EXPECT_EQ(Echo("256", U1("assign_adapter")), ENODEV);
  EXPECT_EQ(Echo("foo", U1("assign_adapter")), EINVAL);
  EXPECT_EQ(Echo("08", U1("assign_domain")), EINVAL);
  EXPECT_EQ(Echo("99999999999999999999", U1("assign_adapter")), ERANGE);
  EXPECT_EQ(Echo("0x100", U1("assign_control_domain")), ENODEV);
  EXPECT_EQ(Echo("256", U1("unassign_adapter")), ENODEV);
  EXPECT_EQ(Echo("-1", U1("unassign_control_domain")), EINVAL);
  EXPECT_EQ(Cat(U1("matrix")), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
}

TEST_F(Section10, S10_5_SharingAndReservationConflicts) {
  ReserveQueues();
  CreateAndAssignU1();
  ASSERT_EQ(Echo(kU2, kCreate), 0);
  EXPECT_EQ(Echo("4", U2("assign_domain")), 0);
  EXPECT_EQ(Echo("5", U2("assign_adapter")), EADDRINUSE);
  EXPECT_EQ(Dmesg(),
            "vfio_ap_mdev " + kU2 +
                ": Userspace may not assign queue 05.0004 to mdev: already "
                "assigned to " +
                kU1);
  EXPECT_EQ(Echo("7", U2("assign_adapter")), 0);
  EXPECT_EQ(Cat(U2("matrix")), "07.0004\n");
  EXPECT_EQ(Cat(U2("guest_matrix")), ".0004\n");
  EXPECT_EQ(Echo("0x10", U2("assign_domain")), EADDRNOTAVAIL);
  EXPECT_EQ(Cat(U2("matrix")), "07.0004\n");
  EXPECT_EQ(Echo("0x10", U2("assign_control_domain")), 0);
  EXPECT_EQ(Cat(U2("control_domains")), "0010\n");
}

TEST_F(Section10, S10_6_MasksVersusAssignments) {
  ReserveQueues();
  CreateAndAssignU1();
  CreateU2();
  EXPECT_EQ(Echo("+5", "bus/ap/apmask"), 0);
  EXPECT_EQ(
      Cat("bus/ap/apmask"),
      "0xfdffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n");
  EXPECT_EQ(Echo("+4", "bus/ap/aqmask"), EBUSY);
  EXPECT_EQ(
      Dmesg(),
      "vfio_ap_mdev " + kU2 +
          ": Can not reserve queue 07.0004 for host driver: in use by mdev");
  EXPECT_EQ(
      Cat("bus/ap/aqmask"),
      "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n");
}

TEST_F(Section10, S10_6_WithoutU2TheLineNamesU1) {
  ReserveQueues();
  CreateAndAssignU1();
  ASSERT_EQ(Echo("+5", "bus/ap/apmask"), 0);
  EXPECT_EQ(Echo("+4", "bus/ap/aqmask"), EBUSY);
  EXPECT_EQ(
      Dmesg(),
      "vfio_ap_mdev " + kU1 +
          ": Can not reserve queue 05.0004 for host driver: in use by mdev");
}

TEST_F(Section10, S10_7_GuestAttachHotPlugUnbindRebind) {
  ReserveQueues();
  CreateAndAssignU1();
  CreateU2();
  ASSERT_EQ(Echo("+5", "bus/ap/apmask"), 0);
  kvm::Guest guest({"guest1"});
  ASSERT_TRUE(vfio_.Attach(*Uuid::Parse(kU1), &guest).ok());
  EXPECT_EQ(Cat("devices/ap/card05/05.0004/status"), "in use\n");
  EXPECT_EQ(Echo("0x47", U1("assign_domain")), 0);
  const std::string all =
      "05.0004\n05.0047\n05.00ab\n06.0004\n06.0047\n06.00ab\n";
  EXPECT_EQ(Cat(U1("guest_matrix")), all);
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(guest.Apcb().aqm(), ApMask::Of({4, 0x47, 0xab}));
  EXPECT_EQ(guest.Apcb().adm(), ApMask::Of({0xab}));
  EXPECT_EQ(Echo("05.00ab", "bus/ap/drivers/vfio_ap/unbind"), 0);
  EXPECT_EQ(Cat(U1("guest_matrix")), "06.0004\n06.0047\n06.00ab\n");
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({6}));
  EXPECT_EQ(Cat(U1("matrix")), all);
  EXPECT_EQ(Cat("devices/ap/card05/05.0004/status"), "assigned\n");
  EXPECT_THAT(Ls("devices/ap/card05/05.00ab"), Not(Contains("status")));
  EXPECT_EQ(Echo("05.00ab", "bus/ap/drivers/vfio_ap/bind"), 0);
  EXPECT_EQ(Cat(U1("guest_matrix")), all);
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(Echo("5", U1("unassign_adapter")), 0);
  EXPECT_EQ(Cat(U1("guest_matrix")), "06.0004\n06.0047\n06.00ab\n");
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({6}));
  vfio_.Detach(*Uuid::Parse(kU1));
  EXPECT_EQ(guest.Apcb().apm(), ApMask());
}

TEST_F(Section10, S10_8_ApConfigWrites) {
  ReserveQueues();
  CreateAndAssignU1();
  CreateU2();
  ASSERT_EQ(Echo("+5", "bus/ap/apmask"), 0);
  // U1 = {6} x {4, 0x47, 0xab}, adm {0xab} as 10.7 leaves it.
  ASSERT_EQ(Echo("0x47", U1("assign_domain")), 0);
  ASSERT_EQ(Echo("5", U1("unassign_adapter")), 0);
  EXPECT_EQ(Echo("0x06,0x08,0x", U1("ap_config")), 0);
  const std::string config =
      "0x0600000000000000000000000000000000000000000000000000000000000000,"
      "0x0800000000000000000000000000000000000000000000000000000000000000,"
      "0x0000000000000000000000000000000000000000000000000000000000000000\n";
  EXPECT_EQ(Cat(U1("ap_config")), config);
  EXPECT_EQ(Echo("6,08,0", U1("ap_config")), 0);
  EXPECT_EQ(Cat(U1("matrix")), "01.0004\n02.0004\n");
  EXPECT_EQ(Cat(U1("guest_matrix")), ".0004\n");
  EXPECT_EQ(Echo("0x06,0x08", U1("ap_config")), 0);
  EXPECT_EQ(EchoN("0x06,0x08", U1("ap_config")), EINVAL);
  EXPECT_EQ(Echo("0X06,0x08,0x", U1("ap_config")), EINVAL);
  EXPECT_EQ(Echo("+5,0x08,0x", U1("ap_config")), EINVAL);
  EXPECT_EQ(Echo("0x06,0x08,0x,garbage", U1("ap_config")), 0);
  EXPECT_EQ(Echo("0x01,0x08,0x", U1("ap_config")), EADDRINUSE);
  EXPECT_EQ(Dmesg(),
            "vfio_ap_mdev " + kU1 +
                ": Userspace may not assign queue 07.0004 to mdev: already "
                "assigned to " +
                kU2);
  EXPECT_EQ(Cat(U1("ap_config")), config);
}

TEST_F(Section10, S10_9_RemovingAnMdev) {
  ReserveQueues();
  CreateAndAssignU1();
  CreateU2();
  EXPECT_EQ(Cat(kAvail), "65534\n");
  EXPECT_EQ(Echo("0", U1("remove")), 0);  // 0: nothing happens
  EXPECT_THAT(Ls(M), Contains(kU1));
  EXPECT_EQ(Echo("x", U1("remove")), EINVAL);
  EXPECT_EQ(Echo("1", U1("remove")), 0);
  EXPECT_EQ(tree_.List(M + "/" + kU1).status().errno_value(), ENOENT);
  EXPECT_EQ(Cat(kAvail), "65535\n");
  EXPECT_THAT(Ls("bus/mdev/devices"), Not(Contains(kU1)));
  EXPECT_THAT(Ls("kernel/iommu_groups"), Not(Contains("0")));
  // U1's APQNs are free again: for other mdevs and for the host.
  EXPECT_EQ(Echo("5", U2("assign_adapter")), 0);
  EXPECT_EQ(Cat("devices/ap/card06/06.0004/status"), "unassigned\n");
}

TEST_F(Section10, S10_9_RemoveBlocksWhileAGuestHoldsTheDevice) {
  ReserveQueues();
  CreateAndAssignU1();
  kvm::Guest guest({"guest1"});
  ASSERT_TRUE(vfio_.Attach(*Uuid::Parse(kU1), &guest).ok());
  std::atomic<bool> done{false};
  std::thread remover([&] {
    EXPECT_EQ(Echo("1", U1("remove")), 0);
    done = true;
  });
  // The guest loses its AP resources at the first device request.
  while (log_.LastText().find("No device request registered") ==
         std::string::npos) {
    std::this_thread::yield();
  }
  EXPECT_EQ(
      Dmesg(),
      "vfio_ap_mdev " + kU1 +
          ": No device request registered, blocked until released by user");
  EXPECT_EQ(guest.Apcb().apm(), ApMask());
  EXPECT_FALSE(done.load());
  vfio_.Detach(*Uuid::Parse(kU1));  // the user closes the device
  remover.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(Cat(kAvail), "65536\n");
}

}  // namespace
}  // namespace vap
