#include "ap/firmware.h"

#include <gtest/gtest.h>

#include <chrono>

namespace vap::ap {
namespace {

using std::chrono::milliseconds;

class FirmwareTest : public ::testing::Test {
 protected:
  FirmwareTest() : fw_(clock_, *BuiltinProfile("default")) {}

  uint8_t TapqRc(Apqn q) { return fw_.Tapq(q).status.response_code; }

  ManualClock clock_;
  Firmware fw_;
};

TEST_F(FirmwareTest, QciReportsTheProfile) {
  const QciInfo qci = *fw_.Qci();
  EXPECT_TRUE(qci.apxa);
  EXPECT_EQ(qci.na, 255);
  EXPECT_EQ(qci.apm, ApMask::Of({3, 4, 5, 6}));
  EXPECT_EQ(qci.aqm.Count(), 18u);
  EXPECT_TRUE(qci.adm.Test(0x10));
  EXPECT_FALSE(qci.aqm.Test(0x10));
  EXPECT_EQ(qci.BusMaxAdapterId(), 255);
}

TEST_F(FirmwareTest, TapqOfAnIdleQueue) {
  const TapqResult r = fw_.Tapq(Apqn(5, 4));
  EXPECT_EQ(r.status.response_code, kRcNormal);
  EXPECT_TRUE(r.status.queue_empty);
  EXPECT_FALSE(r.status.irq_enabled);
  EXPECT_EQ(r.info.raw_hwtype, 14);
  EXPECT_NE(r.info.functions & kFuncCoprocessor, 0u);
}

TEST_F(FirmwareTest, QueuesOutsideTheConfigurationAreNotAvailable) {
  EXPECT_EQ(TapqRc(Apqn(7, 4)), kRcQueueNotAvailable);     // no adapter 7
  EXPECT_EQ(TapqRc(Apqn(5, 0x10)), kRcQueueNotAvailable);  // control only
  EXPECT_EQ(fw_.Zapq(Apqn(7, 4)).response_code, kRcQueueNotAvailable);
}

TEST_F(FirmwareTest, ResetTakesTwentyMillisecondsOfModelTime) {
  const QueueStatus z = fw_.Zapq(Apqn(5, 4));
  EXPECT_EQ(z.response_code, kRcNormal);
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcResetInProgress);
  EXPECT_EQ(fw_.Zapq(Apqn(5, 4)).response_code, kRcResetInProgress);
  clock_.Advance(milliseconds(19));
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcResetInProgress);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);
  // Other queues were never affected.
  EXPECT_EQ(TapqRc(Apqn(5, 5)), kRcNormal);
}

TEST_F(FirmwareTest, AqicEnablesAndResetDisablesInterrupts) {
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0).response_code, kRcInvalidAddress);
  const QueueStatus on = fw_.AqicEnable(Apqn(5, 4), 3, 0x1000);
  EXPECT_EQ(on.response_code, kRcNormal);
  EXPECT_TRUE(on.irq_enabled);
  EXPECT_TRUE(fw_.Tapq(Apqn(5, 4)).status.irq_enabled);
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(5, 4)));
  EXPECT_FALSE(fw_.GuestIrqEnabled(Apqn(5, 4)));  // no GISA: the host's
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x2000).response_code, kRcNormal);
  ASSERT_EQ(fw_.Zapq(Apqn(5, 4)).response_code, kRcNormal);
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code,
            kRcResetInProgress);
  clock_.Advance(milliseconds(20));
  EXPECT_FALSE(fw_.Tapq(Apqn(5, 4)).status.irq_enabled);
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code, kRcNormal);
  EXPECT_EQ(fw_.AqicDisable(Apqn(5, 4)).response_code, kRcNormal);
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
}

// The soak found queues that kept interrupts for ever after a checkstop:
// the adapter has lost its queues' state, so their interrupts are off.
TEST_F(FirmwareTest, CheckstopAndDeconfigurationDropInterrupts) {
  for (const Fault& f :
       {Fault{FaultKind::kCheckstop, 5, std::nullopt, 1},
        Fault{FaultKind::kDeconfigure, 5, 4, 1}}) {
    ASSERT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code, kRcNormal);
    ASSERT_TRUE(fw_.InjectFault(f).ok());
    EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
    EXPECT_FALSE(fw_.RaiseInterrupt(Apqn(5, 4)));
    ASSERT_TRUE(fw_.ClearFaults(5, std::nullopt).ok());
    EXPECT_FALSE(fw_.Tapq(Apqn(5, 4)).status.irq_enabled);
  }
  ASSERT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code, kRcNormal);
  ASSERT_TRUE(fw_.SetAdapterConfigured(5, false).ok());
  EXPECT_FALSE(fw_.IrqEnabled(Apqn(5, 4)));
}

TEST_F(FirmwareTest, CardFaults) {
  ASSERT_TRUE(
      fw_.InjectFault({FaultKind::kCheckstop, 5, std::nullopt, 1}).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcCheckstopped);
  EXPECT_TRUE(fw_.Card(5)->checkstopped);
  ASSERT_TRUE(fw_.ClearFaults(5, std::nullopt).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);
  ASSERT_TRUE(
      fw_.InjectFault({FaultKind::kDeconfigure, 5, std::nullopt, 1}).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 0xab)), kRcDeconfigured);
  EXPECT_FALSE(fw_.Card(5)->configured);
  EXPECT_EQ(fw_.InjectFault({FaultKind::kCheckstop, 7, std::nullopt, 1})
                .errno_value(),
            ENOENT);
}

TEST_F(FirmwareTest, BusyForNCalls) {
  ASSERT_TRUE(fw_.InjectFault({FaultKind::kBusy, 5, uint8_t{4}, 2}).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcBusy);
  EXPECT_EQ(fw_.Zapq(Apqn(5, 4)).response_code, kRcBusy);
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);
  EXPECT_EQ(fw_.InjectFault({FaultKind::kBusy, 5, uint8_t{4}, 0}).errno_value(),
            EINVAL);
}

TEST_F(FirmwareTest, AnswerFaultTargetsOneFunctionForNCalls) {
  Fault f{FaultKind::kAnswer, 5, 4};
  f.function = QueueFunction::kAqic;
  f.rc = kRcOtherwiseChanged;
  f.count = 2;
  ASSERT_TRUE(fw_.InjectFault(f).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);  // other functions unaffected
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code,
            kRcOtherwiseChanged);
  EXPECT_EQ(fw_.AqicDisable(Apqn(5, 4)).response_code, kRcOtherwiseChanged);
  EXPECT_EQ(fw_.AqicEnable(Apqn(5, 4), 3, 0x1000).response_code, kRcNormal);
  // Clearing removes what is left of it; a card-wide answer is refused.
  f.function = QueueFunction::kTapq;
  f.rc = 0x35;
  ASSERT_TRUE(fw_.InjectFault(f).ok());
  ASSERT_TRUE(fw_.ClearFaults(5, 4).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);
  f.apqi.reset();
  EXPECT_EQ(fw_.InjectFault(f).errno_value(), EINVAL);
  f.apqi = 4;
  f.count = 0;
  EXPECT_EQ(fw_.InjectFault(f).errno_value(), EINVAL);
}

TEST_F(FirmwareTest, ResetThatNeverEndsUntilCleared) {
  ASSERT_TRUE(
      fw_.InjectFault({FaultKind::kResetNeverEnds, 5, uint8_t{4}, 1}).ok());
  ASSERT_EQ(fw_.Zapq(Apqn(5, 4)).response_code, kRcNormal);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcResetInProgress);
  ASSERT_TRUE(fw_.ClearFaults(5, uint8_t{4}).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcNormal);
}

TEST_F(FirmwareTest, SclpDeconfigureKeepsTheCardInQci) {
  ASSERT_TRUE(fw_.SetAdapterConfigured(6, false).ok());
  EXPECT_TRUE(fw_.Qci()->apm.Test(6));
  EXPECT_EQ(TapqRc(Apqn(6, 0)), kRcDeconfigured);
  ASSERT_TRUE(fw_.SetAdapterConfigured(6, true).ok());
  EXPECT_EQ(TapqRc(Apqn(6, 0)), kRcNormal);
  EXPECT_EQ(fw_.SetAdapterConfigured(7, true).errno_value(), ENOENT);
}

TEST_F(FirmwareTest, ConfigurationChanges) {
  CardSpec card;
  card.apid = 7;
  card.type = *CardType::Parse("CEX8A");
  card.raw_hwtype = 14;
  ASSERT_TRUE(fw_.AddAdapter(card).ok());
  EXPECT_EQ(fw_.AddAdapter(card).errno_value(), EEXIST);
  EXPECT_EQ(TapqRc(Apqn(7, 4)), kRcNormal);
  ASSERT_TRUE(fw_.RemoveAdapter(7).ok());
  EXPECT_EQ(fw_.RemoveAdapter(7).errno_value(), ENOENT);
  EXPECT_EQ(TapqRc(Apqn(7, 4)), kRcQueueNotAvailable);
  ASSERT_TRUE(fw_.AddUsageDomain(0x20).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 0x20)), kRcNormal);
  EXPECT_EQ(fw_.AddUsageDomain(0x20).errno_value(), EEXIST);
  ASSERT_TRUE(fw_.RemoveUsageDomain(4).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 4)), kRcQueueNotAvailable);
  ASSERT_TRUE(fw_.AddControlDomain(0x30).ok());
  EXPECT_TRUE(fw_.Qci()->adm.Test(0x30));
  ASSERT_TRUE(fw_.RemoveControlDomain(0x30).ok());
  EXPECT_EQ(fw_.RemoveControlDomain(0x30).errno_value(), ENOENT);
}

TEST(FirmwareLegacyTest, NoApxaLimits) {
  ManualClock clock;
  Firmware fw(clock, *BuiltinProfile("legacy"));
  const QciInfo qci = *fw.Qci();
  EXPECT_FALSE(qci.apxa);
  EXPECT_EQ(qci.BusMaxAdapterId(), 63);
  EXPECT_EQ(qci.BusMaxDomainId(), 15);
  CardSpec card;
  card.apid = 64;
  EXPECT_EQ(fw.AddAdapter(card).errno_value(), EINVAL);
  EXPECT_EQ(fw.AddUsageDomain(16).errno_value(), EINVAL);
}

TEST(FirmwareNoQciTest, QciMissing) {
  ManualClock clock;
  HostProfile p = *BuiltinProfile("legacy");
  p.qci = false;
  Firmware fw(clock, p);
  EXPECT_FALSE(fw.Qci().has_value());
  EXPECT_EQ(fw.Tapq(Apqn(1, 0)).status.response_code, kRcNormal);
}

}  // namespace
}  // namespace vap::ap
