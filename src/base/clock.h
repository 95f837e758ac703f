// Injected time (docs/fidelity.md, "Policy"): firmware delays (a queue
// reset takes about 20 ms), reset verification polling and the 10 s
// device-request period all read and wait on a Clock, so tests and
// benchmarks run them on a fast or virtual clock instead of sleeping.
//
// Times are model time: nanoseconds since the clock's epoch (its
// construction). A RealClock with time_scale X runs model time 1/X times
// as fast as the wall clock, so `vapd --time-scale 0.01` turns a 20 ms
// reset into 0.2 ms. A ManualClock moves only when told to, or, in
// auto-advance mode, jumps to the deadline of whoever waits.
#ifndef VAP_BASE_CLOCK_H_
#define VAP_BASE_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap {

using Nanos = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;

  // Model time since this clock's epoch; never decreases.
  virtual Nanos Now() const = 0;
  // Blocks the caller for `duration` of model time. Hold no lock of rank
  // kLeaf while sleeping (the manual clock takes one).
  virtual void SleepFor(Nanos duration) const = 0;
  // Waits on `cv` until it is signalled or model time reaches `deadline`.
  // Returns false on timeout. May return early without a signal (true):
  // callers wait in a loop on their predicate and the deadline, as with
  // any condition variable.
  virtual bool WaitUntil(CondVar& cv, Mutex& mu, Nanos deadline) const
      VAP_REQUIRES(mu) = 0;
};

// Wall-clock time (steady_clock), scaled by `time_scale` (> 0).
class RealClock final : public Clock {
 public:
  explicit RealClock(double time_scale = 1.0);

  Nanos Now() const override;
  void SleepFor(Nanos duration) const override;
  bool WaitUntil(CondVar& cv, Mutex& mu, Nanos deadline) const override
      VAP_REQUIRES(mu);

  double time_scale() const { return time_scale_; }

 private:
  Nanos ToReal(Nanos model) const;

  const double time_scale_;
  const std::chrono::steady_clock::time_point epoch_;
};

// Test clock. Now() is what Advance()/Set() made it. Sleepers wake when
// time passes their deadline. With auto-advance on, a sleeper moves time
// to its own deadline at once, and a WaitUntil that is not signalled
// within a short real-time grace period does the same: a virtual clock for
// tests that must not depend on how fast the machine is.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(bool auto_advance = false)
      : auto_advance_(auto_advance) {}

  Nanos Now() const override { return Nanos(now_ns_.load()); }
  void SleepFor(Nanos duration) const override VAP_EXCLUDES(mu_);
  bool WaitUntil(CondVar& cv, Mutex& mu, Nanos deadline) const override
      VAP_REQUIRES(mu);

  // Moves time forward by `delta` (>= 0) and wakes due sleepers.
  void Advance(Nanos delta) VAP_EXCLUDES(mu_);
  // Moves time forward to `t`; earlier values are ignored. Const because
  // an auto-advancing clock moves itself when waited on.
  void AdvanceTo(Nanos t) const VAP_EXCLUDES(mu_);
  // Number of threads blocked in SleepFor, for tests that must wait until
  // a worker sleeps before advancing.
  int sleepers() const VAP_EXCLUDES(mu_);

 private:
  const bool auto_advance_;
  mutable std::atomic<int64_t> now_ns_{0};
  mutable Mutex mu_{LockRank::kLeaf, "manual_clock"};
  mutable CondVar advanced_;
  mutable int sleepers_ VAP_GUARDED_BY(mu_) = 0;
};

}  // namespace vap

#endif  // VAP_BASE_CLOCK_H_
