// Whether a queue's last reset leaves it passable to a guest: the reset
// ended normally, or the queue is deconfigured or checkstopped (the filter
// lets those through: the guest sees them fail). _queue_passable() in
// drivers/s390/crypto/vfio_ap_ops.c; the same codes end a reset's
// verification (apq_reset_check()).
#ifndef VAP_DRIVER_QUEUE_PASSABLE_H_
#define VAP_DRIVER_QUEUE_PASSABLE_H_

#include <cstdint>

#include "ap/queue_status.h"

namespace vap::driver {

inline bool PassableAfterReset(uint8_t response_code) {
  return response_code == ap::kRcNormal ||
         response_code == ap::kRcDeconfigured ||
         response_code == ap::kRcCheckstopped;
}

}  // namespace vap::driver

#endif  // VAP_DRIVER_QUEUE_PASSABLE_H_
