// EventFd: the counter of a Linux eventfd, as the VFIO IRQ triggers use
// it (the driver signals, QEMU's main loop reads), and EventPoller, the
// loop's wait for any of its eventfds (poll()).
//
// Thread safety: all methods may be called concurrently. Signal() may be
// called with any driver lock held: the poller's lock is a leaf.
#ifndef VAP_BASE_EVENT_FD_H_
#define VAP_BASE_EVENT_FD_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "base/mutex.h"
#include "base/thread_annotations.h"

namespace vap {

// What one thread waits on for several eventfds.
class EventPoller {
 public:
  EventPoller() = default;
  EventPoller(const EventPoller&) = delete;
  EventPoller& operator=(const EventPoller&) = delete;

  // Wakes the waiter (an eventfd became readable).
  void Notify() VAP_EXCLUDES(mu_);
  // Blocks until Notify() was called since the last return, or Close().
  // False once closed.
  bool Wait() VAP_EXCLUDES(mu_);
  void Close() VAP_EXCLUDES(mu_);

 private:
  Mutex mu_{LockRank::kLeaf, "event_poller"};
  CondVar cv_;
  bool pending_ VAP_GUARDED_BY(mu_) = false;
  bool closed_ VAP_GUARDED_BY(mu_) = false;
};

class EventFd {
 public:
  // `poller`, if any, is notified on every signal.
  explicit EventFd(std::shared_ptr<EventPoller> poller = nullptr)
      : poller_(std::move(poller)) {}

  // eventfd_signal(): adds one to the counter.
  void Signal() {
    counter_.fetch_add(1, std::memory_order_acq_rel);
    signals_.fetch_add(1, std::memory_order_acq_rel);
    if (poller_ != nullptr) poller_->Notify();
  }
  // A non-blocking read(): the counter, which becomes 0.
  uint64_t Read() { return counter_.exchange(0, std::memory_order_acq_rel); }
  // Every signal since creation (reads do not lower it).
  uint64_t signals() const { return signals_.load(std::memory_order_acquire); }

 private:
  std::atomic<uint64_t> counter_{0};
  std::atomic<uint64_t> signals_{0};
  const std::shared_ptr<EventPoller> poller_;
};

}  // namespace vap

#endif  // VAP_BASE_EVENT_FD_H_
