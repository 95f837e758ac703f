#include "base/mutex.h"

#include <cstdio>
#include <cstdlib>

namespace vap {

namespace lri = lock_rank_internal;

namespace {

[[noreturn, maybe_unused]] void DieNotHeld(const char* name) {
  std::fprintf(stderr, "vap: lock '%s' is not held by this thread\n", name);
  std::abort();
}

}  // namespace

void Mutex::Lock() {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    lri::WillAcquire(this, rank_, name_, lri::HoldMode::kExclusive);
  }
  mu_.lock();
}

void Mutex::Unlock() {
  mu_.unlock();
  if constexpr (VAP_LOCK_RANK_CHECKS) lri::DidRelease(this);
}

bool Mutex::TryLock() {
  if (!mu_.try_lock()) return false;
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    lri::DidTryAcquire(this, rank_, name_, lri::HoldMode::kExclusive);
  }
  return true;
}

void Mutex::AssertHeld() const {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    if (!lri::IsHeld(this, nullptr)) DieNotHeld(name_);
  }
}

void RwSemaphore::Lock() {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    lri::WillAcquire(this, rank_, name_, lri::HoldMode::kExclusive);
  }
  std::unique_lock<std::mutex> lock(mu_);
  ++writers_waiting_;
  writers_cv_.wait(lock, [this] { return !writer_ && readers_ == 0; });
  --writers_waiting_;
  writer_ = true;
}

void RwSemaphore::Unlock() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    writer_ = false;
  }
  // Hand over to the next writer if one waits, else to all readers.
  writers_cv_.notify_one();
  readers_cv_.notify_all();
  if constexpr (VAP_LOCK_RANK_CHECKS) lri::DidRelease(this);
}

void RwSemaphore::LockShared() {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    lri::WillAcquire(this, rank_, name_, lri::HoldMode::kShared);
  }
  std::unique_lock<std::mutex> lock(mu_);
  readers_cv_.wait(lock, [this] { return !writer_ && writers_waiting_ == 0; });
  ++readers_;
}

void RwSemaphore::UnlockShared() {
  bool last;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last = --readers_ == 0;
  }
  if (last) writers_cv_.notify_one();
  if constexpr (VAP_LOCK_RANK_CHECKS) lri::DidRelease(this);
}

void RwSemaphore::AssertHeld() const {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    const lri::HoldMode mode = lri::HoldMode::kExclusive;
    if (!lri::IsHeld(this, &mode)) DieNotHeld(name_);
  }
}

void RwSemaphore::AssertReaderHeld() const {
  if constexpr (VAP_LOCK_RANK_CHECKS) {
    if (!lri::IsHeld(this, nullptr)) DieNotHeld(name_);
  }
}

int RwSemaphore::TEST_writers_waiting() {
  std::lock_guard<std::mutex> lock(mu_);
  return writers_waiting_;
}

void CondVar::Wait(Mutex& mu) {
  std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
  cv_.wait(lock);
  lock.release();
}

bool CondVar::WaitFor(Mutex& mu, std::chrono::nanoseconds timeout) {
  std::unique_lock<std::mutex> lock(mu.mu_, std::adopt_lock);
  const bool signalled =
      cv_.wait_for(lock, timeout) == std::cv_status::no_timeout;
  lock.release();
  return signalled;
}

void CondVar::Signal() { cv_.notify_one(); }

void CondVar::SignalAll() { cv_.notify_all(); }

}  // namespace vap
