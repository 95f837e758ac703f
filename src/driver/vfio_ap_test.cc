// The driver through its API, on the example sessions' host
// (docs/sysfs-abi.md): host events, resets, attach rules, invariants.
#include "driver/vfio_ap.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>

#include "driver/driver_fixture.h"

namespace vap::driver {
namespace {

using VfioApTest = DriverFixture;

TEST_F(VfioApTest, AssignLinksBoundQueues) {
  MakeU1();
  EXPECT_THAT(Info(kU1).linked,
              ::testing::ElementsAre(Apqn(5, 4), Apqn(5, 0xab), Apqn(6, 4),
                                     Apqn(6, 0xab)));
  EXPECT_EQ(Info(kU1).shadow_apcb.apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(Info(kU1).shadow_apcb.adm(), ApMask::Of({0xab}));
}

TEST_F(VfioApTest, UnknownMdevIsEnodev) {
  EXPECT_EQ(vfio_.AssignAdapter(kU2, "5").errno_value(), ENODEV);
  EXPECT_EQ(vfio_.UnassignDomain(kU2, "5").errno_value(), ENODEV);
  EXPECT_EQ(vfio_.StoreApConfig(kU2, ",,").errno_value(), ENODEV);
  EXPECT_EQ(vfio_.ShowMatrix(kU2).status().errno_value(), ENODEV);
  EXPECT_EQ(vfio_.RemoveMdev(kU2).errno_value(), ENODEV);
}

TEST_F(VfioApTest, CreateLimits) {
  ASSERT_TRUE(vfio_.CreateMdev(kU1).ok());
  EXPECT_EQ(vfio_.CreateMdev(kU1).errno_value(), EEXIST);
  EXPECT_EQ(vfio_.available_instances(), kMaxMdevs - 1);
  ASSERT_TRUE(vfio_.RemoveMdev(kU1).ok());
  EXPECT_EQ(vfio_.available_instances(), kMaxMdevs);
}

TEST_F(VfioApTest, HostRemovesAnAdapterTheGuestLosesItAtOnce) {
  MakeU1();
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  ASSERT_TRUE(bus_.RemoveAdapter(6).ok());
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({5}));
  EXPECT_EQ(Info(kU1).matrix.apm(), ApMask::Of({5, 6}));  // assignment kept
  // Back in the configuration: plugged again at the end of the scan.
  const ap::CardSpec card = ap::CardSpec::For(6, *ap::CardType::Parse("CEX7C"));
  const uint64_t before = guest.publications();
  ASSERT_TRUE(bus_.AddAdapter(card).ok());
  EXPECT_EQ(guest.Apcb().apm(), ApMask::Of({5, 6}));
  EXPECT_EQ(guest.publications(), before + 1);  // one update per mdev
}

TEST_F(VfioApTest, LastDomainAndControlDomainRemovalsUpdateTheGuest) {
  // The 2026 fixes: removing the last domain or a control domain from the
  // host configuration reaches the guest.
  ASSERT_TRUE(vfio_.CreateMdev(kU1).ok());
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "5").ok());
  ASSERT_TRUE(vfio_.AssignDomain(kU1, "4").ok());
  ASSERT_TRUE(vfio_.AssignControlDomain(kU1, "0x47").ok());
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  EXPECT_EQ(guest.Apcb().adm(), ApMask::Of({0x47}));
  ASSERT_TRUE(bus_.RemoveControlDomain(0x47).ok());
  EXPECT_EQ(guest.Apcb().adm(), ApMask());
  ASSERT_TRUE(bus_.RemoveUsageDomain(4).ok());
  EXPECT_EQ(guest.Apcb().aqm(), ApMask());
}

TEST_F(VfioApTest, ConfigChangeWithDetachedMdevsIsHarmless) {
  // The kernel dereferenced a NULL guest here (vfio_ap_mdev_cfg_remove()
  // took kvm->lock of every mdev; docs/fidelity.md quirk 7).
  MakeU1();
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  ASSERT_TRUE(bus_.RemoveAdapter(5).ok());
  EXPECT_EQ(Info(kU1).shadow_apcb.apm(), ApMask::Of({6}));
}

TEST_F(VfioApTest, FailedResetKeepsTheAdapterOutUntilAResetSucceeds) {
  MakeU1();
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  ASSERT_TRUE(
      fw_.InjectFault({ap::FaultKind::kResetNeverEnds, 5, uint8_t{4}, 1}).ok());
  vfio_.set_reset_timeout(std::chrono::milliseconds(200));
  // Unassigning domain 4 resets 05.0004 and 06.0004; the first never ends.
  ASSERT_TRUE(vfio_.UnassignDomain(kU1, "4").ok());
  EXPECT_THAT(log_.LastText(),
              ::testing::HasSubstr("Reset of queue 05.0004 did not complete"));
  ASSERT_TRUE(fw_.ClearFaults(5, uint8_t{4}).ok());
  // 05.0004 is unlinked now; re-assigning links it with its failed status,
  // so the filter keeps adapter 5 out.
  ASSERT_TRUE(vfio_.AssignDomain(kU1, "4").ok());
  EXPECT_EQ(Info(kU1).shadow_apcb.apm(), ApMask::Of({6}));
  // A detach resets every linked queue; now it succeeds, and the next
  // filter run admits adapter 5 again.
  vfio_.Detach(kU1);
  ASSERT_TRUE(vfio_.StoreApConfig(kU1, *vfio_.ShowApConfig(kU1)).ok());
  EXPECT_EQ(Info(kU1).shadow_apcb.apm(), ApMask::Of({5, 6}));
}

TEST_F(VfioApTest, AttachRules) {
  MakeU1();
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  EXPECT_EQ(vfio_.Attach(kU2, &guest).errno_value(), EPERM);
  EXPECT_EQ(Info(kU2).guest, "");
  kvm::Guest nocrypto({"n", true, true, false});
  EXPECT_TRUE(vfio_.Attach(kU2, &nocrypto).ok());
  EXPECT_EQ(Info(kU2).guest, "");  // nothing attached
  EXPECT_EQ(*vfio_.ShowQueueStatus(Apqn(5, 4)), "in use\n");
  vfio_.Detach(kU1);
  EXPECT_EQ(*vfio_.ShowQueueStatus(Apqn(5, 4)), "assigned\n");
  EXPECT_EQ(guest.Apcb().apm(), ApMask());
}

TEST_F(VfioApTest, QueueStatusOfUnboundQueueIsEnodev) {
  EXPECT_EQ(vfio_.ShowQueueStatus(Apqn(5, 0x10)).status().errno_value(),
            ENODEV);
}

TEST_F(VfioApTest, ProbeWaitsForScanCompleteWhenAnAdditionIsPending) {
  // A new domain assigned in advance: its queues are bound during the scan
  // but plugged only once, at the end.
  MakeU1();
  ASSERT_TRUE(vfio_.AssignDomain(kU1, "0x20").ok());  // not configured yet
  kvm::Guest guest({"g"});
  ASSERT_TRUE(vfio_.Attach(kU1, &guest).ok());
  EXPECT_EQ(guest.Apcb().aqm(), ApMask::Of({4, 0xab}));
  const uint64_t before = guest.publications();
  ASSERT_TRUE(bus_.AddUsageDomain(0x20).ok());
  EXPECT_EQ(guest.Apcb().aqm(), ApMask::Of({4, 0x20, 0xab}));
  EXPECT_EQ(guest.publications(), before + 1);
}

}  // namespace
}  // namespace vap::driver
