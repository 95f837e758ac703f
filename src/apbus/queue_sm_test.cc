// The AP bus's queue state machines (ap_queue.c's ap_sm_* steps,
// ap_queue_init_state(), ap_queue_remove(), reset_store() and the state
// changes of ap_scan_domains() in drivers/s390/crypto/ap_bus.c).
#include "apbus/queue_sm.h"

#include <gtest/gtest.h>

#include "apbus/bus_fixture.h"

namespace vap::apbus {
namespace {

const Apqn kQ(5, 4);

class QueueSmTest : public BusFixture {
 protected:
  QueueSmTest() {
    EXPECT_TRUE(bus_.RegisterDriver(vfio_).ok());
    bus_.Scan();
  }

  QueueSm Sm(Apqn q = kQ) { return bus_.Queue(q)->sm; }
  // Lets every reset end and polls until no machine waits.
  void Settle() {
    clock_.Advance(ap::Firmware::kResetDuration);
    for (int i = 0; i < 4 && bus_.QueuesPolling(); ++i) bus_.PollQueues();
    ASSERT_FALSE(bus_.QueuesPolling());
  }
  uint8_t TapqRc(Apqn q = kQ) { return fw_.Tapq(q).status.response_code; }
};

TEST_F(QueueSmTest, AHostQueueIsResetThenGetsTheHostsInterrupts) {
  // Probe and creation each ran ap_queue_init_state(): RAPQ, RESET_WAIT.
  EXPECT_EQ(Sm().dev_state, DevState::kOperating);
  EXPECT_EQ(Sm().sm_state, SmState::kResetWait);
  EXPECT_EQ(TapqRc(), ap::kRcResetInProgress);
  EXPECT_TRUE(bus_.QueuesPolling());
  bus_.PollQueues();  // the reset still runs
  EXPECT_EQ(Sm().sm_state, SmState::kResetWait);
  EXPECT_FALSE(fw_.IrqEnabled(kQ));
  clock_.Advance(ap::Firmware::kResetDuration);
  // One poll: TAPQ normal, AQIC with the host's ISC, TAPQ shows I=1.
  bus_.PollQueues();
  EXPECT_EQ(Sm().sm_state, SmState::kIdle);
  EXPECT_TRUE(fw_.IrqEnabled(kQ));
  EXPECT_EQ(ResetText(Sm().sm_state), "No Reset Timer set.\n");
  EXPECT_EQ(InterruptText(Sm().sm_state, true), "Interrupts enabled.\n");
  bus_.PollQueues();  // the poll ap_sm_setirq_wait() asked for: idle
  EXPECT_FALSE(bus_.QueuesPolling());
}

TEST_F(QueueSmTest, AResetStoreRestartsTheMachineOfAHostQueue) {
  Settle();
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  EXPECT_EQ(Sm().sm_state, SmState::kResetWait);
  EXPECT_EQ(TapqRc(), ap::kRcResetInProgress);
  EXPECT_FALSE(fw_.IrqEnabled(kQ));  // RAPQ disables them
  Settle();
  EXPECT_EQ(Sm().sm_state, SmState::kIdle);
  EXPECT_TRUE(fw_.IrqEnabled(kQ));
  EXPECT_EQ(bus_.ResetQueue(Apqn(5, 0x20)).errno_value(), ENODEV);
}

TEST_F(QueueSmTest, AQueueHandedToVfioApIsUninitiatedAndItsResetStoreWaits) {
  Settle();
  ASSERT_TRUE(bus_.WriteApmask("-5").ok());
  ASSERT_EQ(bus_.Queue(kQ)->driver, "vfio_ap");
  // ap_queue_remove(): ZAPQ (interrupts off, a reset runs), UNINITIATED.
  EXPECT_EQ(Sm().dev_state, DevState::kUninitiated);
  EXPECT_FALSE(fw_.IrqEnabled(kQ));
  EXPECT_EQ(TapqRc(), ap::kRcResetInProgress);
  Settle();
  EXPECT_EQ(TapqRc(), ap::kRcNormal);
  // The store sets RESET_START, but the machine does not run: no RAPQ,
  // and the attribute says "Reset in progress." until a host driver
  // initiates the queue again.
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  EXPECT_EQ(Sm().sm_state, SmState::kResetStart);
  EXPECT_EQ(TapqRc(), ap::kRcNormal);
  Settle();
  EXPECT_EQ(ResetText(Sm().sm_state), "Reset in progress.\n");
  ASSERT_TRUE(bus_.WriteApmask("+5").ok());
  ASSERT_EQ(bus_.Queue(kQ)->driver, "cex4queue");
  EXPECT_EQ(Sm().dev_state, DevState::kOperating);
  Settle();
  EXPECT_EQ(Sm().sm_state, SmState::kIdle);
  EXPECT_TRUE(fw_.IrqEnabled(kQ));
}

TEST_F(QueueSmTest, ACheckstopStopsTheMachineAndItsEndReinitiatesIt) {
  Settle();
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kCheckstop, 5, 4}).ok());
  bus_.Scan();
  EXPECT_TRUE(bus_.Queue(kQ)->chkstop);
  EXPECT_EQ(Sm().dev_state, DevState::kError);
  EXPECT_EQ(Sm().last_err_rc, ap::kRcCheckstopped);
  // A reset store changes the state but runs nothing.
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  EXPECT_EQ(Sm().sm_state, SmState::kResetStart);
  EXPECT_FALSE(bus_.QueuesPolling());
  ASSERT_TRUE(fw_.ClearFaults(5, 4).ok());
  bus_.Scan();  // checkstop off: _ap_queue_init_state()
  EXPECT_FALSE(bus_.Queue(kQ)->chkstop);
  EXPECT_EQ(Sm().dev_state, DevState::kOperating);
  EXPECT_EQ(Sm().sm_state, SmState::kResetWait);
  Settle();
  EXPECT_TRUE(fw_.IrqEnabled(kQ));
}

TEST_F(QueueSmTest, ADeconfiguredCardPutsItsQueuesInTheErrorStateUntilBack) {
  Settle();
  ASSERT_TRUE(bus_.SetCardConfig(5, false).ok());
  bus_.Scan();
  EXPECT_FALSE(bus_.Queue(kQ)->config);
  EXPECT_EQ(Sm().dev_state, DevState::kError);
  EXPECT_EQ(Sm().last_err_rc, ap::kRcDeconfigured);
  ASSERT_TRUE(bus_.SetCardConfig(5, true).ok());
  bus_.Scan();
  EXPECT_TRUE(bus_.Queue(kQ)->config);
  EXPECT_EQ(Sm().dev_state, DevState::kOperating);
  Settle();
  EXPECT_EQ(Sm().sm_state, SmState::kIdle);
}

TEST_F(QueueSmTest, AQueueCreatedForVfioApRunsTheMachineToo) {
  // As in the kernel: ap_scan_domains() initiates every new queue that is
  // configured, whichever driver its probe found, and the tasklet polls
  // every bound queue; so the host's interrupts get enabled on it.
  ASSERT_TRUE(bus_.WriteApmask("-5").ok());
  Settle();
  ASSERT_TRUE(fw_.RemoveUsageDomain(0x0a).ok());
  bus_.Scan();
  ASSERT_FALSE(bus_.Queue(Apqn(5, 0x0a)));
  ASSERT_TRUE(fw_.AddUsageDomain(0x0a).ok());
  bus_.Scan();
  ASSERT_EQ(bus_.Queue(Apqn(5, 0x0a))->driver, "vfio_ap");
  EXPECT_EQ(Sm(Apqn(5, 0x0a)).dev_state, DevState::kOperating);
  Settle();
  EXPECT_TRUE(fw_.IrqEnabled(Apqn(5, 0x0a)));
  EXPECT_FALSE(fw_.IrqEnabled(kQ));  // handed over earlier: uninitiated
  // So its reset store resets it (reset_store() steps a running machine),
  // vfio_ap's queue or not; the handed-over one is left alone.
  ASSERT_TRUE(bus_.ResetQueue(Apqn(5, 0x0a)).ok());
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  EXPECT_EQ(TapqRc(Apqn(5, 0x0a)), ap::kRcResetInProgress);
  EXPECT_EQ(TapqRc(), ap::kRcNormal);
}

TEST_F(QueueSmTest, AFailedInterruptRegistrationIsLoggedAndTheQueueIdles) {
  Settle();
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kAnswer, 5, 4, 1,
                               ap::QueueFunction::kAqic,
                               ap::kRcInvalidAddress})
                  .ok());
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  Settle();
  EXPECT_EQ(Sm().sm_state, SmState::kIdle);
  EXPECT_FALSE(fw_.IrqEnabled(kQ));
  EXPECT_EQ(log_.LastText(),
            "ap: Registering adapter interrupts for AP device 05.0004 failed");
}

TEST_F(QueueSmTest, AResetThatNeverEndsKeepsTheQueuePolled) {
  Settle();
  ASSERT_TRUE(fw_.InjectFault({ap::FaultKind::kResetNeverEnds, 5, 4}).ok());
  ASSERT_TRUE(bus_.ResetQueue(kQ).ok());
  clock_.Advance(std::chrono::seconds(1));
  bus_.PollQueues();
  EXPECT_EQ(Sm().sm_state, SmState::kResetWait);
  EXPECT_TRUE(bus_.QueuesPolling());
  // Unbinding takes it off the polled queues (ap_device_remove()).
  ASSERT_TRUE(bus_.Unbind("cex4queue", "05.0004").ok());
  EXPECT_FALSE(bus_.QueuesPolling());
}

TEST(QueueSmTextTest, TheAttributesTexts) {
  EXPECT_EQ(ResetText(SmState::kResetStart), "Reset in progress.\n");
  EXPECT_EQ(ResetText(SmState::kResetWait), "Reset in progress.\n");
  EXPECT_EQ(ResetText(SmState::kWorking), "Reset Timer armed.\n");
  EXPECT_EQ(ResetText(SmState::kQueueFull), "Reset Timer armed.\n");
  EXPECT_EQ(ResetText(SmState::kIdle), "No Reset Timer set.\n");
  EXPECT_EQ(ResetText(SmState::kSetirqWait), "No Reset Timer set.\n");
  EXPECT_EQ(InterruptText(SmState::kSetirqWait, false),
            "Enable Interrupt pending.\n");
  EXPECT_EQ(InterruptText(SmState::kIdle, false), "Interrupts disabled.\n");
}

}  // namespace
}  // namespace vap::apbus
