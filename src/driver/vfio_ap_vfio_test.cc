// The VFIO side of a guest, case by case (device info and SET_IRQS
// validation, hot unplug with its config-change signal, device resets with
// busy, in-progress, deconfigured and invalid queues, hot plug and unplug
// by bind, unbind and assign, removal while in use, host configuration
// changes, format-0 guests, ap_config steps), on M = {5,6} x {4,0xab}
// opened by guest V with both eventfds registered.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "driver/driver_fixture.h"
#include "kvm/guest.h"
#include "kvm/pqap.h"
#include "matrix/mask_format.h"

namespace vap::driver {
namespace {

bool Logged(const Logger& log, std::string_view text) {
  for (const LogLine& line : log.Read()) {
    if (line.text.find(text) != std::string::npos) return true;
  }
  return false;
}

class VfioTest : public DriverFixture {
 protected:
  VfioTest() : guest_({"V"}) {
    MakeU1();
    EXPECT_TRUE(vfio_.Attach(kU1, &guest_).ok());
    // QEMU's realize: GET_INFO, then both IRQs.
    EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(0, 0x24), 9, req_).ok());
    EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(1, 0x24), 10, cfg_).ok());
  }
  ~VfioTest() override { vfio_.Detach(kU1); }

  static VfioIrqSet Header(uint32_t index, uint32_t flags, uint32_t count = 1,
                           uint32_t start = 0, uint32_t argsz = 24) {
    return VfioIrqSet{argsz, flags, index, start, count};
  }
  int SetIrqs(const VfioIrqSet& h, int32_t fd) {
    return vfio_.SetIrqs(kU1, h, fd, std::make_shared<EventFd>()).errno_value();
  }

  kvm::Guest guest_;
  std::shared_ptr<EventFd> req_ = std::make_shared<EventFd>();
  std::shared_ptr<EventFd> cfg_ = std::make_shared<EventFd>();
};

TEST_F(VfioTest, S28_DeviceAndIrqInfo) {
  const VfioDeviceInfo info = *vfio_.GetDeviceInfo(kU1, 16);
  EXPECT_EQ(info.flags, 0x21u);
  EXPECT_EQ(info.num_regions, 0u);
  EXPECT_EQ(info.num_irqs, 2u);
  EXPECT_EQ(vfio_.GetDeviceInfo(kU1, 15).status().errno_value(), EINVAL);
  const VfioIrqInfo irq = *vfio_.GetIrqInfo(kU1, VfioIrqInfo{16, 0, 1, 0});
  EXPECT_EQ(irq.count, 1u);
  EXPECT_EQ(irq.flags, 1u);
  EXPECT_EQ(
      vfio_.GetIrqInfo(kU1, VfioIrqInfo{16, 0, 2, 0}).status().errno_value(),
      EINVAL);
  EXPECT_EQ(
      vfio_.GetIrqInfo(kU1, VfioIrqInfo{15, 0, 0, 0}).status().errno_value(),
      EINVAL);
}

TEST_F(VfioTest, S27_SetIrqsValidation) {
  EXPECT_EQ(SetIrqs(Header(0, 0x24), 9), 0);
  EXPECT_EQ(SetIrqs(Header(0, 0x24), -1), 0);
  EXPECT_EQ(SetIrqs(Header(0, 0x04), 9), EINVAL);  // no ACTION_TRIGGER
  EXPECT_EQ(SetIrqs(Header(0, 0x21), 9), EINVAL);  // data not eventfd
  EXPECT_EQ(SetIrqs(Header(2, 0x24), 9), EINVAL);
  EXPECT_EQ(SetIrqs(Header(0, 0x24, 1, 1), 9), EINVAL);      // start 1
  EXPECT_EQ(SetIrqs(Header(0, 0x24, 2), 9), EINVAL);         // count 2
  EXPECT_EQ(SetIrqs(Header(0, 0x24, 1, 0, 20), 9), EINVAL);  // argsz 20
  EXPECT_EQ(SetIrqs(Header(0, 0x24), -2), EINVAL);
  EXPECT_EQ(vfio_.SetIrqs(kU1, Header(0, 0x24), 9, nullptr).errno_value(),
            EBADF);
}

TEST_F(VfioTest, S20_HotUnplugSignalsConfigChange) {
  const uint64_t before = cfg_->signals();
  ASSERT_TRUE(vfio_.UnassignAdapter(kU1, "6").ok());
  EXPECT_EQ(cfg_->signals(), before + 1);
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({5}));
  // Assigning an adapter the filter keeps out publishes nothing.
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "0x20").ok());
  EXPECT_EQ(cfg_->signals(), before + 1);
}

TEST_F(VfioTest, S13_S14_ResetDevice) {
  EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
  // A busy queue: ZAPQ answers 0x05, the verification issues ZAPQ again.
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kBusy, 5, uint8_t{4}, 2}).ok());
  EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
}

TEST_F(VfioTest, S15_ResetDuringAResetIsIssuedAgain) {
  // The first ZAPQ finds a reset in progress (0x02) and changes nothing;
  // once TAPQ reports the queue settled, the job issues a second ZAPQ,
  // which resets the queue (its interrupts go off).
  ASSERT_TRUE(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).irq_enabled);
  ap::Fault f{ap::FaultKind::kAnswer, 5, uint8_t{4}};
  f.function = ap::QueueFunction::kZapq;
  f.rc = ap::kRcResetInProgress;
  ASSERT_TRUE(fw_.InjectFault(f).ok());
  EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_EQ(Info(kU1).linked_reset_rc, std::vector<uint8_t>(4, 0));
}

TEST_F(VfioTest, S16_ResetOfADeconfiguredQueueIsEio) {
  ASSERT_TRUE(
      fw_.InjectFault({ap::FaultKind::kDeconfigure, 6, uint8_t{4}, 1}).ok());
  EXPECT_EQ(vfio_.ResetDevice(kU1).errno_value(), EIO);
}

kvm::PqapRegs EnableAqic(Apqn q) {
  kvm::PqapRegs r;
  r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | q.qid();
  r.gr1 = kvm::kAqicIrBit | 3;
  r.gr2 = 0x4000;
  return r;
}

TEST_F(VfioTest, S17_ResetOfAnInvalidApqnReleasesTheRecord) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(5, 4))).cc, 0);
  // The domain leaves the configuration before the bus notices.
  ASSERT_TRUE(fw_.RemoveUsageDomain(4).ok());
  EXPECT_EQ(vfio_.ResetDevice(kU1).errno_value(), EIO);
  EXPECT_TRUE(Logged(log_, "PQAP/ZAPQ for 05.0004 failed with invalid rc=1"));
  // Released, unlike the kernel (docs/fidelity.md quirk 4).
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->second, 0xff);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
}

ap::Fault TapqAnswers(Apqn q, uint8_t rc, int count) {
  ap::Fault f{ap::FaultKind::kAnswer, q.apid, q.apqi, count};
  f.function = ap::QueueFunction::kTapq;
  f.rc = rc;
  return f;
}

TEST_F(VfioTest, S14_BusyResetIsNoticedRateLimited) {
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kBusy, 5, uint8_t{4}, 3}).ok());
  EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
  // ZAPQ answered 0x05; the next two TAPQs 0x05 as well.
  EXPECT_TRUE(Logged(log_, "Waited 20ms for reset of queue 05.0004 (5, 0, 0)"));
  EXPECT_TRUE(Logged(log_, "Waited 40ms for reset of queue 05.0004 (5, 0, 0)"));
}

TEST_F(VfioTest, S18_AssociationFailuresRepeatTheReset) {
  for (uint8_t rc : {uint8_t{0x35}, uint8_t{0x36}}) {
    ASSERT_TRUE(fw_.InjectFault(TapqAnswers(Apqn(6, 4), rc, 2)).ok());
    EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
    EXPECT_EQ(Info(kU1).linked_reset_rc, std::vector<uint8_t>(4, 0));
  }
  EXPECT_FALSE(Logged(log_, "failed to verify reset"));
}

TEST_F(VfioTest, S19_StateChangeOnTapqEndsTheJobAndReleasesTheRecord) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(6, 4))).cc, 0);
  ASSERT_TRUE(fw_.InjectFault(TapqAnswers(Apqn(6, 4), 0x0a, 1)).ok());
  // The stored ZAPQ RC is 0: the reset counts as a success (the kernel's
  // rule), but the record is released (the kernel kept it, 11.4).
  EXPECT_TRUE(vfio_.ResetDevice(kU1).ok());
  EXPECT_TRUE(
      Logged(log_, "failed to verify reset of queue 06.0004: TAPQ rc=10"));
  EXPECT_EQ(vfio_.QueueIrq(Apqn(6, 4))->second, 0xff);
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
  EXPECT_EQ(guest_.IscReferences(3), 0);
}

TEST_F(VfioTest, S21_AdapterWithAnUnboundQueueIsPluggedWhenItBinds) {
  const ap::CardSpec card = ap::CardSpec::For(7, *ap::CardType::Parse("CEX8C"));
  ASSERT_TRUE(bus_.AddAdapter(card).ok());
  ASSERT_TRUE(bus_.Unbind("vfio_ap", "07.00ab").ok());
  const uint64_t signals = cfg_->signals();
  const uint64_t publications = guest_.publications();
  ASSERT_TRUE(vfio_.AssignAdapter(kU1, "7").ok());
  EXPECT_TRUE(Info(kU1).matrix.apm().Test(7));
  EXPECT_FALSE(Info(kU1).shadow_apcb.apm().Test(7));
  EXPECT_EQ(guest_.publications(), publications);  // nothing published
  EXPECT_EQ(cfg_->signals(), signals);
  ASSERT_TRUE(bus_.Bind("vfio_ap", "07.00ab").ok());
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({5, 6, 7}));
  EXPECT_EQ(cfg_->signals(), signals + 1);
}

TEST_F(VfioTest, S22_NewDomainFiltersAnAdapterAndResetsItsQueues) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(5, 4))).cc, 0);
  ASSERT_TRUE(bus_.Unbind("vfio_ap", "05.0047").ok());
  const uint64_t signals = cfg_->signals();
  ASSERT_TRUE(vfio_.AssignDomain(kU1, "0x47").ok());
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({6}));
  EXPECT_EQ(guest_.Apcb().aqm(), ApMask::Of({4, 0x47, 0xab}));
  EXPECT_EQ(cfg_->signals(), signals + 1);
  // 05.0004 and 05.00ab were reset: interrupts off, record released.
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_EQ(vfio_.QueueIrq(Apqn(5, 4))->second, 0xff);
}

TEST_F(VfioTest, S23_UnbindInTheGuestUnplugsTheAdapter) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(5, 0xab))).cc, 0);
  const uint64_t signals = cfg_->signals();
  ASSERT_TRUE(bus_.Unbind("vfio_ap", "05.0004").ok());
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({6}));
  EXPECT_EQ(cfg_->signals(), signals + 1);
  EXPECT_FALSE(vfio_.QueueIrq(Apqn(5, 4)).has_value());  // freed
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 0xab)));           // reset
  EXPECT_TRUE(vfio_.PinnedPages(kU1).empty());
}

TEST_F(VfioTest, S26_RemovalWhileInUseRelaysRequests) {
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    EXPECT_TRUE(vfio_.RemoveMdev(kU1).ok());
    removed = true;
  });
  // The request: masks cleared, cfg_chg and the request eventfd signalled.
  while (req_->signals() == 0) std::this_thread::yield();
  EXPECT_EQ(guest_.Apcb().apm(), ApMask());
  EXPECT_THAT(log_.LastText(),
              ::testing::HasSubstr("Relaying device request to user (#0)"));
  EXPECT_EQ(Info(kU1).shadow_apcb.apm(), ApMask::Of({5, 6}));  // shadow kept
  EXPECT_FALSE(removed.load());
  // QEMU unplugs: releases both IRQs and closes the device.
  EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(0, 0x24), -1, nullptr).ok());
  EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(1, 0x24), -1, nullptr).ok());
  vfio_.Detach(kU1);
  remover.join();
  EXPECT_TRUE(removed.load());
  EXPECT_EQ(vfio_.available_instances(), kMaxMdevs);
}

// An unbind is vfio_ap_mdev_remove() as a removal is: it relays requests
// while the guest holds the device, then resets the queues; the instance
// stays taken (the mdev core's device is still there).
TEST_F(VfioTest, UnbindWhileInUseRelaysRequestsAndKeepsTheInstance) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(5, 0xab))).cc, 0);
  std::atomic<bool> unbound{false};
  std::thread unbinder([&] {
    EXPECT_TRUE(vfio_.UnbindMdev(kU1).ok());
    unbound = true;
  });
  while (req_->signals() == 0) std::this_thread::yield();
  EXPECT_EQ(guest_.Apcb().apm(), ApMask());
  EXPECT_FALSE(unbound.load());
  EXPECT_EQ(vfio_.UnbindMdev(kU1).errno_value(), ENODEV);  // under way
  EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(0, 0x24), -1, nullptr).ok());
  EXPECT_TRUE(vfio_.SetIrqs(kU1, Header(1, 0x24), -1, nullptr).ok());
  vfio_.Detach(kU1);
  unbinder.join();
  EXPECT_TRUE(unbound.load());
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 0xab)));  // reset
  EXPECT_EQ(vfio_.Mdev(kU1).status().errno_value(), ENODEV);
  EXPECT_EQ(vfio_.available_instances(), kMaxMdevs - 1);
  EXPECT_EQ(vfio_.Attach(kU1, &guest_).errno_value(), ENODEV);
  EXPECT_EQ(vfio_.CreateMdev(kU1).errno_value(), EEXIST);
  ASSERT_TRUE(vfio_.RemoveMdev(kU1).ok());
  EXPECT_EQ(vfio_.available_instances(), kMaxMdevs);
  EXPECT_EQ(vfio_.RemoveMdev(kU1).errno_value(), ENODEV);
}

TEST_F(VfioTest, S30_HostLosesAnAdapterWithoutAReset) {
  ASSERT_EQ(guest_.Pqap(false, EnableAqic(Apqn(6, 4))).cc, 0);
  const uint64_t signals = cfg_->signals();
  ASSERT_TRUE(bus_.RemoveAdapter(6).ok());
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({5}));
  EXPECT_EQ(cfg_->signals(), signals + 1);
  // Neither the notification nor the removal of the queue devices reset
  // anything (a ZAPQ would answer 0x01 and be logged).
  EXPECT_FALSE(Logged(log_, "PQAP/ZAPQ"));
  EXPECT_FALSE(vfio_.QueueIrq(Apqn(6, 4)).has_value());
  EXPECT_EQ(guest_.IscReferences(3), 0);  // vap's DropIrq (fidelity.md)
}

TEST_F(VfioTest, S31_FormatZeroGuestCannotSeeAdapter70) {
  ASSERT_TRUE(
      bus_.AddAdapter(ap::CardSpec::For(70, *ap::CardType::Parse("CEX7C")))
          .ok());
  ASSERT_TRUE(bus_.WriteApmask("-70").ok());
  ASSERT_TRUE(vfio_.CreateMdev(kU2).ok());
  ASSERT_TRUE(vfio_.AssignAdapter(kU2, "70").ok());
  ASSERT_TRUE(vfio_.AssignDomain(kU2, "0x47").ok());
  kvm::GuestOptions o;
  o.name = "F0";
  o.facility76 = false;  // format 0 on an APXA host
  kvm::Guest f0(o);
  ASSERT_EQ(f0.format(), kvm::CrycbFormat::kFormat0);
  ASSERT_TRUE(vfio_.Attach(kU2, &f0).ok());
  EXPECT_EQ(Info(kU2).shadow_apcb.apm(), ApMask::Of({70}));
  EXPECT_EQ(*vfio_.ShowGuestMatrix(kU2), "46.0047\n");
  EXPECT_EQ(f0.Apcb().apm(), ApMask());  // APCB0 holds adapters 0-63
  EXPECT_EQ(f0.Apcb().aqm(), ApMask());  // and domains 0-15
  vfio_.Detach(kU2);
}

TEST_F(VfioTest, S32_ApConfigPublishesEachStepWithItsOwnSignal) {
  ASSERT_TRUE(
      bus_.AddAdapter(ap::CardSpec::For(7, *ap::CardType::Parse("CEX7C")))
          .ok());
  ASSERT_TRUE(bus_.WriteApmask("-7").ok());
  const uint64_t signals = cfg_->signals();
  const uint64_t publications = guest_.publications();
  ApMatrix target = Info(kU1).matrix;
  target.apm() = ApMask::Of({5, 7});
  target.aqm() = ApMask::Of({4});
  target.adm() = ApMask::Of({0xab});
  ASSERT_TRUE(vfio_.StoreApConfig(kU1, FormatApConfig(target)).ok());
  EXPECT_EQ(guest_.Apcb().apm(), ApMask::Of({5, 7}));
  EXPECT_EQ(guest_.Apcb().aqm(), ApMask::Of({4}));
  // Remove 6, remove 0xab, add 7: three publications, one signal each.
  EXPECT_EQ(guest_.publications(), publications + 3);
  EXPECT_EQ(cfg_->signals(), signals + 3);
}

// D6: removal marks the mdev first; an open that comes while the guest is
// being asked to let go is refused with ENODEV, not EBUSY, and the removal
// completes once the guest detaches.
TEST_F(VfioTest, OpenDuringRemovalIsRefused) {
  std::thread remover([this] { EXPECT_TRUE(vfio_.RemoveMdev(kU1).ok()); });
  kvm::Guest other({"W"});
  Status s;
  for (int i = 0; i < 1000; ++i) {
    s = vfio_.Attach(kU1, &other);
    if (s.errno_value() == ENODEV) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(s.errno_value(), ENODEV) << s.ToString();
  EXPECT_EQ(other.pqap_hook(), nullptr);
  vfio_.Detach(kU1);  // QEMU's answer to the request
  remover.join();
  EXPECT_EQ(guest_.pqap_hook(), nullptr);
  EXPECT_TRUE(vfio_.Mdevs().empty());
}

// The race the soak found under ASan: a removal between an open's lookup
// and its hook installation freed the hook a vCPU was calling. Opens,
// removals and PQAP(AQIC) from the guest race; under ASan a dangling hook
// is a heap-use-after-free.
TEST_F(VfioTest, OpenRemoveAndPqapRace) {
  vfio_.Detach(kU1);
  kvm::Guest g({"R"});
  std::atomic<bool> stop{false};
  std::thread vcpu([&] {
    kvm::PqapRegs r;
    r.gr0 = uint64_t{kvm::kPqapAqic} << 24 | Apqn(5, 4).qid();
    while (!stop) (void)g.Pqap(/*problem_state=*/false, r);
  });
  for (int i = 0; i < 200; ++i) {
    if (i > 0) MakeU1();
    std::thread opener([&] {
      if (vfio_.Attach(kU1, &g).ok()) vfio_.Detach(kU1);
    });
    std::thread remover([&] { (void)vfio_.RemoveMdev(kU1); });
    opener.join();
    remover.join();
    if (!vfio_.Mdevs().empty()) {  // the open came first and won
      vfio_.Detach(kU1);
      ASSERT_TRUE(vfio_.RemoveMdev(kU1).ok());
    }
    EXPECT_EQ(g.pqap_hook(), nullptr);
  }
  stop = true;
  vcpu.join();
}

}  // namespace
}  // namespace vap::driver
