// The AP queue state machine's steps (ap_sm_reset(), ap_sm_reset_wait(),
// ap_sm_setirq_wait() and the idle write in drivers/s390/crypto/ap_queue.c).
#include "apbus/queue_sm.h"

#include <fmt/format.h>

namespace vap::apbus {
namespace {

SmWait Fail(QueueSm& sm, uint8_t rc) {
  sm.dev_state = DevState::kError;
  sm.last_err_rc = rc;
  return SmWait::kNone;
}

// ap_sm_reset(): RAPQ.
SmWait Reset(QueueSm& sm, Apqn apqn, ap::ApInstructions& fw) {
  const uint8_t rc = fw.ResetQueue(apqn).response_code;
  if (rc == ap::kRcNormal || rc == ap::kRcResetInProgress) {
    sm.sm_state = SmState::kResetWait;
    return SmWait::kTimeout;
  }
  return Fail(sm, rc);
}

// ap_queue_enable_irq(): true if the AQIC took.
bool EnableIrq(Apqn apqn, ap::ApInstructions& fw, const HostIrq& irq,
               SmStepLog* log) {
  const uint8_t rc = fw.EnableInterrupts(apqn, irq.isc, irq.nib).response_code;
  switch (rc) {
    case ap::kRcNormal:
    case ap::kRcOtherwiseChanged:
      return true;
    case ap::kRcQueueNotAvailable:
    case ap::kRcDeconfigured:
    case ap::kRcCheckstopped:
    case ap::kRcInvalidAddress:
      if (log != nullptr) {
        log->err = fmt::format(
            "ap: Registering adapter interrupts for AP device {} failed",
            apqn.ToString());
      }
      return false;
    default:  // reset in progress, busy: -EBUSY
      return false;
  }
}

// ap_sm_reset_wait(): TAPQ until the reset is over, then interrupts.
SmWait ResetWait(QueueSm& sm, Apqn apqn, ap::ApInstructions& fw, const HostIrq& irq,
                 SmStepLog* log) {
  const uint8_t rc = fw.TestQueue(apqn).status.response_code;
  switch (rc) {
    case ap::kRcNormal:
      sm.sm_state = irq.available && EnableIrq(apqn, fw, irq, log)
                        ? SmState::kSetirqWait
                        : SmState::kIdle;
      return SmWait::kAgain;
    case ap::kRcBusy:
    case ap::kRcResetInProgress:
      return SmWait::kTimeout;
    default:
      return Fail(sm, rc);
  }
}

// ap_sm_setirq_wait(): TAPQ until the I bit shows.
SmWait SetirqWait(QueueSm& sm, Apqn apqn, ap::ApInstructions& fw) {
  const ap::QueueStatus s = fw.TestQueue(apqn).status;
  if (s.irq_enabled) sm.sm_state = SmState::kIdle;
  if (s.response_code == ap::kRcNormal || s.response_code == ap::kRcQueueFull)
    return SmWait::kTimeout;
  return Fail(sm, s.response_code);
}

}  // namespace

void InitState(QueueSm& sm) {
  sm.dev_state = DevState::kOperating;
  sm.sm_state = SmState::kResetStart;
  sm.last_err_rc = 0;
}

SmWait Step(QueueSm& sm, bool config, bool chkstop, Apqn apqn,
            ap::ApInstructions& fw, const HostIrq& irq, SmStepLog* log) {
  if (!config || chkstop || !sm.initiated()) return SmWait::kNone;
  switch (sm.sm_state) {
    case SmState::kResetStart:
      return Reset(sm, apqn, fw);
    case SmState::kResetWait:
      return ResetWait(sm, apqn, fw, irq, log);
    case SmState::kSetirqWait:
      return SetirqWait(sm, apqn, fw);
    case SmState::kIdle:  // ap_sm_write() with nothing to send
    case SmState::kWorking:
    case SmState::kQueueFull:
      return SmWait::kNone;
  }
  return SmWait::kNone;
}

SmWait StepLoop(QueueSm& sm, bool config, bool chkstop, Apqn apqn,
                ap::ApInstructions& fw, const HostIrq& irq, SmStepLog* log) {
  SmWait wait;
  while ((wait = Step(sm, config, chkstop, apqn, fw, irq, log)) ==
         SmWait::kAgain) {
  }
  return wait;
}

std::string ResetText(SmState state) {
  switch (state) {
    case SmState::kResetStart:
    case SmState::kResetWait:
      return "Reset in progress.\n";
    case SmState::kWorking:
    case SmState::kQueueFull:
      return "Reset Timer armed.\n";
    default:
      return "No Reset Timer set.\n";
  }
}

std::string InterruptText(SmState state, bool irq_enabled) {
  if (state == SmState::kSetirqWait) return "Enable Interrupt pending.\n";
  return irq_enabled ? "Interrupts enabled.\n" : "Interrupts disabled.\n";
}

}  // namespace vap::apbus
