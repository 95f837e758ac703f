// The state of a queue device's AP bus state machine (struct ap_queue's
// dev_state and sm_state in drivers/s390/crypto/ap_bus.h), kept in every
// ApDevice snapshot. The steps are in apbus/queue_sm.h.
#ifndef VAP_APBUS_QUEUE_STATE_H_
#define VAP_APBUS_QUEUE_STATE_H_

#include <cstdint>

namespace vap::apbus {

// enum ap_dev_state.
enum class DevState : uint8_t { kUninitiated, kOperating, kShutdown, kError };

// enum ap_sm_state, in the kernel's order: a new queue (kzalloc'ed) is in
// the first, RESET_START. kWorking and kQueueFull need requests in
// flight, which vap's model never has.
enum class SmState : uint8_t {
  kResetStart,
  kResetWait,
  kSetirqWait,
  kIdle,
  kWorking,
  kQueueFull,
};

// enum ap_sm_wait, in the kernel's order (the tasklet keeps the minimum).
enum class SmWait : uint8_t { kAgain, kTimeout, kNone };

struct QueueSm {
  DevState dev_state = DevState::kUninitiated;
  SmState sm_state = SmState::kResetStart;
  uint8_t last_err_rc = 0;

  bool initiated() const { return dev_state > DevState::kUninitiated; }
};

}  // namespace vap::apbus

#endif  // VAP_APBUS_QUEUE_STATE_H_
