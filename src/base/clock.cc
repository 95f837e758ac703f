#include "base/clock.h"

#include <algorithm>
#include <thread>

#include "base/check.h"

namespace vap {

namespace {

// How long a ManualClock WaitUntil waits in real time between looks at
// model time, and how long an auto-advancing one grants a signal before
// jumping to the deadline.
constexpr Nanos kManualPollSlice = std::chrono::milliseconds(1);

}  // namespace

RealClock::RealClock(double time_scale)
    : time_scale_(time_scale), epoch_(std::chrono::steady_clock::now()) {
  VAP_CHECK_MSG(time_scale > 0, "time scale must be positive");
}

Nanos RealClock::Now() const {
  const auto real = std::chrono::duration_cast<Nanos>(
      std::chrono::steady_clock::now() - epoch_);
  return Nanos(
      static_cast<int64_t>(static_cast<double>(real.count()) / time_scale_));
}

Nanos RealClock::ToReal(Nanos model) const {
  // Waits longer than a year are as good as forever, and keep the double
  // conversion and steady_clock::now() + timeout from overflowing.
  constexpr Nanos kForever = std::chrono::hours(24 * 365);
  const double real = static_cast<double>(model.count()) * time_scale_;
  if (real >= static_cast<double>(kForever.count())) return kForever;
  return Nanos(static_cast<int64_t>(real));
}

void RealClock::SleepFor(Nanos duration) const {
  if (duration <= Nanos::zero()) return;
  const Nanos real = ToReal(duration);
  // The kernel's timer slack (50 us) stretches every short sleep to at
  // least that; a scaled model asks for far shorter ones (a 20 ms reset
  // poll at --time-scale 0.001 is 20 us), which are waited out yielding.
  constexpr Nanos kShortest = std::chrono::microseconds(100);
  if (real < kShortest) {
    const auto until = std::chrono::steady_clock::now() + real;
    while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(real);
}

bool RealClock::WaitUntil(CondVar& cv, Mutex& mu, Nanos deadline) const {
  const Nanos left = deadline - Now();
  if (left <= Nanos::zero()) return false;
  return cv.WaitFor(mu, ToReal(left));
}

void ManualClock::SleepFor(Nanos duration) const {
  const Nanos deadline = Now() + duration;
  if (auto_advance_) {
    AdvanceTo(deadline);
    return;
  }
  MutexLock lock(mu_);
  ++sleepers_;
  while (Now() < deadline) advanced_.Wait(mu_);
  --sleepers_;
}

bool ManualClock::WaitUntil(CondVar& cv, Mutex& mu, Nanos deadline) const {
  // One real-time slice per call, then back to the caller, who re-checks
  // its predicate: a signal that races a slice's timeout must not be lost
  // by waiting on here (the caller's loop sees the predicate instead).
  if (Now() >= deadline) return false;
  if (cv.WaitFor(mu, kManualPollSlice)) return true;
  if (auto_advance_) {
    AdvanceTo(deadline);
    return false;
  }
  return Now() < deadline;
}

void ManualClock::Advance(Nanos delta) {
  VAP_CHECK_MSG(delta >= Nanos::zero(), "time cannot go backwards");
  AdvanceTo(Now() + delta);
}

void ManualClock::AdvanceTo(Nanos t) const {
  int64_t current = now_ns_.load();
  while (current < t.count() &&
         !now_ns_.compare_exchange_weak(current, t.count())) {
  }
  // Taking mu_ orders the store before any sleeper's re-check.
  { MutexLock lock(mu_); }
  advanced_.SignalAll();
}

int ManualClock::sleepers() const {
  MutexLock lock(mu_);
  return sleepers_;
}

}  // namespace vap
