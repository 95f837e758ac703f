#include "base/event_fd.h"

namespace vap {

void EventPoller::Notify() {
  MutexLock lock(mu_);
  pending_ = true;
  cv_.SignalAll();
}

bool EventPoller::Wait() {
  MutexLock lock(mu_);
  while (!pending_ && !closed_) cv_.Wait(mu_);
  pending_ = false;
  return !closed_;
}

void EventPoller::Close() {
  MutexLock lock(mu_);
  closed_ = true;
  cv_.SignalAll();
}

}  // namespace vap
