// VfioAp: queue reset (vfio_ap_mdev_reset_queue(), apq_reset_check() and
// vfio_ap_mdev_reset_queues() in drivers/s390/crypto/vfio_ap_ops.c). All
// ZAPQs are issued first; then every queue's verification job runs: each
// 20 ms a TAPQ, and a new ZAPQ when the reset must be repeated, until the
// queue settles. The kernel runs the jobs on a work queue while the caller
// waits for them holding its locks; vap steps all the jobs of one reset in
// the waiting thread, one round every 20 ms of model time, so they still
// proceed in parallel and every access to a queue stays under mdevs_lock
// (docs/locking.md R1). A job gives up after reset_timeout_ instead of
// waiting for ever (docs/fidelity.md).
#include <fmt/format.h>

#include "driver/queue_passable.h"
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

int64_t Millis(Nanos d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

Status VfioAp::ResetQueuesLocked(const std::vector<Queue*>& queues) {
  std::vector<Queue*> verify;
  for (Queue* q : queues) {
    q->reset_status = bus_.firmware().Zapq(q->apqn);
    const uint8_t rc = q->reset_status.response_code;
    if (NeedsVerification(rc)) {
      verify.push_back(q);
      continue;
    }
    if (rc != ap::kRcDeconfigured && rc != ap::kRcCheckstopped) {
      log_.Log(LogLevel::kWarning,
               fmt::format("PQAP/ZAPQ for {} failed with invalid rc={}",
                           q->apqn.ToString(), rc));
    }
    // RC 0x03/0x04 release the interrupt resources at once; so does any
    // other code (the kernel kept them: the 2026 fix of guest.md 11.4).
    ReleaseIrqLocked(*q);
  }
  VerifyResetsLocked(verify);
  bool all_normal = true;
  for (Queue* q : queues) {
    UpdatePassableLocked(*q);
    all_normal = all_normal && q->reset_status.response_code == ap::kRcNormal;
  }
  return all_normal ? Status::Ok() : Status::Error(EIO, "a queue reset failed");
}

void VfioAp::VerifyResetsLocked(std::vector<Queue*> pending) {
  const Nanos start = clock_.Now();
  while (!pending.empty()) {
    clock_.SleepFor(kResetInterval);
    const Nanos elapsed = clock_.Now() - start;
    std::vector<Queue*> next;
    for (Queue* q : pending) {
      if (ResetStepLocked(*q, elapsed)) {
        next.push_back(q);
      } else {
        // Released when the reset settles, and also when it fails or
        // times out (the kernel kept them then: docs/fidelity.md quirk 4,
        // fixed).
        ReleaseIrqLocked(*q);
      }
    }
    pending = std::move(next);
  }
}

bool VfioAp::ResetStepLocked(Queue& q, Nanos elapsed) {
  const ap::QueueStatus s = bus_.firmware().Tapq(q.apqn).status;
  const uint8_t rc = s.response_code;
  const bool settled = PassableAfterReset(rc);
  const bool again =
      rc == ap::kRcAssociationSecretNotUnique || rc == ap::kRcAssociationFailed;
  const bool busy = rc == ap::kRcResetInProgress || rc == ap::kRcBusy;
  if (!settled && !again && !busy) {
    log_.Log(LogLevel::kWarning,
             fmt::format("failed to verify reset of queue {}: TAPQ rc={}",
                         q.apqn.ToString(), rc));
    return false;
  }
  if (cancel_waits_.load()) {
    log_.Log(LogLevel::kWarning,
             fmt::format("Reset of queue {} abandoned at shutdown after {} "
                         "ms (rc={})",
                         q.apqn.ToString(), Millis(elapsed), rc));
    q.reset_status = s;
    return false;
  }
  if (elapsed >= reset_timeout_) {
    // vap's bound on the kernel's endless wait (docs/fidelity.md).
    log_.Log(LogLevel::kWarning,
             fmt::format("Reset of queue {} did not complete in {} ms (rc={})",
                         q.apqn.ToString(), Millis(elapsed), rc));
    q.reset_status = s;
    return false;
  }
  if (busy) {
    if (reset_notices_.Allow(clock_.Now())) {
      log_.Log(LogLevel::kNotice,
               fmt::format("Waited {}ms for reset of queue {} ({}, {}, {})",
                           Millis(elapsed), q.apqn.ToString(), rc,
                           s.queue_empty ? 1 : 0, s.irq_enabled ? 1 : 0));
    }
    return true;
  }
  if (again || NeedsAnotherZapq(q.reset_status.response_code)) {
    q.reset_status = bus_.firmware().Zapq(q.apqn);
    return true;
  }
  return false;  // settled
}

}  // namespace vap::driver
