// PQAP(AQIC) from a guest, case by case (APQN not assigned, bad NIB,
// enable and re-enable, the host answering 0x07 or busy, disable, no GISA,
// no device open, KVM's checks, a second mdev, no KVM, unmapped NIB), on
// M = {5,6} x {4,0xab} opened by guest V (format 2, APIE, GISA, facilities
// on).
#include <gtest/gtest.h>

#include "driver/driver_fixture.h"
#include "kvm/guest.h"

namespace vap::driver {
namespace {

constexpr uint64_t kNib = 0x10000;   // a byte in guest memory
constexpr uint64_t kNib2 = 0x23008;  // another page

class AqicTest : public DriverFixture {
 protected:
  AqicTest() : guest_(Options()) {
    MakeU1();
    EXPECT_TRUE(vfio_.Attach(kU1, &guest_).ok());
  }
  // Detach before the guest goes, as QEMU closes the device before exit.
  ~AqicTest() override {
    vfio_.Detach(kU1);
    vfio_.Detach(kU2);
  }
  kvm::GuestOptions Options() {
    kvm::GuestOptions o;
    o.name = "V";
    o.firmware = &fw_;
    return o;
  }
  static kvm::PqapRegs Aqic(Apqn q, bool enable, uint8_t isc, uint64_t nib) {
    kvm::PqapRegs r;
    r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | q.qid();
    r.gr1 = (enable ? kvm::kAqicIrBit : 0) | isc;
    r.gr2 = nib;
    return r;
  }
  kvm::PqapResult Pqap(const kvm::PqapRegs& r, kvm::Guest* g = nullptr) {
    return (g != nullptr ? *g : guest_).Pqap(/*problem_state=*/false, r);
  }
  uint8_t Rc(const kvm::PqapResult& r) {
    return static_cast<uint8_t>(r.regs.gr1 >> 16);
  }

  kvm::Guest guest_;
};

TEST_F(AqicTest, S1_NotAssignedIsRc01) {
  const kvm::PqapResult r = Pqap(Aqic(Apqn(7, 4), true, 3, kNib));
  EXPECT_EQ(r.outcome, kvm::PqapOutcome::kCompleted);
  EXPECT_EQ(r.regs.gr1, 0x0000000000010000u);
  EXPECT_EQ(r.cc, 3);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(3), 0);
}

TEST_F(AqicTest, S2_S3_BadNibIsRc06) {
  EXPECT_EQ(Rc(Pqap(Aqic(Apqn(5, 4), true, 3, 0))), 0x06);
  const kvm::PqapResult r = Pqap(Aqic(Apqn(5, 4), true, 3, uint64_t{2} << 30));
  EXPECT_EQ(Rc(r), 0x06);
  EXPECT_EQ(r.cc, 3);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(3), 0);
}

TEST_F(AqicTest, S4_S5_EnableAndReenable) {
  kvm::PqapResult r = Pqap(Aqic(Apqn(5, 4), true, 3, kNib));
  EXPECT_EQ(r.cc, 0);
  EXPECT_EQ(r.regs.gr1, 0x81000000u);  // E and I, RC 0: the hardware's status
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->first, kNib);
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->second, 3);
  EXPECT_EQ(guest_.IscReferences(3), 1);
  EXPECT_EQ(guest_.AlertMask(), 0x10);
  EXPECT_EQ(vfio_.PinnedPages(kU1), (std::map<uint64_t, int>{{0x10000, 1}}));
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_TRUE(fw_.GuestIrqEnabled(Apqn(5, 4)));  // for the guest's GISA
  // Re-enable with another NIB and ISC: the old ones are released.
  r = Pqap(Aqic(Apqn(5, 4), true, 5, kNib2));
  EXPECT_EQ(r.cc, 0);
  EXPECT_EQ(guest_.IscReferences(3), 0);
  EXPECT_EQ(guest_.IscReferences(5), 1);
  EXPECT_EQ(vfio_.PinnedPages(kU1), (std::map<uint64_t, int>{{0x23000, 1}}));
}

TEST_F(AqicTest, S6_HostRc07KeepsTheOldRecord) {
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  ap::Fault f{ap::FaultKind::kAnswer, 5, uint8_t{4}};
  f.function = ap::QueueFunction::kAqic;
  f.rc = ap::kRcOtherwiseChanged;
  ASSERT_TRUE(fw_.InjectFault(f).ok());
  const kvm::PqapResult r = Pqap(Aqic(Apqn(5, 4), true, 4, kNib2));
  EXPECT_EQ(Rc(r), 0x07);
  EXPECT_EQ(r.cc, 3);
  // The new pin and ISC were released; the old record stands.
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4)), std::make_pair(kNib, uint8_t{3}));
  EXPECT_EQ(vfio_.PinnedPages(kU1), (std::map<uint64_t, int>{{0x10000, 1}}));
  EXPECT_EQ(guest_.IscReferences(3), 1);
  EXPECT_EQ(guest_.IscReferences(4), 0);
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(5, 4)));
}

TEST_F(AqicTest, AdapterInterruptsReachTheGuestIscWhileEnabled) {
  EXPECT_FALSE(fw_.RaiseInterrupt(Apqn(5, 4)));  // not enabled yet
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 6, kNib)).cc, 0);
  EXPECT_TRUE(fw_.RaiseInterrupt(Apqn(5, 4)));
  EXPECT_TRUE(fw_.RaiseInterrupt(Apqn(5, 4)));
  EXPECT_EQ(guest_.AdapterInterrupts(6), 2u);
  EXPECT_EQ(guest_.TakePendingInterrupts(), 0x02);  // 0x80 >> 6
  EXPECT_EQ(guest_.PendingInterrupts(), 0);
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), false, 0, 0)).cc, 0);
  EXPECT_FALSE(fw_.RaiseInterrupt(Apqn(5, 4)));
  EXPECT_EQ(guest_.AdapterInterrupts(6), 2u);
}

TEST_F(AqicTest, S7_HostBusyRunsTheDisableSequenceAndLeaksNothing) {
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kBusy, 5, uint8_t{4}, 1}).ok());
  const kvm::PqapResult r = Pqap(Aqic(Apqn(5, 4), true, 4, kNib2));
  EXPECT_EQ(Rc(r), 0x05);
  EXPECT_EQ(r.cc, 3);
  // The old record went with the disable; the new pin and ISC were given
  // back (the kernel leaked them).
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(3), 0);
  EXPECT_EQ(guest_.IscReferences(4), 0);
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
}

TEST_F(AqicTest, S8_Disable) {
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  kvm::PqapResult r = Pqap(Aqic(Apqn(5, 4), false, 0, 0));
  EXPECT_EQ(Rc(r), 0);
  EXPECT_EQ(r.cc, 0);
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->second, 0xff);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  // A host busy for all six attempts: released anyway, RC 0x05, CC 3.
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kBusy, 5, uint8_t{4}, 6}).ok());
  r = Pqap(Aqic(Apqn(5, 4), false, 0, 0));
  EXPECT_EQ(Rc(r), 0x05);
  EXPECT_EQ(r.cc, 3);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(3), 0);
}

TEST_F(AqicTest, S9_NoGisaIsAnOperationException) {
  kvm::GuestOptions o = Options();
  o.name = "nogisa";
  o.aiv = false;
  kvm::Guest g(o);
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  ASSERT_TRUE(vfio_.Attach(kU2, &g).ok());
  EXPECT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib), &g).outcome,
            kvm::PqapOutcome::kOperation);
  vfio_.Detach(kU2);
}

TEST_F(AqicTest, S10_NoDeviceOpen) {
  kvm::Guest g(Options());
  kvm::PqapRegs regs = Aqic(Apqn(5, 4), true, 3, kNib);
  const kvm::PqapResult r = Pqap(regs, &g);
  EXPECT_EQ(r.cc, 3);
  EXPECT_EQ(r.regs.gr1 >> 32, 0x00010000u);                   // upper half
  EXPECT_EQ(r.regs.gr1 & 0xffffffff, regs.gr1 & 0xffffffff);  // lower kept
}

TEST_F(AqicTest, S11_S12_KvmChecks) {
  const kvm::PqapRegs ok = Aqic(Apqn(5, 4), true, 3, kNib);
  EXPECT_EQ(guest_.Pqap(/*problem_state=*/true, ok).outcome,
            kvm::PqapOutcome::kPrivilegedOperation);
  kvm::PqapRegs bad = ok;
  bad.gr0 |= 0x00100000;
  EXPECT_EQ(Pqap(bad).outcome, kvm::PqapOutcome::kSpecification);
  kvm::GuestOptions o = Options();
  o.host_apxa = false;  // format 1
  kvm::Guest f1(o);
  EXPECT_EQ(Pqap(Aqic(Apqn(0x40, 4), true, 3, kNib), &f1).outcome,
            kvm::PqapOutcome::kSpecification);
  o = Options();
  o.facility65 = false;
  kvm::Guest nof65(o);
  EXPECT_EQ(Pqap(ok, &nof65).outcome, kvm::PqapOutcome::kSpecification);
  kvm::PqapRegs qci;
  qci.gr0 = uint64_t{4} << 24;
  EXPECT_EQ(Pqap(qci).outcome, kvm::PqapOutcome::kOperation);
}

TEST_F(AqicTest, TapqIsInterpretedAgainstTheApcb) {
  kvm::PqapRegs tapq;
  tapq.gr0 = Apqn(5, 4).qid();
  kvm::PqapResult r = Pqap(tapq);
  EXPECT_EQ(r.cc, 0);
  EXPECT_EQ(Rc(r), 0);
  tapq.gr0 = Apqn(5, 0x47).qid();  // configured and bound, not in the APCB
  r = Pqap(tapq);
  EXPECT_EQ(Rc(r), 0x01);
  EXPECT_EQ(r.cc, 3);
}

TEST_F(AqicTest, S24_SecondMdevIsRefusedAndTheHookStays) {
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  EXPECT_EQ(vfio_.Attach(kU2, &guest_).errno_value(), EPERM);
  // The 2026 fix: V's hook still points at M1, whose AQICs keep working.
  EXPECT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
}

TEST_F(AqicTest, S25_OpenWithoutKvmIsEinval) {
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  EXPECT_EQ(vfio_.Attach(kU2, nullptr).errno_value(), EINVAL);
  EXPECT_EQ(Info(kU2).guest, "");
}

TEST_F(AqicTest, S29_UnmappingTheNibDisablesItsQueueOnly) {
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  ASSERT_EQ(Pqap(Aqic(Apqn(6, 4), true, 3, kNib2)).cc, 0);
  const uint64_t signals = guest_.publications();
  vfio_.DmaUnmap(kU1, 0x10000, 0x1000);  // the page of 05.0004's NIB
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->second, 0xff);
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(6, 4)));
  EXPECT_EQ(vfio_.PinnedPages(kU1), (std::map<uint64_t, int>{{0x23000, 1}}));
  EXPECT_EQ(guest_.IscReferences(3), 1);
  EXPECT_EQ(guest_.publications(), signals);  // the guest is not told
  // The end of the range is exclusive.
  vfio_.DmaUnmap(kU1, 0, kNib2);
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(6, 4)));
}

TEST_F(AqicTest, DetachReleasesEveryInterruptResource) {
  ASSERT_EQ(Pqap(Aqic(Apqn(5, 4), true, 3, kNib)).cc, 0);
  ASSERT_EQ(Pqap(Aqic(Apqn(6, 0xab), true, 3, kNib2)).cc, 0);
  EXPECT_EQ(guest_.IscReferences(3), 2);
  vfio_.Detach(kU1);
  EXPECT_EQ(guest_.pqap_hook(), nullptr);
  EXPECT_EQ(guest_.IscReferences(3), 0);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(6, 0xab)));
  EXPECT_EQ(guest_.Apcb().apm(), ApMask());
}

TEST_F(AqicTest, UnassignResetsAndReleases) {
  ASSERT_EQ(Pqap(Aqic(Apqn(6, 4), true, 2, kNib)).cc, 0);
  ASSERT_TRUE(vfio_.UnassignAdapter(kU1, "6").ok());
  EXPECT_EQ(vfio_.QueueIrq(Apqn(6, 4))->second, 0xff);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(2), 0);
}

}  // namespace
}  // namespace vap::driver
