// What the guest kernel's AP instructions meet (kvm::GuestMachine).
#include "kvm/guest_machine.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "ap/profile.h"
#include "base/clock.h"

namespace vap::kvm {
namespace {

class GuestMachineTest : public ::testing::Test {
 protected:
  GuestMachineTest() : fw_(clock_, *ap::BuiltinProfile("default")) {}

  std::unique_ptr<Guest> MakeGuest(GuestOptions o) {
    o.firmware = &fw_;
    auto g = std::make_unique<Guest>(std::move(o));
    MutexLock lock(g->kvm_mu());
    g->SetMasksLocked(ApMask::Of({5, 6}), ApMask::Of({0x47}),
                      ApMask::Of({0x47, 0x10}));
    return g;
  }

  ManualClock clock_;
  ap::Firmware fw_;
};

TEST_F(GuestMachineTest, QciIsTheApcbWithTheHostsFlags) {
  std::unique_ptr<Guest> g = MakeGuest({"g"});
  GuestMachine m(*g, fw_);
  const std::optional<ap::QciInfo> qci = m.QueryConfig();
  ASSERT_TRUE(qci.has_value());
  EXPECT_EQ(qci->apm, ApMask::Of({5, 6}));
  EXPECT_EQ(qci->aqm, ApMask::Of({0x47}));
  EXPECT_EQ(qci->adm, ApMask::Of({0x10, 0x47}));
  EXPECT_TRUE(qci->apsc);
  EXPECT_TRUE(qci->apxa);  // format 2
  EXPECT_FALSE(qci->apsb);
  EXPECT_EQ(qci->na, fw_.Qci()->na);
  EXPECT_EQ(qci->nd, fw_.Qci()->nd);
  GuestOptions no_qci{"n"};
  no_qci.facility12 = false;
  std::unique_ptr<Guest> n = MakeGuest(no_qci);
  EXPECT_FALSE(GuestMachine(*n, fw_).QueryConfig().has_value());
}

TEST_F(GuestMachineTest, AFormat1GuestHasNoApxaAndSmallMaxima) {
  std::unique_ptr<Guest> g = MakeGuest({"g", /*host_apxa=*/false});
  const std::optional<ap::QciInfo> qci = GuestMachine(*g, fw_).QueryConfig();
  ASSERT_TRUE(qci.has_value());
  EXPECT_FALSE(qci->apxa);
  EXPECT_EQ(qci->BusMaxAdapterId(), 63);
  EXPECT_EQ(qci->BusMaxDomainId(), 15);
  EXPECT_TRUE(qci->aqm.Empty());  // 0x47 is beyond APCB0
}

TEST_F(GuestMachineTest, TapqSeesTheRealQueueInsideTheApcbOnly) {
  std::unique_ptr<Guest> g = MakeGuest({"g"});
  GuestMachine m(*g, fw_);
  const ap::TapqResult host = fw_.Tapq(Apqn(5, 0x47));
  const ap::TapqResult in = m.TestQueue(Apqn(5, 0x47));
  EXPECT_EQ(in.status.response_code, host.status.response_code);
  EXPECT_EQ(in.info.raw_hwtype, host.info.raw_hwtype);
  EXPECT_EQ(in.info.functions, host.info.functions);
  EXPECT_EQ(in.info.depth, host.info.depth);
  EXPECT_NE(in.info.raw_hwtype, 0);
  // 05.00ab is the host's but not in the APCB: RC 0x01, no information.
  const ap::TapqResult out = m.TestQueue(Apqn(5, 0xab));
  EXPECT_EQ(out.status.response_code, ap::kRcQueueNotAvailable);
  EXPECT_EQ(out.info.raw_hwtype, 0);
  // Without APFT the T bit is not given: no information at all.
  GuestOptions no_apft{"n"};
  no_apft.facility15 = false;
  std::unique_ptr<Guest> n = MakeGuest(no_apft);
  const ap::TapqResult bare = GuestMachine(*n, fw_).TestQueue(Apqn(5, 0x47));
  EXPECT_EQ(bare.status.response_code, ap::kRcNormal);
  EXPECT_EQ(bare.info.raw_hwtype, 0);
}

TEST_F(GuestMachineTest, ResetsReachTheHostQueueAndSclpIsRefused) {
  std::unique_ptr<Guest> g = MakeGuest({"g"});
  GuestMachine m(*g, fw_);
  EXPECT_EQ(m.ResetQueue(Apqn(5, 0x47)).response_code, ap::kRcNormal);
  EXPECT_EQ(fw_.Tapq(Apqn(5, 0x47)).status.response_code, ap::kRcResetInProgress);
  EXPECT_EQ(m.ZeroizeQueue(Apqn(6, 0xab)).response_code,
            ap::kRcQueueNotAvailable);
  // No vfio_ap hook: KVM stores RC 0x01 in GR1's upper half, so the status
  // word the guest reads is its own input's; nothing is enabled.
  (void)m.EnableInterrupts(Apqn(5, 0x47), 6, 0x1000);
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 0x47)));
  EXPECT_EQ(m.ConfigureAdapter(5, false).errno_value(), EOPNOTSUPP);
  EXPECT_TRUE(m.available());
}

}  // namespace
}  // namespace vap::kvm
