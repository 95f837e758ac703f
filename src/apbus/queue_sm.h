// The AP bus's per-queue state machine (ap_sm_event() and its jump table
// in drivers/s390/crypto/ap_queue.c), as far as a bus without message
// traffic runs it: reset the queue, wait for the reset to end, enable the
// host's adapter interrupts, wait for them, idle.
//
// A step runs only while the queue is configured, not checkstopped and
// initiated (dev_state above UNINITIATED), as in the kernel. The functions
// here are pure over the machine (ap::ApInstructions): the bus keeps the state and decides
// when to step (apbus/ap_bus_queue_sm.cc).
#ifndef VAP_APBUS_QUEUE_SM_H_
#define VAP_APBUS_QUEUE_SM_H_

#include <cstdint>
#include <string>

#include "ap/ap_instructions.h"
#include "apbus/queue_state.h"
#include "matrix/apqn.h"

namespace vap::apbus {

// The host's adapter interrupt: ap_airq_ptr() non-null, i.e. the bus has
// registered it (ap_interrupts is 1). vap's host always has; a test may
// say otherwise.
struct HostIrq {
  bool available = true;
  uint8_t isc = 6;  // AP_ISC (arch/s390/include/asm/isc.h)
  uint64_t nib = 0x0000000000f4e000;  // the host's summary indicator
};

// What a step may log: the pr_err() of ap_queue_enable_irq(), empty if
// nothing.
struct SmStepLog {
  std::string err;
};

// _ap_queue_init_state(): OPERATING, RESET_START, last_err_rc 0. The
// caller then steps once (ap_sm_event(POLL)).
void InitState(QueueSm& sm);

// One POLL event (ap_sm_event()). `config` and `chkstop` are the queue
// device's; NONE without a step.
SmWait Step(QueueSm& sm, bool config, bool chkstop, Apqn apqn,
            ap::ApInstructions& fw, const HostIrq& irq, SmStepLog* log);
// Steps while a step asks for another at once (ap_sm_event_loop()).
SmWait StepLoop(QueueSm& sm, bool config, bool chkstop, Apqn apqn,
                ap::ApInstructions& fw, const HostIrq& irq, SmStepLog* log);

// The texts of the queue's `reset` and `interrupt` attributes
// (reset_show(), interrupt_show()); `irq_enabled` is TAPQ's I bit.
std::string ResetText(SmState state);
std::string InterruptText(SmState state, bool irq_enabled);

}  // namespace vap::apbus

#endif  // VAP_APBUS_QUEUE_SM_H_
