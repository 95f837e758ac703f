// VfioAp: queue reset (spec/host.md 5.6, spec/guest.md 4). ZAPQ, then
// verification by TAPQ every 20 ms until the queue settles. The kernel
// verifies on a work queue and waits for the job; vap verifies in the
// waiting thread, which holds the same locks the kernel's waiter holds,
// and gives up after reset_timeout_ instead of waiting for ever.
#include <fmt/format.h>

#include "driver/vfio_ap.h"

namespace vap::driver {

namespace {

constexpr Nanos kResetInterval = std::chrono::milliseconds(20);

// What a ZAPQ's response code asks for next.
bool NeedsVerification(uint8_t rc) {
  return rc == ap::kRcNormal || rc == ap::kRcResetInProgress ||
         rc == ap::kRcBusy || rc == ap::kRcStateChangeInProgress;
}

bool NeedsAnotherZapq(uint8_t rc) {
  return rc == ap::kRcResetInProgress || rc == ap::kRcBusy ||
         rc == ap::kRcStateChangeInProgress;
}

}  // namespace

Status VfioAp::ResetQueuesLocked(const std::vector<Queue*>& queues) {
  std::vector<Queue*> verify;
  for (Queue* q : queues) {
    q->reset_status = bus_.firmware().Zapq(q->apqn);
    const uint8_t rc = q->reset_status.response_code;
    if (NeedsVerification(rc)) {
      verify.push_back(q);
    } else {
      if (rc != ap::kRcDeconfigured && rc != ap::kRcCheckstopped) {
        log_.Log(LogLevel::kWarning,
                 fmt::format("PQAP/ZAPQ for {} failed with invalid rc={}",
                             q->apqn.ToString(), rc));
      }
      // RC 0x03/0x04 release the interrupt resources at once; so does any
      // other code (the kernel kept them: the 2026 fix of guest.md 11.4).
      ReleaseIrqLocked(*q);
    }
  }
  for (Queue* q : verify) {
    VerifyResetLocked(*q);
    // Released when the reset settles, and also when it fails or times
    // out (the kernel kept them then: spec/guest.md 11.4, fixed).
    ReleaseIrqLocked(*q);
  }
  bool all_normal = true;
  for (Queue* q : queues) {
    UpdatePassableLocked(*q);
    all_normal = all_normal && q->reset_status.response_code == ap::kRcNormal;
  }
  return all_normal ? Status::Ok() : Status::Error(EIO, "a queue reset failed");
}

void VfioAp::VerifyResetLocked(Queue& q) {
  const Nanos start = clock_.Now();
  for (;;) {
    clock_.SleepFor(kResetInterval);
    const ap::QueueStatus s = bus_.firmware().Tapq(q.apqn).status;
    const uint8_t rc = s.response_code;
    const bool settled = rc == ap::kRcNormal || rc == ap::kRcDeconfigured ||
                         rc == ap::kRcCheckstopped;
    const bool again = rc == ap::kRcAssociationSecretNotUnique ||
                       rc == ap::kRcAssociationFailed;
    const bool busy = rc == ap::kRcResetInProgress || rc == ap::kRcBusy;
    if (!settled && !again && !busy) {
      log_.Log(LogLevel::kWarning,
               fmt::format("failed to verify reset of queue {}: TAPQ rc={}",
                           q.apqn.ToString(), rc));
      return;
    }
    if (clock_.Now() - start >= reset_timeout_) {
      // vap's bound on the kernel's endless wait (docs/fidelity.md).
      log_.Log(
          LogLevel::kWarning,
          fmt::format("Reset of queue {} did not complete in {} ms (rc={})",
                      q.apqn.ToString(),
                      std::chrono::duration_cast<std::chrono::milliseconds>(
                          clock_.Now() - start)
                          .count(),
                      rc));
      q.reset_status = s;
      return;
    }
    if (busy) continue;
    if (again || NeedsAnotherZapq(q.reset_status.response_code)) {
      q.reset_status = bus_.firmware().Zapq(q.apqn);
      continue;
    }
    return;  // settled
  }
}

}  // namespace vap::driver
